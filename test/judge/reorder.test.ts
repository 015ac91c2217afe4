import { describe, expect, it } from 'vitest';
import { Reorderer } from '../../src/judge/reorder.js';
import type { ApiRequest } from '../../src/model/request.js';
import { request } from '../helpers/requests.js';

const at = (sec: number, line: number) => request({ time: sec * 1000, line });
/** Pushes a request with its own time, as the scan does. */
const push = <Tag>(r: Reorderer<ApiRequest, Tag>, req: ApiRequest, tag: Tag): void => r.push(req, tag, req.time);

describe('Reorderer', () => {
  it('releases in time order, ties in arrival order, once the window has passed', () => {
    const out: number[] = [];
    const r = new Reorderer<ApiRequest, null>(10_000, (req) => out.push(req.line));
    [at(5, 1), at(3, 2), at(5, 3), at(4, 4)].forEach((x) => push(r, x, null));
    expect(out).toEqual([]); // nothing is 10 s older than the newest yet
    push(r, at(14, 5), null); // horizon 4 s: releases 3 s and 4 s
    expect(out).toEqual([2, 4]);
    r.flush();
    expect(out).toEqual([2, 4, 1, 3, 5]);
    expect(r.late).toBe(0);
  });

  it('counts a record that arrives after later ones were released as late, and still releases it', () => {
    const out: number[] = [];
    const r = new Reorderer<ApiRequest, null>(1_000, (req) => out.push(req.line));
    push(r, at(10, 1), null);
    push(r, at(20, 2), null); // releases 10
    push(r, at(5, 3), null); // older than what was released
    r.flush();
    expect(out).toEqual([1, 3, 2]);
    expect(r.late).toBe(1);
  });

  it('with a zero window passes in-order input straight through', () => {
    const out: number[] = [];
    const r = new Reorderer<ApiRequest, null>(0, (req) => out.push(req.line));
    push(r, at(1, 1), null);
    push(r, at(2, 2), null);
    expect(out).toEqual([1, 2]);
  });

  it('replaces what it holds in place, in the heap and in the run, without changing the order of release', () => {
    const out: string[] = [];
    const r = new Reorderer<string | number, null>(10_000, (item) => out.push(String(item)));
    // 5, 6, 7 arrive in order (the run); 3 and 4 go to the heap.
    [5, 6, 3, 7, 4].forEach((sec) => r.push(sec, null, sec * 1000));
    r.replace((item) => (typeof item === 'number' && item % 2 === 1 ? `odd ${item}` : item));
    r.flush();
    expect(out).toEqual(['odd 3', '4', 'odd 5', '6', 'odd 7']);
  });

  it('sorts a shuffled stream completely when the window covers it', () => {
    const lines = Array.from({ length: 500 }, (_, i) => i + 1);
    // deterministic shuffle
    let seed = 7;
    for (let i = lines.length - 1; i > 0; i--) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const j = seed % (i + 1);
      [lines[i], lines[j]] = [lines[j]!, lines[i]!];
    }
    const out: number[] = [];
    const r = new Reorderer<ApiRequest, null>(1_000_000, (req) => out.push(req.line));
    for (const l of lines) push(r, at(l, l), null);
    r.flush();
    expect(out).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
  });

  it('matches a sort-based reference on random streams: jitter, ties, late records, sorted runs, any window', () => {
    let seed = 99;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    // Whole seconds: many ties, between requests in arrival order and stragglers too.
    for (const [windowMs, grain] of [[0, 1], [1, 1], [500, 1], [3_000, 1], [60_000, 1], [0, 1000], [1_000, 1000], [3_000, 1000]] as const) {
      const times = Array.from({ length: 3000 }, (_, i) => Math.floor((Math.max(0, i * 100 + Math.floor((rand() - 0.5) * 8000)) - (rand() < 0.01 ? 20_000 : 0)) / grain) * grain);
      const out: number[] = [];
      // Each request comes back with its own tag and time, wherever it sat in the queue or the heap.
      const mismatched: number[] = [];
      const r = new Reorderer<ApiRequest, { line: number; time: number }>(windowMs, (req, tag, time) => {
        out.push(req.line);
        if (tag.line !== req.line || time !== req.time) mismatched.push(req.line);
      });
      times.forEach((t, i) => {
        const req = at(t / 1000, i);
        push(r, req, { line: i, time: req.time });
      });
      r.flush();
      expect(mismatched).toEqual([]);

      // The reference: hold everything, release in (time, arrival) order once the window has passed.
      const expected: number[] = [];
      let held: { t: number; i: number }[] = [];
      let newest = -Infinity;
      let last = -Infinity;
      let late = 0;
      times.forEach((t, i) => {
        if (t < last) {
          late++;
          expected.push(i);
          return;
        }
        newest = Math.max(newest, t);
        held.push({ t, i });
        held.sort((a, b) => a.t - b.t || a.i - b.i);
        while (held.length > 0 && held[0]!.t <= newest - windowMs) {
          last = held[0]!.t;
          expected.push(held.shift()!.i);
        }
      });
      expected.push(...held.map((h) => h.i));
      held = [];
      expect(out, `window ${windowMs}, grain ${grain}`).toEqual(expected);
      expect(r.late).toBe(late);
    }
  });
});

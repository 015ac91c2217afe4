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
        if (i === 0) return; // the first record's time is trusted once the next one confirms it (none here is a minute off)
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

  describe('a record far ahead of the others', () => {
    const YEAR_2099 = Date.parse('2099-01-01T00:00:00Z') / 1000;

    it('does not move the window: the records after it stay in order, none late, and it comes last', () => {
      for (const where of [0, 3, 7]) {
        const out: number[] = [];
        const r = new Reorderer<ApiRequest, null>(5_000, (req) => out.push(req.line));
        // Nearly sorted: 2 s apart, and one record in three swapped with the next.
        const secs = Array.from({ length: 40 }, (_, i) => 2 * i + (i % 3 === 1 ? 3 : i % 3 === 2 ? -3 : 0));
        const input = secs.map((t, i) => at(t, i + 1));
        input.splice(where, 0, at(YEAR_2099, 99));
        for (const req of input) push(r, req, null);
        expect(out.length, 'released before the end, as without the glitch').toBeGreaterThan(20);
        r.flush();
        const byTime = secs.map((t, i) => [t, i + 1] as const).sort((a, b) => a[0] - b[0]).map(([, line]) => line);
        expect(out, `bogus record at ${where}`).toEqual([...byTime, 99]);
        expect([r.late, r.ahead]).toEqual([0, 1]);
      }
    });

    it('on random streams, isolated glitches change nothing for the other records', () => {
      let seed = 7;
      const rand = (): number => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return seed / 2 ** 31;
      };
      for (const windowMs of [0, 1_000, 5_000, 60_000]) {
        const times = Array.from({ length: 5000 }, (_, i) => Math.floor(Math.max(0, i * 100 + Math.floor((rand() - 0.5) * 8000)) - (rand() < 0.01 ? 20_000 : 0)));
        const run = (glitches: number[]) => {
          const out: number[] = [];
          const r = new Reorderer<ApiRequest, null>(windowMs, (req) => out.push(req.line));
          times.forEach((t, i) => {
            // Years ahead, each a day before the one before it (so no two confirm each other), lines of their own.
            if (glitches.includes(i)) push(r, at(YEAR_2099 - i * 86_400, GLITCH + i), null);
            push(r, at(t / 1000, i), null);
          });
          r.flush();
          return { out, late: r.late, ahead: r.ahead };
        };
        const GLITCH = 1_000_000;
        const clean = run([]);
        // (Not the second record: with no window, the first is held only until the next confirms it, even a glitch.)
        const glitched = run([0, 2, 777, 2_000, 2_001, 4_999]);
        expect(glitched.out.filter((l) => l < GLITCH), `window ${windowMs}`).toEqual(clean.out);
        expect(glitched.out.slice(-6)).toEqual([4_999, 2_001, 2_000, 777, 2, 0].map((i) => GLITCH + i));
        // The last one is too close to the end to tell.
        expect([glitched.late, glitched.ahead]).toEqual([clean.late, 5]);
        expect(clean.ahead).toBe(0);
      }
    });

    it('moves the window after a quiet gap, once the next record confirms the new time', () => {
      const out: number[] = [];
      const r = new Reorderer<ApiRequest, null>(5_000, (req) => out.push(req.line));
      [at(0, 1), at(1, 2), at(2, 3), at(3_600, 4)].forEach((x) => push(r, x, null));
      expect(out).toEqual([]); // an hour ahead: not trusted alone
      push(r, at(3_601, 5), null); // confirmed: the window moves
      expect(out).toEqual([1, 2, 3]);
      push(r, at(3_599, 6), null); // within the window of the new time: not late
      r.flush();
      expect(out).toEqual([1, 2, 3, 6, 4, 5]);
      expect([r.late, r.ahead]).toEqual([0, 0]);
    });

    it('follows a node whose clock runs ahead when its records keep coming (their neighbours then come late)', () => {
      const out: number[] = [];
      const r = new Reorderer<ApiRequest, null>(5_000, (req) => out.push(req.line));
      let line = 0;
      for (let t = 0; t < 20; t++) {
        push(r, at(t, ++line), null);
        push(r, at(t + 7_200, ++line), null); // two hours ahead, every other record
      }
      r.flush();
      expect(r.late).toBeGreaterThan(0);
      expect(r.ahead).toBe(0);
      expect(out).toHaveLength(40);
    });

    it('holds at most 1,000 records apart in a scan: after that the window follows every time again, so memory stays bounded', () => {
      const out: number[] = [];
      const r = new Reorderer<ApiRequest, null>(5_000, (req) => out.push(req.line));
      let line = 0;
      let t = 0;
      for (let k = 0; k <= 1_000; k++) {
        // Each glitch a day before the one before it, so none confirms another; 20 ordinary records after each.
        push(r, at(YEAR_2099 - k * 86_400, ++line), null);
        for (let j = 0; j < 20; j++) push(r, at((t += 1), ++line), null);
      }
      // The first 1,000 were held apart; the 1,001st, with no room left, moved the window.
      expect(r.ahead).toBe(1_000);
      expect(r.held).toBe(1_001);
      // The window is at the 1,001st now: ordinary records pass at once, and one out of order is late.
      push(r, at(t - 5, ++line), null);
      expect([r.held, r.late]).toEqual([1_001, 1]);
      r.flush();
      expect(out).toHaveLength(line);
    });

    it('counts a record as held apart once the 16 after it were all far behind, not one too close to the end', () => {
      const r = new Reorderer<ApiRequest, null>(0, () => undefined);
      push(r, at(0, 1), null);
      push(r, at(YEAR_2099, 2), null);
      for (let i = 0; i < 16; i++) push(r, at(1 + i, 3 + i), null);
      push(r, at(YEAR_2099 - 86_400, 19), null); // far ahead again: the first is decided now
      expect(r.ahead).toBe(1);
      for (let i = 0; i < 10; i++) push(r, at(20 + i, 20 + i), null);
      r.flush();
      expect(r.ahead).toBe(1); // the second had only 10 records after it
      expect(r.late).toBe(0);
    });
  });
});

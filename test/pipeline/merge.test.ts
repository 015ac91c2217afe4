import { describe, expect, it } from 'vitest';
import { GLITCH_MS, QUEUE_LIMIT, TimeMerge, type FileEvents } from '../../src/pipeline/merge.js';
import type { HeldBatches } from '../../src/pipeline/held-batches.js';
import type { ApiRequest } from '../../src/model/request.js';
import { skip } from '../../src/model/skip.js';
import { prng } from '../helpers/random.js';

type Ev = { kind: 'req'; time: number; id: string } | { kind: 'skip'; line: number } | { kind: 'end' };

const req = (time: number, id: string): ApiRequest => ({ time, id }) as unknown as ApiRequest;

/** The merge as defined, written out plainly: at each step a skip or end at the front of a file (first file first), else the earliest request (first file on ties). */
function reference(files: Ev[][]): string[] {
  const heads = files.map(() => 0);
  const live = files.map((_, i) => i);
  const out: string[] = [];
  while (live.length > 0) {
    // A skip or end at the front goes first, and so does a request far later than the next one in its file.
    const now = (f: number): boolean => {
      const e = files[f]![heads[f]!]!;
      const next = files[f]![heads[f]! + 1];
      return e.kind !== 'req' || (next?.kind === 'req' && next.time < e.time - GLITCH_MS);
    };
    let pick = live.find(now);
    if (pick === undefined) {
      pick = live[0]!;
      for (const f of live) {
        const a = files[f]![heads[f]!] as { time: number };
        const b = files[pick]![heads[pick]!] as { time: number };
        if (a.time < b.time) pick = f;
      }
    }
    const e = files[pick]![heads[pick]!++]!;
    out.push(label(pick, e));
    if (e.kind === 'end') live.splice(live.indexOf(pick), 1);
  }
  return out;
}

const label = (file: number, e: Ev): string => (e.kind === 'req' ? `${file}:req:${e.id}@${e.time}` : e.kind === 'skip' ? `${file}:skip:${e.line}` : `${file}:end`);

/** Feeds each file's events into a merge in a random interleaving (files joining as earlier ones end, at most `open` at once). */
function runMerge(files: Ev[][], seed: number, open = files.length): string[] {
  const rnd = prng(seed);
  const out: string[] = [];
  const feeds: { file: number; events: FileEvents; next: number }[] = [];
  let joined = 0;
  const join = (): void => {
    const file = joined++;
    const events = merge.add({
      request: (r) => out.push(label(file, { kind: 'req', time: r.time, id: (r as unknown as { id: string }).id })),
      skip: (line) => out.push(label(file, { kind: 'skip', line })),
      end: () => out.push(label(file, { kind: 'end' })),
    });
    feeds.push({ file, events, next: 0 });
  };
  const merge = new TimeMerge(undefined, () => {
    if (joined < files.length) join();
  });
  while (joined < Math.min(open, files.length)) join();
  for (;;) {
    const busy = feeds.filter((f) => f.next < files[f.file]!.length);
    if (busy.length === 0) break;
    const f = busy[Math.floor(rnd() * busy.length)]!;
    // A burst of events from one file, as a chunk gives them.
    for (let n = 1 + Math.floor(rnd() * 5); n > 0 && f.next < files[f.file]!.length; n--) {
      const e = files[f.file]![f.next++]!;
      if (e.kind === 'req') f.events.request(req(e.time, e.id), -1);
      else if (e.kind === 'skip') f.events.skip(e.line, skip('bad-json'));
      else f.events.end();
    }
  }
  return out;
}

/** Files of nearly sorted times (each a gateway node), with skips among the requests. */
function someFiles(rnd: () => number, count: number): Ev[][] {
  return Array.from({ length: count }, (_, f) => {
    const events: Ev[] = [];
    let t = Math.floor(rnd() * 50);
    const n = Math.floor(rnd() * 40);
    for (let i = 0; i < n; i++) {
      if (rnd() < 0.1) events.push({ kind: 'skip', line: i + 1 });
      else if (rnd() < 0.05) events.push({ kind: 'req', time: t + 2 * GLITCH_MS, id: `${f}.${i}!` }); // a clock glitch
      else if (rnd() < 0.03) t += 2 * GLITCH_MS; // a quiet hour: no glitch
      else {
        t += Math.floor(rnd() * 5) - 1; // mostly forward, now and then back, ties too
        events.push({ kind: 'req', time: t, id: `${f}.${i}` });
      }
    }
    events.push({ kind: 'end' });
    return events;
  });
}

describe('TimeMerge', () => {
  it('hands on requests by time (the first file on ties), skips and ends as they come to the front', () => {
    const files: Ev[][] = [
      [{ kind: 'req', time: 1, id: 'a' }, { kind: 'req', time: 5, id: 'b' }, { kind: 'skip', line: 3 }, { kind: 'req', time: 9, id: 'c' }, { kind: 'end' }],
      [{ kind: 'skip', line: 1 }, { kind: 'req', time: 5, id: 'x' }, { kind: 'req', time: 6, id: 'y' }, { kind: 'end' }],
    ];
    expect(runMerge(files, 1)).toEqual(['1:skip:1', '0:req:a@1', '0:req:b@5', '0:skip:3', '1:req:x@5', '1:req:y@6', '1:end', '0:req:c@9', '0:end']);
  });

  it('gives the same order whatever order the files\' events arrive in: the one a plain merge of the files gives', () => {
    const rnd = prng(42);
    for (let round = 0; round < 300; round++) {
      const files = someFiles(rnd, 1 + Math.floor(rnd() * 5));
      const expected = reference(files);
      for (let seed = 0; seed < 5; seed++) expect(runMerge(files, round * 10 + seed)).toEqual(expected);
    }
  });

  it('with fewer files open at once than given, a file joins when one before it ends, and the order is still fixed', () => {
    const rnd = prng(7);
    for (let round = 0; round < 100; round++) {
      const files = someFiles(rnd, 3 + Math.floor(rnd() * 4));
      const first = runMerge(files, round, 2);
      for (let seed = 1; seed < 5; seed++) expect(runMerge(files, round * 10 + seed, 2)).toEqual(first);
      // Every event, each file's in its own order.
      expect(first.slice().sort()).toEqual(files.flatMap((f, i) => f.map((e) => label(i, e))).sort());
      for (let i = 0; i < files.length; i++) expect(first.filter((l) => l.startsWith(`${i}:`))).toEqual(files[i]!.map((e) => label(i, e)));
    }
  });

  it('makes a file that runs ahead wait (pace) until the merge has taken half of its queue', async () => {
    const merge = new TimeMerge(undefined, () => {});
    const taken: number[] = [];
    const a = merge.add({ request: (r) => taken.push(r.time), skip: () => {}, end: () => {} });
    const b = merge.add({ request: (r) => taken.push(r.time), skip: () => {}, end: () => {} });
    for (let i = 0; i < QUEUE_LIMIT; i++) a.request(req(1000 + i, 'a'), -1);
    expect(a.pace()).toBeUndefined();
    a.request(req(5000, 'a'), -1);
    const wait = a.pace();
    expect(wait).toBeInstanceOf(Promise);
    let resumed = false;
    void wait!.then(() => (resumed = true));
    const half = 1000 + QUEUE_LIMIT / 2 - 1;
    b.request(req(half, 'b'), -1);
    expect(taken).toEqual([]); // b's first request may be a glitch until its next one is known
    b.request(req(1000 + QUEUE_LIMIT, 'b'), -1);
    await Promise.resolve();
    // a's times up to b's (the tie too: a was given first), then b's: a still holds half and one.
    expect(taken.length).toBe(QUEUE_LIMIT / 2 + 1);
    expect(taken.slice(-2)).toEqual([half, half]);
    expect(resumed).toBe(false);
    b.request(req(9000, 'b'), -1);
    await Promise.resolve();
    expect(resumed).toBe(true);
    expect(a.pace()).toBeUndefined();
  });

  it('does not let a request dated far ahead hold its file back', () => {
    const out: string[] = [];
    const merge = new TimeMerge(undefined, () => {});
    const a = merge.add({ request: (r) => out.push(`a${r.time}`), skip: () => {}, end: () => {} });
    const b = merge.add({ request: (r) => out.push(`b${r.time}`), skip: () => {}, end: () => {} });
    const glitch = 10 * GLITCH_MS;
    for (const t of [1, glitch, 3, 5]) a.request(req(t, 'a'), -1);
    for (const t of [2, 4, 6]) b.request(req(t, 'b'), -1);
    a.end();
    b.end();
    // Handed on as soon as it reaches the front (the time-order window holds it apart), and a goes on.
    expect(out).toEqual(['a1', `a${glitch}`, 'b2', 'a3', 'b4', 'a5', 'b6']);
  });

  it('holds a worker-decoded request\'s batch while the request waits, and lets it go once handed on', () => {
    const holds = new Map<number, number>();
    const held = {
      hold: (h: number) => (holds.set(h, (holds.get(h) ?? 0) + 1), h),
      release: (h: number) => void holds.set(h, holds.get(h)! - 1),
    } as unknown as HeldBatches;
    const merge = new TimeMerge(held, () => {});
    const seen: number[] = [];
    // The target holds what it keeps (as the scan does), during the hand-over.
    const a = merge.add({ request: (_r, h) => (h >= 0 ? held.hold(h) : 0, seen.push(h)), skip: () => {}, end: () => {} });
    const b = merge.add({ request: (_r, h) => seen.push(h), skip: () => {}, end: () => {} });
    a.request(req(1, 'a'), 7);
    expect(holds.get(7)).toBe(1); // waiting in the merge
    b.request(req(2, 'b'), 8);
    b.end();
    expect(seen).toEqual([]); // a's next event is not known yet
    a.request(req(3, 'a'), -1);
    expect(seen).toEqual([7]);
    expect(holds.get(7)).toBe(1); // now the target's
    a.end();
    expect(seen).toEqual([7, 8, -1]);
    expect(holds.get(8)).toBe(0); // not kept by its target: let go
  });
});

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ApiRequest } from '../../src/model/request.js';
import { BatchWriter, readBatch, type Batch } from '../../src/pipeline/batch.js';
import { DecodePool } from '../../src/pipeline/decode-pool.js';
import { COMPACT_AT, HeldBatches, PER_BATCH } from '../../src/pipeline/held-batches.js';
import { readRequests } from '../../src/pipeline/requests.js';
import { scan } from '../../src/pipeline/scan.js';
import { loadPolicy } from '../../src/policy/load.js';
import { expandInputs } from '../../src/read/sources.js';
import { prng } from '../helpers/random.js';
import { request } from '../helpers/requests.js';

/** A batch as a worker sends it, of these requests. */
function batchOf(reqs: ApiRequest[]): Batch {
  const w = new BatchWriter();
  for (const r of reqs) w.request(r);
  const { batch, transfer } = w.finish(reqs.length);
  return structuredClone(batch, { transfer });
}

/**
 * Reads a batch into `held` as the scan does, holding the handles of the requests `keep` picks as
 * they come: returns each request with its handle.
 */
function read(held: HeldBatches, b: Batch, file: string, base: number, keep: (r: ApiRequest) => boolean = () => true): [ApiRequest, number][] {
  const out: [ApiRequest, number][] = [];
  const first = held.open(b, file, base);
  readBatch(b, file, base, { accept: (r, h) => out.push([r, h >= 0 && keep(r) ? held.hold(h) : h]), skipAt: () => {} }, first);
  if (first >= 0) held.close(first);
  return out;
}

describe('HeldBatches: requests held by number, recalled from their batch', () => {
  it('recalls each request field for field as readBatch gave it, in any order; exposed requests get no handle', () => {
    const reqs = Array.from({ length: 40 }, (_, i) =>
      request({ line: i + 1, time: 1_700_000_000_000 + i, identity: { key: `k-${i % 3}`, alias: `a${i % 5}` }, ip: `10.0.0.${i}`, path: `/p/${i}`, status: 200 + i, latencyMs: i / 2, authFailure: i % 7 === 0, api: 'vt', tenant: 'org1' }),
    );
    reqs[9]!.exposedIn = 'query api_key';
    reqs[9]!.exposedKey = 'raw-key';
    const held = new HeldBatches();
    const got = read(held, batchOf(reqs), 'logs/a.ndjson', 1000);
    expect(got).toHaveLength(40);
    expect(got[9]![1]).toBe(-1);
    expect(got.filter(([, h]) => h >= 0)).toHaveLength(39);
    const handles = got.filter(([, h]) => h >= 0);
    // A batch stays while any of its requests is held.
    expect(held.size).toBe(1);
    const rand = prng(5);
    const order = handles.map((x) => [rand(), x] as const).sort((a, b) => a[0] - b[0]).map(([, x]) => x);
    for (const [req, h] of order) {
      const again = held.recall(h);
      expect(again).toEqual(req);
      expect(again).not.toBe(req);
      expect(Object.keys(again)).toEqual(Object.keys(req));
      expect(again.line).toBe(1000 + reqs.indexOf(reqs.find((r) => r.path === req.path)!) + 1);
    }
    expect(held.size).toBe(0);
  });

  it('lets a batch go at once when none of its requests is held, and reuses its slot', () => {
    const held = new HeldBatches();
    const a = read(held, batchOf([request({ line: 1 }), request({ line: 2 })]), 'f', 0, () => false);
    expect(held.size).toBe(0);
    const b = read(held, batchOf([request({ line: 1, path: '/b' })]), 'f', 2);
    expect(b[0]![1]).toBe(a[0]![1]); // the same slot, again from index 0
    const c = read(held, batchOf([request({ line: 1, path: '/c' })]), 'f', 3, () => false);
    expect(c[0]![1]).not.toBe(b[0]![1]);
    expect(held.size).toBe(1);
    expect(held.recall(b[0]![1]).path).toBe('/b');
    expect(held.size).toBe(0);
  });

  it('builds a held request without ending its hold, and lets the batch go with the last release, built or not', () => {
    const held = new HeldBatches();
    const got = read(held, batchOf([request({ line: 1, path: '/one' }), request({ line: 2, path: '/two' })]), 'f', 10);
    const [[first, h1], [, h2]] = got as [[ApiRequest, number], [ApiRequest, number]];
    expect(held.request(h1)).toEqual(first);
    expect(held.request(h1)).toEqual(first); // as often as asked: the hold stays
    held.release(h1);
    expect(held.size).toBe(1); // /two is still held
    held.release(h2); // never built
    expect(held.size).toBe(0);
    const next = read(held, batchOf([request({ line: 1, path: '/three' })]), 'f', 12);
    expect(next[0]![1]).toBe(h1); // the freed slot, again from index 0
  });

  it('keeps handles small integers, and gives none (-1) past its slots or for a batch too big to number', () => {
    const held = new HeldBatches();
    const one = batchOf([request({ line: 1 })]);
    const firsts: number[] = [];
    for (let h = held.open(one, 'f', 0); h >= 0; h = held.open(one, 'f', 0)) firsts.push(h);
    expect(firsts).toHaveLength(8192);
    expect(new Set(firsts.map((h) => h % PER_BATCH))).toEqual(new Set([0]));
    const last = Math.max(...firsts) + PER_BATCH - 1;
    expect(last).toBeLessThan(2 ** 30);
    expect(held.open(one, 'f', 0)).toBe(-1);
    const out: number[] = [];
    readBatch(one, 'f', 0, { accept: (_r, h) => out.push(h), skipAt: () => {} }, -1);
    expect(out).toEqual([-1]);
    expect(new HeldBatches().open({ ...one, requests: PER_BATCH + 1 }, 'f', 0)).toBe(-1);
  });

  it('numbers every request of a file read with workers, those the main thread decodes too, and recalls them all', async () => {
    const pool = new DecodePool({ workers: 1, input: {} });
    try {
      const held = new HeldBatches();
      const got: [ApiRequest, number][] = [];
      await readRequests({ sources: expandInputs(['fixtures/demo/tyk-analytics.ndjson']), pool, chunkBytes: 4096, held }, (req, handle) =>
        got.push([req, handle >= 0 ? held.hold(handle) : handle]),
      );
      const lines = readFileSync('fixtures/demo/tyk-analytics.ndjson', 'utf8').trimEnd().split('\n').length;
      expect(got.length).toBeGreaterThan(lines / 2);
      // The first chunks are read before the hand-off to the workers (their requests have no handle); all after have one.
      const firstHeld = got.findIndex(([, h]) => h >= 0);
      expect(firstHeld).toBeGreaterThan(0);
      expect(got.slice(firstHeld).filter(([r, h]) => h < 0 && r.exposedKey === undefined)).toEqual([]);
      expect(held.size).toBeGreaterThan(1);
      for (const [req, h] of got) if (h >= 0) expect(held.recall(h)).toEqual(req);
      expect(held.size).toBe(0);
    } finally {
      await pool.close();
    }
  });

  it('calls a batch sparse once fewer than a quarter of its requests are held, and asks for compaction past its limit', () => {
    const held = new HeldBatches();
    const eight = (): Batch => batchOf(Array.from({ length: 8 }, (_, i) => request({ line: i + 1 })));
    // Two of eight held: not sparse; one of eight: sparse.
    const a = read(held, eight(), 'f', 0, (r) => r.line <= 2).map(([, h]) => h);
    const b = read(held, eight(), 'f', 0, (r) => r.line === 1).map(([, h]) => h);
    expect(held.sparse(a[0]!)).toBe(false);
    expect(held.sparse(b[0]!)).toBe(true);
    held.recall(a[1]!);
    expect(held.sparse(a[0]!)).toBe(true); // one of eight left
    expect(held.wantsCompaction).toBe(false);
    for (let i = 2; i <= COMPACT_AT; i++) read(held, eight(), 'f', 0, (r) => r.line === 1);
    expect(held.size).toBe(COMPACT_AT + 1);
    expect(held.wantsCompaction).toBe(true);
    held.compacted();
    expect(held.wantsCompaction).toBe(false); // next at twice as many
  });

  it('keeps few batches when each chunk has one far-future record held to the end, with the findings of one thread', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'apiguard-held-'));
    const pool = new DecodePool({ workers: 1, input: {} });
    try {
      // The demo three times over, one record in 13 dated 2030: each 8 KiB chunk (~13 records) has one.
      const lines = readFileSync('fixtures/demo/tyk-analytics.ndjson', 'utf8').trimEnd().split('\n');
      const file = join(dir, 'future.ndjson');
      const future = (l: string, i: number): string => (i % 13 === 6 ? l.replace(/"timestamp":"[^"]*"/, '"timestamp":"2030-01-01T00:00:00Z"') : l);
      writeFileSync(file, [...lines, ...lines, ...lines].map(future).join('\n') + '\n');
      const policy = loadPolicy('rules/demo-policy.yaml');
      const one = await scan({ sources: expandInputs([file]), policy, reorderWindowMs: 300_000 });
      const held = new HeldBatches();
      let batches = 0;
      const open = held.open.bind(held);
      held.open = (...args) => (batches++, open(...args));
      const two = await scan({ sources: expandInputs([file]), policy, reorderWindowMs: 300_000, pool, chunkBytes: 8192, held });
      expect(batches).toBeGreaterThan(3 * COMPACT_AT); // without compaction, every one of them would be kept
      expect(held.peak).toBeLessThanOrEqual(COMPACT_AT + 1);
      expect(held.size).toBe(0);
      expect(two.aggregator.incidents()).toEqual(one.aggregator.incidents());
      expect(two.counters.late).toBe(one.counters.late);
      expect(one.aggregator.incidents().length).toBeGreaterThan(0);
    } finally {
      await pool.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

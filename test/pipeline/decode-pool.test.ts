import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { formatByName } from '../../src/formats/index.js';
import type { ApiRequest } from '../../src/model/request.js';
import type { Skip } from '../../src/model/skip.js';
import { readBatch } from '../../src/pipeline/batch.js';
import { decodeChunk } from '../../src/pipeline/decode-chunk.js';
import { DecodePool, prestartWorkers, prestartedWaiting } from '../../src/pipeline/decode-pool.js';
import type { ChunkSetup } from '../../src/pipeline/records.js';

// The pool runs the built worker (dist/), as the CLI does: npm test builds first.
const DEMO = readFileSync('fixtures/demo/tyk-analytics.ndjson');
const setup: ChunkSetup = { file: 'demo.ndjson', framing: 'ndjson', format: 'tyk-analytics', noHeader: false, csv: null };

/** A chunk of whole lines from the middle of the demo, with a broken line in it. */
function chunk(): Uint8Array {
  const lines = DEMO.toString('utf8').split('\n').slice(100, 160);
  lines.splice(7, 0, '{"broken": ');
  const bytes = Buffer.from(lines.join('\n') + '\n');
  const shared = new Uint8Array(new SharedArrayBuffer(bytes.length));
  shared.set(bytes);
  return shared;
}

type Event = ApiRequest | [number, Skip];

let pools: DecodePool[] = [];
afterEach(async () => {
  await Promise.all(pools.map((p) => p.close()));
  pools = [];
});
const pool = (opts: ConstructorParameters<typeof DecodePool>[0]): DecodePool => {
  const p = new DecodePool(opts);
  pools.push(p);
  return p;
};

describe('DecodePool', () => {
  it('decodes a chunk in a worker thread exactly as the main thread does', async () => {
    const bytes = chunk();
    const here: Event[] = [];
    const lines = decodeChunk(setup, formatByName('tyk-analytics')!, bytes, { request: (r) => here.push(r), skip: (l, s) => here.push([l, s]) });
    here.forEach((e) => (Array.isArray(e) ? (e[0] += 1000) : (e.line += 1000)));

    const batch = await pool({ workers: 1, input: {} }).decode(setup, bytes);
    const there: Event[] = [];
    readBatch(batch, 'demo.ndjson', 1000, { accept: (r) => there.push(r), skipAt: (l, s) => there.push([l, s]) });
    expect(batch.lines).toBe(lines);
    expect(there).toEqual(here);
    expect(there.filter(Array.isArray)).toHaveLength(1);
    expect(there.length).toBe(61);
  });

  it('rejects a chunk its worker cannot decode, and goes on with the next', async () => {
    const p = pool({ workers: 1, input: {} });
    await expect(p.decode({ ...setup, format: 'no-such-format' }, chunk())).rejects.toThrow(/unknown format no-such-format/);
    expect(p.alive).toBe(true);
    expect((await p.decode(setup, chunk())).requests).toBe(60);
  });

  it('fails the outstanding chunks of a worker that dies, warns once, and is no longer alive when none is left', async () => {
    const warnings: string[] = [];
    const p = pool({ workers: 1, input: {}, exitAtChunk: 1, onWarning: (w) => warnings.push(w) });
    const first = p.decode(setup, chunk());
    const second = p.decode(setup, chunk()); // the worker exits when handed this one
    const third = p.decode(setup, chunk());
    expect((await first).requests).toBe(60);
    await expect(second).rejects.toThrow(/decode worker 1 stopped \(exit code 70\)/);
    await expect(third).rejects.toThrow(/decode worker 1 stopped/);
    expect(warnings).toEqual(['decode worker 1 stopped (exit code 70); the main thread decodes its chunks']);
    expect(p.alive).toBe(false);
    await expect(p.decode(setup, chunk())).rejects.toThrow(/no decode worker is running/);
  });

  it('decodes many chunks in flight at once across several workers', async () => {
    const p = pool({ workers: 3, input: {} });
    expect(p.alive).toBe(true);
    const batches = await Promise.all(Array.from({ length: 9 }, () => p.decode(setup, chunk())));
    expect(batches.map((b) => b.requests)).toEqual(Array(9).fill(60));
  });
});

describe('DecodePool with prestarted workers', () => {
  it('takes workers started before it, sends them its settings first, and decodes as the main thread does', async () => {
    prestartWorkers(2);
    expect(prestartedWaiting()).toBe(2);
    const p = pool({ workers: 1, input: {} });
    const bytes = chunk();
    const batch = await p.decode(setup, bytes);
    expect(prestartedWaiting()).toBe(1); // one taken, one left
    const here: Event[] = [];
    decodeChunk(setup, formatByName('tyk-analytics')!, bytes, { request: (r) => here.push(r), skip: (l, s) => here.push([l, s]) });
    const there: Event[] = [];
    readBatch(batch, 'demo.ndjson', 0, { accept: (r) => there.push(r), skipAt: (l, s) => there.push([l, s]) });
    expect(there).toEqual(here);
    await p.close();
    expect(prestartedWaiting()).toBe(0); // the one no pool took is ended with the pool
  });

  it('the settings reach a prestarted worker: a forced format from the command line is used', async () => {
    prestartWorkers(1);
    const p = pool({ workers: 1, input: { format: 'tyk-analytics' } });
    const batch = await p.decode({ ...setup, format: null }, chunk());
    expect(batch.requests).toBe(60);
    expect(prestartedWaiting()).toBe(0);
  });

  it('replaces a prestarted worker that stopped before it was taken, without a warning', async () => {
    const [w] = prestartWorkers(1);
    await w!.terminate();
    const warnings: string[] = [];
    const p = pool({ workers: 1, input: {}, onWarning: (t) => warnings.push(t) });
    expect((await p.decode(setup, chunk())).requests).toBe(60);
    expect(p.alive).toBe(true);
    expect(prestartedWaiting()).toBe(0);
    expect(warnings).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import type { ApiRequest } from '../../src/model/request.js';
import { skip, type Skip } from '../../src/model/skip.js';
import { BatchWriter, readBatch, type Batch } from '../../src/pipeline/batch.js';
import { prng } from '../helpers/random.js';
import { request } from '../helpers/requests.js';

/** What crosses threads: a structured clone, with the typed arrays' buffers transferred. */
function acrossThreads(w: BatchWriter, lines: number): Batch {
  const { batch, transfer } = w.finish(lines);
  return structuredClone(batch, { transfer });
}

function unpack(b: Batch, file: string, base: number): Array<ApiRequest | [number, Skip]> {
  const out: Array<ApiRequest | [number, Skip]> = [];
  readBatch(b, file, base, { accept: (r) => out.push(r), skipAt: (line, s) => out.push([line, s]) });
  return out;
}

describe('batch: requests and skips packed by a worker, unpacked on the main thread', () => {
  it('gives back the same requests (same fields, same order of fields), skips in between, lines made absolute', () => {
    const a = request({ line: 1, identity: { key: 'k-abcdef123456', alias: 'soar' }, status: 403, latencyMs: 12.5, authFailure: true, userAgent: 'curl/8', requestId: 'r1', api: 'elastic', tenant: 'org1' });
    const b = request({ line: 3, ip: '2001:db8::1', method: 'POST', path: '/x', identity: { hash: 'abcd1234' }, time: 1_700_000_000_123.5 });
    b.exposedIn = 'query api_key';
    b.exposedKey = 'raw-key-1';
    const c = request({ line: 4, status: NaN, latencyMs: -1, file: 'other' });
    const w = new BatchWriter();
    w.skip(1, skip('bad-json', 'Unexpected token'));
    w.request(a);
    w.skip(2, skip('missing-ip'));
    w.skip(2, skip('not-an-object', 'array'));
    w.request(b);
    w.request(c);
    w.skip(5, skip('line-too-long'));
    const out = unpack(acrossThreads(w, 5), 'logs/a.ndjson', 100);

    const at = (r: ApiRequest): ApiRequest => ({ ...r, file: 'logs/a.ndjson', line: 100 + r.line });
    expect(out).toEqual([[101, skip('bad-json', 'Unexpected token')], at(a), [102, skip('missing-ip')], [102, skip('not-an-object', 'array')], at(b), at(c), [105, skip('line-too-long')]]);
    // Property order matters to anything that serialises a request: as the formats build them.
    expect(Object.keys(out[1]!)).toEqual(Object.keys(a));
    expect(Object.keys(out[4]!)).toEqual(Object.keys(b));
    expect(Object.keys((out[1] as ApiRequest).identity)).toEqual(['key', 'hash', 'id', 'alias']);
    expect('exposedIn' in (out[1] as ApiRequest)).toBe(false);
  });

  it('sends a field\'s string once while it repeats from one record to the next', () => {
    const w = new BatchWriter();
    for (let i = 0; i < 500; i++) w.request(request({ line: i + 1, path: `/p/${Math.floor(i / 100)}` }));
    const batch = acrossThreads(w, 500);
    expect(batch.requests).toBe(500);
    // '', the shared key, ip, method and the like once each, and five paths
    expect(batch.strings.filter((s) => s.startsWith('/p/'))).toEqual(['/p/0', '/p/1', '/p/2', '/p/3', '/p/4']);
    expect(batch.strings.length).toBeLessThan(12);
    expect(unpack(batch, 'f', 0).map((r) => (r as ApiRequest).path)).toEqual(Array.from({ length: 500 }, (_, i) => `/p/${Math.floor(i / 100)}`));
  });

  it('packs a chunk with no requests, only skips, and one with nothing', () => {
    const w = new BatchWriter();
    w.skip(7, skip('bad-csv', '2 cells, the header has 3'));
    expect(unpack(acrossThreads(w, 9), 'f', 10)).toEqual([[17, skip('bad-csv', '2 cells, the header has 3')]]);
    const empty = new BatchWriter().finish(3).batch;
    expect(empty.lines).toBe(3);
    expect(unpack(empty, 'f', 0)).toEqual([]);
  });
});

describe('batch: strings that change and come back', () => {
  it('gives back every field of random requests whose values repeat, alternate and move between fields', () => {
    const rnd = prng(7);
    const pool = ['', 'a', 'b', 'k-1', 'GET', '/x', '2001:db8::1', 'b'.repeat(40)];
    const pick = (): string => pool[Math.floor(rnd() * pool.length)]!;
    const reqs: ApiRequest[] = [];
    const w = new BatchWriter();
    for (let i = 0; i < 2000; i++) {
      // Runs of equal values, then a change: the previous-value shortcut must hand out the right index.
      const r = request({ line: i + 1, ip: pick(), method: pick(), path: rnd() < 0.5 ? pick() : `/p/${i}`, identity: { key: pick(), hash: pick(), id: pick(), alias: pick() }, userAgent: pick(), requestId: pick(), api: pick(), tenant: pick() });
      reqs.push(r);
      w.request(r);
    }
    expect(unpack(acrossThreads(w, 2000), 'f', 0)).toEqual(reqs.map((r) => ({ ...r, file: 'f' })));
  });

  it('sends each of a few interleaved user agents, APIs, tenants and methods once, and any number of them right', () => {
    const rnd = prng(11);
    const few = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
    const agents = few('agent/1.', 5);
    const reqs = Array.from({ length: 500 }, (_, i) => request({ line: i + 1, path: `/p/${i}`, userAgent: agents[Math.floor(rnd() * agents.length)]!, api: i % 2 ? 'vt' : 'elastic', tenant: 'org1', method: i % 3 ? 'GET' : 'POST' }));
    const w = new BatchWriter();
    for (const r of reqs) w.request(r);
    const batch = acrossThreads(w, 500);
    expect(unpack(batch, 'f', 0)).toEqual(reqs.map((r) => ({ ...r, file: 'f' })));
    for (const s of [...agents, 'vt', 'elastic', 'GET', 'POST']) expect(batch.strings.filter((x) => x === s)).toHaveLength(1);

    // More distinct values than are remembered: sent again when they come back, and still right.
    const many = few('agent/2.', 40);
    const more = Array.from({ length: 2000 }, (_, i) => request({ line: i + 1, userAgent: many[Math.floor(rnd() * many.length)]!, api: many[Math.floor(rnd() * many.length)]! }));
    const w2 = new BatchWriter();
    for (const r of more) w2.request(r);
    expect(unpack(acrossThreads(w2, 2000), 'f', 0)).toEqual(more.map((r) => ({ ...r, file: 'f' })));
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { detectFormat } from '../../src/decode/detect.js';
import { FORMATS, formatByName, setDecodeContext } from '../../src/formats/index.js';
import { UTC_CONTEXT } from '../../src/formats/mapping.js';
import type { ApiRequest } from '../../src/model/request.js';
import { Skip } from '../../src/model/skip.js';
import { readRequests } from '../../src/pipeline/requests.js';
import { expandInputs } from '../../src/read/sources.js';
import { expectNoneDetected, filesUnder, recordsOf, requestOf } from '../helpers/fixture-records.js';

const es = formatByName('tyk-es-pump')!;
const DIR = 'fixtures/tyk';
const OWN = ['tyk-es-pump-source.ndjson', 'tyk-es-pump-elasticdump.ndjson'];
const RAW_KEY = '5e9d9544a1dcd60001d0ed207c0e2d4b6a8f41e3b5d7c9a1e3f5b7d9';

/** An Elasticsearch pump document (`_source`), extended_stats on, keys sorted as the pump writes them. */
const base = {
  '@timestamp': '2026-11-19T09:00:12.123456789Z',
  alias: 'alice',
  api_id: '3a5c7e9b1d2f4a6c8e0b2d4f6a8c0e1d',
  api_key: '9f2c4e6a8b0d1f35',
  api_name: 'Elastic',
  api_version: 'Non Versioned',
  content_length: 0,
  http_method: 'get',
  ip_address: '10.20.0.15',
  oauth_id: '',
  org_id: '5e9d9544a1dcd60001d0ed20',
  raw_request: '',
  raw_response: '',
  request_time_ms: 143,
  request_uri: '/_security/{id}',
  request_uri_full: '/_security/user',
  response_code: 403,
  tags: ['key-9f2c4e6a8b0d1f35'],
  user_agent: 'curl/8.5.0',
};

const normalise = (over: Record<string, unknown> = {}, line = 7): ApiRequest | Skip => es.normalise({ ...base, ...over }, 'es.ndjson', line);
const ok = (over: Record<string, unknown> = {}): ApiRequest => requestOf(normalise(over));

afterEach(() => setDecodeContext(UTC_CONTEXT));

describe('tyk-es-pump: mapping to the canonical request', () => {
  it('maps every field', () => {
    expect(normalise()).toEqual({
      time: Date.parse('2026-11-19T09:00:12.123Z'),
      identity: { key: '', hash: '9f2c4e6a8b0d1f35', id: '', alias: 'alice' },
      ip: '10.20.0.15',
      method: 'GET',
      // request_uri_full (the record's raw_path), not the endpoint template; no listen path exists to put back
      path: '/_security/user',
      status: 403,
      latencyMs: 143,
      userAgent: 'curl/8.5.0',
      requestId: '',
      api: 'Elastic',
      tenant: '5e9d9544a1dcd60001d0ed20',
      authFailure: false,
      file: 'es.ndjson',
      line: 7,
    });
  });

  it('reads @timestamp with any fraction and the gateway host offset', () => {
    expect(ok({ '@timestamp': '2026-11-19T10:00:12.123456789+01:00' }).time).toBe(Date.parse('2026-11-19T09:00:12.123Z'));
    expect(ok({ '@timestamp': '2026-11-19T04:00:12.1-05:00' }).time).toBe(Date.parse('2026-11-19T09:00:12.100Z'));
    expect(ok({ '@timestamp': '2026-11-19T09:00:12Z' }).time).toBe(Date.parse('2026-11-19T09:00:12.000Z'));
  });

  it('reads a zoneless @timestamp in the --log-timezone zone', () => {
    expect(ok({ '@timestamp': '2026-11-19T10:00:12.123' }).time).toBe(Date.parse('2026-11-19T10:00:12.123Z'));
    setDecodeContext({ zoneOffset: () => 3_600_000, year: 2026 });
    expect(ok({ '@timestamp': '2026-11-19T10:00:12.123' }).time).toBe(Date.parse('2026-11-19T09:00:12.123Z'));
  });

  it.each([
    [{ '@timestamp': undefined }, 'missing-timestamp'],
    [{ '@timestamp': '' }, 'missing-timestamp'],
    [{ '@timestamp': 'yesterday' }, 'bad-timestamp'],
    [{ ip_address: '10.20.0.999' }, 'bad-ip'],
  ])('%j is skipped as %s', (over, reason) => {
    const r = normalise(over);
    expect(r).toBeInstanceOf(Skip);
    expect((r as Skip).reason).toBe(reason);
  });

  it('takes the path as logged, after listen-path stripping: request_uri_full, else request_uri', () => {
    expect(ok({ request_uri_full: '/logs-endpoint-default/../_security/api_key' }).path).toBe('/_security/api_key');
    expect(ok({ request_uri_full: '/%5Fsecurity/role' }).path).toBe('/_security/role');
    expect(ok({ request_uri_full: '' }).path).toBe('/_security/{id}');
  });

  it('reads the user agent only where extended_stats put it', () => {
    const { user_agent: _ua, raw_request: _rq, raw_response: _rs, ...plain } = base;
    expect(es.normalise(plain, 'es.ndjson', 1)).toMatchObject({ userAgent: '', status: 403 });
  });

  it('unwraps IPv4-mapped IPv6 and canonicalises IPv6', () => {
    expect(ok({ ip_address: '::ffff:10.20.0.15' }).ip).toBe('10.20.0.15');
    expect(ok({ ip_address: '2001:DB8:dead::7' }).ip).toBe('2001:db8:dead::7');
  });

  it('unwraps elasticdump / scroll lines', () => {
    const line = { _index: 'tyk_analytics', _type: 'tyk_analytics', _id: 'x', _score: 1, _source: base };
    expect(es.detect(line)).toBe(true);
    expect(es.normalise(line, 'es.ndjson', 7)).toEqual(normalise());
  });

  it.each([
    ['a murmur64 hash', '9f2c4e6a8b0d1f35', { key: '', hash: '9f2c4e6a8b0d1f35' }],
    ['the no-key hash', '00000000', { key: '', hash: '00000000' }],
    ['a raw legacy key (hash_keys off)', RAW_KEY, { key: RAW_KEY, hash: '' }],
  ])('api_key as %s', (_name, api_key, identity) => {
    expect(ok({ api_key }).identity).toEqual({ id: '', alias: 'alice', ...identity });
  });

  it.each([
    [401, '00000000', '', true],
    [403, '00000000', '', true],
    [403, '9f2c4e6a8b0d1f35', 'alice', false],
    [429, 'a1b2c3d4e5f60718', 'soar-enrichment', false],
    [200, '00000000', '', false],
  ])('status %i with api_key %j and alias %j: authFailure %s', (response_code, api_key, alias, failure) => {
    expect(ok({ response_code, api_key, alias }).authFailure).toBe(failure);
  });
});

describe('tyk-es-pump: key exposure', () => {
  it('reports a raw api_key (hash_keys off) as an exposure; a hash or no key is not; raw_request would need parsing, paths have no query', () => {
    const exposed = { where: 'api_key: the gateway logs raw keys', value: RAW_KEY };
    expect(es.exposures!({ ...base, api_key: RAW_KEY })).toEqual([exposed]);
    expect(es.exposures!(base)).toEqual([]);
    for (const api_key of ['00000000', '']) expect(es.exposures!({ ...base, api_key }), api_key).toEqual([]);
    expect(es.exposures!({ ...base, raw_request: 'GET /_security/user?api_key=abc HTTP/1.1\r\nAuthorization: abc\r\n\r\n' })).toEqual([]);
    expect(es.exposures!({ _index: 'tyk_analytics', _id: 'x', _source: { ...base, api_key: RAW_KEY } })).toEqual([exposed]);
    // across the fixtures, only request 6 of the source documents
    const found = OWN.flatMap((file) => recordsOf(`${DIR}/${file}`).flatMap((r) => es.exposures!(r)));
    expect(found).toEqual([exposed]);
  });
});

describe('tyk-es-pump: detection', () => {
  it('detects every fixture record as tyk-es-pump and as no other JSON format', () => {
    let seen = 0;
    for (const file of OWN) {
      for (const r of recordsOf(`${DIR}/${file}`)) {
        seen++;
        expect(FORMATS.filter((f) => f.meta.container === 'json' && f.detect(r)).map((f) => f.meta.name), file).toEqual(['tyk-es-pump']);
        expect(detectFormat([r], 'json')?.meta.name).toBe('tyk-es-pump');
      }
    }
    expect(seen).toBe(9);
  });

  it.each([
    ['the analytics record itself (tyk-analytics)', { api_key: 'a', response_code: 200, ip_address: '1.2.3.4', timestamp: '2026-01-01T00:00:00Z', method: 'GET', raw_path: '/' }],
    ['an ECS document', { '@timestamp': '2026-01-01T00:00:00Z', http: { request: { method: 'GET' }, response: { status_code: 200 } }, source: { ip: '1.2.3.4' } }],
    ['no api_key', { '@timestamp': 'x', http_method: 'GET', request_uri: '/', response_code: 200, request_time_ms: 1 }],
  ])('refuses %s', (_name, r) => {
    expect(es.detect(r)).toBe(false);
  });

  it("refuses every record of the other formats' fixtures", () => {
    const files = filesUnder('fixtures').filter((f) => !OWN.some((own) => f.endsWith(`/${own}`)));
    expect(files).toContain('fixtures/demo/tyk-analytics.ndjson');
    expect(files).toContain(`${DIR}/tyk-splunk-hec-default.ndjson`);
    expectNoneDetected((r) => es.detect(r), files);
  });
});

describe('tyk-es-pump: reading the fixtures', () => {
  async function read(file: string) {
    const requests: ApiRequest[] = [];
    const { counters } = await readRequests({ sources: expandInputs([`${DIR}/${file}`]) }, (r) => requests.push(r));
    return { stats: counters.files[0]!, requests };
  }

  it.each([
    ['tyk-es-pump-source.ndjson', 7],
    ['tyk-es-pump-elasticdump.ndjson', 2],
  ])('%s: detected, %i records, none skipped', async (file, count) => {
    const { stats, requests } = await read(file);
    expect(stats).toMatchObject({ format: 'tyk-es-pump', framing: 'ndjson', records: count, parsed: count, skipped: 0, error: '' });
    expect(requests).toHaveLength(count);
  });

  it('reads the documents as logged: stripped paths, hashes and aliases', async () => {
    const { requests } = await read('tyk-es-pump-source.ndjson');
    expect(requests.map((r) => [r.line, new Date(r.time).toISOString(), r.ip, r.method, r.path, r.status, r.identity, r.authFailure, r.latencyMs, r.userAgent.slice(0, 11)])).toEqual([
      [1, '2026-11-20T09:12:03.481Z', '10.20.0.15', 'GET', '/logs-endpoint-default/_mapping', 200, { key: '', hash: '9f2c4e6a8b0d1f35', id: '', alias: 'alice' }, false, 87, 'Mozilla/5.0'],
      [2, '2026-11-20T02:10:07.318Z', '203.0.113.50', 'GET', '/_cat/indices', 401, { key: '', hash: '00000000', id: '', alias: '' }, true, 1, 'Mozilla/5.0'],
      [3, '2026-11-20T11:05:12.902Z', '198.51.100.7', 'POST', '/api/core/firmware/update', 403, { key: '', hash: '00000000', id: '', alias: '' }, true, 2, 'python-requ'],
      [4, '2026-11-20T13:00:09.342Z', '10.10.5.4', 'GET', '/api/v3/files/44d88612fea8a8f36de82e1278abb02f', 429, { key: '', hash: 'a1b2c3d4e5f60718', id: '', alias: 'soar-enrichment' }, false, 0, 'soar-worker'],
      [5, '2026-11-20T07:31:40.117Z', '2001:db8:42::1a', 'GET', '/REST/2.0/ticket/4211', 200, { key: '', hash: '9f2c4e6a8b0d1f35', id: '', alias: 'alice' }, false, 143, 'Mozilla/5.0'],
      [6, '2026-11-20T14:02:55.006Z', '10.30.1.10', 'GET', '/api/v1/process', 200, { key: RAW_KEY, hash: '', id: '', alias: 'lab-runner' }, false, 61, 'Mozilla/5.0'],
      [7, '2026-11-20T20:47:13.402Z', '10.10.5.4', 'GET', '/api/v3/ip_addresses/192.0.2.24', 403, { key: '', hash: 'a1b2c3d4e5f60718', id: '', alias: 'soar-enrichment' }, false, 1, 'soar-worker'],
    ]);
    expect(requests.map((r) => r.exposedIn)).toEqual([undefined, undefined, undefined, undefined, undefined, 'api_key: the gateway logs raw keys', undefined]);
    expect(requests[5]!.exposedKey).toBe(RAW_KEY);
  });

  it('reads elasticdump lines with an offset, without extended_stats', async () => {
    const { requests } = await read('tyk-es-pump-elasticdump.ndjson');
    expect(requests.map((r) => [new Date(r.time).toISOString(), r.ip, r.path, r.identity.alias, r.userAgent, r.api])).toEqual([
      ['2026-11-20T09:12:03.481Z', '10.20.0.15', '/logs-endpoint-default/_mapping', 'alice', '', 'Elastic'],
      ['2026-11-20T07:31:40.117Z', '2001:db8:42::1a', '/REST/2.0/ticket/4211', 'alice', '', 'RT'],
    ]);
  });
});

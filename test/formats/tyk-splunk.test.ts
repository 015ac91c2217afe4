import { describe, expect, it } from 'vitest';
import { detectFormat } from '../../src/decode/detect.js';
import { FORMATS, formatByName } from '../../src/formats/index.js';
import type { ApiRequest } from '../../src/model/request.js';
import { Skip } from '../../src/model/skip.js';
import { readRequests } from '../../src/pipeline/requests.js';
import { expandInputs } from '../../src/read/sources.js';
import { expectNoneDetected, filesUnder, recordsOf, requestOf } from '../helpers/fixture-records.js';

const splunk = formatByName('tyk-splunk')!;
const DIR = 'fixtures/tyk';
const OWN = ['tyk-splunk-hec-default.ndjson', 'tyk-splunk-hec-fields-obfuscated.ndjson', 'tyk-splunk-search-export.json'];
const RAW_KEY = '5e9d9544a1dcd60001d0ed207c0e2d4b6a8f41e3b5d7c9a1e3f5b7d9';

/** A Splunk pump event with a `fields` list adding host, raw_path, user_agent and alias to the defaults. */
const event = {
  alias: 'alice',
  api_id: '3a5c7e9b1d2f4a6c8e0b2d4f6a8c0e1d',
  api_key: '9f2c4e6a8b0d1f35',
  api_name: 'Elastic',
  api_version: 'Non Versioned',
  host: 'gw.corp.example',
  ip_address: '10.20.0.15',
  method: 'get',
  oauth_id: '',
  org_id: '5e9d9544a1dcd60001d0ed20',
  path: '/_security/{id}',
  raw_path: '/_security/user',
  raw_request: '',
  raw_response: '',
  request_time: 143,
  response_code: 403,
  time_stamp: '2026-11-19T09:00:12.123456789Z',
  user_agent: 'curl/8.5.0',
};
const hec = (over: Record<string, unknown> = {}) => ({ time: 1795078812, event: { ...event, ...over } });

const normalise = (over: Record<string, unknown> = {}, line = 7): ApiRequest | Skip => splunk.normalise(hec(over), 'splunk.ndjson', line);
const ok = (over: Record<string, unknown> = {}): ApiRequest => requestOf(normalise(over));

describe('tyk-splunk: mapping to the canonical request', () => {
  it('maps every field', () => {
    expect(normalise()).toEqual({
      time: Date.parse('2026-11-19T09:00:12.123Z'),
      identity: { key: '', hash: '9f2c4e6a8b0d1f35', id: '', alias: 'alice' },
      ip: '10.20.0.15',
      method: 'GET',
      // raw_path (the stripped path as requested), not the endpoint template; no listen path exists to put back
      path: '/_security/user',
      status: 403,
      latencyMs: 143,
      userAgent: 'curl/8.5.0',
      requestId: '',
      api: 'Elastic',
      tenant: '5e9d9544a1dcd60001d0ed20',
      authFailure: false,
      file: 'splunk.ndjson',
      line: 7,
    });
  });

  it('reads the default event (no alias, no user agent, no raw_path)', () => {
    const { alias: _a, host: _h, raw_path: _p, user_agent: _u, ...defaults } = event;
    expect(splunk.normalise({ time: 1795078812, event: defaults }, 'splunk.ndjson', 1)).toMatchObject({
      identity: { key: '', hash: '9f2c4e6a8b0d1f35', id: '', alias: '' },
      path: '/_security/{id}',
      userAgent: '',
    });
  });

  it('takes the time from time_stamp with its milliseconds and offset, not the wrapper\'s epoch seconds', () => {
    expect(ok().time).toBe(1795078812123);
    expect(ok({ time_stamp: '2026-11-19T10:00:12.5+01:00' }).time).toBe(Date.parse('2026-11-19T09:00:12.500Z'));
  });

  it.each([
    [{ time_stamp: undefined }, 'missing-timestamp'],
    [{ time_stamp: 'yesterday' }, 'bad-timestamp'],
    [{ ip_address: '10.20.0.999' }, 'bad-ip'],
  ])('%j is skipped as %s', (over, reason) => {
    const r = normalise(over);
    expect(r).toBeInstanceOf(Skip);
    expect((r as Skip).reason).toBe(reason);
  });

  it('reads a bare event and a search-export result the same as the HEC payload', () => {
    expect(splunk.normalise({ ...event }, 'splunk.ndjson', 7)).toEqual(normalise());
    const result = Object.fromEntries(Object.entries(event).map(([k, v]) => [k, String(v)]));
    expect(splunk.normalise({ preview: false, offset: 0, result: { _raw: JSON.stringify(event), _time: '2026-11-19T09:00:12.000+00:00', ...result } }, 'splunk.ndjson', 7)).toEqual(normalise());
  });

  it('normalises the stripped path as logged', () => {
    expect(ok({ raw_path: '/logs-endpoint-default/../_security/api_key' }).path).toBe('/_security/api_key');
    expect(ok({ raw_path: '/%5Fsecurity/role' }).path).toBe('/_security/role');
  });

  it('unwraps IPv4-mapped IPv6 and canonicalises IPv6', () => {
    expect(ok({ ip_address: '::ffff:10.20.0.15' }).ip).toBe('10.20.0.15');
    expect(ok({ ip_address: '2001:DB8:42::1A' }).ip).toBe('2001:db8:42::1a');
  });

  it.each([
    ['a murmur64 hash', '9f2c4e6a8b0d1f35', { key: '', hash: '9f2c4e6a8b0d1f35' }],
    ['the no-key hash', '00000000', { key: '', hash: '00000000' }],
    ['a raw legacy key (hash_keys off)', RAW_KEY, { key: RAW_KEY, hash: '' }],
    // obfuscate_api_keys: neither a key nor a hash, a non-secret fingerprint filed as the id (see tyk-splunk.yml)
    ['an obfuscated key (the id)', '****1f35', { key: '', hash: '', id: '****1f35' }],
    ['the obfuscated no-key hash (length 4)', '****0000', { key: '', hash: '' }],
    ['the obfuscated no-key hash (length 2)', '****00', { key: '', hash: '' }],
    ['a key obfuscated with length 0 (the id, alike for every key)', '****', { key: '', hash: '', id: '****' }],
  ])('api_key as %s', (_name, api_key, identity) => {
    expect(ok({ api_key }).identity).toEqual({ id: '', alias: 'alice', ...identity });
  });

  it.each([
    [401, '00000000', '', true],
    [401, '****0000', '', true],
    [403, '****0000', '', true], // the obfuscated no-key hash is no key
    [403, '****1f35', 'alice', false],
    [403, '00000000', '', true],
    [403, '9f2c4e6a8b0d1f35', 'alice', false],
    [429, 'a1b2c3d4e5f60718', 'soar-enrichment', false],
    [200, '00000000', '', false],
  ])('status %i with api_key %j and alias %j: authFailure %s', (response_code, api_key, alias, failure) => {
    expect(ok({ response_code, api_key, alias }).authFailure).toBe(failure);
  });
});

describe('tyk-splunk: key exposure', () => {
  it('reports a raw api_key (hash_keys off, not obfuscated) as an exposure; a hash, an obfuscated key or no key is not; raw_request is base64, paths have no query', () => {
    const exposed = { where: 'api_key: the gateway logs raw keys', value: RAW_KEY };
    expect(splunk.exposures!(hec({ api_key: RAW_KEY }))).toEqual([exposed]);
    expect(splunk.exposures!({ ...event, api_key: RAW_KEY })).toEqual([exposed]);
    expect(splunk.exposures!(hec())).toEqual([]);
    for (const api_key of ['00000000', '****1f35', '****0000', '****', '']) expect(splunk.exposures!(hec({ api_key })), api_key).toEqual([]);
    // request 6 (raw key) is in the default HEC file and the search export; the obfuscated file has none
    for (const file of OWN) {
      const found = recordsOf(`${DIR}/${file}`).flatMap((r) => splunk.exposures!(r));
      expect(found, file).toEqual(file === 'tyk-splunk-hec-fields-obfuscated.ndjson' ? [] : [exposed]);
    }
  });
});

describe('tyk-splunk: detection', () => {
  it('detects every fixture record as tyk-splunk and as no other JSON format', () => {
    let seen = 0;
    for (const file of OWN) {
      for (const r of recordsOf(`${DIR}/${file}`)) {
        seen++;
        expect(FORMATS.filter((f) => f.meta.container === 'json' && f.detect(r)).map((f) => f.meta.name), file).toEqual(['tyk-splunk']);
        expect(detectFormat([r], 'json')?.meta.name).toBe('tyk-splunk');
      }
    }
    expect(seen).toBe(12);
  });

  it.each([
    ['the analytics record itself (tyk-analytics)', { api_key: 'a', response_code: 200, ip_address: '1.2.3.4', timestamp: '2026-01-01T00:00:00Z' }],
    ['a HEC event of something else', { time: 1, event: { message: 'hello', host: 'x' } }],
    ['an export result without field extraction', { preview: false, result: { _raw: JSON.stringify(event), _time: '2026-11-19T09:00:12.000+00:00' } }],
  ])('refuses %s', (_name, r) => {
    expect(splunk.detect(r)).toBe(false);
  });

  it("refuses every record of the other formats' fixtures", () => {
    const files = filesUnder('fixtures').filter((f) => !OWN.some((own) => f.endsWith(`/${own}`)));
    expect(files).toContain('fixtures/demo/tyk-analytics.ndjson');
    expect(files).toContain(`${DIR}/tyk-es-pump-source.ndjson`);
    expectNoneDetected((r) => splunk.detect(r), files);
  });
});

describe('tyk-splunk: reading the fixtures', () => {
  async function read(file: string) {
    const requests: ApiRequest[] = [];
    const { counters } = await readRequests({ sources: expandInputs([`${DIR}/${file}`]) }, (r) => requests.push(r));
    return { stats: counters.files[0]!, requests };
  }

  it.each([
    ['tyk-splunk-hec-default.ndjson', 7],
    ['tyk-splunk-hec-fields-obfuscated.ndjson', 3],
    ['tyk-splunk-search-export.json', 2],
  ])('%s: detected, %i records, none skipped', async (file, count) => {
    const { stats, requests } = await read(file);
    expect(stats).toMatchObject({ format: 'tyk-splunk', framing: 'ndjson', records: count, parsed: count, skipped: 0, error: '' });
    expect(requests).toHaveLength(count);
  });

  it('reads the default events as logged: stripped paths, no alias', async () => {
    const { requests } = await read('tyk-splunk-hec-default.ndjson');
    expect(requests.map((r) => [r.line, new Date(r.time).toISOString(), r.ip, r.method, r.path, r.status, r.identity, r.authFailure, r.latencyMs])).toEqual([
      [1, '2026-11-20T09:12:03.481Z', '10.20.0.15', 'GET', '/logs-endpoint-default/_mapping', 200, { key: '', hash: '9f2c4e6a8b0d1f35', id: '', alias: '' }, false, 87],
      [2, '2026-11-20T02:10:07.318Z', '203.0.113.50', 'GET', '/_cat/indices', 401, { key: '', hash: '00000000', id: '', alias: '' }, true, 1],
      [3, '2026-11-20T11:05:12.902Z', '198.51.100.7', 'POST', '/api/core/firmware/update', 403, { key: '', hash: '00000000', id: '', alias: '' }, true, 2],
      [4, '2026-11-20T13:00:09.342Z', '10.10.5.4', 'GET', '/api/v3/files/44d88612fea8a8f36de82e1278abb02f', 429, { key: '', hash: 'a1b2c3d4e5f60718', id: '', alias: '' }, false, 0],
      [5, '2026-11-20T07:31:40.117Z', '2001:db8:42::1a', 'GET', '/REST/2.0/ticket/4211', 200, { key: '', hash: '9f2c4e6a8b0d1f35', id: '', alias: '' }, false, 143],
      [6, '2026-11-20T14:02:55.006Z', '10.30.1.10', 'GET', '/api/v1/process', 200, { key: RAW_KEY, hash: '', id: '', alias: '' }, false, 61],
      [7, '2026-11-20T20:47:13.402Z', '10.10.5.4', 'GET', '/api/v3/ip_addresses/192.0.2.24', 403, { key: '', hash: 'a1b2c3d4e5f60718', id: '', alias: '' }, false, 1],
    ]);
    expect(requests.map((r) => r.exposedIn)).toEqual([undefined, undefined, undefined, undefined, undefined, 'api_key: the gateway logs raw keys', undefined]);
    expect(requests[5]!.exposedKey).toBe(RAW_KEY);
  });

  it('reads configured fields (alias, user agent) and obfuscated keys as ids', async () => {
    const { requests } = await read('tyk-splunk-hec-fields-obfuscated.ndjson');
    expect(requests.map((r) => [r.status, r.identity, r.userAgent.slice(0, 11), r.authFailure])).toEqual([
      [200, { key: '', hash: '', id: '****1f35', alias: 'alice' }, 'Mozilla/5.0', false],
      [401, { key: '', hash: '', id: '', alias: '' }, 'Mozilla/5.0', true],
      [429, { key: '', hash: '', id: '****0718', alias: 'soar-enrichment' }, 'soar-worker', false],
    ]);
    expect(requests.every((r) => r.exposedIn === undefined)).toBe(true);
  });

  it('reads a search export, values as strings', async () => {
    const { requests } = await read('tyk-splunk-search-export.json');
    expect(requests.map((r) => [r.line, new Date(r.time).toISOString(), r.ip, r.method, r.path, r.status, r.latencyMs, r.identity.key || r.identity.hash, r.authFailure])).toEqual([
      [1, '2026-11-20T11:05:12.902Z', '198.51.100.7', 'POST', '/api/core/firmware/update', 403, 2, '00000000', true],
      [2, '2026-11-20T14:02:55.006Z', '10.30.1.10', 'GET', '/api/v1/process', 200, 61, RAW_KEY, false],
    ]);
    expect(requests.map((r) => [r.exposedIn, r.exposedKey])).toEqual([
      [undefined, undefined],
      ['api_key: the gateway logs raw keys', RAW_KEY],
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { detectFormat } from '../../src/decode/detect.js';
import { FORMATS, formatByName } from '../../src/formats/index.js';
import type { ApiRequest } from '../../src/model/request.js';
import { Skip } from '../../src/model/skip.js';
import { readRequests } from '../../src/pipeline/requests.js';
import { expandInputs } from '../../src/read/sources.js';
import { expectNoneDetected, filesUnder, recordsOf, requestOf } from '../helpers/fixture-records.js';

const mongo = formatByName('tyk-mongo')!;
const DIR = 'fixtures/tyk';
const OWN = ['tyk-mongo-mongoexport.json', 'tyk-mongo-mongoexport-canonical.json', 'tyk-mongo-mongoexport-legacy.json'];
const RAW_KEY = '5e9d9544a1dcd60001d0ed207c0e2d4b6a8f41e3b5d7c9a1e3f5b7d9';

/** A pump 1.16 analytics document as mongoexport writes it (relaxed Extended JSON), trimmed. */
const base = {
  _id: { $oid: '6747a2c1e4b0c3d2a1f00001' },
  method: 'get',
  host: 'gw.corp.example',
  path: '/_security/user',
  rawpath: '/_security/user',
  contentlength: 0,
  useragent: 'curl/8.5.0',
  day: 19,
  month: 11,
  year: 2026,
  hour: 9,
  responsecode: 403,
  apikey: '9f2c4e6a8b0d1f35',
  timestamp: { $date: '2026-11-19T09:00:12.123Z' },
  apiversion: 'Non Versioned',
  apiname: 'Elastic',
  apiid: '3a5c7e9b1d2f4a6c8e0b2d4f6a8c0e1d',
  orgid: '5e9d9544a1dcd60001d0ed20',
  oauthid: '',
  requesttime: 143,
  ipaddress: '10.20.0.15',
  latency: { total: 143, upstream: 140, gateway: 3 },
  tags: ['key-9f2c4e6a8b0d1f35'],
  alias: 'alice',
  trackpath: false,
  expireAt: { $date: '2026-11-26T09:00:12.123Z' },
  originalpath: '/elastic/_security/user',
  listenpath: '/elastic/',
};

const normalise = (over: Record<string, unknown> = {}, line = 7): ApiRequest | Skip => mongo.normalise({ ...base, ...over }, 'tyk.json', line);
const ok = (over: Record<string, unknown> = {}): ApiRequest => requestOf(normalise(over));

describe('tyk-mongo: mapping to the canonical request', () => {
  it('maps every field', () => {
    expect(normalise()).toEqual({
      time: Date.parse('2026-11-19T09:00:12.123Z'),
      identity: { key: '', hash: '9f2c4e6a8b0d1f35', id: '', alias: 'alice' },
      ip: '10.20.0.15',
      method: 'GET',
      path: '/elastic/_security/user',
      status: 403,
      latencyMs: 143,
      userAgent: 'curl/8.5.0',
      requestId: '',
      api: 'Elastic',
      tenant: '5e9d9544a1dcd60001d0ed20',
      authFailure: false,
      file: 'tyk.json',
      line: 7,
    });
  });

  it('reads timestamp in every Extended JSON spelling', () => {
    const t = Date.parse('2026-11-19T09:00:12.123Z');
    expect(ok({ timestamp: { $date: '2026-11-19T09:00:12.123Z' } }).time).toBe(t); // relaxed (mongoexport >= 4.2, Compass)
    expect(ok({ timestamp: { $date: { $numberLong: String(t) } } }).time).toBe(t); // canonical
    expect(ok({ timestamp: { $date: t } }).time).toBe(t); // legacy mongoexport < 4.2
    expect(ok({ timestamp: { $date: '2026-11-19T10:00:12.123+01:00' } }).time).toBe(t); // an offset
    expect(ok({ timestamp: '2026-11-19T09:00:12.123456789Z' }).time).toBe(t); // a plain string (driver JSON): ms kept, the rest dropped
  });

  it.each([
    [{ timestamp: undefined }, 'missing-timestamp'],
    [{ timestamp: null }, 'missing-timestamp'],
    [{ timestamp: { $date: '' } }, 'bad-timestamp'], // an empty $date falls through to the object itself
    [{ timestamp: { $date: 'yesterday' } }, 'bad-timestamp'],
    [{ ipaddress: '10.20.0.999' }, 'bad-ip'],
  ])('%j is skipped as %s', (over, reason) => {
    const r = normalise(over);
    expect(r).toBeInstanceOf(Skip);
    expect((r as Skip).reason).toBe(reason);
  });

  it('unwraps $numberInt / $numberLong numbers', () => {
    expect(ok({ responsecode: { $numberInt: '429' }, requesttime: { $numberLong: '12' } })).toMatchObject({ status: 429, latencyMs: 12 });
    expect(ok({ responsecode: 200, requesttime: { $numberInt: '7' } })).toMatchObject({ status: 200, latencyMs: 7 });
  });

  it('reads the client path: originalpath, else listenpath + rawpath, else the stripped path', () => {
    expect(ok({ originalpath: '/elastic/logs-endpoint-default/../_security/api_key' }).path).toBe('/elastic/_security/api_key');
    expect(ok({ originalpath: '/elastic/%5Fsecurity/role' }).path).toBe('/elastic/_security/role');
    // pump < 1.16 would have neither; a document with only the listen path gets it put back
    expect(ok({ originalpath: undefined }).path).toBe('/elastic/_security/user');
    expect(ok({ originalpath: '', listenpath: '/elastic' }).path).toBe('/elastic/_security/user');
    // not prefixed twice when the gateway did not strip
    expect(ok({ originalpath: undefined, rawpath: '/elastic/_security/user' }).path).toBe('/elastic/_security/user');
    // nothing to rebuild from: the stripped path as logged (rawpath, else path)
    expect(ok({ originalpath: undefined, listenpath: undefined }).path).toBe('/_security/user');
    expect(ok({ originalpath: undefined, listenpath: undefined, rawpath: '', path: '/_security/{id}' }).path).toBe('/_security/{id}');
  });

  it('unwraps IPv4-mapped IPv6 and canonicalises IPv6', () => {
    expect(ok({ ipaddress: '::ffff:10.20.0.15' }).ip).toBe('10.20.0.15');
    expect(ok({ ipaddress: '2001:DB8:42::1A' }).ip).toBe('2001:db8:42::1a');
  });

  it.each([
    ['a murmur64 hash', '9f2c4e6a8b0d1f35', { key: '', hash: '9f2c4e6a8b0d1f35' }],
    ['the no-key hash', '00000000', { key: '', hash: '00000000' }],
    ['a raw legacy key (hash_keys off)', RAW_KEY, { key: RAW_KEY, hash: '' }],
    ['nothing (hash_keys off, no key)', '', { key: '', hash: '' }],
  ])('apikey as %s', (_name, apikey, identity) => {
    expect(ok({ apikey }).identity).toEqual({ id: '', alias: 'alice', ...identity });
  });

  it.each([
    [401, '00000000', '', true],
    [401, '9f2c4e6a8b0d1f35', 'alice', true],
    [403, '00000000', '', true], // unknown key: rejected before a session was attached
    [403, '', '', true],
    [403, '9f2c4e6a8b0d1f35', 'alice', false], // quota or ACL: the key was known
    [429, 'a1b2c3d4e5f60718', 'soar-enrichment', false],
    [200, '00000000', '', false],
  ])('status %i with apikey %j and alias %j: authFailure %s', (status, apikey, alias, failure) => {
    expect(ok({ responsecode: status, apikey, alias }).authFailure).toBe(failure);
  });
});

describe('tyk-mongo: key exposure', () => {
  it('reports a raw apikey (hash_keys off) as an exposure, as tyk-analytics does; a hash or no key is not; no field holds a query', () => {
    const exposed = { where: 'apikey: the gateway logs raw keys', value: RAW_KEY };
    expect(mongo.exposures!({ ...base, apikey: RAW_KEY })).toEqual([exposed]);
    expect(mongo.exposures!(base)).toEqual([]);
    for (const apikey of ['00000000', '']) expect(mongo.exposures!({ ...base, apikey }), apikey).toEqual([]);
    // across the fixtures, only request 6 of the relaxed export
    const found = OWN.flatMap((file) => recordsOf(`${DIR}/${file}`).flatMap((r) => mongo.exposures!(r)));
    expect(found).toEqual([exposed]);
  });
});

describe('tyk-mongo: detection', () => {
  it('detects every fixture record as tyk-mongo and as no other JSON format', () => {
    let seen = 0;
    for (const file of OWN) {
      for (const r of recordsOf(`${DIR}/${file}`)) {
        seen++;
        expect(FORMATS.filter((f) => f.meta.container === 'json' && f.detect(r)).map((f) => f.meta.name), file).toEqual(['tyk-mongo']);
        expect(detectFormat([r], 'json')?.meta.name).toBe('tyk-mongo');
      }
    }
    expect(seen).toBe(10);
  });

  it.each([
    ['the JSON spelling of the record (tyk-analytics)', { api_key: 'a', response_code: 200, ip_address: '1.2.3.4', timestamp: '2026-01-01T00:00:00Z' }],
    ['an aggregate document (counters, no request)', { orgid: 'o', timestamp: { $date: '2026-11-19T09:00:00Z' }, total: { hits: 3, success: 2, errortotal: 1 }, apikeys: {} }],
    ['no client fields', { apikey: 'a', responsecode: 200, timestamp: { $date: '2026-11-19T09:00:00Z' } }],
  ])('refuses %s', (_name, r) => {
    expect(mongo.detect(r)).toBe(false);
  });

  it("refuses every record of the other formats' fixtures", () => {
    const files = filesUnder('fixtures').filter((f) => !OWN.some((own) => f.endsWith(`/${own}`)));
    expect(files).toContain('fixtures/demo/tyk-analytics.ndjson');
    expect(files).toContain(`${DIR}/tyk-es-pump-source.ndjson`);
    expectNoneDetected((r) => mongo.detect(r), files);
  });
});

describe('tyk-mongo: reading the fixtures', () => {
  async function read(file: string) {
    const requests: ApiRequest[] = [];
    const { counters } = await readRequests({ sources: expandInputs([`${DIR}/${file}`]) }, (r) => requests.push(r));
    return { stats: counters.files[0]!, requests };
  }

  it.each([
    ['tyk-mongo-mongoexport.json', 7],
    ['tyk-mongo-mongoexport-canonical.json', 2],
    ['tyk-mongo-mongoexport-legacy.json', 1],
  ])('%s: detected, %i records, none skipped', async (file, count) => {
    const { stats, requests } = await read(file);
    expect(stats).toMatchObject({ format: 'tyk-mongo', framing: 'ndjson', records: count, parsed: count, skipped: 0, error: '' });
    expect(requests).toHaveLength(count);
  });

  it('reads the relaxed export as logged', async () => {
    const { requests } = await read('tyk-mongo-mongoexport.json');
    expect(requests.map((r) => [r.line, new Date(r.time).toISOString(), r.ip, r.method, r.path, r.status, r.identity, r.authFailure, r.latencyMs, r.api])).toEqual([
      [1, '2026-11-20T09:12:03.481Z', '10.20.0.15', 'GET', '/elastic/logs-endpoint-default/_mapping', 200, { key: '', hash: '9f2c4e6a8b0d1f35', id: '', alias: 'alice' }, false, 87, 'Elastic'],
      [2, '2026-11-20T02:10:07.318Z', '203.0.113.50', 'GET', '/elastic/_cat/indices', 401, { key: '', hash: '00000000', id: '', alias: '' }, true, 1, 'Elastic'],
      [3, '2026-11-20T11:05:12.902Z', '198.51.100.7', 'POST', '/opnsense/api/core/firmware/update', 403, { key: '', hash: '00000000', id: '', alias: '' }, true, 2, 'OPNsense'],
      [4, '2026-11-20T13:00:09.342Z', '10.10.5.4', 'GET', '/virustotal/api/v3/files/44d88612fea8a8f36de82e1278abb02f', 429, { key: '', hash: 'a1b2c3d4e5f60718', id: '', alias: 'soar-enrichment' }, false, 0, 'VirusTotal'],
      [5, '2026-11-20T07:31:40.117Z', '2001:db8:42::1a', 'GET', '/rt/REST/2.0/ticket/4211', 200, { key: '', hash: '9f2c4e6a8b0d1f35', id: '', alias: 'alice' }, false, 143, 'RT'],
      [6, '2026-11-20T14:02:55.006Z', '10.30.1.10', 'GET', '/carbonblack/api/v1/process', 200, { key: RAW_KEY, hash: '', id: '', alias: 'lab-runner' }, false, 61, 'Carbon Black'],
      [7, '2026-11-20T20:47:13.402Z', '10.10.5.4', 'GET', '/virustotal/api/v3/ip_addresses/192.0.2.24', 403, { key: '', hash: 'a1b2c3d4e5f60718', id: '', alias: 'soar-enrichment' }, false, 1, 'VirusTotal'],
    ]);
    expect(requests.map((r) => r.exposedIn)).toEqual([undefined, undefined, undefined, undefined, undefined, 'apikey: the gateway logs raw keys', undefined]);
    expect(requests[5]!.exposedKey).toBe(RAW_KEY);
  });

  it('reads canonical and legacy exports the same way; a pre-1.16 document keeps the stripped path', async () => {
    const canonical = (await read('tyk-mongo-mongoexport-canonical.json')).requests;
    expect(canonical.map((r) => [new Date(r.time).toISOString(), r.ip, r.path, r.status, r.latencyMs, r.identity.hash])).toEqual([
      ['2026-11-20T02:10:07.318Z', '203.0.113.50', '/elastic/_cat/indices', 401, 1, '00000000'],
      ['2026-11-20T07:31:40.117Z', '2001:db8:42::1a', '/rt/REST/2.0/ticket/4211', 200, 143, '9f2c4e6a8b0d1f35'],
    ]);
    const legacy = (await read('tyk-mongo-mongoexport-legacy.json')).requests;
    expect(legacy.map((r) => [new Date(r.time).toISOString(), r.path, r.status, r.latencyMs, r.identity.alias])).toEqual([
      ['2026-11-20T13:00:09.342Z', '/api/v3/files/44d88612fea8a8f36de82e1278abb02f', 429, 0, 'soar-enrichment'],
    ]);
  });
});

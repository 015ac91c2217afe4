import { describe, expect, it } from 'vitest';
import { detectFormat } from '../../src/decode/detect.js';
import { FORMATS, formatByName } from '../../src/formats/index.js';
import type { ApiRequest } from '../../src/model/request.js';
import { Skip } from '../../src/model/skip.js';
import { readRequests } from '../../src/pipeline/requests.js';
import { expandInputs } from '../../src/read/sources.js';
import { expectNoneDetected, filesUnder, recordsOf, requestOf } from '../helpers/fixture-records.js';

const csv = formatByName('tyk-csv-pump')!;
const DIR = 'fixtures/tyk';
const VERSIONS = [
  ['tyk-csv-pump-v1.16.csv', 42, 7],
  ['tyk-csv-pump-v1.13.1.csv', 40, 2],
  ['tyk-csv-pump-v1.8.csv', 39, 2],
  ['tyk-csv-pump-v1.3.csv', 38, 2],
  ['tyk-csv-pump-pre-v1.3.csv', 29, 2],
] as const;
const OWN: string[] = VERSIONS.map((v) => v[0]);
const RAW_KEY = '5e9d9544a1dcd60001d0ed207c0e2d4b6a8f41e3b5d7c9a1e3f5b7d9';

/** A row of the 42-column (pump >= 1.16) file as the CSV reader keys it, trimmed to what matters. */
const row = {
  Method: 'GET',
  Host: 'gw.corp.example',
  Path: '/_security/{id}',
  RawPath: '/_security/user',
  ContentLength: '0',
  UserAgent: 'curl/8.5.0',
  Day: '19',
  Month: 'November',
  Year: '2026',
  Hour: '9',
  ResponseCode: '403',
  APIKey: '9f2c4e6a8b0d1f35',
  TimeStamp: '2026-11-19 09:00:12.123456789 +0000 UTC',
  APIVersion: 'Non Versioned',
  APIName: 'Elastic',
  APIID: '3a5c7e9b1d2f4a6c8e0b2d4f6a8c0e1d',
  OrgID: '5e9d9544a1dcd60001d0ed20',
  OauthID: '',
  RequestTime: '143',
  IPAddress: '10.20.0.15',
  'Latency.Total': '143',
  Tags: 'key-9f2c4e6a8b0d1f35;org-5e9d9544a1dcd60001d0ed20',
  Alias: 'alice',
  TrackPath: 'true',
  ExpireAt: '2026-11-26 09:00:12.123456789 +0000 UTC',
  ApiSchema: '',
  OriginalPath: '/elastic/_security/user',
  ListenPath: '/elastic/',
};

const normalise = (over: Record<string, unknown> = {}, line = 7): ApiRequest | Skip => csv.normalise({ ...row, ...over }, '2026-November-19-9.csv', line);
const ok = (over: Record<string, unknown> = {}): ApiRequest => requestOf(normalise(over));

describe('tyk-csv-pump: mapping to the canonical request', () => {
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
      file: '2026-November-19-9.csv',
      line: 7,
    });
  });

  it.each([
    ['UTC, nanoseconds', '2026-11-19 09:00:12.123456789 +0000 UTC', '2026-11-19T09:00:12.123Z'],
    ['trailing zeros dropped', '2026-11-19 09:00:12.1 +0000 UTC', '2026-11-19T09:00:12.100Z'],
    ['no fraction at all', '2026-11-19 09:00:12 +0000 UTC', '2026-11-19T09:00:12.000Z'],
    ['a pump in CET', '2026-11-19 10:00:12.123456789 +0100 CET', '2026-11-19T09:00:12.123Z'],
    ['a zone without an abbreviation', '2026-11-19 06:00:12.123 -0300 -03', '2026-11-19T09:00:12.123Z'],
    ['the offset wins over the abbreviation', '2026-11-19 10:00:12.123 +0100 UTC', '2026-11-19T09:00:12.123Z'],
    ['a monotonic clock reading', '2026-11-19 09:00:12.123456789 +0000 UTC m=+0.001234567', '2026-11-19T09:00:12.123Z'],
  ])('reads TimeStamp in Go layout: %s', (_name, TimeStamp, iso) => {
    expect(ok({ TimeStamp }).time).toBe(Date.parse(iso));
  });

  it.each([
    [{ TimeStamp: '' }, 'missing-timestamp'],
    [{ TimeStamp: '2026-11-19T09:00:12Z' }, 'bad-timestamp'], // as: go
    [{ TimeStamp: '2026-02-30 09:00:12 +0000 UTC' }, 'bad-timestamp'],
    [{ IPAddress: '10.20.0.999' }, 'bad-ip'],
  ])('%j is skipped as %s', (over, reason) => {
    const r = normalise(over);
    expect(r).toBeInstanceOf(Skip);
    expect((r as Skip).reason).toBe(reason);
  });

  it('reads the client path: OriginalPath, else ListenPath + RawPath, else the stripped path', () => {
    expect(ok({ OriginalPath: '/elastic/logs-endpoint-default/../_security/api_key' }).path).toBe('/elastic/_security/api_key');
    expect(ok({ OriginalPath: '/elastic/%5Fsecurity/role' }).path).toBe('/elastic/_security/role');
    expect(ok({ OriginalPath: '' }).path).toBe('/elastic/_security/user');
    expect(ok({ OriginalPath: '', ListenPath: '/elastic' }).path).toBe('/elastic/_security/user');
    expect(ok({ OriginalPath: '', RawPath: '/elastic/_security/user' }).path).toBe('/elastic/_security/user');
    // headers before 1.16: neither column
    const { OriginalPath: _o, ListenPath: _l, ...old } = row;
    expect(csv.normalise(old, 'x.csv', 1)).toMatchObject({ path: '/_security/user' });
    expect(csv.normalise({ ...old, RawPath: '' }, 'x.csv', 1)).toMatchObject({ path: '/_security/{id}' });
  });

  it('unwraps IPv4-mapped IPv6 and canonicalises IPv6', () => {
    expect(ok({ IPAddress: '::ffff:10.20.0.15' }).ip).toBe('10.20.0.15');
    expect(ok({ IPAddress: '2001:DB8:42::1A' }).ip).toBe('2001:db8:42::1a');
  });

  it.each([
    ['a murmur64 hash', '9f2c4e6a8b0d1f35', { key: '', hash: '9f2c4e6a8b0d1f35' }],
    ['the no-key hash', '00000000', { key: '', hash: '00000000' }],
    ['a sha256 hash', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', { key: '', hash: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' }],
    ['a raw legacy key (hash_keys off)', RAW_KEY, { key: RAW_KEY, hash: '' }],
    ['a raw base64 key', 'eyJvcmciOiI1ZTlkOTU0NGExZGNkNjAwMDFkMGVkMjAiLCJpZCI6IjdjMGUyZDRiNmE4ZjQxZTNiNWQ3YzlhMWUzZjViN2Q5IiwiaCI6Im11cm11cjY0In0=', { key: 'eyJvcmciOiI1ZTlkOTU0NGExZGNkNjAwMDFkMGVkMjAiLCJpZCI6IjdjMGUyZDRiNmE4ZjQxZTNiNWQ3YzlhMWUzZjViN2Q5IiwiaCI6Im11cm11cjY0In0=', hash: '' }],
  ])('APIKey as %s', (_name, APIKey, identity) => {
    expect(ok({ APIKey }).identity).toEqual({ id: '', alias: 'alice', ...identity });
  });

  it.each([
    ['401', '00000000', '', true],
    ['403', '00000000', '', true],
    ['403', '', '', true],
    ['403', '9f2c4e6a8b0d1f35', 'alice', false],
    ['429', 'a1b2c3d4e5f60718', 'soar-enrichment', false],
    ['200', '00000000', '', false],
  ])('ResponseCode %s with APIKey %j and Alias %j: authFailure %s', (ResponseCode, APIKey, Alias, failure) => {
    expect(ok({ ResponseCode, APIKey, Alias }).authFailure).toBe(failure);
  });
});

describe('tyk-csv-pump: key exposure', () => {
  it('reports a raw APIKey (hash_keys off) as an exposure, once; a hash or no key is not; RawRequest is base64, paths have no query', () => {
    const exposed = { where: 'APIKey: the gateway logs raw keys', value: RAW_KEY };
    expect(csv.exposures!({ ...row, APIKey: RAW_KEY, Tags: `key-${RAW_KEY}` })).toEqual([exposed]);
    expect(csv.exposures!(row)).toEqual([]);
    for (const APIKey of ['00000000', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', '']) expect(csv.exposures!({ ...row, APIKey }), APIKey).toEqual([]);
    // request 6 (raw key, hash_keys off) is in the 1.16 and 1.3 files only
    for (const file of OWN) {
      const found = recordsOf(`${DIR}/${file}`).flatMap((r) => csv.exposures!(r));
      expect(found, file).toEqual(file === 'tyk-csv-pump-v1.16.csv' || file === 'tyk-csv-pump-v1.3.csv' ? [exposed] : []);
    }
  });
});

describe('tyk-csv-pump: detection', () => {
  it.each(VERSIONS)('%s: %i columns, every row detected as tyk-csv-pump and as no other CSV format', (file, columns, rows) => {
    const records = recordsOf(`${DIR}/${file}`);
    expect(records).toHaveLength(rows);
    for (const r of records) {
      expect(Object.keys(r)).toHaveLength(columns);
      expect(FORMATS.filter((f) => f.meta.container === 'csv' && f.detect(r)).map((f) => f.meta.name)).toEqual(['tyk-csv-pump']);
      expect(detectFormat([r], 'csv')?.meta.name).toBe('tyk-csv-pump');
    }
  });

  it.each([
    ['an Azure Log Analytics export', { TimeGenerated: '2026-11-19T09:00:12Z', Method: 'GET', Url: 'https://x/a', ResponseCode: '200', CallerIpAddress: '1.2.3.4' }],
    ['a Kibana CSV of the ES pump index', { '@timestamp': 'Nov 19, 2026 @ 09:00:12.123', api_key: 'a', http_method: 'GET', ip_address: '1.2.3.4', request_uri: '/', response_code: '200' }],
    ['no TimeStamp', { Method: 'GET', RawPath: '/', ResponseCode: '200', APIKey: 'a', IPAddress: '1.2.3.4' }],
  ])('refuses %s', (_name, r) => {
    expect(csv.detect(r)).toBe(false);
  });

  it("refuses every record of the other formats' fixtures", () => {
    const files = filesUnder('fixtures').filter((f) => !OWN.some((own) => f.endsWith(`/${own}`)));
    expect(files).toContain('fixtures/demo/tyk-analytics.ndjson');
    expect(files).toContain('fixtures/kibana/kibana-reporting-csv-logstash-utc.csv');
    expectNoneDetected((r) => csv.detect(r), files);
  });
});

describe('tyk-csv-pump: reading the fixtures', () => {
  async function read(file: string) {
    const requests: ApiRequest[] = [];
    const { counters } = await readRequests({ sources: expandInputs([`${DIR}/${file}`]) }, (r) => requests.push(r));
    return { stats: counters.files[0]!, requests };
  }

  it.each(VERSIONS)('%s (%i columns): detected, %i records, none skipped', async (file, _columns, count) => {
    const { stats, requests } = await read(file);
    expect(stats).toMatchObject({ format: 'tyk-csv-pump', framing: 'csv', records: count, parsed: count, skipped: 0, error: '' });
    expect(requests).toHaveLength(count);
  });

  it('reads the 1.16 file as logged', async () => {
    const { requests } = await read('tyk-csv-pump-v1.16.csv');
    expect(requests.map((r) => [r.line, new Date(r.time).toISOString(), r.ip, r.method, r.path, r.status, r.identity, r.authFailure, r.latencyMs])).toEqual([
      [2, '2026-11-20T09:12:03.481Z', '10.20.0.15', 'GET', '/elastic/logs-endpoint-default/_mapping', 200, { key: '', hash: '9f2c4e6a8b0d1f35', id: '', alias: 'alice' }, false, 87],
      [3, '2026-11-20T02:10:07.318Z', '203.0.113.50', 'GET', '/elastic/_cat/indices', 401, { key: '', hash: '00000000', id: '', alias: '' }, true, 1],
      [4, '2026-11-20T11:05:12.902Z', '198.51.100.7', 'POST', '/opnsense/api/core/firmware/update', 403, { key: '', hash: '00000000', id: '', alias: '' }, true, 2],
      [5, '2026-11-20T13:00:09.342Z', '10.10.5.4', 'GET', '/virustotal/api/v3/files/44d88612fea8a8f36de82e1278abb02f', 429, { key: '', hash: 'a1b2c3d4e5f60718', id: '', alias: 'soar-enrichment' }, false, 0],
      [6, '2026-11-20T07:31:40.117Z', '2001:db8:42::1a', 'GET', '/rt/REST/2.0/ticket/4211', 200, { key: '', hash: '9f2c4e6a8b0d1f35', id: '', alias: 'alice' }, false, 143],
      [7, '2026-11-20T14:02:55.006Z', '10.30.1.10', 'GET', '/carbonblack/api/v1/process', 200, { key: RAW_KEY, hash: '', id: '', alias: 'lab-runner' }, false, 61],
      [8, '2026-11-20T20:47:13.402Z', '10.10.5.4', 'GET', '/virustotal/api/v3/ip_addresses/192.0.2.24', 403, { key: '', hash: 'a1b2c3d4e5f60718', id: '', alias: 'soar-enrichment' }, false, 1],
    ]);
    expect(requests.map((r) => r.exposedIn)).toEqual([undefined, undefined, undefined, undefined, undefined, 'APIKey: the gateway logs raw keys', undefined]);
    expect(requests[5]!.exposedKey).toBe(RAW_KEY);
    // Go encoding/csv quoted the user agent with a comma
    expect(requests[5]!.userAgent).toBe('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36');
  });

  it('reads every older header by name: the same requests, stripped paths where there is no OriginalPath', async () => {
    const brief = (r: ApiRequest) => [new Date(r.time).toISOString(), r.ip, r.path, r.status, r.identity.key || r.identity.hash, r.identity.alias];
    expect((await read('tyk-csv-pump-v1.13.1.csv')).requests.map(brief)).toEqual([
      // written by a pump in CET: +0100 in the file, the same instants
      ['2026-11-20T09:12:03.481Z', '10.20.0.15', '/logs-endpoint-default/_mapping', 200, '9f2c4e6a8b0d1f35', 'alice'],
      ['2026-11-20T02:10:07.318Z', '203.0.113.50', '/_cat/indices', 401, '00000000', ''],
    ]);
    expect((await read('tyk-csv-pump-v1.8.csv')).requests.map(brief)).toEqual([
      ['2026-11-20T13:00:09.342Z', '10.10.5.4', '/api/v3/files/44d88612fea8a8f36de82e1278abb02f', 429, 'a1b2c3d4e5f60718', 'soar-enrichment'],
      ['2026-11-20T07:31:40.117Z', '2001:db8:42::1a', '/REST/2.0/ticket/4211', 200, '9f2c4e6a8b0d1f35', 'alice'],
    ]);
    expect((await read('tyk-csv-pump-v1.3.csv')).requests.map(brief)).toEqual([
      ['2026-11-20T11:05:12.902Z', '198.51.100.7', '/api/core/firmware/update', 403, '00000000', ''],
      ['2026-11-20T14:02:55.006Z', '10.30.1.10', '/api/v1/process', 200, RAW_KEY, 'lab-runner'],
    ]);
    expect((await read('tyk-csv-pump-pre-v1.3.csv')).requests.map(brief)).toEqual([
      ['2026-11-20T09:12:03.481Z', '10.20.0.15', '/logs-endpoint-default/_mapping', 200, '9f2c4e6a8b0d1f35', 'alice'],
      ['2026-11-20T02:10:07.318Z', '203.0.113.50', '/_cat/indices', 401, '00000000', ''],
    ]);
  });
});

import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatByName } from '../../src/formats/index.js';
import type { ApiRequest } from '../../src/model/request.js';
import { Skip } from '../../src/model/skip.js';
import { readRequests } from '../../src/pipeline/requests.js';
import { LOG_NAME, expandInputs } from '../../src/read/sources.js';

const format = formatByName('nginx-json')!;
const DIR = 'fixtures/nginx/';
type Rec = Record<string, unknown>;

const lines = (file: string): Rec[] =>
  readFileSync(DIR + file, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Rec);
const iso = lines('nginx-json-time-iso8601.log');
const msec = lines('nginx-json-msec.log');
/** Line 1 of nginx-json-time-iso8601.log: alice (Basic auth user), 200. */
const alice = iso[0]!;

const ok = (r: Rec, line = 1): ApiRequest => {
  const out = format.normalise(r, 'access.json.log', line);
  if (out instanceof Skip) throw new Error(`skipped: ${out.reason} ${out.detail}`);
  return out;
};

async function read(paths: string[]) {
  const requests: ApiRequest[] = [];
  const { counters } = await readRequests({ sources: expandInputs(paths) }, (r) => requests.push(r));
  return { files: counters.files, requests, examples: counters.examples };
}

describe('nginx-json: mapping', () => {
  it('maps every canonical field of a time_iso8601 line', () => {
    expect(ok(alice)).toEqual({
      time: Date.parse('2026-11-20T10:02:14Z'),
      identity: { key: '', hash: '', id: '', alias: 'alice' },
      ip: '10.20.0.15',
      method: 'GET',
      path: '/elastic/_cat/indices',
      status: 200,
      latencyMs: 143,
      userAgent: 'curl/8.5.0',
      requestId: '4f8c2b1a9e3d7c6b5a4f3e2d1c0b9a87',
      api: 'api.corp.example',
      tenant: '',
      authFailure: false,
      file: 'access.json.log',
      line: 1,
    });
  });

  it('maps a msec line (no user, key, request id or host logged)', () => {
    expect(ok(msec[0]!, 3)).toEqual({
      time: Date.parse('2026-11-20T10:02:14.296Z'),
      identity: { key: '', hash: '', id: '', alias: '' },
      ip: '10.20.0.15',
      method: 'GET',
      path: '/elastic/_cat/indices',
      status: 200,
      latencyMs: 143,
      userAgent: 'soar-worker/4.2',
      requestId: '',
      api: '',
      tenant: '',
      authFailure: false,
      file: 'access.json.log',
      line: 3,
    });
  });

  it('the X-API-Key header is the raw key; remote_user the alias', () => {
    expect(ok(iso[1]!).identity).toEqual({ key: '9f2c4e6a8b0d1f3557a1c3e5b7d9f0a2', hash: '', id: '', alias: '' });
    expect(ok({ ...alice, http_x_api_key: undefined, http_apikey: 'k-123' }).identity).toEqual({ key: 'k-123', hash: '', id: '', alias: 'alice' });
    expect(ok({ ...alice, remote_user: '' }).identity.alias).toBe('');
  });

  it('path: request_uri as sent (normalised here), else $uri', () => {
    expect(ok(iso[1]!).path).toBe('/elastic/_security/api_key');
    expect(ok(iso[2]!).path).toBe('/elastic/_security/role');
    expect(ok({ ...alice, request_uri: undefined, uri: '/elastic/_cat/nodes' }).path).toBe('/elastic/_cat/nodes');
    expect(ok({ ...alice, request_uri: '', uri: '/elastic/_cat/nodes' }).path).toBe('/elastic/_cat/nodes');
  });

  it('request_time is seconds; api falls back to server_name', () => {
    expect(ok({ ...alice, request_time: '1.5' }).latencyMs).toBe(1500);
    expect(ok({ ...alice, request_time: 0.0005 }).latencyMs).toBe(1);
    expect(ok({ ...alice, request_time: '' }).latencyMs).toBe(0);
    expect(ok({ ...alice, host: '', server_name: 'api' }).api).toBe('api');
  });
});

describe('nginx-json: timestamps', () => {
  it.each([
    [{ msec: '1795168934.296' }, '2026-11-20T10:02:14.296Z'],
    [{ msec: 1795169100.007 }, '2026-11-20T10:05:00.007Z'],
    [{ msec: '1795168934' }, '2026-11-20T10:02:14.000Z'],
    [{ time_iso8601: '2026-11-20T11:02:14+01:00' }, '2026-11-20T10:02:14.000Z'],
    [{ time_iso8601: '2026-11-20T05:02:14-05:00' }, '2026-11-20T10:02:14.000Z'],
    [{ time_local: '20/Nov/2026:11:02:14 +0100' }, '2026-11-20T10:02:14.000Z'],
    // a format logging several: $msec first, for its milliseconds
    [{ time_iso8601: '2026-11-20T11:02:14+01:00', msec: '1795168934.296' }, '2026-11-20T10:02:14.296Z'],
    [{ time_local: '20/Nov/2026:11:02:14 +0100', msec: '' , time_iso8601: '' }, '2026-11-20T10:02:14.000Z'],
  ])('%j is %s', (times, expected) => {
    const { time_iso8601: _drop, ...rest } = alice;
    expect(ok({ ...rest, ...times }).time).toBe(Date.parse(expected));
  });

  it.each([
    [{ time_iso8601: '20/Nov/2026 11:02:14' }, 'bad-timestamp'],
    [{ time_iso8601: '' }, 'missing-timestamp'],
    [{ time_iso8601: undefined }, 'missing-timestamp'],
    [{ remote_addr: 'unix:' }, 'bad-ip'],
  ])('%j is skipped as %s', (over, reason) => {
    const out = format.normalise({ ...alice, ...over }, 'x', 1);
    expect(out).toBeInstanceOf(Skip);
    expect((out as Skip).reason).toBe(reason);
  });
});

describe('nginx-json: authentication failures and keys', () => {
  it.each([
    ['401', true],
    ['403', false],
    ['200', false],
  ])('status %s: %s', (status, expected) => {
    expect(ok({ ...alice, status }).authFailure).toBe(expected);
  });

  it('a logged X-API-Key header and api_key / apikey / api-key query parameters are exposures', () => {
    expect(format.exposures!(iso[1]!)).toEqual([{ where: 'http_x_api_key', value: '9f2c4e6a8b0d1f3557a1c3e5b7d9f0a2' }]);
    expect(format.exposures!(iso[2]!)).toEqual([{ where: 'query api_key', value: '9f2c4e6a8b0d1f3557a1c3e5b7d9f0a2' }]);
    expect(format.exposures!({ ...alice, request_uri: '/x?apikey=a&api-key=b&q=c' })).toEqual([
      { where: 'query apikey', value: 'a' },
      { where: 'query api-key', value: 'b' },
    ]);
    expect(format.exposures!(alice)).toEqual([]);
    expect(format.exposures!({ ...alice, http_x_api_key: '-' })).toEqual([]);
  });
});

describe('nginx-json: detection', () => {
  it('recognises both synthesised formats', () => {
    for (const r of [...iso, ...msec]) expect(format.detect(r)).toBe(true);
  });
  it.each([
    [{ remote_addr: '1.2.3.4', request_method: 'GET', status: '200', request: 'GET / HTTP/1.1' }],
    [{ clientip: '1.2.3.4', request: '/x', response: 200, utc_time: 'x' }],
    [{ '@timestamp': 'x', 'source.ip': '1.2.3.4', 'http.request.method': 'GET', 'url.original': '/' }],
    [{ start_time: 'x', method: 'GET', path: '/', response_code: 200, response_flags: '-', downstream_remote_address: '1.2.3.4:1' }],
    [{ started_at: 1, client_ip: '1.2.3.4', request: { method: 'GET', uri: '/' }, response: { status: 200 } }],
  ])('refuses %j', (r) => {
    expect(format.detect(r)).toBe(false);
  });
});

describe('nginx-json: reading files', () => {
  it('reads both JSON files with no skips', async () => {
    const { files } = await read([DIR + 'nginx-json-msec.log', DIR + 'nginx-json-time-iso8601.log']);
    expect(files.map((f) => [f.format, f.framing, f.records, f.parsed, f.skipped, f.error])).toEqual([
      ['nginx-json', 'ndjson', 3, 3, 0, ''],
      ['nginx-json', 'ndjson', 5, 5, 0, ''],
    ]);
  });

  it('the requests of nginx-json-time-iso8601.log, as listed in the fixture README', async () => {
    const { requests } = await read([DIR + 'nginx-json-time-iso8601.log']);
    expect(requests.map((r) => [new Date(r.time).toISOString(), r.ip, r.identity.alias, r.path, r.status, r.latencyMs, r.authFailure, r.exposedIn ?? ''])).toEqual([
      ['2026-11-20T10:02:14.000Z', '10.20.0.15', 'alice', '/elastic/_cat/indices', 200, 143, false, ''],
      ['2026-11-20T10:03:40.000Z', '10.20.0.15', '', '/elastic/_security/api_key', 200, 51, false, 'http_x_api_key'],
      ['2026-11-20T10:04:22.000Z', '10.20.0.15', '', '/elastic/_security/role', 200, 48, false, 'query api_key'],
      ['2026-11-20T02:10:07.000Z', '203.0.113.50', '', '/opnsense/api/core/firmware/status', 401, 2, true, ''],
      ['2026-11-20T02:10:14.000Z', '2001:db8:dead::7', 'mallory', '/rt/REST/2.0/users', 401, 3, true, ''],
    ]);
  });

  it('the requests of nginx-json-msec.log keep their milliseconds', async () => {
    const { requests } = await read([DIR + 'nginx-json-msec.log']);
    expect(requests.map((r) => [new Date(r.time).toISOString(), r.status, r.latencyMs])).toEqual([
      ['2026-11-20T10:02:14.296Z', 200, 143],
      ['2026-11-20T10:05:00.007Z', 404, 388],
      ['2026-11-20T10:06:05.573Z', 403, 12],
    ]);
  });

  it('no file in another fixture folder is taken for this format', async () => {
    const others = readdirSync('fixtures')
      .filter((d) => d !== 'nginx' && readdirSync(`fixtures/${d}`).some((f) => LOG_NAME.test(f)))
      .map((d) => `fixtures/${d}`);
    const { files } = await read(others);
    expect(files.filter((f) => f.format === 'nginx-json')).toEqual([]);
  });
});

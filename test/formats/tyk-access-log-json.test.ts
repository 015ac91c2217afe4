import { afterEach, describe, expect, it } from 'vitest';
import { detectFormat } from '../../src/decode/detect.js';
import { FORMATS, formatByName, setDecodeContext } from '../../src/formats/index.js';
import { UTC_CONTEXT } from '../../src/formats/mapping.js';
import type { ApiRequest } from '../../src/model/request.js';
import { Skip } from '../../src/model/skip.js';
import { readRequests } from '../../src/pipeline/requests.js';
import { expandInputs } from '../../src/read/sources.js';
import { expectNoneDetected, filesUnder, recordsOf, requestOf } from '../helpers/fixture-records.js';

const json = formatByName('tyk-access-log-json')!;
const DIR = 'fixtures/tyk';
const OWN = ['tyk-access-log-json-5.12.ndjson', 'tyk-access-log-json-5.14.ndjson'];
/** The text access log: the same fields, kept apart from this format by the file's container. */
const TEXT_TWIN = ['tyk-access-log-5.14.log', 'tyk-access-log-5.14-key-logging.log', 'tyk-gateway-stderr-5.13.log', 'tyk-docs-5.8-access-log-legacy-time.logfmt', 'tyk-docs-access-log-rfc3339.logfmt'];

/** A 5.14 JSON access-log line (TYK_LOGFORMAT=json): numbers are JSON numbers. */
const base = {
  level: 'info',
  message: '',
  time: '2026-11-19T10:00:12+01:00',
  api_id: '3a5c7e9b1d2f4a6c8e0b2d4f6a8c0e1d',
  api_key: '9f2c4e6a8b0d1f35',
  api_name: 'Elastic',
  client_ip: '10.20.0.15',
  host: 'gw.corp.example',
  latency_gateway: 3,
  latency_total: 143,
  method: 'GET',
  org_id: '5e9d9544a1dcd60001d0ed20',
  original_path: '/elastic/_security/user',
  path: '/_security/user',
  prefix: 'access-log',
  protocol: 'HTTP/1.1',
  remote_addr: '10.20.0.15:51544',
  status: 403,
  trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
  upstream_addr: 'https://elastic.corp.internal/_security/user',
  upstream_latency: 140,
  user_agent: 'curl/8.5.0',
};

const normalise = (over: Record<string, unknown> = {}, line = 7): ApiRequest | Skip => json.normalise({ ...base, ...over }, 'gateway.ndjson', line);
const ok = (over: Record<string, unknown> = {}): ApiRequest => requestOf(normalise(over));

afterEach(() => setDecodeContext(UTC_CONTEXT));

describe('tyk-access-log-json: mapping to the canonical request', () => {
  it('maps every field', () => {
    expect(normalise()).toEqual({
      time: Date.parse('2026-11-19T09:00:12Z'),
      identity: { key: '', hash: '9f2c4e6a8b0d1f35', id: '', alias: '' },
      ip: '10.20.0.15',
      method: 'GET',
      path: '/elastic/_security/user',
      status: 403,
      latencyMs: 143,
      userAgent: 'curl/8.5.0',
      requestId: '4bf92f3577b34da6a3ce929d0e0e4736',
      api: 'Elastic',
      tenant: '5e9d9544a1dcd60001d0ed20',
      authFailure: false,
      file: 'gateway.ndjson',
      line: 7,
    });
  });

  it.each([
    ['an offset (the docs example)', '2024-09-05T09:01:23-04:00', '2024-09-05T13:01:23.000Z'],
    ['UTC', '2026-11-19T09:00:12Z', '2026-11-19T09:00:12.000Z'],
    ['a fraction', '2026-11-19T09:00:12.5Z', '2026-11-19T09:00:12.500Z'],
  ])('reads time with %s', (_name, time, iso) => {
    expect(ok({ time }).time).toBe(Date.parse(iso));
  });

  it('reads a zoneless time in the --log-timezone zone', () => {
    setDecodeContext({ zoneOffset: () => -18_000_000, year: 2026 });
    expect(ok({ time: '2026-11-19T04:00:12' }).time).toBe(Date.parse('2026-11-19T09:00:12Z'));
  });

  it.each([
    [{ time: undefined }, 'missing-timestamp'],
    [{ time: '' }, 'missing-timestamp'],
    [{ time: 'yesterday' }, 'bad-timestamp'],
    [{ client_ip: '10.20.0.999' }, 'bad-ip'],
  ])('%j is skipped as %s', (over, reason) => {
    const r = normalise(over);
    expect(r).toBeInstanceOf(Skip);
    expect((r as Skip).reason).toBe(reason);
  });

  it('reads numbers written as strings too, and message under msg (<= 5.13) or message (5.14+)', () => {
    expect(ok({ status: '429', latency_total: '12' })).toMatchObject({ status: 429, latencyMs: 12 });
    const { message: _m, ...old } = base;
    expect(json.normalise({ ...old, msg: '' }, 'x', 1)).toMatchObject({ status: 403, path: '/elastic/_security/user' });
  });

  it('reads the client path: original_path (5.14+), else path; the IP: client_ip, else remote_addr', () => {
    expect(ok({ original_path: '/elastic/logs-endpoint-default/../_security/api_key' }).path).toBe('/elastic/_security/api_key');
    expect(ok({ original_path: undefined, path: '/elastic/%5Fsecurity/role' }).path).toBe('/elastic/_security/role');
    expect(ok({ client_ip: '::ffff:10.20.0.15' }).ip).toBe('10.20.0.15');
    expect(ok({ client_ip: undefined, remote_addr: '[::1]:63270' }).ip).toBe('::1');
  });

  it.each([
    ['a hash', '9f2c4e6a8b0d1f35', { key: '', hash: '9f2c4e6a8b0d1f35' }],
    ['the raw key (enable_key_logging)', 'eyJvcmciOiI1ZTlk', { key: 'eyJvcmciOiI1ZTlk', hash: '' }],
    ['obfuscated (hash_keys off): a non-secret fingerprint, filed as the id', '****1f35', { key: '', hash: '', id: '****1f35' }],
    ['"--": no key (hash_keys off)', '--', { key: '', hash: '' }],
  ])('api_key as %s', (_name, api_key, identity) => {
    expect(ok({ api_key }).identity).toEqual({ id: '', alias: '', ...identity });
  });

  it.each([
    [401, '00000000', undefined, true],
    [403, '00000000', undefined, true],
    [403, '--', 'AKI', true],
    [403, '--', undefined, true], // "--" is no key
    [403, '9f2c4e6a8b0d1f35', 'QEX', false],
    [401, '****1f35', 'TKE', true],
    [429, 'a1b2c3d4e5f60718', 'RLT', false],
    [200, '9f2c4e6a8b0d1f35', undefined, false],
  ])('status %i, api_key %j, response_flag %j: authFailure %s', (status, api_key, response_flag, failure) => {
    expect(ok({ status, api_key, response_flag }).authFailure).toBe(failure);
  });

  it('reports a raw api_key (enable_key_logging) as an exposure; a hash, an obfuscated key or "--" is not', () => {
    expect(json.exposures!({ ...base, api_key: 'eyJvcmciOiI1ZTlk' })).toEqual([{ where: 'api_key: the gateway logs raw keys', value: 'eyJvcmciOiI1ZTlk' }]);
    expect(json.exposures!(base)).toEqual([]);
    for (const api_key of ['00000000', '****1f35', '****', '--', '']) expect(json.exposures!({ ...base, api_key }), api_key).toEqual([]);
    // the fixtures hold hashes (5.14) and obfuscated keys (5.12), no raw key; no path holds a query
    for (const file of OWN) for (const r of recordsOf(`${DIR}/${file}`)) expect(json.exposures!(r)).toEqual([]);
  });
});

describe('tyk-access-log-json: detection', () => {
  it('detects every fixture line as tyk-access-log-json and as no other JSON format', () => {
    let seen = 0;
    for (const file of OWN) {
      for (const r of recordsOf(`${DIR}/${file}`)) {
        seen++;
        expect(FORMATS.filter((f) => f.meta.container === 'json' && f.detect(r)).map((f) => f.meta.name), file).toEqual(['tyk-access-log-json']);
        expect(detectFormat([r], 'json')?.meta.name).toBe('tyk-access-log-json');
      }
    }
    expect(seen).toBe(8);
  });

  it.each([
    ['a gateway start-up line', { level: 'info', time: '2024-09-05T09:01:23-04:00', prefix: 'main', msg: 'Starting Tyk Gateway' }],
    ['an auth error line', { level: 'warning', time: '2024-09-05T09:01:23-04:00', prefix: 'auth-key', msg: 'Attempted access with non-existent key.', key: '****1f35', origin: '10.20.0.15', path: '/get' }],
    ['no prefix', { level: 'info', time: '2024-09-05T09:01:23-04:00', client_ip: '10.20.0.15', status: 200 }],
  ])('refuses %s', (_name, r) => {
    expect(json.detect(r)).toBe(false);
  });

  it('leaves the text access log to tyk-access-log: same fields, another container', () => {
    for (const file of TEXT_TWIN) {
      for (const r of recordsOf(`${DIR}/${file}`).filter((x) => x.prefix === 'access-log')) {
        expect(json.detect(r)).toBe(true);
        expect(detectFormat([r], 'logfmt')?.meta.name).toBe('tyk-access-log');
      }
    }
  });

  it("refuses every record of the other formats' fixtures", () => {
    const files = filesUnder('fixtures').filter((f) => ![...OWN, ...TEXT_TWIN].some((own) => f.endsWith(`/${own}`)));
    expect(files).toContain('fixtures/demo/tyk-analytics.ndjson');
    expect(files).toContain(`${DIR}/tyk-splunk-hec-default.ndjson`);
    expectNoneDetected((r) => json.detect(r), files);
  });
});

describe('tyk-access-log-json: reading the fixtures', () => {
  async function read(file: string) {
    const requests: ApiRequest[] = [];
    const { counters } = await readRequests({ sources: expandInputs([`${DIR}/${file}`]) }, (r) => requests.push(r));
    return { stats: counters.files[0]!, requests };
  }

  it.each([
    ['tyk-access-log-json-5.12.ndjson', 5],
    ['tyk-access-log-json-5.14.ndjson', 3],
  ])('%s: detected, %i records, none skipped', async (file, count) => {
    const { stats, requests } = await read(file);
    expect(stats).toMatchObject({ format: 'tyk-access-log-json', framing: 'ndjson', records: count, parsed: count, skipped: 0, error: '' });
    expect(requests).toHaveLength(count);
  });

  it('reads 5.12 lines (msg, +01:00, obfuscated keys as ids, response_flag) as logged', async () => {
    const { requests } = await read('tyk-access-log-json-5.12.ndjson');
    expect(requests.map((r) => [new Date(r.time).toISOString(), r.ip, r.method, r.path, r.status, r.identity.key, r.identity.id, r.authFailure])).toEqual([
      ['2026-11-20T09:12:03.000Z', '10.20.0.15', 'GET', '/elastic/logs-endpoint-default/_mapping', 200, '', '****1f35', false],
      ['2026-11-20T02:10:07.000Z', '203.0.113.50', 'GET', '/elastic/_cat/indices', 401, '', '', true],
      ['2026-11-20T11:05:12.000Z', '198.51.100.7', 'POST', '/opnsense/api/core/firmware/update', 403, '', '', true],
      ['2026-11-20T13:00:09.000Z', '10.10.5.4', 'GET', '/virustotal/api/v3/files/44d88612fea8a8f36de82e1278abb02f', 429, '', '****0718', false],
      ['2026-11-20T07:31:40.000Z', '2001:db8:42::1a', 'GET', '/rt/REST/2.0/ticket/4211', 200, '', '****1f35', false],
    ]);
    expect(requests.every((r) => r.exposedIn === undefined)).toBe(true);
  });

  it('reads 5.14 lines (message, original_path, hashes) as logged', async () => {
    const { requests } = await read('tyk-access-log-json-5.14.ndjson');
    expect(requests.map((r) => [new Date(r.time).toISOString(), r.ip, r.method, r.path, r.status, r.identity.hash, r.authFailure])).toEqual([
      ['2026-11-20T09:14:22.000Z', '10.20.0.15', 'GET', '/elastic/_security/role', 200, '9f2c4e6a8b0d1f35', false],
      ['2026-11-20T02:10:07.000Z', '203.0.113.50', 'GET', '/elastic/_cat/indices', 401, '00000000', true],
      ['2026-11-20T13:00:09.000Z', '10.10.5.4', 'GET', '/virustotal/api/v3/files/44d88612fea8a8f36de82e1278abb02f', 429, 'a1b2c3d4e5f60718', false],
    ]);
  });
});

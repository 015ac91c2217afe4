import { afterEach, describe, expect, it } from 'vitest';
import { parseLogfmt } from '../../src/decode/containers.js';
import { detectFormat } from '../../src/decode/detect.js';
import { FORMATS, formatByName, setDecodeContext } from '../../src/formats/index.js';
import { UTC_CONTEXT } from '../../src/formats/mapping.js';
import type { ApiRequest } from '../../src/model/request.js';
import { Skip } from '../../src/model/skip.js';
import { readRequests } from '../../src/pipeline/requests.js';
import { expandInputs } from '../../src/read/sources.js';
import { expectNoneDetected, filesUnder, recordsOf, requestOf } from '../helpers/fixture-records.js';

const access = formatByName('tyk-access-log')!;
const DIR = 'fixtures/tyk';
const LEGACY_SAMPLE = `${DIR}/tyk-docs-5.8-access-log-legacy-time.logfmt`;
const RFC3339_SAMPLE = `${DIR}/tyk-docs-access-log-rfc3339.logfmt`;
const STDERR = `${DIR}/tyk-gateway-stderr-5.13.log`;
const OWN = ['tyk-access-log-5.14.log', 'tyk-access-log-5.14-key-logging.log', 'tyk-gateway-stderr-5.13.log', 'tyk-docs-5.8-access-log-legacy-time.logfmt', 'tyk-docs-access-log-rfc3339.logfmt'];
/** The JSON access log: the same fields, kept apart from this format by the file's container. */
const JSON_TWIN = ['tyk-access-log-json-5.12.ndjson', 'tyk-access-log-json-5.14.ndjson'];
const RAW_KEY = '5e9d9544a1dcd60001d0ed207c0e2d4b6a8f41e3b5d7c9a1e3f5b7d9';

/** A 5.14 access-log line (hash_keys on, OpenTelemetry on), as the logfmt reader gives it: every value a string. */
const LINE =
  'time="2026-11-19T09:00:12Z" level=info api_id=3a5c7e9b1d2f4a6c8e0b2d4f6a8c0e1d api_key=9f2c4e6a8b0d1f35 api_name=Elastic api_type=classic ' +
  'client_ip=10.20.0.15 host=gw.corp.example latency_gateway=3 latency_total=143 method=GET org_id=5e9d9544a1dcd60001d0ed20 ' +
  'original_path=/elastic/_security/user path=/_security/user prefix=access-log protocol=HTTP/1.1 remote_addr="10.20.0.15:51544" ' +
  'status=403 trace_id=4bf92f3577b34da6a3ce929d0e0e4736 upstream_addr="https://elastic.corp.internal/_security/user" upstream_latency=140 user_agent=curl/8.5.0';
const base = parseLogfmt(LINE)!;

const normalise = (over: Record<string, unknown> = {}, line = 7): ApiRequest | Skip => access.normalise({ ...base, ...over }, 'gateway.log', line);
const ok = (over: Record<string, unknown> = {}): ApiRequest => requestOf(normalise(over));

afterEach(() => setDecodeContext(UTC_CONTEXT));

describe('tyk-access-log: mapping to the canonical request', () => {
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
      file: 'gateway.log',
      line: 7,
    });
  });

  it.each([
    ['5.14 default: RFC 3339 seconds, UTC', '2026-11-19T09:00:12Z', '2026-11-19T09:00:12.000Z'],
    ['a gateway offset', '2026-11-19T10:00:12+01:00', '2026-11-19T09:00:12.000Z'],
    ['a fraction', '2026-11-19T09:00:12.123456Z', '2026-11-19T09:00:12.123Z'],
  ])('reads time: %s', (_name, time, iso) => {
    expect(ok({ time }).time).toBe(Date.parse(iso));
  });

  it('reads a zoneless time in the --log-timezone zone', () => {
    setDecodeContext({ zoneOffset: () => 3_600_000, year: 2026 });
    expect(ok({ time: '2026-11-19T10:00:12' }).time).toBe(Date.parse('2026-11-19T09:00:12Z'));
  });

  it('reads the legacy `Jan 29 08:27:09` time (5.8-5.13): the year and zone from the decode context', () => {
    setDecodeContext({ zoneOffset: () => 0, year: 2025 });
    expect(ok({ time: 'Jan 29 08:27:09' }).time).toBe(Date.UTC(2025, 0, 29, 8, 27, 9));
    expect(ok({ time: 'Feb  3 23:59:59' }).time).toBe(Date.UTC(2025, 1, 3, 23, 59, 59)); // Go's time.Stamp pads the day with a space
    setDecodeContext({ zoneOffset: () => 0, year: 2024 });
    expect(ok({ time: 'Feb 29 08:27:09' }).time).toBe(Date.UTC(2024, 1, 29, 8, 27, 9));
    setDecodeContext({ zoneOffset: () => 3_600_000, year: 2025 }); // a gateway in CET, --log-timezone Europe/Amsterdam
    expect(ok({ time: 'Jan 29 08:27:09' }).time).toBe(Date.UTC(2025, 0, 29, 7, 27, 9));
  });

  it('refuses impossible legacy dates', () => {
    setDecodeContext({ zoneOffset: () => 0, year: 2025 });
    expect(normalise({ time: 'Feb 29 08:27:09' })).toMatchObject({ reason: 'bad-timestamp', detail: 'Feb 29 08:27:09' });
    expect(normalise({ time: 'Jan 29 25:27:09' })).toMatchObject({ reason: 'bad-timestamp' });
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

  it('reads the client path: original_path (5.14+), else path as logged', () => {
    expect(ok({ original_path: '/elastic/logs-endpoint-default/../_security/api_key' }).path).toBe('/elastic/_security/api_key');
    expect(ok({ original_path: '/elastic/%5Fsecurity/role' }).path).toBe('/elastic/_security/role');
    expect(ok({ original_path: undefined }).path).toBe('/_security/user');
  });

  it('takes client_ip, else the socket peer of remote_addr', () => {
    expect(ok({ client_ip: '::ffff:10.20.0.15' }).ip).toBe('10.20.0.15');
    expect(ok({ client_ip: '2001:DB8:42::1A' }).ip).toBe('2001:db8:42::1a');
    expect(ok({ client_ip: undefined }).ip).toBe('10.20.0.15');
    expect(ok({ client_ip: undefined, remote_addr: '[2001:db8:42::1a]:51544' }).ip).toBe('2001:db8:42::1a');
    expect(ok({ client_ip: undefined, remote_addr: undefined }).ip).toBe('');
  });

  it.each([
    ['a hash (hash_keys on)', '9f2c4e6a8b0d1f35', { key: '', hash: '9f2c4e6a8b0d1f35', id: '' }],
    ['the no-key hash', '00000000', { key: '', hash: '00000000', id: '' }],
    ['the raw key (enable_key_logging)', RAW_KEY, { key: RAW_KEY, hash: '', id: '' }],
    ['nothing (enable_key_logging, no key)', '', { key: '', hash: '', id: '' }],
    // neither a key nor a hash: a stable, non-secret fingerprint of one key (see tyk-access-log.yml)
    ['obfuscated (hash_keys off): filed as the id', '****1f35', { key: '', hash: '', id: '****1f35' }],
    ['"--": no key (hash_keys off)', '--', { key: '', hash: '', id: '' }],
  ])('api_key as %s', (_name, api_key, identity) => {
    expect(ok({ api_key }).identity).toEqual({ alias: '', ...identity });
  });

  it.each([
    ['401', '00000000', undefined, true],
    ['401', '9f2c4e6a8b0d1f35', undefined, true],
    ['403', '00000000', undefined, true], // before 5.12: no flag, no identity
    ['403', '00000000', 'AKI', true],
    ['403', '--', 'AKI', true], // hash_keys off
    ['403', '--', undefined, true], // hash_keys off, before 5.12: "--" is no key
    ['403', '9f2c4e6a8b0d1f35', 'QEX', false], // quota
    ['401', '****1f35', 'TKE', true],
    ['403', '9f2c4e6a8b0d1f35', 'TKI', true],
    ['403', '9f2c4e6a8b0d1f35', 'TCV', true],
    ['403', '9f2c4e6a8b0d1f35', 'EAD', true],
    ['403', '00000000', 'CRQ', true],
    ['403', '00000000', 'CMM', true],
    ['401', '00000000', 'AMF', true],
    ['429', 'a1b2c3d4e5f60718', 'RLT', false],
    ['502', '9f2c4e6a8b0d1f35', 'URR', false],
    ['200', '9f2c4e6a8b0d1f35', undefined, false],
  ])('status %s, api_key %j, response_flag %j: authFailure %s', (status, api_key, response_flag, failure) => {
    expect(ok({ status, api_key, response_flag }).authFailure).toBe(failure);
  });
});

describe('tyk-access-log: key exposure', () => {
  it('reports a raw api_key (enable_key_logging) as an exposure; a hash, an obfuscated key, "--" or nothing is not; paths have no query', () => {
    expect(access.exposures!({ ...base, api_key: RAW_KEY })).toEqual([{ where: 'api_key: the gateway logs raw keys', value: RAW_KEY }]);
    expect(access.exposures!(base)).toEqual([]);
    for (const api_key of ['00000000', '****1f35', '****', '--', '']) expect(access.exposures!({ ...base, api_key }), api_key).toEqual([]);
    // across every fixture, only the key-logging file's raw key
    const found = OWN.flatMap((file) => recordsOf(`${DIR}/${file}`).flatMap((r) => access.exposures!(r)));
    expect(found).toEqual([{ where: 'api_key: the gateway logs raw keys', value: RAW_KEY }]);
  });
});

describe('tyk-access-log: detection', () => {
  it('detects every access-log line as tyk-access-log and as no other logfmt format', () => {
    let seen = 0;
    for (const file of OWN) {
      for (const r of recordsOf(`${DIR}/${file}`).filter((x) => x.prefix === 'access-log')) {
        seen++;
        expect(FORMATS.filter((f) => f.meta.container === 'logfmt' && f.detect(r)).map((f) => f.meta.name), file).toEqual(['tyk-access-log']);
        expect(detectFormat([r], 'logfmt')?.meta.name).toBe('tyk-access-log');
      }
    }
    expect(seen).toBe(15);
  });

  it('refuses the application lines of a gateway stream', () => {
    const app = recordsOf(STDERR).filter((x) => x.prefix !== 'access-log');
    expect(app.map((x) => x.prefix)).toEqual(['main', 'auth-key', 'main']);
    for (const r of app) expect(access.detect(r)).toBe(false);
  });

  it.each([
    ['a gateway start-up line', 'time="Jan 29 08:27:01" level=info msg="Starting Tyk Gateway" prefix=main'],
    ['a stdout-pump line', 'time="2025-01-29T08:27:09Z" level=info msg="Record written" prefix=stdout-pump'],
    ['an error line with a request', 'time="2025-01-29T08:27:09Z" level=error msg="Key not authorised" api_id=b1a4 origin=::1 path=/get prefix=auth-key'],
  ])('refuses %s', (_name, line) => {
    expect(access.detect(parseLogfmt(line)!)).toBe(false);
  });

  it('leaves the JSON access log to tyk-access-log-json: same fields, another container', () => {
    for (const file of JSON_TWIN) {
      for (const r of recordsOf(`${DIR}/${file}`)) {
        expect(access.detect(r)).toBe(true);
        expect(detectFormat([r], 'json')?.meta.name).toBe('tyk-access-log-json');
      }
    }
  });

  it("refuses every record of the other formats' fixtures", () => {
    const files = filesUnder('fixtures').filter((f) => ![...OWN, ...JSON_TWIN].some((own) => f.endsWith(`/${own}`)));
    expect(files).toContain('fixtures/demo/tyk-analytics.ndjson');
    expect(files).toContain(`${DIR}/tyk-es-pump-source.ndjson`);
    expectNoneDetected((r) => access.detect(r), files);
  });
});

describe('tyk-access-log: reading the fixtures', () => {
  async function read(file: string) {
    const requests: ApiRequest[] = [];
    const { counters } = await readRequests({ sources: expandInputs([file]) }, (r) => requests.push(r));
    return { stats: counters.files[0]!, requests, counters };
  }

  it.each([
    ['tyk-access-log-5.14.log', 6],
    ['tyk-access-log-5.14-key-logging.log', 2],
    ['tyk-docs-access-log-rfc3339.logfmt', 2],
  ])('%s: detected, %i records, none skipped', async (file, count) => {
    const { stats, requests } = await read(`${DIR}/${file}`);
    expect(stats).toMatchObject({ format: 'tyk-access-log', framing: 'logfmt', records: count, parsed: count, skipped: 0, error: '' });
    expect(requests).toHaveLength(count);
  });

  it('reads the RFC 3339 docs sample, including the template-filtered line', async () => {
    const { requests } = await read(RFC3339_SAMPLE);
    expect(requests.map((r) => [new Date(r.time).toISOString(), r.ip, r.method, r.path, r.status, r.identity.hash, r.latencyMs, r.api, r.tenant, r.requestId])).toEqual([
      ['2025-01-29T08:27:09.000Z', '::1', 'GET', '/get', 200, '00000000', 62, 'httpbin', '678e6771247d80fd2c435bf3', '4bf92f3577b34da6a3ce929d0e0e4736'],
      // time, api_key, remote_addr and upstream_addr only: the socket peer is the IP, nothing else is known
      ['2025-01-29T08:27:48.000Z', '::1', '', '', 0, '00000000', 0, '', '', ''],
    ]);
  });

  it('reads the legacy-time docs sample, the year from --log-year', async () => {
    setDecodeContext({ zoneOffset: () => 0, year: 2025 });
    const { stats, requests } = await read(LEGACY_SAMPLE);
    expect(stats).toMatchObject({ format: 'tyk-access-log', framing: 'logfmt', records: 2, parsed: 2, skipped: 0, error: '' });
    expect(requests.map((r) => [new Date(r.time).toISOString(), r.ip, r.method, r.path, r.status, r.identity.hash, r.latencyMs, r.api])).toEqual([
      ['2025-01-29T08:27:09.000Z', '::1', 'GET', '/get', 200, '00000000', 62, 'httpbin'],
      ['2025-01-29T08:27:48.000Z', '::1', '', '', 0, '00000000', 0, 'httpbin'],
    ]);
  });

  it("reads a gateway's whole stderr: access-log lines as requests, application lines skipped as another stream", async () => {
    setDecodeContext({ zoneOffset: () => 0, year: 2026 });
    const { stats, requests, counters } = await read(STDERR);
    expect(stats).toMatchObject({ format: 'tyk-access-log', framing: 'logfmt', records: 6, parsed: 3, skipped: 3, error: '' });
    expect(counters.examples.map((e) => [e.line, e.reason])).toEqual([
      [1, 'wrong-format'],
      [2, 'wrong-format'],
      [5, 'wrong-format'],
    ]);
    expect(requests.map((r) => [r.line, new Date(r.time).toISOString(), r.ip, r.method, r.path, r.status, r.identity.hash, r.authFailure])).toEqual([
      [3, '2026-11-20T02:10:07.000Z', '203.0.113.50', 'GET', '/elastic/_cat/indices', 401, '00000000', true],
      [4, '2026-11-20T07:31:40.000Z', '2001:db8:42::1a', 'GET', '/rt/REST/2.0/ticket/4211', 200, '9f2c4e6a8b0d1f35', false],
      [6, '2026-11-20T09:12:03.000Z', '10.20.0.15', 'GET', '/elastic/logs-endpoint-default/_mapping', 200, '9f2c4e6a8b0d1f35', false],
    ]);
  });

  it('reads the 5.14 lines as logged', async () => {
    const { requests } = await read(`${DIR}/tyk-access-log-5.14.log`);
    expect(requests.map((r) => [r.line, new Date(r.time).toISOString(), r.ip, r.method, r.path, r.status, r.identity.hash, r.authFailure, r.latencyMs])).toEqual([
      [1, '2026-11-20T09:12:03.000Z', '10.20.0.15', 'GET', '/elastic/logs-endpoint-default/_mapping', 200, '9f2c4e6a8b0d1f35', false, 87],
      [2, '2026-11-20T02:10:07.000Z', '203.0.113.50', 'GET', '/elastic/_cat/indices', 401, '00000000', true, 1],
      [3, '2026-11-20T11:05:12.000Z', '198.51.100.7', 'POST', '/opnsense/api/core/firmware/update', 403, '00000000', true, 2],
      [4, '2026-11-20T13:00:09.000Z', '10.10.5.4', 'GET', '/virustotal/api/v3/files/44d88612fea8a8f36de82e1278abb02f', 429, 'a1b2c3d4e5f60718', false, 0],
      [5, '2026-11-20T07:31:40.000Z', '2001:db8:42::1a', 'GET', '/rt/REST/2.0/ticket/4211', 200, '9f2c4e6a8b0d1f35', false, 143],
      [6, '2026-11-20T20:47:13.000Z', '10.10.5.4', 'GET', '/virustotal/api/v3/ip_addresses/192.0.2.24', 403, 'a1b2c3d4e5f60718', false, 1],
    ]);
  });

  it('reads a raw key logged with enable_key_logging as the identity key and an exposure, and an empty api_key as no key', async () => {
    const { requests } = await read(`${DIR}/tyk-access-log-5.14-key-logging.log`);
    expect(requests.map((r) => [r.status, r.identity, r.authFailure, r.exposedIn, r.exposedKey])).toEqual([
      [200, { key: RAW_KEY, hash: '', id: '', alias: '' }, false, 'api_key: the gateway logs raw keys', RAW_KEY],
      [401, { key: '', hash: '', id: '', alias: '' }, true, undefined, undefined],
    ]);
  });
});

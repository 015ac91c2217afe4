import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatByName } from '../../src/formats/index.js';
import type { ApiRequest } from '../../src/model/request.js';
import { Skip } from '../../src/model/skip.js';
import { readRequests } from '../../src/pipeline/requests.js';
import { LOG_NAME, expandInputs } from '../../src/read/sources.js';

const format = formatByName('envoy-istio')!;
const DIR = 'fixtures/envoy-istio/';
type Rec = Record<string, unknown>;

const lines = (file: string): Rec[] =>
  readFileSync(DIR + file, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Rec);
const sample = lines('elastic-test-istio-access-json.log');
const gateway = lines('istio-ingressgateway-auth.log');
const first = sample[0]!;

const ok = (r: Rec, line = 2): ApiRequest => {
  const out = format.normalise(r, 'istio.log', line);
  if (out instanceof Skip) throw new Error(`skipped: ${out.reason} ${out.detail}`);
  return out;
};

async function read(paths: string[]) {
  const requests: ApiRequest[] = [];
  const { counters } = await readRequests({ sources: expandInputs(paths) }, (r) => requests.push(r));
  return { files: counters.files, requests, examples: counters.examples };
}

describe('envoy-istio: mapping', () => {
  it('maps every canonical field of an Istio JSON line (no key: Istio logs none)', () => {
    expect(ok(first)).toEqual({
      time: Date.parse('2022-09-08T12:51:05.656Z'),
      identity: { key: '', hash: '', id: '', alias: '' },
      ip: '10.124.0.13',
      method: 'GET',
      path: '/reviews/0',
      status: 200,
      latencyMs: 15,
      userAgent: 'curl/7.79.1',
      requestId: '9fcc7101-13bd-9753-98d6-820806088d9d',
      api: 'reviews:9080',
      tenant: '',
      authFailure: false,
      file: 'istio.log',
      line: 2,
    });
  });

  it('client IP: downstream_remote_address without its port, IPv6 unbracketed', () => {
    expect(ok(sample[1]!).ip).toBe('2a02:cf40::4e36');
    expect(ok({ ...first, downstream_remote_address: '[::ffff:10.30.1.10]:38644' }).ip).toBe('10.30.1.10');
    expect(ok({ ...first, downstream_remote_address: '10.124.0.13' }).ip).toBe('10.124.0.13');
  });

  it('client IP: the peer wins over a client-written X-Forwarded-For; XFF only when no peer is logged', () => {
    expect(ok({ ...first, downstream_remote_address: '198.51.100.7:40022', x_forwarded_for: '10.20.0.15' }).ip).toBe('198.51.100.7');
    expect(ok({ ...first, downstream_remote_address: null, x_forwarded_for: '203.0.113.99, 10.124.0.1' }).ip).toBe('203.0.113.99');
    expect(ok({ ...first, downstream_remote_address: '-', x_forwarded_for: '203.0.113.99' }).ip).toBe('203.0.113.99');
    expect(ok({ ...first, downstream_remote_address: null, x_forwarded_for: null }).ip).toBe('');
  });

  it('a request Envoy could not parse: "-" method and path read as missing, not skipped', () => {
    expect(ok(sample[2]!)).toMatchObject({ method: '', path: '', status: 400, ip: '10.128.0.60', requestId: '', userAgent: '', api: '', latencyMs: 46 });
  });

  it('path keeps only the path; api falls back to route_name then upstream_cluster', () => {
    expect(ok({ ...first, path: '/reviews/0/../../ratings/%2e%2e/x?apikey=1' }).path).toBe('/x');
    expect(ok({ ...first, authority: '-' }).api).toBe('default');
    expect(ok({ ...first, authority: '-', route_name: null }).api).toBe('inbound|9080||');
  });

  it('numbers written as strings are read', () => {
    expect(ok({ ...first, response_code: '503', duration: '1200' })).toMatchObject({ status: 503, latencyMs: 1200 });
  });
});

describe('envoy-istio: timestamps', () => {
  it.each([
    ['2022-09-08T12:51:05.656Z', '2022-09-08T12:51:05.656Z'],
    ['2022-09-08T12:51:05.656123Z', '2022-09-08T12:51:05.656Z'],
    ['2022-09-08T14:51:05.656+02:00', '2022-09-08T12:51:05.656Z'],
  ])('%s is %s', (start_time, iso) => {
    expect(ok({ ...first, start_time }).time).toBe(Date.parse(iso));
  });
  it.each([
    [{ start_time: '-' }, 'missing-timestamp'],
    [{ start_time: null }, 'missing-timestamp'],
    [{ start_time: '[2022-09-08T12:51:05.656Z]' }, 'bad-timestamp'],
    [{ downstream_remote_address: 'pod-a:9080' }, 'bad-ip'],
  ])('%j is skipped as %s', (over, reason) => {
    const out = format.normalise({ ...first, ...over }, 'istio.log', 1);
    expect(out).toBeInstanceOf(Skip);
    expect((out as Skip).reason).toBe(reason);
  });
});

describe('envoy-istio: authentication failures', () => {
  it.each([
    [401, '-', 'via_upstream', true],
    [403, 'UAEX', 'ext_authz_denied', true],
    [403, '-', 'ext_authz_denied', true],
    [401, '-', 'jwt_authn_access_denied{Jwt_is_missing}', true],
    [403, '-', 'jwt_authn_access_denied{Audiences_in_Jwt_are_not_allowed}', true],
    [403, null, 'jwt_authn_access_denied{Jwt_is_expired}', true],
    [403, '-', 'rbac_access_denied_matched_policy[none]', false], // authorization
    [429, 'RL', 'request_rate_limited', false],
    [429, 'RLSE', 'rate_limiter_error', false],
    [403, '-', 'via_upstream', false],
    [503, 'UF,URX', 'upstream_reset_before_response_started{connection_failure}', false],
    [200, '-', 'via_upstream', false],
  ])('status %i, flags %j, details %s: %s', (response_code, response_flags, response_code_details, expected) => {
    expect(ok({ ...first, response_code, response_flags, response_code_details }).authFailure).toBe(expected);
  });

  it('the ingress gateway fixture: lines 2, 3 and 7', () => {
    expect(gateway.map((r) => ok(r).authFailure)).toEqual([false, true, true, false, false, false, true]);
  });
});

describe('envoy-istio: keys in the clear', () => {
  it('api_key / apikey / api-key in the logged path', () => {
    expect(format.exposures!(gateway[5]!)).toEqual([{ where: 'query apikey', value: '5d7e9f1a3c5b7d92e4f6a8b0c2d4e6f8' }]);
    expect(format.exposures!({ ...first, path: '/x?api_key=a1&api-key=b2&token=c3' })).toEqual([
      { where: 'query api_key', value: 'a1' },
      { where: 'query api-key', value: 'b2' },
    ]);
    expect(format.exposures!(first)).toEqual([]);
  });
});

describe('envoy-istio: detection', () => {
  it('recognises the sample (including the unparsable request) and the gateway lines', () => {
    for (const r of [...sample, ...gateway]) expect(format.detect(r)).toBe(true);
  });
  it.each([
    [{ start_time: '2022-09-08T12:51:05.656Z', method: 'GET', path: '/', response_code: 200 }],
    [{ remote_addr: '1.2.3.4', request_method: 'GET', request_uri: '/', status: '200', time_iso8601: 'x' }],
    [{ started_at: 1, client_ip: '1.2.3.4', request: { method: 'GET', uri: '/' }, response: { status: 200 } }],
    [{ '@timestamp': 'x', 'source.ip': '1.2.3.4', 'http.request.method': 'GET', 'http.response.status_code': 200 }],
    [{ api_key: 'x', response_code: 200, ip_address: '1.2.3.4', timestamp: 'y', raw_path: '/' }],
  ])('refuses %j', (r) => {
    expect(format.detect(r)).toBe(false);
  });
});

describe('envoy-istio: reading files', () => {
  it('reads both files with no skips', async () => {
    const { files } = await read([DIR]);
    expect(files.map((f) => [f.file.slice(DIR.length), f.format, f.framing, f.records, f.parsed, f.skipped, f.error])).toEqual([
      ['elastic-test-istio-access-json.log', 'envoy-istio', 'ndjson', 3, 3, 0, ''],
      ['istio-ingressgateway-auth.log', 'envoy-istio', 'ndjson', 7, 7, 0, ''],
    ]);
  });

  it('the ingress gateway requests, as listed in the fixture README', async () => {
    const { requests } = await read([DIR + 'istio-ingressgateway-auth.log']);
    expect(requests.map((r) => [new Date(r.time).toISOString(), r.ip, r.method, r.path, r.status, r.authFailure, r.exposedIn ?? ''])).toEqual([
      ['2026-11-20T03:00:41.207Z', '203.0.113.10', 'GET', '/elastic/_cat/indices', 200, false, ''],
      ['2026-11-20T03:01:12.644Z', '198.51.100.7', 'GET', '/elastic/_security/user', 403, true, ''],
      ['2026-11-20T03:04:02.355Z', '2001:db8:dead::7', 'GET', '/opnsense/api/core/backup/download/this', 401, true, ''],
      ['2026-11-20T03:05:48.771Z', '10.20.0.22', 'POST', '/opnsense/api/core/firmware/update', 403, false, ''],
      ['2026-11-20T13:00:09.342Z', '10.10.5.4', 'GET', '/virustotal/api/v3/ip_addresses/192.0.2.24', 429, false, ''],
      ['2026-11-20T13:02:30.918Z', '203.0.113.99', 'GET', '/virustotal/api/v3/users/me', 200, false, 'query apikey'],
      ['2026-11-20T13:05:12.004Z', '10.30.1.10', 'PUT', '/elastic/_security/role/soc-analyst', 403, true, ''],
    ]);
  });

  it('no file in another fixture folder is taken for this format', async () => {
    const others = readdirSync('fixtures')
      .filter((d) => d !== 'envoy-istio' && readdirSync(`fixtures/${d}`).some((f) => LOG_NAME.test(f)))
      .map((d) => `fixtures/${d}`);
    const { files } = await read(others);
    expect(files.filter((f) => f.format === 'envoy-istio')).toEqual([]);
  });
});

import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectFormat } from '../../src/decode/detect.js';
import { formatByName } from '../../src/formats/index.js';
import type { ApiRequest } from '../../src/model/request.js';
import { Skip } from '../../src/model/skip.js';
import { readRequests } from '../../src/pipeline/requests.js';
import { expandInputs } from '../../src/read/sources.js';
import { expectNoneDetected, filesUnder, recordsOf, requestOf } from '../helpers/fixture-records.js';

const aws = formatByName('aws-apigateway')!;
const FIXTURES = 'fixtures/aws';

/** A REST API record: the console's JSON preset plus the variables this mapping reads. */
const rest = {
  requestId: '3f1c9a52-6b0e-4d8a-9c1e-2a7b5d4e8f01',
  extendedRequestId: 'V3f1c9a52x6b0ex=',
  ip: '198.51.100.23',
  caller: '-',
  user: '-',
  requestTime: '19/Nov/2026:09:00:12 +0000',
  requestTimeEpoch: '1795078812123',
  httpMethod: 'GET',
  resourcePath: '/pets/{petId}',
  path: '/prod/pets/7',
  status: '200',
  protocol: 'HTTP/1.1',
  responseLength: '412',
  responseLatency: '143',
  userAgent: 'curl/8.5.0',
  apiKeyId: 'k7x2ab9q1c',
  principalId: '-',
  responseType: '-',
  apiId: 'b7k2m9x4q1',
  stage: 'prod',
  accountId: '123456789012',
};

/** An HTTP API record: the HTTP API preset's keys with the route key, sourceIp and errorResponseType. */
const httpApi = {
  requestId: 'Kx3fTq0aoAMEb1Q=',
  sourceIp: '192.0.2.44',
  requestTime: '19/Nov/2026:12:13:33 +0000',
  httpMethod: 'GET',
  routeKey: 'GET /pets/{id}',
  path: '/pets/42',
  status: '200',
  protocol: 'HTTP/1.1',
  responseLength: '77',
  responseLatency: '54',
  errorResponseType: '-',
  apiId: 'z1y2x3w4v5',
  stage: '$default',
};

function normalise(r: Record<string, unknown>, line = 3): ApiRequest | Skip {
  return aws.normalise(r, 'access.log', line);
}

const ok = (r: Record<string, unknown>): ApiRequest => requestOf(normalise(r));

describe('aws-apigateway: mapping to the canonical request', () => {
  it('maps every field of a REST record', () => {
    expect(normalise(rest, 9)).toEqual({
      time: Date.parse('2026-11-19T09:00:12.123Z'),
      identity: { key: '', hash: '', id: 'k7x2ab9q1c', alias: '' },
      ip: '198.51.100.23',
      method: 'GET',
      path: '/pets/{petId}',
      status: 200,
      latencyMs: 143,
      userAgent: 'curl/8.5.0',
      requestId: '3f1c9a52-6b0e-4d8a-9c1e-2a7b5d4e8f01',
      api: 'b7k2m9x4q1',
      tenant: '123456789012',
      authFailure: false,
      file: 'access.log',
      line: 9,
    });
  });

  it('maps every field of an HTTP API record', () => {
    expect(normalise(httpApi, 2)).toEqual({
      time: Date.parse('2026-11-19T12:13:33Z'),
      identity: { key: '', hash: '', id: '', alias: '' },
      ip: '192.0.2.44',
      method: 'GET',
      path: '/pets/{id}',
      status: 200,
      latencyMs: 54,
      userAgent: '',
      requestId: 'Kx3fTq0aoAMEb1Q=',
      api: 'z1y2x3w4v5',
      tenant: '',
      authFailure: false,
      file: 'access.log',
      line: 2,
    });
  });

  it('maps the published samples (elastic/integrations test logs)', () => {
    const [restSample] = recordsOf(`${FIXTURES}/elastic-test-apigateway-rest.log`);
    const [httpSample] = recordsOf(`${FIXTURES}/elastic-test-apigateway-http.log`);
    expect(normalise(restSample!, 1)).toEqual({
      time: Date.parse('2023-06-10T15:36:28Z'),
      identity: { key: '', hash: '', id: '', alias: '' },
      ip: '1.128.0.0',
      method: 'GET',
      path: '/pets',
      status: 200,
      latencyMs: 0,
      userAgent: '',
      requestId: '48752d0f-c99d-4cfa-a5a7-f3c6834d19e5',
      api: '',
      tenant: '',
      authFailure: false,
      file: 'access.log',
      line: 1,
    });
    expect(ok(httpSample!)).toMatchObject({ time: Date.parse('2023-06-09T12:54:08Z'), ip: '1.128.0.0', method: 'GET', path: '/', status: 200, requestId: 'GQIVriFLIAMEMsA=' });
  });

  it('reads the time: requestTimeEpoch first (ms precision), by magnitude, else requestTime (CLF with its offset)', () => {
    expect(ok({ ...rest, requestTimeEpoch: '1795078812123' }).time).toBe(1795078812123);
    expect(ok({ ...rest, requestTimeEpoch: 1795078812123 }).time).toBe(1795078812123);
    expect(ok({ ...rest, requestTimeEpoch: '1795078812' }).time).toBe(1795078812000); // seconds (HTTP API: "epoch")
    expect(ok({ ...rest, requestTimeEpoch: '-' }).time).toBe(Date.parse('2026-11-19T09:00:12Z'));
    expect(ok({ ...rest, requestTimeEpoch: undefined }).time).toBe(Date.parse('2026-11-19T09:00:12Z'));
    expect(ok({ ...rest, requestTimeEpoch: '-', requestTime: '19/Nov/2026:10:00:12 +0100' }).time).toBe(Date.parse('2026-11-19T09:00:12Z'));
    expect(ok({ ...rest, requestTimeEpoch: '-', requestTime: '19/Nov/2026:03:30:12 -0530' }).time).toBe(Date.parse('2026-11-19T09:00:12Z'));
    expect(ok({ ...rest, requestTimeEpoch: '-', requestTime: '01/Jan/2027:00:59:59 +0100' }).time).toBe(Date.parse('2026-12-31T23:59:59Z'));
  });

  it.each([
    [{ requestTimeEpoch: '-', requestTime: '-' }, 'missing-timestamp'],
    [{ requestTimeEpoch: undefined, requestTime: undefined }, 'missing-timestamp'],
    [{ requestTimeEpoch: '-', requestTime: '31/Feb/2026:09:00:12 +0000' }, 'bad-timestamp'],
    [{ requestTimeEpoch: '-', requestTime: 'yesterday' }, 'bad-timestamp'],
    [{ ip: '1.128.0.256' }, 'bad-ip'],
  ])('%j is skipped as %s', (over, reason) => {
    const out = normalise({ ...rest, ...over });
    expect(out).toBeInstanceOf(Skip);
    expect((out as Skip).reason).toBe(reason);
  });

  it('reads `-` as missing', () => {
    const r = ok({ ...rest, status: '-', responseLatency: '-', userAgent: '-', apiKeyId: '-', apiId: '-', stage: '-', accountId: '-' });
    expect(r).toMatchObject({ status: 0, latencyMs: 0, userAgent: '', identity: { key: '', hash: '', id: '', alias: '' }, api: '', tenant: '' });
    expect(ok({ ...rest, ip: '-' }).ip).toBe('');
    expect(ok({ ...rest, apiId: '-' }).api).toBe('prod');
  });

  it('takes the client IP from ip, sourceIp or identity.sourceIp, IPv6 included', () => {
    expect(ok({ ...rest, ip: '2001:DB8:42::1A' }).ip).toBe('2001:db8:42::1a');
    expect(ok({ ...httpApi, sourceIp: '2001:db8:1:2::beef' }).ip).toBe('2001:db8:1:2::beef');
    const { ip: _ip, ...noIp } = rest;
    expect(ok({ ...noIp, identity: { sourceIp: '203.0.113.9' } }).ip).toBe('203.0.113.9');
    expect(ok({ ...noIp, 'identity.sourceIp': '203.0.113.10' }).ip).toBe('203.0.113.10');
  });

  it('takes the path from resourcePath, else the route key without its method, else path', () => {
    expect(ok({ ...rest, resourcePath: '-' }).path).toBe('/prod/pets/7');
    expect(ok({ ...httpApi, routeKey: '-' }).path).toBe('/pets/42');
    expect(ok({ ...httpApi, routeKey: 'ANY /{proxy+}' })).toMatchObject({ method: 'GET', path: '/{proxy+}' });
    // no httpMethod logged: the route key's method
    expect(ok({ ...httpApi, httpMethod: '-', routeKey: 'POST /pets' })).toMatchObject({ method: 'POST', path: '/pets' });
    const { resourcePath: _r, ...pathOnly } = rest;
    expect(ok({ ...pathOnly, path: '/prod/elastic/logs/../_security/%5Fuser' }).path).toBe('/prod/elastic/_security/_user');
  });

  it('reads the identity: apiKeyId as id, apiKey as the (secret) key, the caller as alias', () => {
    expect(ok({ ...rest, apiKey: 'Qm9ndXNLZXlGb3JUZXN0czAwMDAwMDAwMDAwMDAx' }).identity).toEqual({ key: 'Qm9ndXNLZXlGb3JUZXN0czAwMDAwMDAwMDAwMDAx', hash: '', id: 'k7x2ab9q1c', alias: '' });
    expect(ok({ ...rest, apiKeyId: '-', identity: { apiKeyId: 'n1ested000', apiKey: 'nested-raw-key' } }).identity).toEqual({ key: 'nested-raw-key', hash: '', id: 'n1ested000', alias: '' });
    expect(ok({ ...rest, principalId: 'user|alice', user: 'AIDAEXAMPLEUSER', caller: 'AIDAEXAMPLECALLER' }).identity.alias).toBe('user|alice');
    expect(ok({ ...rest, user: 'AIDAEXAMPLEUSER', caller: 'AIDAEXAMPLECALLER' }).identity.alias).toBe('AIDAEXAMPLEUSER');
    expect(ok({ ...rest, caller: 'AROAEXAMPLE:session-1' }).identity.alias).toBe('AROAEXAMPLE:session-1');
    expect(ok({ ...rest, authorizer: { principalId: 'svc-mobile' } }).identity.alias).toBe('svc-mobile');
  });

  const FAILURES = ['UNAUTHORIZED', 'MISSING_AUTHENTICATION_TOKEN', 'INVALID_API_KEY', 'ACCESS_DENIED', 'EXPIRED_TOKEN', 'INVALID_SIGNATURE'];
  const KEYS = ['responseType', 'errorResponseType', 'errorType', 'error_response_type'];

  it.each(FAILURES.flatMap((type) => KEYS.map((key) => [type, key])))('error.responseType %s logged as %s is an auth failure', (type, key) => {
    expect(ok({ ...rest, status: '403', responseType: '-', [key]: type }).authFailure).toBe(true);
  });

  it('reads error.responseType nested or flattened', () => {
    expect(ok({ ...rest, status: '403', responseType: undefined, error: { responseType: 'INVALID_API_KEY', message: 'Forbidden' } }).authFailure).toBe(true);
    expect(ok({ ...rest, status: '403', responseType: undefined, 'error.responseType': 'EXPIRED_TOKEN' }).authFailure).toBe(true);
  });

  it.each([
    ['401', '-', true],
    ['401', 'UNAUTHORIZED', true],
    ['403', '-', false], // a 403 without a response type is not known to be about the key
    ['403', 'WAF_FILTERED', false],
    ['429', 'THROTTLED', false],
    ['429', 'QUOTA_EXCEEDED', false],
    ['500', 'AUTHORIZER_FAILURE', false],
    ['200', '-', false],
  ])('status %s with responseType %s: authFailure %s', (status, type, failure) => {
    expect(ok({ ...rest, status, responseType: type }).authFailure).toBe(failure);
    expect(ok({ ...rest, status, responseType: type, apiKeyId: '-' }).authFailure).toBe(failure);
  });
});

describe('aws-apigateway: key exposure', () => {
  it('reports $context.identity.apiKey, which is the key itself', () => {
    expect(aws.exposures!({ ...rest, apiKey: 'Qm9ndXNLZXlGb3JUZXN0czAwMDAwMDAwMDAwMDAx' })).toEqual([{ where: 'apiKey', value: 'Qm9ndXNLZXlGb3JUZXN0czAwMDAwMDAwMDAwMDAx' }]);
    expect(aws.exposures!({ ...rest, identity: { apiKey: 'nested-raw-key' } })).toEqual([{ where: 'identity.apiKey', value: 'nested-raw-key' }]);
    expect(aws.exposures!({ ...rest, api_key: 'snake-raw-key' })).toEqual([{ where: 'api_key', value: 'snake-raw-key' }]);
  });

  it('reports nothing for `-`, empty values or the key id', () => {
    expect(aws.exposures!({ ...rest, apiKey: '-' })).toEqual([]);
    expect(aws.exposures!({ ...rest, apiKey: '' })).toEqual([]);
    expect(aws.exposures!(rest)).toEqual([]);
  });
});

describe('aws-apigateway: detection', () => {
  it('recognises REST and HTTP API records, by requestTime or requestTimeEpoch', () => {
    expect(aws.detect(rest)).toBe(true);
    expect(aws.detect(httpApi)).toBe(true);
    const { requestTime: _t, ...epochOnly } = rest;
    expect(aws.detect(epochOnly)).toBe(true);
    for (const r of [rest, httpApi, epochOnly]) expect(detectFormat([r])?.meta.name).toBe('aws-apigateway');
  });

  it('recognises every record of its fixtures, envelopes unwrapped', () => {
    const files = filesUnder(FIXTURES);
    expect(files).toHaveLength(8);
    let seen = 0;
    for (const file of files) {
      for (const r of recordsOf(file)) {
        seen++;
        expect(aws.detect(r), file).toBe(true);
        expect(detectFormat([r])?.meta.name, file).toBe('aws-apigateway');
      }
    }
    expect(seen).toBe(39);
  });

  it.each([
    ['no time', { requestId: 'x', httpMethod: 'GET', status: '200', ip: '1.2.3.4' }],
    ['no requestId', { requestTime: '10/Jun/2023:15:36:28 +0000', httpMethod: 'GET', status: '200' }],
    ['no status', { requestId: 'x', requestTime: '10/Jun/2023:15:36:28 +0000', httpMethod: 'GET' }],
    ['a CloudWatch envelope itself', { messageType: 'DATA_MESSAGE', logEvents: [{ id: '1', timestamp: 1, message: JSON.stringify(rest) }] }],
    ['a Kong record', { started_at: 1, client_ip: '1.2.3.4', request: { method: 'GET', uri: '/', id: 'x' }, response: { status: 200 } }],
  ])('refuses %s', (_name, r) => {
    expect(aws.detect(r)).toBe(false);
  });

  it("refuses every record of the other formats' fixtures", () => {
    const others = readdirSync('fixtures').filter((d) => d !== 'aws' && statSync(join('fixtures', d)).isDirectory());
    const files = others.flatMap((d) => filesUnder(join('fixtures', d)));
    expect(files).toContain('fixtures/demo/tyk-analytics.ndjson');
    expect(files).toContain('fixtures/kong/kong-file-log-compact.log');
    expectNoneDetected((r) => aws.detect(r), files);
  });
});

describe('aws-apigateway: reading the fixtures', () => {
  async function read(file: string) {
    const requests: ApiRequest[] = [];
    const { counters } = await readRequests({ sources: expandInputs([file]) }, (r) => requests.push(r));
    return { stats: counters.files[0]!, requests };
  }

  it.each([
    ['elastic-test-apigateway-rest.log', 'ndjson', 5],
    ['elastic-test-apigateway-http.log', 'ndjson', 5],
    ['aws-rest-apikey-access.log', 'ndjson', 9],
    ['aws-rest-apikey-exposed.log', 'ndjson', 3],
    ['aws-http-api-access.log', 'ndjson', 5],
    ['aws-cloudwatch-subscription.ndjson', 'ndjson', 5],
    ['aws-logs-filter-log-events.json', 'json-document', 3],
    ['aws-s3-export-000000.log', 'ndjson', 4],
  ])('%s: detected, %s, %i records, none skipped', async (name, framing, count) => {
    const { stats, requests } = await read(`${FIXTURES}/${name}`);
    expect(stats).toMatchObject({ format: 'aws-apigateway', framing, records: count, parsed: count, skipped: 0, error: '' });
    expect(requests).toHaveLength(count);
  });

  it('reads every file of the folder', async () => {
    const requests: ApiRequest[] = [];
    const { counters } = await readRequests({ sources: expandInputs([FIXTURES]) }, (r) => requests.push(r));
    expect(counters.files.map((f) => [f.file.slice(FIXTURES.length + 1), f.format, f.records, f.skipped])).toEqual([
      ['aws-cloudwatch-subscription.ndjson', 'aws-apigateway', 5, 0],
      ['aws-http-api-access.log', 'aws-apigateway', 5, 0],
      ['aws-logs-filter-log-events.json', 'aws-apigateway', 3, 0],
      ['aws-rest-apikey-access.log', 'aws-apigateway', 9, 0],
      ['aws-rest-apikey-exposed.log', 'aws-apigateway', 3, 0],
      ['aws-s3-export-000000.log', 'aws-apigateway', 4, 0],
      ['elastic-test-apigateway-http.log', 'aws-apigateway', 5, 0],
      ['elastic-test-apigateway-rest.log', 'aws-apigateway', 5, 0],
    ]);
    expect(requests).toHaveLength(39);
  });

  const brief = (r: ApiRequest) => [r.line, new Date(r.time).toISOString(), r.ip, r.method, r.path, r.status, r.identity.id, r.identity.alias, r.authFailure];

  it('reads the REST access log with key ids, auth errors and `-` values', async () => {
    const { requests } = await read(`${FIXTURES}/aws-rest-apikey-access.log`);
    expect(requests.map(brief)).toEqual([
      [1, '2026-11-19T09:00:12.123Z', '198.51.100.23', 'GET', '/pets/{petId}', 200, 'k7x2ab9q1c', '', false],
      [2, '2026-11-19T09:01:40.508Z', '203.0.113.50', 'GET', '/pets', 403, '', '', true],
      [3, '2026-11-19T09:01:41.077Z', '203.0.113.50', 'GET', '/prod/admin/users', 403, '', '', true],
      [4, '2026-11-19T09:02:05.990Z', '203.0.113.50', 'POST', '/orders', 401, '', '', true],
      [5, '2026-11-19T09:03:17.264Z', '10.20.0.15', 'POST', '/orders', 201, 'k7x2ab9q1c', 'user|alice', false],
      [6, '2026-11-19T09:04:51.730Z', '2001:db8:42::1a', 'GET', '/pets/{petId}', 200, 'k7x2ab9q1c', 'user|alice', false],
      [7, '2026-11-19T09:05:02.001Z', '10.10.5.4', 'GET', '/pets', 429, 'm3p8zt5w2r', '', false],
      [8, '2026-11-19T09:06:33.452Z', '10.20.0.22', 'DELETE', '/pets/{petId}', 403, 'q9r4t6y8u0', 'user|bob', true],
      [9, '2026-11-19T09:07:59.000Z', '10.20.0.15', 'GET', '/pets', 200, 'k7x2ab9q1c', 'user|alice', false],
    ]);
    expect(requests[8]).toMatchObject({ latencyMs: 0, userAgent: '' });
  });

  it('reads the HTTP API access log: route keys, sourceIp, errorResponseType, epoch seconds', async () => {
    const { requests } = await read(`${FIXTURES}/aws-http-api-access.log`);
    expect(requests.map(brief)).toEqual([
      [1, '2026-11-19T12:13:33.101Z', '192.0.2.44', 'GET', '/pets/{id}', 200, '', 'svc-mobile', false],
      [2, '2026-11-19T12:13:34.870Z', '192.0.2.45', 'GET', '/pets/{id}', 401, '', '', true],
      [3, '2026-11-19T12:13:36.255Z', '2001:db8:1:2::beef', 'DELETE', '/pets/{id}', 403, '', 'svc-mobile', true],
      [4, '2026-11-19T12:13:40.000Z', '192.0.2.44', 'POST', '/pets', 201, '', 'svc-mobile', false],
      [5, '2026-11-19T12:13:41.377Z', '192.0.2.46', 'GET', '/admin', 404, '', '', false],
    ]);
  });

  it('reports the raw apiKey as exposed', async () => {
    const { requests } = await read(`${FIXTURES}/aws-rest-apikey-exposed.log`);
    expect(requests.map((r) => [r.identity.key, r.identity.id, r.exposedIn ?? '', r.exposedKey ?? ''])).toEqual([
      ['Qm9ndXNLZXlGb3JUZXN0czAwMDAwMDAwMDAwMDAx', 'k7x2ab9q1c', 'apiKey', 'Qm9ndXNLZXlGb3JUZXN0czAwMDAwMDAwMDAwMDAx'],
      ['not-a-real-key-0000000000000000000000000', '', 'apiKey', 'not-a-real-key-0000000000000000000000000'],
      ['', '', '', ''],
    ]);
  });

  it('unwraps a subscription filter payload, skipping the CONTROL_MESSAGE', async () => {
    const { requests } = await read(`${FIXTURES}/aws-cloudwatch-subscription.ndjson`);
    expect(requests.map((r) => [r.line, r.requestId, r.status])).toEqual([
      [2, '3f1c9a52-6b0e-4d8a-9c1e-2a7b5d4e8f01', 200],
      [2, '8a2d4f6b-1c3e-4a5b-8d7f-9e0a2c4e6b81', 403],
      [2, 'c4e6a8b0-2d4f-4c6e-9a1b-3c5e7a9b1d02', 403],
      [3, 'e6a8c0d2-3f5b-4e7d-8b2c-4d6f8a0c2e13', 401],
      [3, '0a2c4e6f-5b7d-4f9e-9c3d-5e7f9a1b3c24', 201],
    ]);
    // the request's own time, not CloudWatch's event timestamp (37 ms later)
    expect(requests[0]!.time).toBe(Date.parse('2026-11-19T09:00:12.123Z'));
  });

  it('unwraps `aws logs filter-log-events` output', async () => {
    const { requests } = await read(`${FIXTURES}/aws-logs-filter-log-events.json`);
    expect(requests.map((r) => [r.requestId, new Date(r.time).toISOString(), r.path, r.status])).toEqual([
      ['Kx3fTq0aoAMEb1Q=', '2026-11-19T12:13:33.101Z', '/pets/{id}', 200],
      ['Kx3fUbN2oAMEb4w=', '2026-11-19T12:13:34.870Z', '/pets/{id}', 401],
      ['Kx3fVhX9IAMEb7g=', '2026-11-19T12:13:36.255Z', '/pets/{id}', 403],
    ]);
  });

  it('reads S3 export lines after their CloudWatch time prefix', async () => {
    const { requests } = await read(`${FIXTURES}/aws-s3-export-000000.log`);
    expect(requests.map((r) => [r.line, new Date(r.time).toISOString(), r.ip, r.status, r.identity.id])).toEqual([
      [1, '2026-11-19T09:03:17.264Z', '10.20.0.15', 201, 'k7x2ab9q1c'],
      [2, '2026-11-19T09:04:51.730Z', '2001:db8:42::1a', 200, 'k7x2ab9q1c'],
      [3, '2026-11-19T09:05:02.001Z', '10.10.5.4', 429, 'm3p8zt5w2r'],
      [4, '2026-11-19T09:06:33.452Z', '10.20.0.22', 403, 'q9r4t6y8u0'],
    ]);
  });
});

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectFormat } from '../../src/decode/detect.js';
import { formatByName } from '../../src/formats/index.js';
import type { ApiRequest } from '../../src/model/request.js';
import { Skip } from '../../src/model/skip.js';
import { readRequests } from '../../src/pipeline/requests.js';
import { expandInputs } from '../../src/read/sources.js';
import { expectNoneDetected, filesUnder, recordsOf, requestOf } from '../helpers/fixture-records.js';

const kong = formatByName('kong-file-log')!;
const FIXTURES = 'fixtures/kong';

/** A compact Kong 3.9 file-log record (kong.log.serialize()), trimmed to what matters here. */
function record(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    request: {
      id: 'd3b0c442f1a84e6e9e3c7a1f5b2d9c10',
      uri: '/elastic/logs-endpoint-default/_mapping',
      url: 'https://gw.corp.example:8443/elastic/logs-endpoint-default/_mapping',
      querystring: {},
      method: 'get',
      headers: { host: 'gw.corp.example:8443', 'user-agent': 'curl/8.5.0', 'x-request-id': 'f0e1d2c3-b4a5-4968-8776-655443322110' },
      size: 159,
    },
    upstream_uri: '/logs-endpoint-default/_mapping',
    upstream_status: '200',
    response: { status: 200, size: 310, headers: {} },
    latencies: { kong: 2, proxy: 141, request: 143, receive: 0 },
    tries: [{ balancer_latency: 0, port: 9200, balancer_start: 1795078812124, ip: '10.40.0.11' }],
    authenticated_entity: { id: '2b4d6f8a-1c3e-4a5b-9d7f-0e2a4c6e8b1d' },
    route: { id: '7c1e5a90-2b4d-4f6e-8a0c-3d5e7f9a1b2c', name: 'elastic-api', created_at: 1763550060 },
    service: { id: '0d6f1c9e-8a3b-4c2d-9e7f-1a2b3c4d5e6f', name: 'elastic', created_at: 1763550000 },
    consumer: { id: 'a5e1c3b7-9d2f-4a6c-8e0b-1f3d5a7c9e2b', username: 'alice', custom_id: 'EMP-0042', created_at: 1763550120 },
    client_ip: '10.20.0.15',
    started_at: 1795078812123,
    source: 'upstream',
    workspace: '54baa5a9-23d6-41e0-9c9a-02434b010b25',
    workspace_name: 'default',
    ...over,
  };
}

function normalise(r: Record<string, unknown>, line = 3): ApiRequest | Skip {
  return kong.normalise(r, 'kong.log', line);
}

const ok = (r: Record<string, unknown>): ApiRequest => requestOf(normalise(r));

const req = (over: Record<string, unknown>): Record<string, unknown> => ({ ...(record().request as Record<string, unknown>), ...over });
const headers = (over: Record<string, unknown>): Record<string, unknown> => ({ 'user-agent': 'curl/8.5.0', ...over });

describe('kong-file-log: mapping to the canonical request', () => {
  it('maps every field', () => {
    expect(normalise(record(), 7)).toEqual({
      time: Date.parse('2026-11-19T09:00:12.123Z'),
      identity: { key: '', hash: '', id: 'a5e1c3b7-9d2f-4a6c-8e0b-1f3d5a7c9e2b', alias: 'alice' },
      ip: '10.20.0.15',
      method: 'GET',
      path: '/elastic/logs-endpoint-default/_mapping',
      status: 200,
      latencyMs: 143,
      userAgent: 'curl/8.5.0',
      requestId: 'd3b0c442f1a84e6e9e3c7a1f5b2d9c10',
      api: 'elastic',
      tenant: 'default',
      authFailure: false,
      file: 'kong.log',
      line: 7,
    });
  });

  it('maps the pretty-printed docs sample (Kong 3.4+)', () => {
    const doc = JSON.parse(readFileSync(`${FIXTURES}/kong-docs-log-format-3.4.json`, 'utf8')) as Record<string, unknown>;
    expect(kong.detect(doc)).toBe(true);
    expect(normalise(doc, 1)).toEqual({
      time: 1614232668342,
      identity: { key: '', hash: '', id: 'ae974d6c-0f8a-4dc5-b701-fa0aa38592bd', alias: 'foo' },
      ip: '192.168.144.1',
      method: 'GET',
      path: '/log',
      status: 200,
      latencyMs: 515,
      userAgent: 'HTTPie/2.4.0',
      requestId: '',
      // neither service nor route has a name in the sample: the service's UUID
      api: '167290ee-c682-4ebf-bdea-e49a3ac5e260',
      tenant: 'default',
      authFailure: false,
      file: 'kong.log',
      line: 1,
    });
    expect(kong.exposures!(doc)).toEqual([]);
  });

  it('reads started_at as epoch milliseconds: a number, a numeric string, a fraction', () => {
    expect(ok(record({ started_at: 1614232668342 })).time).toBe(Date.UTC(2021, 1, 25, 5, 57, 48, 342));
    expect(ok(record({ started_at: '1614232668342' })).time).toBe(1614232668342);
    expect(ok(record({ started_at: 1614232668342.9 })).time).toBe(1614232668342);
  });

  it.each([
    [{ started_at: undefined }, 'missing-timestamp'],
    [{ started_at: null }, 'missing-timestamp'],
    [{ started_at: 'yesterday' }, 'bad-timestamp'],
    [{ started_at: 0 }, 'bad-timestamp'],
    [{ client_ip: '10.20.0.999' }, 'bad-ip'],
  ])('%j is skipped as %s', (over, reason) => {
    const out = normalise(record(over));
    expect(out).toBeInstanceOf(Skip);
    expect((out as Skip).reason).toBe(reason);
  });

  it('takes the path from request.uri without its query, normalised', () => {
    expect(ok(record({ request: req({ uri: '/elastic/_cat/indices?apikey=s3cret&v=true' }) })).path).toBe('/elastic/_cat/indices');
    expect(ok(record({ request: req({ uri: '/elastic/logs-endpoint-default/../_security/api_key' }) })).path).toBe('/elastic/_security/api_key');
    expect(ok(record({ request: req({ uri: '/elastic/%5Fsecurity//role' }) })).path).toBe('/elastic/_security/role');
    // lua-cjson writes `\/`: a JSON parser undoes it
    const line = '{"started_at":1795078812123,"client_ip":"10.20.0.15","request":{"method":"GET","uri":"\\/elastic\\/_cat\\/indices"},"response":{"status":200}}';
    expect(ok(JSON.parse(line) as Record<string, unknown>).path).toBe('/elastic/_cat/indices');
  });

  it('reads IPv6 peers as Kong writes them (bare) and unwraps IPv4-mapped ones', () => {
    expect(ok(record({ client_ip: '2001:DB8:dead::7' })).ip).toBe('2001:db8:dead::7');
    expect(ok(record({ client_ip: '::ffff:10.20.0.15' })).ip).toBe('10.20.0.15');
  });

  it('takes the request id from request.id (3.5+), else the x-request-id header', () => {
    expect(ok(record({ request: req({ id: undefined }) })).requestId).toBe('f0e1d2c3-b4a5-4968-8776-655443322110');
    expect(ok(record({ request: req({ id: undefined, headers: headers({ 'kong-request-id': 'abc#1' }) }) })).requestId).toBe('abc#1');
    expect(ok(record({ request: req({ id: undefined, headers: headers({}) }) })).requestId).toBe('');
  });

  it('names the API by service, else route, else their ids; the tenant by workspace name, else id', () => {
    expect(ok(record({ service: { id: 's-1' } })).api).toBe('elastic-api');
    expect(ok(record({ service: { id: 's-1', name: null }, route: { id: 'r-1' } })).api).toBe('s-1');
    expect(ok(record({ service: undefined, route: { id: 'r-1' } })).api).toBe('r-1');
    expect(ok(record({ workspace_name: undefined })).tenant).toBe('54baa5a9-23d6-41e0-9c9a-02434b010b25');
  });

  it('reads the identity: consumer username as alias; consumer id, else custom_id, else the credential id', () => {
    expect(ok(record()).identity).toEqual({ key: '', hash: '', id: 'a5e1c3b7-9d2f-4a6c-8e0b-1f3d5a7c9e2b', alias: 'alice' });
    expect(ok(record({ consumer: { custom_id: 'EMP-0042', username: 'alice' } })).identity).toEqual({ key: '', hash: '', id: 'EMP-0042', alias: 'alice' });
    expect(ok(record({ consumer: undefined })).identity).toEqual({ key: '', hash: '', id: '2b4d6f8a-1c3e-4a5b-9d7f-0e2a4c6e8b1d', alias: '' });
    expect(ok(record({ consumer: { id: 'c-9', custom_id: 'ext-9' } })).identity).toEqual({ key: '', hash: '', id: 'c-9', alias: '' });
    expect(ok(record({ consumer: undefined, authenticated_entity: undefined })).identity).toEqual({ key: '', hash: '', id: '', alias: '' });
  });

  it('reads latencies.request as the total in ms', () => {
    expect(ok(record({ latencies: { kong: 1, proxy: -1, request: 1 } })).latencyMs).toBe(1);
    expect(ok(record({ latencies: {} })).latencyMs).toBe(0);
  });

  it.each([
    [401, false, true], // key-auth: no key / invalid key
    [401, true, true],
    [403, false, true], // no identity at all
    [403, true, false], // ACL: the consumer was known
    [429, true, false],
    [429, false, false],
    [200, true, false],
    [500, false, false],
  ])('status %i with identity %s: authFailure %s', (status, identified, failure) => {
    const who = identified ? {} : { consumer: undefined, authenticated_entity: undefined };
    expect(ok(record({ response: { status }, ...who })).authFailure).toBe(failure);
  });

  it('a 403 with only the credential id logged is not an auth failure', () => {
    expect(ok(record({ response: { status: 403 }, consumer: undefined })).authFailure).toBe(false);
  });
});

describe('kong-file-log: key exposure', () => {
  it('finds the key-auth key in the apikey header', () => {
    const r = record({ request: req({ headers: headers({ apikey: 'Zm9vYmFyLWFsaWNlLWtleS0wMQ' }) }) });
    expect(kong.exposures!(r)).toEqual([{ where: 'request.headers.apikey', value: 'Zm9vYmFyLWFsaWNlLWtleS0wMQ' }]);
  });

  it('finds it in the query, both as Kong parsed it and in request.uri', () => {
    const r = record({ request: req({ uri: '/opnsense/api/core/firmware/status?v=1&APIKEY=guess%2D0001', querystring: { v: '1', apikey: 'guess-0001' } }) });
    expect(kong.exposures!(r)).toEqual([
      { where: 'request.querystring.apikey', value: 'guess-0001' },
      { where: 'query apikey', value: 'guess-0001' },
    ]);
  });

  it('ignores REDACTED headers, empty values and other parameters', () => {
    expect(kong.exposures!(record({ request: req({ headers: headers({ authorization: 'REDACTED', apikey: 'REDACTED' }) }) }))).toEqual([]);
    expect(kong.exposures!(record({ request: req({ uri: '/a?apikey=&key=x', querystring: { apikey: '' } }) }))).toEqual([]);
    expect(kong.exposures!(record())).toEqual([]);
  });
});

describe('kong-file-log: detection', () => {
  it('recognises compact, batched and pretty-printed records', () => {
    const compact = recordsOf(`${FIXTURES}/kong-file-log-compact.log`);
    const batch = recordsOf(`${FIXTURES}/kong-http-log-batch.ndjson`);
    const doc = recordsOf(`${FIXTURES}/kong-docs-log-format-3.4.json`);
    expect([compact.length, batch.length, doc.length]).toEqual([8, 6, 1]);
    for (const r of [...compact, ...batch, ...doc]) {
      expect(kong.detect(r)).toBe(true);
      expect(detectFormat([r])?.meta.name).toBe('kong-file-log');
    }
  });

  it('refuses stream (TCP/TLS) records: no HTTP fields', () => {
    const stream = {
      session: { tls: { version: 'TLSv1.3' }, received: 517, sent: 4083, status: 200, server_port: 9443 },
      upstream: { received: 4083, sent: 517 },
      latencies: { session: 1201 },
      tries: [{ balancer_latency: 0, port: 443, balancer_start: 1795078812124, ip: '10.40.0.11' }],
      route: { id: 'r', protocols: ['tls'] },
      service: { id: 's', protocol: 'tcp' },
      client_ip: '10.20.0.15',
      started_at: 1795078812123,
      workspace: '54baa5a9-23d6-41e0-9c9a-02434b010b25',
    };
    expect(kong.detect(stream)).toBe(false);
    expect(detectFormat([stream])).toBeUndefined();
  });

  it.each([
    ['no response', { started_at: 1, client_ip: '1.2.3.4', request: { method: 'GET', uri: '/' } }],
    ['no uri', { started_at: 1, client_ip: '1.2.3.4', request: { method: 'GET' }, response: { status: 200 } }],
    ['no started_at', { client_ip: '1.2.3.4', request: { method: 'GET', uri: '/' }, response: { status: 200 } }],
    ['an AWS access log record', { requestId: 'x', ip: '1.2.3.4', requestTime: '10/Jun/2023:15:36:28 +0000', httpMethod: 'GET', resourcePath: '/pets', status: '200' }],
  ])('refuses %s', (_name, r) => {
    expect(kong.detect(r)).toBe(false);
  });

  it("refuses every record of the other formats' fixtures", () => {
    const others = readdirSync('fixtures').filter((d) => d !== 'kong' && statSync(join('fixtures', d)).isDirectory());
    const files = others.flatMap((d) => filesUnder(join('fixtures', d)));
    expect(files).toContain('fixtures/demo/tyk-analytics.ndjson');
    expect(files).toContain('fixtures/aws/aws-rest-apikey-access.log');
    expectNoneDetected((r) => kong.detect(r), files);
  });
});

describe('kong-file-log: reading the fixtures', () => {
  async function read(file: string) {
    const requests: ApiRequest[] = [];
    const { counters } = await readRequests({ sources: expandInputs([file]) }, (r) => requests.push(r));
    return { stats: counters.files[0]!, requests };
  }

  it.each([
    ['kong-docs-log-format-3.4.json', 'json-document', 1],
    ['kong-file-log-compact.log', 'ndjson', 8],
    ['kong-http-log-batch.ndjson', 'ndjson', 6],
  ])('%s: detected, %s, %i records, none skipped', async (name, framing, count) => {
    const { stats, requests } = await read(`${FIXTURES}/${name}`);
    expect(stats).toMatchObject({ format: 'kong-file-log', framing, records: count, parsed: count, skipped: 0, error: '' });
    expect(requests).toHaveLength(count);
  });

  it('reads every file of the folder', async () => {
    const requests: ApiRequest[] = [];
    const { counters } = await readRequests({ sources: expandInputs([FIXTURES]) }, (r) => requests.push(r));
    expect(counters.files.map((f) => [f.file, f.format, f.records, f.skipped])).toEqual([
      [`${FIXTURES}/kong-docs-log-format-3.4.json`, 'kong-file-log', 1, 0],
      [`${FIXTURES}/kong-file-log-compact.log`, 'kong-file-log', 8, 0],
      [`${FIXTURES}/kong-http-log-batch.ndjson`, 'kong-file-log', 6, 0],
    ]);
    expect(requests).toHaveLength(15);
  });

  it('reads the compact file-log lines as logged', async () => {
    const { requests } = await read(`${FIXTURES}/kong-file-log-compact.log`);
    const brief = requests.map((r) => [r.line, new Date(r.time).toISOString(), r.ip, r.method, r.path, r.status, r.identity.alias, r.authFailure, r.exposedIn ?? '']);
    expect(brief).toEqual([
      [1, '2026-11-19T09:00:12.123Z', '10.20.0.15', 'GET', '/elastic/logs-endpoint-default/_mapping', 200, 'alice', false, 'request.headers.apikey'],
      [2, '2026-11-20T02:10:07.318Z', '203.0.113.50', 'GET', '/elastic/_cat/indices', 401, '', true, ''],
      [3, '2026-11-20T02:10:14.602Z', '203.0.113.50', 'GET', '/opnsense/api/core/firmware/status', 401, '', true, 'request.querystring.apikey, query apikey'],
      [4, '2026-11-19T10:04:40.390Z', '10.20.0.22', 'DELETE', '/elastic/logs-endpoint-default', 403, 'bob', false, ''],
      [5, '2026-11-20T03:31:04.388Z', '2001:db8:dead::7', 'GET', '/elastic/_security/api_key', 200, 'soar-playbooks', false, ''],
      [6, '2026-11-20T13:00:09.342Z', '10.10.5.4', 'GET', '/elastic/.alerts-security/_search', 429, 'soar-playbooks', false, ''],
      [7, '2026-11-20T10:03:40.812Z', '10.20.0.15', 'GET', '/elastic/_security/api_key', 200, 'alice', false, ''],
      [8, '2026-11-21T01:14:03.482Z', '10.30.1.10', 'GET', '/opnsense/api/core/firmware/status', 200, 'carol', false, ''],
    ]);
    // 3.4 (line 7): no request.id, the x-request-id header; 3.0 (line 8): no workspace_name
    expect(requests[6]).toMatchObject({ requestId: 'f0e1d2c3-b4a5-4968-8776-655443322110', tenant: 'default', api: 'elastic' });
    expect(requests[7]).toMatchObject({ requestId: '', tenant: '54baa5a9-23d6-41e0-9c9a-02434b010b25', api: 'opnsense', latencyMs: 37 });
    expect(requests[0]!.exposedKey).toBe('Zm9vYmFyLWFsaWNlLWtleS0wMQ');
  });

  it('gives each record of an http-log batch the line of its array', async () => {
    const { requests } = await read(`${FIXTURES}/kong-http-log-batch.ndjson`);
    expect(requests.map((r) => [r.line, r.status, r.identity.alias, r.authFailure])).toEqual([
      [1, 200, 'soar-playbooks', false],
      [1, 200, 'soar-playbooks', false],
      [1, 500, 'soar-playbooks', false],
      [2, 200, 'soar-playbooks', false],
      [3, 200, 'soar-playbooks', false],
      [3, 401, '', true],
    ]);
  });
});

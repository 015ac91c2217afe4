import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { containerOf, readerFor, sniffFraming } from '../../src/decode/containers.js';
import { detectFormat } from '../../src/decode/detect.js';
import type { Container } from '../../src/formats/define-format.js';
import { formatByName } from '../../src/formats/index.js';
import type { ApiRequest } from '../../src/model/request.js';
import { Skip } from '../../src/model/skip.js';
import { readRequests } from '../../src/pipeline/requests.js';
import { expandInputs } from '../../src/read/sources.js';
import { requestOf } from '../helpers/fixture-records.js';

const ecs = formatByName('ecs')!;
const FIXTURES = 'fixtures/ecs';

/** An API gateway's ECS access document, nested as Elasticsearch keeps `_source`. */
function doc(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    '@timestamp': '2026-03-02T09:15:02.123Z',
    ecs: { version: '8.11.0' },
    event: { kind: 'event', category: ['web'], type: ['access'], outcome: 'success', duration: 12345678 },
    source: { ip: '198.51.100.23', port: 51544 },
    http: { request: { id: 'req-0001', method: 'get' }, response: { status_code: 200 } },
    url: { original: '/orders/v1/orders/42?expand=items', path: '/orders/v1/orders/42', domain: 'api.example.com' },
    user_agent: { original: 'billing-batch/2.1' },
    user: { name: 'billing-batch', id: 'ak-7f3a9c' },
    organization: { id: 'org-acme' },
    service: { name: 'orders-api' },
    ...over,
  };
}

/** The same document with every leaf under one dotted key, as flattening exporters write it. */
function flatten(o: Record<string, unknown>, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [k, v] of Object.entries(o)) {
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) flatten(v as Record<string, unknown>, `${prefix}${k}.`, out);
    else out[`${prefix}${k}`] = v;
  }
  return out;
}

const normalise = (r: Record<string, unknown>, line = 3): ApiRequest | Skip => ecs.normalise(r, 'ecs.ndjson', line);
const ok = (r: Record<string, unknown>): ApiRequest => requestOf(normalise(r));
const part = (name: string, over: Record<string, unknown>): Record<string, unknown> => ({ ...(doc()[name] as Record<string, unknown>), ...over });

/** Every record a fixture file holds, framed the way readRequests frames it. */
function decoded(file: string): { container: Container; records: Record<string, unknown>[] } {
  const records: Record<string, unknown>[] = [];
  const lines = readFileSync(file, 'utf8').replace(/^\uFEFF/, '').split(/\r?\n/);
  const framing = sniffFraming(lines.find((l) => l.trim() !== '') ?? '');
  const reader = readerFor(framing, { record: (r) => records.push(r), skip: () => {} });
  lines.forEach((l, i) => {
    if (l.trim() !== '' || framing === 'csv' || framing === 'json-document') reader.line(l, i + 1);
  });
  reader.end();
  return { container: containerOf(framing), records };
}

function logFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return logFiles(path);
      return /\.(ndjson|jsonl|json|log|csv|tsv|txt)$/.test(name) ? [path] : [];
    });
}

describe('ecs: mapping to the canonical request', () => {
  it('maps every field', () => {
    expect(normalise(doc(), 7)).toEqual({
      time: Date.parse('2026-03-02T09:15:02.123Z'),
      identity: { key: '', hash: '', id: 'ak-7f3a9c', alias: 'billing-batch' },
      ip: '198.51.100.23',
      method: 'GET',
      path: '/orders/v1/orders/42',
      status: 200,
      latencyMs: 12.345678,
      userAgent: 'billing-batch/2.1',
      requestId: 'req-0001',
      api: 'orders-api',
      tenant: 'org-acme',
      authFailure: false,
      file: 'ecs.ndjson',
      line: 7,
    });
  });

  it('reads flattened dotted keys, and any mix of the two, the same', () => {
    const flat = flatten(doc());
    expect(flat['http.request.method']).toBe('get');
    expect(normalise(flat, 7)).toEqual(normalise(doc(), 7));
    const mixed = { ...flatten(doc()), 'http.request.method': undefined, http: { 'request.method': 'GET' } };
    expect(ok(mixed).method).toBe('GET');
  });

  it('maps the Elastic nginx integration sample_event.json (one pretty-printed document)', () => {
    const sample = JSON.parse(readFileSync(`${FIXTURES}/elastic-nginx-access-sample_event.json`, 'utf8')) as Record<string, unknown>;
    expect(ecs.detect(sample)).toBe(true);
    expect(normalise(sample, 1)).toEqual({
      time: Date.parse('2022-12-09T10:39:23.000Z'),
      identity: { key: '', hash: '', id: '', alias: '' },
      ip: '127.0.0.1',
      method: 'GET',
      path: '/server-status',
      status: 200,
      latencyMs: 0,
      userAgent: 'curl/7.64.0',
      requestId: '',
      api: '',
      tenant: '',
      authFailure: false,
      file: 'ecs.ndjson',
      line: 1,
    });
  });

  it('reads @timestamp as ISO 8601 with any fraction and offset, or epoch milliseconds', () => {
    expect(ok(doc({ '@timestamp': '2026-03-02T09:15:02.123456789Z' })).time).toBe(Date.UTC(2026, 2, 2, 9, 15, 2, 123));
    expect(ok(doc({ '@timestamp': '2026-03-02T10:15:02.123+01:00' })).time).toBe(Date.UTC(2026, 2, 2, 9, 15, 2, 123));
    expect(ok(doc({ '@timestamp': 1772442902123 })).time).toBe(1772442902123);
  });

  it.each([
    [{ '@timestamp': undefined }, 'missing-timestamp'],
    [{ '@timestamp': '' }, 'missing-timestamp'],
    [{ '@timestamp': 'yesterday' }, 'bad-timestamp'],
    [{ '@timestamp': '2026-02-30T09:15:02Z' }, 'bad-timestamp'],
    [{ source: { ip: '198.51.100.999' } }, 'bad-ip'],
  ])('%j is skipped as %s', (over, reason) => {
    const out = normalise(doc(over));
    expect(out).toBeInstanceOf(Skip);
    expect((out as Skip).reason).toBe(reason);
  });

  it('takes the client IP from source.ip, else client.ip; never from a host-name address', () => {
    expect(ok(doc({ client: { ip: '203.0.113.9' } })).ip).toBe('198.51.100.23');
    expect(ok(doc({ source: undefined, client: { ip: '203.0.113.9' } })).ip).toBe('203.0.113.9');
    expect(ok(doc({ source: { ip: '2001:DB8:42::1A' } })).ip).toBe('2001:db8:42::1a');
    expect(ok(doc({ source: { ip: '::ffff:192.0.2.10' } })).ip).toBe('192.0.2.10');
    // source.address may be a host name: not read, so the request is kept without an IP
    expect(ok(doc({ source: { address: 'gw-peer.internal' } })).ip).toBe('');
  });

  it('takes the path from url.original (as sent), else url.path, else url.full', () => {
    // uri_parts writes url.path percent-decoded: `%2F` would become a segment separator
    const sent = { original: '/files/v1/reports%2F2026/../%5Fsummary?download=1', path: '/files/v1/reports/2026/../_summary' };
    expect(ok(doc({ url: sent })).path).toBe('/files/v1/_summary');
    expect(ok(doc({ url: { path: sent.path } })).path).toBe('/files/v1/reports/_summary');
    expect(ok(doc({ url: { original: 'https://api.example.com:8443/orders/v1//orders?x=1' } })).path).toBe('/orders/v1/orders');
    expect(ok(doc({ url: { full: 'https://api.example.com/orders/v1/orders/7?x=1' } })).path).toBe('/orders/v1/orders/7');
    expect(ok(doc({ url: { original: '/elastic/logs-endpoint-default/../_security/api_key' } })).path).toBe('/elastic/_security/api_key');
    expect(ok(doc({ url: undefined })).path).toBe('');
  });

  it('reads event.duration as nanoseconds, numbers or strings', () => {
    expect(ok(doc({ event: part('event', { duration: 850000 }) })).latencyMs).toBe(0.85);
    expect(ok(doc({ event: part('event', { duration: '40000000' }) })).latencyMs).toBe(40);
    expect(ok(doc({ event: part('event', { duration: undefined }) })).latencyMs).toBe(0);
  });

  it('takes the request id from http.request.id, else trace.id; the API from service.name, else url.domain', () => {
    const noId = { http: { request: { method: 'GET' }, response: { status_code: 200 } } };
    expect(ok(doc({ ...noId, trace: { id: '4bf92f3577b34da6a3ce929d0e0e4736' } })).requestId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(ok(doc(noId)).requestId).toBe('');
    expect(ok(doc({ service: undefined })).api).toBe('api.example.com');
    expect(ok(doc({ service: undefined, url: { original: '/a' } })).api).toBe('');
  });

  it('reads the identity: user.name as alias, user.id as id; labels.api_key_id is not read', () => {
    expect(ok(doc({ user: { id: 'ak-2b8e41' } })).identity).toEqual({ key: '', hash: '', id: 'ak-2b8e41', alias: '' });
    expect(ok(doc({ user: { name: 'carol' } })).identity).toEqual({ key: '', hash: '', id: '', alias: 'carol' });
    expect(ok(doc({ user: undefined, labels: { api_key_id: 'ak-label' } })).identity).toEqual({ key: '', hash: '', id: '', alias: '' });
    expect(ok(doc({ 'user.name': 'dotted', user: undefined })).identity.alias).toBe('dotted');
  });

  it.each([
    [401, true, 'failure', ['authentication', 'web'], true],
    [401, false, 'failure', ['authentication', 'web'], true],
    [403, false, 'failure', ['web'], false], // a web server's "forbidden", not a rejected key
    [403, true, 'failure', ['web'], false],
    [404, true, 'failure', ['web'], false], // Elastic's pipelines set outcome failure for every status >= 400
    [200, true, 'success', ['web'], false],
    // ECS's own sign (outcome failure + category authentication) cannot be read: category is an array
    [403, false, 'failure', ['authentication'], false],
  ])('status %i, identified %s, outcome %s, category %j: authFailure %s', (status, identified, outcome, category, failure) => {
    const r = doc({
      http: { request: { method: 'GET' }, response: { status_code: status } },
      event: part('event', { outcome, category }),
      ...(identified ? {} : { user: undefined }),
    });
    expect(ok(r).authFailure).toBe(failure);
  });

  it('unwraps _source (elasticdump lines, saved search hits)', () => {
    const hit = { _index: 'logs-apigw.access-default', _id: 'n7Yx', _score: 1, _source: doc() };
    expect(ecs.detect(hit)).toBe(true);
    expect(normalise(hit, 7)).toEqual(normalise(doc(), 7));
  });
});

describe('ecs: detection', () => {
  const own = logFiles(FIXTURES);

  it('recognises every record of its fixtures: nested, dotted, mixed, pretty-printed, _source-wrapped', () => {
    let seen = 0;
    for (const file of own) {
      for (const r of decoded(file).records) {
        seen++;
        expect(ecs.detect(r), `${file}: ${JSON.stringify(r).slice(0, 80)}`).toBe(true);
        expect(detectFormat([r], 'json')?.meta.name).toBe('ecs');
      }
    }
    expect(seen).toBe(12);
  });

  it.each([
    ['no @timestamp', { source: { ip: '1.2.3.4' }, http: { request: { method: 'GET' }, response: { status_code: 200 } } }],
    ['no method', { '@timestamp': 'x', source: { ip: '1.2.3.4' }, http: { response: { status_code: 200 } } }],
    ['no status', { '@timestamp': 'x', source: { ip: '1.2.3.4' }, http: { request: { method: 'GET' } } }],
    ['no client IP', { '@timestamp': 'x', 'http.request.method': 'GET', 'http.response.status_code': 200, 'source.address': 'peer' }],
    ['a Tyk Elasticsearch pump document', { '@timestamp': 'x', http_method: 'GET', request_uri: '/a', response_code: 200, ip_address: '1.2.3.4' }],
  ])('refuses %s', (_name, r) => {
    expect(ecs.detect(r)).toBe(false);
  });

  it("refuses every JSON record of the other formats' fixtures, and is never chosen for them", () => {
    const files = logFiles('fixtures').filter((f) => !own.includes(f));
    expect(files).toContain('fixtures/demo/tyk-analytics.ndjson');
    expect(files).toContain('fixtures/kibana/opensearch-dashboards-sample-web-logs-head25.ndjson');
    let seen = 0;
    for (const file of files) {
      const { container, records } = decoded(file);
      if (records.length > 0) expect(detectFormat(records.slice(0, 5), container)?.meta.name, file).not.toBe('ecs');
      if (container !== 'json') continue; // a Kibana CSV export of ECS documents has the same names: the container tells them apart
      for (const r of records) {
        seen++;
        expect(ecs.detect(r), `${file}: ${JSON.stringify(r).slice(0, 80)}`).toBe(false);
      }
    }
    expect(seen).toBeGreaterThan(1138);
  });
});

describe('ecs: reading the fixtures', () => {
  async function read(file: string) {
    const requests: ApiRequest[] = [];
    const { counters } = await readRequests({ sources: expandInputs([file]) }, (r) => requests.push(r));
    return { stats: counters.files, requests };
  }

  it('reads every file of the folder: detected, none skipped', async () => {
    const { stats, requests } = await read(FIXTURES);
    expect(stats.map((f) => [f.file, f.format, f.framing, f.records, f.parsed, f.skipped, f.error])).toEqual([
      [`${FIXTURES}/ecs-elasticdump-source.ndjson`, 'ecs', 'ndjson', 2, 2, 0, ''],
      [`${FIXTURES}/ecs-gateway-dotted.ndjson`, 'ecs', 'ndjson', 4, 4, 0, ''],
      [`${FIXTURES}/ecs-gateway-nested.ndjson`, 'ecs', 'ndjson', 5, 5, 0, ''],
      [`${FIXTURES}/elastic-nginx-access-sample_event.json`, 'ecs', 'json-document', 1, 1, 0, ''],
    ]);
    expect(requests).toHaveLength(12);
  });

  it('reads the nested and dotted gateway documents as logged', async () => {
    const nested = (await read(`${FIXTURES}/ecs-gateway-nested.ndjson`)).requests;
    const dotted = (await read(`${FIXTURES}/ecs-gateway-dotted.ndjson`)).requests;
    const brief = (r: ApiRequest) => [r.line, new Date(r.time).toISOString(), r.ip, r.method, r.path, r.status, r.latencyMs, r.identity.alias, r.identity.id, r.requestId, r.api, r.authFailure];
    expect(nested.map(brief)).toEqual([
      [1, '2026-03-02T09:15:02.123Z', '198.51.100.23', 'GET', '/orders/v1/orders/42', 200, 12.345678, 'billing-batch', 'ak-7f3a9c', 'req-0001', 'orders-api', false],
      [2, '2026-03-02T09:15:03.500Z', '203.0.113.77', 'POST', '/orders/v1/orders', 401, 0.85, '', '', 'req-0002', 'orders-api', true],
      [3, '2026-03-02T09:15:04.010Z', '198.51.100.23', 'DELETE', '/orders/v1/orders/42', 403, 2.1, 'billing-batch', 'ak-7f3a9c', 'req-0003', 'orders-api', false],
      [4, '2026-03-02T09:16:00.000Z', '2001:db8:42::1a', 'PUT', '/inventory/v2/items/sku-9', 204, 40, '', 'ak-2b8e41', '4bf92f3577b34da6a3ce929d0e0e4736', 'inventory.example.com', false],
      [5, '2026-03-02T09:17:30.250Z', '192.0.2.10', 'GET', '/files/v1/_summary', 200, 5, 'carol', 'ak-c4r01', 'req-0005', 'files-api', false],
    ]);
    expect(dotted.map(brief)).toEqual([
      [1, '2026-03-02T10:00:00.001Z', '198.51.100.40', 'GET', '/orders/v1/orders', 200, 3.5, 'reporting', 'ak-r3p0rt', 'req-1001', 'orders-api', false],
      [2, '2026-03-02T10:00:05.750Z', '203.0.113.77', 'GET', '/orders/v1/orders', 401, 0.6, '', 'ak-unknown9', 'req-1002', 'orders-api', true],
      [3, '2026-03-02T10:01:10.000Z', '10.1.2.3', 'PATCH', '/inventory/v2/items/sku-9', 200, 0.9, 'stock-sync', 'ak-2b8e41', '0af7651916cd43dd8448eb211c80319c', 'inventory-api', false],
      [4, '2026-03-02T10:02:00.000Z', '198.51.100.99', 'GET', '/orders/v1/nope', 404, 0, 'reporting', 'ak-r3p0rt', '', 'api.example.com', false],
    ]);
    expect(nested.map((r) => r.tenant)).toEqual(['org-acme', 'org-acme', 'org-acme', 'org-acme', 'org-acme']);
  });

  it('reads the elasticdump export through its _source wrapper', async () => {
    const { requests } = await read(`${FIXTURES}/ecs-elasticdump-source.ndjson`);
    expect(requests.map((r) => [r.line, r.ip, r.method, r.path, r.status, r.identity.alias, r.authFailure])).toEqual([
      [1, '198.51.100.23', 'GET', '/orders/v1/orders/7', 200, 'billing-batch', false],
      [2, '203.0.113.77', 'GET', '/orders/v1/orders/7', 401, '', true],
    ]);
  });
});

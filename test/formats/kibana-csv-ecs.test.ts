import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { containerOf, csvReader, readerFor, sniffFraming } from '../../src/decode/containers.js';
import { detectFormat } from '../../src/decode/detect.js';
import type { Container } from '../../src/formats/define-format.js';
import { formatByName, setDecodeContext } from '../../src/formats/index.js';
import { UTC_CONTEXT } from '../../src/formats/mapping.js';
import type { ApiRequest } from '../../src/model/request.js';
import { Skip } from '../../src/model/skip.js';
import { readRequests } from '../../src/pipeline/requests.js';
import { ZoneClock } from '../../src/policy/zone.js';
import { expandInputs } from '../../src/read/sources.js';
import { requestOf } from '../helpers/fixture-records.js';

const csvEcs = formatByName('kibana-csv-ecs')!;
const FIXTURE = 'fixtures/kibana/kibana-csv-ecs-gateway.csv';
const OWN = [FIXTURE];

/** One row of a Kibana export of ECS gateway documents, as the CSV reader gives it: header → cell text. */
function row(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    '@timestamp': 'Mar 2, 2026 @ 09:15:02.123',
    'source.ip': '198.51.100.23',
    'http.request.method': 'GET',
    'url.original': '/orders/v1/orders/42?expand=items',
    'url.path': '/orders/v1/orders/42',
    'http.response.status_code': '200',
    'event.duration': '12,345,678',
    'http.response.body.bytes': '1,432',
    'user.name': 'billing-batch',
    'user.id': 'ak-7f3a9c',
    'organization.id': 'org-acme',
    'service.name': 'orders-api',
    'user_agent.original': 'billing-batch/2.1',
    'event.category': 'web',
    'error.message': '-',
    ...over,
  };
}

const normalise = (r: Record<string, unknown>, line = 3): ApiRequest | Skip => csvEcs.normalise(r, 'export.csv', line);
const ok = (r: Record<string, unknown>): ApiRequest => requestOf(normalise(r));

/** Zoneless log times in `zone`, as --log-timezone sets them. */
function logTimezone(zone: string): void {
  const clock = new ZoneClock(zone);
  setDecodeContext({ zoneOffset: (local) => clock.offsetAt(local - clock.offsetAt(local)), year: 2026 });
}

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

afterEach(() => setDecodeContext(UTC_CONTEXT));

describe('kibana-csv-ecs: mapping to the canonical request', () => {
  it('maps every field', () => {
    expect(normalise(row(), 7)).toEqual({
      time: Date.UTC(2026, 2, 2, 9, 15, 2, 123),
      identity: { key: '', hash: '', id: 'ak-7f3a9c', alias: 'billing-batch' },
      ip: '198.51.100.23',
      method: 'GET',
      path: '/orders/v1/orders/42',
      status: 200,
      latencyMs: 12.345678,
      userAgent: 'billing-batch/2.1',
      requestId: '',
      api: 'orders-api',
      tenant: 'org-acme',
      authFailure: false,
      file: 'export.csv',
      line: 7,
    });
  });

  it('reads Kibana dates in UTC by default', () => {
    expect(ok(row()).time).toBe(Date.parse('2026-03-02T09:15:02.123Z'));
    expect(ok(row({ '@timestamp': 'Sep 20, 2015 @ 10:26:48.725' })).time).toBe(Date.parse('2015-09-20T10:26:48.725Z'));
    // date_nanos: 9 fraction digits, read to the millisecond
    expect(ok(row({ '@timestamp': 'Nov 19, 2026 @ 00:02:02.620015776' })).time).toBe(Date.parse('2026-11-19T00:02:02.620Z'));
    expect(ok(row({ '@timestamp': 'Nov 19, 2026 @ 00:02:02' })).time).toBe(Date.parse('2026-11-19T00:02:02.000Z'));
  });

  it('reads Kibana dates in --log-timezone, across daylight saving time', () => {
    logTimezone('Europe/Amsterdam');
    expect(ok(row()).time).toBe(Date.parse('2026-03-02T08:15:02.123Z')); // CET, +01:00
    expect(ok(row({ '@timestamp': 'Sep 20, 2015 @ 10:26:48.725' })).time).toBe(Date.parse('2015-09-20T08:26:48.725Z')); // CEST
    logTimezone('America/New_York');
    expect(ok(row()).time).toBe(Date.parse('2026-03-02T14:15:02.123Z'));
  });

  it('also reads ISO 8601 cells (a data view whose date format was changed), with their own offset', () => {
    logTimezone('Europe/Amsterdam');
    expect(ok(row({ '@timestamp': '2026-03-02T09:15:02.123Z' })).time).toBe(Date.parse('2026-03-02T09:15:02.123Z'));
    expect(ok(row({ '@timestamp': '2026-03-02T09:15:02.123-05:00' })).time).toBe(Date.parse('2026-03-02T14:15:02.123Z'));
  });

  it.each([
    [{ '@timestamp': '-' }, 'missing-timestamp'],
    [{ '@timestamp': '' }, 'missing-timestamp'],
    [{ '@timestamp': 'Mar 32, 2026 @ 09:15:02.123' }, 'bad-timestamp'],
    [{ '@timestamp': 'Mrz 2, 2026 @ 09:15:02.123' }, 'bad-timestamp'],
    [{ 'source.ip': 'gateway-7' }, 'bad-ip'],
  ])('%j is skipped as %s', (over, reason) => {
    const out = normalise(row(over));
    expect(out).toBeInstanceOf(Skip);
    expect((out as Skip).reason).toBe(reason);
  });

  it('reads `-` as missing: no identity, no IP, and the next path column', () => {
    const r = ok(row({ 'user.name': '-', 'user.id': '-', 'source.ip': '-', 'url.original': '-', 'service.name': '-', 'event.duration': '-' }));
    expect([r.identity, r.ip, r.path, r.api, r.latencyMs]).toEqual([{ key: '', hash: '', id: '', alias: '' }, '', '/orders/v1/orders/42', '', 0]);
    expect(ok(row({ 'source.ip': '-', 'client.ip': '203.0.113.9' })).ip).toBe('203.0.113.9');
  });

  it('reads thousands separators and takes the left-most of a multi-value IP cell', () => {
    expect(ok(row({ 'event.duration': '1,234,567,890' })).latencyMs).toBe(1234.56789);
    expect(ok(row({ 'source.ip': '198.51.100.7, 10.0.0.5' })).ip).toBe('198.51.100.7');
    expect(ok(row({ 'source.ip': '2001:DB8:42::1A' })).ip).toBe('2001:db8:42::1a');
  });

  it('takes the path from url.original, else url.path, else url.full; normalised', () => {
    expect(ok(row({ 'url.original': '/elastic/%5Fsecurity//role?x=1' })).path).toBe('/elastic/_security/role');
    expect(ok(row({ 'url.original': undefined })).path).toBe('/orders/v1/orders/42');
    expect(ok(row({ 'url.original': undefined, 'url.path': undefined, 'url.full': 'https://api.example.com/a/b?c=d' })).path).toBe('/a/b');
  });

  it.each([
    ['401', 'billing-batch', true],
    ['401', '-', true],
    ['403', '-', false],
    ['403', 'billing-batch', false],
    ['429', 'billing-batch', false],
    ['200', 'billing-batch', false],
  ])('status %s with user.name %j: authFailure %s', (status, name, failure) => {
    expect(ok(row({ 'http.response.status_code': status, 'user.name': name, 'user.id': '-' })).authFailure).toBe(failure);
  });

  it('reads `Label (field.name)` headers as the field (data-view custom labels)', () => {
    const records: Record<string, unknown>[] = [];
    const reader = csvReader({ record: (r) => records.push(r), skip: () => {} });
    reader.line('"@timestamp","Client (source.ip)","Method (http.request.method)","url.path","Key owner (user.name)"', 1);
    reader.line('"Mar 2, 2026 @ 09:15:02.123","198.51.100.23",GET,"/orders/v1/orders",alice', 2);
    reader.end();
    expect(csvEcs.detect(records[0]!)).toBe(true);
    expect(ok(records[0]!)).toMatchObject({ ip: '198.51.100.23', method: 'GET', path: '/orders/v1/orders', identity: { alias: 'alice' } });
  });
});

describe('kibana-csv-ecs: detection', () => {
  it('recognises every row of its fixture', () => {
    const { container, records } = decoded(FIXTURE);
    expect([container, records.length]).toEqual(['csv', 5]);
    for (const r of records) {
      expect(csvEcs.detect(r)).toBe(true);
      expect(detectFormat([r], 'csv')?.meta.name).toBe('kibana-csv-ecs');
    }
  });

  it.each([
    ['only the time column', { '@timestamp': 'Mar 2, 2026 @ 09:15:02.123', message: 'x' }],
    ['ECS columns without @timestamp', { timestamp: 'Mar 2, 2026 @ 09:15:02.123', 'source.ip': '1.2.3.4', 'http.request.method': 'GET' }],
    ['the sample web logs export', { '@timestamp': 'Sep 20, 2015 @ 10:26:48.725', clientip: '1.2.3.4', extension: 'jpg' }],
  ])('refuses %s', (_name, r) => {
    expect(csvEcs.detect(r)).toBe(false);
  });

  it('is one ECS column next to @timestamp: the export holds only the selected columns', () => {
    expect(csvEcs.detect({ '@timestamp': 'x', 'user.name': 'alice' })).toBe(true);
    expect(csvEcs.detect({ '@timestamp': 'x', 'url.path': '/a' })).toBe(true);
  });

  it("refuses every CSV row of the other formats' fixtures, and is never chosen for them", () => {
    const files = logFiles('fixtures').filter((f) => !OWN.includes(f));
    expect(files).toContain('fixtures/kibana/kibana-reporting-csv-logstash-utc.csv');
    expect(files).toContain('fixtures/ecs/ecs-gateway-dotted.ndjson');
    let seen = 0;
    for (const file of files) {
      const { container, records } = decoded(file);
      if (records.length > 0) expect(detectFormat(records.slice(0, 5), container)?.meta.name, file).not.toBe('kibana-csv-ecs');
      if (container !== 'csv') continue; // ECS JSON documents have the same names: the container tells them apart
      for (const r of records) {
        seen++;
        expect(csvEcs.detect(r), `${file}: ${JSON.stringify(r).slice(0, 80)}`).toBe(false);
      }
    }
    expect(seen).toBeGreaterThanOrEqual(27);
  });
});

describe('kibana-csv-ecs: reading the fixture', () => {
  async function read(file: string) {
    const requests: ApiRequest[] = [];
    const { counters } = await readRequests({ sources: expandInputs([file]) }, (r) => requests.push(r));
    return { stats: counters.files, requests };
  }

  it('reads every row, the multi-line cell included: detected, none skipped', async () => {
    const { stats, requests } = await read(FIXTURE);
    expect(stats.map((f) => [f.format, f.framing, f.records, f.parsed, f.skipped, f.error])).toEqual([['kibana-csv-ecs', 'csv', 5, 5, 0, '']]);
    const brief = (r: ApiRequest) => [r.line, new Date(r.time).toISOString(), r.ip, r.method, r.path, r.status, r.latencyMs, r.identity.alias, r.identity.id, r.api, r.authFailure];
    expect(requests.map(brief)).toEqual([
      [2, '2026-03-02T09:15:02.123Z', '198.51.100.23', 'GET', '/orders/v1/orders/42', 200, 12.345678, 'billing-batch', 'ak-7f3a9c', 'orders-api', false],
      // the error.message cell spans lines 3-4
      [3, '2026-03-02T09:15:03.500Z', '203.0.113.77', 'POST', '/orders/v1/orders', 401, 0.85, '', '', 'orders-api', true],
      [5, '2026-03-02T09:15:04.010Z', '198.51.100.23', 'DELETE', '/orders/v1/orders/42', 403, 2.1, 'billing-batch', 'ak-7f3a9c', 'orders-api', false],
      [6, '2026-03-02T09:16:00.000Z', '2001:db8:42::1a', 'PUT', '/inventory/v2/items/sku-9', 204, 40, '', 'ak-2b8e41', '', false],
      [7, '2026-03-02T09:17:30.250Z', '198.51.100.7', 'GET', '/files/v1/reports/2026', 200, 5, 'carol', 'ak-c4r01', 'files-api', false],
    ]);
  });

  it('reads the export in --log-timezone', async () => {
    logTimezone('Europe/Amsterdam');
    const { requests } = await read(FIXTURE);
    expect(requests.map((r) => new Date(r.time).toISOString())).toEqual([
      '2026-03-02T08:15:02.123Z',
      '2026-03-02T08:15:03.500Z',
      '2026-03-02T08:15:04.010Z',
      '2026-03-02T08:16:00.000Z',
      '2026-03-02T08:17:30.250Z',
    ]);
  });
});

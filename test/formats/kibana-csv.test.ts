import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { containerOf, csvReader, readerFor, sniffFraming } from '../../src/decode/containers.js';
import { detectFormat } from '../../src/decode/detect.js';
import type { Container } from '../../src/formats/define-format.js';
import { FORMATS, formatByName, setDecodeContext } from '../../src/formats/index.js';
import { UTC_CONTEXT } from '../../src/formats/mapping.js';
import type { ApiRequest } from '../../src/model/request.js';
import { Skip } from '../../src/model/skip.js';
import { readRequests } from '../../src/pipeline/requests.js';
import { ZoneClock } from '../../src/policy/zone.js';
import { expandInputs } from '../../src/read/sources.js';
import { requestOf } from '../helpers/fixture-records.js';

const generic = formatByName('kibana-csv')!;
const ECOMMERCE = 'fixtures/kibana/kibana-reporting-csv-ecommerce-one-row.csv';

const normalise = (r: Record<string, unknown>, line = 3): ApiRequest | Skip => generic.normalise(r, 'export.csv', line);
const ok = (r: Record<string, unknown>): ApiRequest => requestOf(normalise(r));

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

describe('kibana-csv: mapping to the canonical request', () => {
  it('maps the real ecommerce export row (orders: a time and nothing a request has)', () => {
    const { records } = decoded(ECOMMERCE);
    expect(records).toHaveLength(1);
    const order = records[0]!;
    // the row as Kibana wrote it: `-` for _score, arrays joined, thousands separators, a JSON cell over 7 lines
    expect([order._score, order['products.product_id'], order['geoip.location']]).toEqual([
      '-',
      '23,975, 6,338, 14,116, 15,290',
      '{\n  "coordinates": [\n    54.4,\n    24.5\n  ],\n  "type": "Point"\n}',
    ]);
    expect(normalise(order, 2)).toEqual({
      time: Date.UTC(2019, 6, 12, 0, 0, 0, 0),
      identity: { key: '', hash: '', id: '', alias: '' },
      ip: '',
      method: '',
      path: '',
      status: 0,
      latencyMs: 0,
      userAgent: '',
      requestId: '',
      api: '',
      tenant: '',
      authFailure: false,
      file: 'export.csv',
      line: 2,
    });
  });

  it.each([
    ['@timestamp', { '@timestamp': 'Sep 20, 2015 @ 10:26:48.725' }],
    ['timestamp (flights, older sample logs)', { timestamp: 'Sep 20, 2015 @ 10:26:48.725' }],
    ['utc_time', { utc_time: 'Sep 20, 2015 @ 10:26:48.725' }],
    ['order_date (ecommerce)', { order_date: 'Sep 20, 2015 @ 10:26:48.725' }],
    ['event.created', { 'event.created': 'Sep 20, 2015 @ 10:26:48.725' }],
    ['time', { time: 'Sep 20, 2015 @ 10:26:48.725' }],
    ['date', { date: 'Sep 20, 2015 @ 10:26:48.725' }],
  ])('reads the time from %s', (_name, r) => {
    expect(generic.detect(r)).toBe(true);
    expect(ok(r).time).toBe(Date.UTC(2015, 8, 20, 10, 26, 48, 725));
  });

  it('takes the first time column that holds a value, in the order of the list', () => {
    expect(ok({ '@timestamp': '-', timestamp: 'Sep 21, 2015 @ 00:00:00.000', order_date: 'Sep 22, 2015 @ 00:00:00.000' }).time).toBe(Date.UTC(2015, 8, 21));
    expect(ok({ order_date: 'Sep 22, 2015 @ 00:00:00.000', utc_time: 'Sep 23, 2015 @ 00:00:00.000' }).time).toBe(Date.UTC(2015, 8, 23));
  });

  it('reads Kibana dates in --log-timezone, and ISO cells with their own offset', () => {
    logTimezone('Europe/Amsterdam');
    expect(ok({ order_date: 'Jul 12, 2019 @ 00:00:00.000' }).time).toBe(Date.parse('2019-07-11T22:00:00.000Z'));
    expect(ok({ order_date: 'Jan 12, 2019 @ 00:00:00.000' }).time).toBe(Date.parse('2019-01-11T23:00:00.000Z'));
    expect(ok({ timestamp: '2019-07-12T00:00:00.000Z' }).time).toBe(Date.parse('2019-07-12T00:00:00.000Z'));
  });

  it.each([
    [{ order_date: '-' }, 'missing-timestamp'],
    [{ order_date: 'Jul 12, 2019' }, 'bad-timestamp'],
    [{ order_date: 'Feb 30, 2019 @ 00:00:00.000' }, 'bad-timestamp'],
  ])('%j is skipped as %s', (r, reason) => {
    const out = normalise(r);
    expect(out).toBeInstanceOf(Skip);
    expect((out as Skip).reason).toBe(reason);
  });

  it('reads nothing but the time, whatever other columns say', () => {
    const r = ok({ order_date: 'Jul 12, 2019 @ 00:00:00.000', ip: '10.0.0.1', user: 'sultan', status: '401', method: 'GET' });
    expect([r.ip, r.method, r.status, r.identity.alias, r.authFailure]).toEqual(['', '', 0, '', false]);
  });

  it('reads a `Label (order_date)` header as the field', () => {
    const records: Record<string, unknown>[] = [];
    const reader = csvReader({ record: (r) => records.push(r), skip: () => {} });
    reader.line('"Order date (order_date)","order_id"', 1);
    reader.line('"Jul 12, 2019 @ 00:00:00.000",716724', 2);
    reader.end();
    expect(generic.detect(records[0]!)).toBe(true);
    expect(ok(records[0]!).time).toBe(Date.UTC(2019, 6, 12));
  });
});

describe('kibana-csv: detection', () => {
  it('is the last format tried: every other CSV format comes first', () => {
    const csv = FORMATS.filter((f) => f.meta.container === 'csv').map((f) => f.meta.name);
    expect(csv.at(-1)).toBe('kibana-csv');
    expect(csv).toContain('kibana-csv-ecs');
    expect(csv).toContain('kibana-csv-logs');
  });

  it('refuses rows without a known time column', () => {
    expect(generic.detect({ Timestamp: 'Sep 20, 2015 @ 10:26:48.725', clientip: '1.2.3.4' })).toBe(false);
    expect(generic.detect({ TimeGenerated: '2026-01-01T00:00:00Z', Method: 'GET' })).toBe(false);
    expect(generic.detect({ '1': 'Sep 20, 2015 @ 10:26:48.725', '2': '1.2.3.4' })).toBe(false);
  });

  it('accepts the rows of the specific Kibana exports too, but they go to their own format', () => {
    for (const [file, owner] of [
      ['fixtures/kibana/kibana-csv-ecs-gateway.csv', 'kibana-csv-ecs'],
      ['fixtures/kibana/kibana-reporting-csv-logstash-utc.csv', 'kibana-csv-logs'],
      ['fixtures/kibana/kibana-csv-sample-web-logs.csv', 'kibana-csv-logs'],
    ] as const) {
      const { records } = decoded(file);
      for (const r of records) expect(generic.detect(r)).toBe(true);
      expect(detectFormat(records, 'csv')?.meta.name).toBe(owner);
    }
  });

  it("is chosen for no other fixture file, only for the ecommerce export", () => {
    const chosen: string[] = [];
    for (const file of logFiles('fixtures')) {
      const { container, records } = decoded(file);
      if (records.length > 0 && detectFormat(records.slice(0, 5), container)?.meta.name === 'kibana-csv') chosen.push(file);
    }
    expect(chosen).toEqual([ECOMMERCE]);
  });
});

describe('kibana-csv: reading the fixture', () => {
  it('reads the real ecommerce export: detected, 1 record, none skipped', async () => {
    const requests: ApiRequest[] = [];
    const { counters } = await readRequests({ sources: expandInputs([ECOMMERCE]) }, (r) => requests.push(r));
    expect(counters.files.map((f) => [f.format, f.framing, f.records, f.parsed, f.skipped, f.error])).toEqual([['kibana-csv', 'csv', 1, 1, 0, '']]);
    expect(requests.map((r) => [r.line, new Date(r.time).toISOString(), r.ip, r.method, r.path])).toEqual([[2, '2019-07-12T00:00:00.000Z', '', '', '']]);
  });

  it('reads every Kibana fixture with its format detected and nothing skipped', async () => {
    const { counters } = await readRequests({ sources: expandInputs(['fixtures/kibana']) }, () => {});
    expect(counters.files.map((f) => [f.file, f.format, f.records, f.parsed, f.skipped, f.error])).toEqual([
      ['fixtures/kibana/kibana-csv-ecs-gateway.csv', 'kibana-csv-ecs', 5, 5, 0, ''],
      ['fixtures/kibana/kibana-csv-sample-web-logs.csv', 'kibana-csv-logs', 6, 6, 0, ''],
      ['fixtures/kibana/kibana-reporting-csv-ecommerce-one-row.csv', 'kibana-csv', 1, 1, 0, ''],
      ['fixtures/kibana/kibana-reporting-csv-logstash-utc.csv', 'kibana-csv-logs', 20, 20, 0, ''],
      ['fixtures/kibana/opensearch-dashboards-sample-web-logs-head25.ndjson', 'kibana-sample-logs', 25, 25, 0, ''],
    ]);
  });
});

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { containerOf, readerFor, sniffFraming } from '../../src/decode/containers.js';
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

const csvLogs = formatByName('kibana-csv-logs')!;
const LOGSTASH = 'fixtures/kibana/kibana-reporting-csv-logstash-utc.csv';
const WEB_LOGS = 'fixtures/kibana/kibana-csv-sample-web-logs.csv';
const OWN = [LOGSTASH, WEB_LOGS];

/** One row of a Discover export of kibana_sample_data_logs, as the CSV reader gives it. */
function row(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    '@timestamp': 'Jul 22, 2018 @ 00:39:02.912',
    clientip: '223.87.60.27',
    request: '/opensearch/opensearch-1.0.0.deb',
    response: '200',
    agent: 'Mozilla/5.0 (X11; Linux x86_64; rv:6.0a1) Gecko/20110421 Firefox/6.0a1',
    extension: 'deb',
    bytes: '6,219',
    host: 'artifacts.opensearch.org',
    tags: 'success, info',
    ...over,
  };
}

const normalise = (r: Record<string, unknown>, line = 3): ApiRequest | Skip => csvLogs.normalise(r, 'export.csv', line);
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

describe('kibana-csv-logs: mapping to the canonical request', () => {
  it('maps every field', () => {
    expect(normalise(row(), 7)).toEqual({
      time: Date.UTC(2018, 6, 22, 0, 39, 2, 912),
      identity: { key: '', hash: '', id: '', alias: '' },
      ip: '223.87.60.27',
      method: '', // not in these documents (only inside `message`)
      path: '/opensearch/opensearch-1.0.0.deb',
      status: 200,
      latencyMs: 0,
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:6.0a1) Gecko/20110421 Firefox/6.0a1',
      requestId: '',
      api: 'artifacts.opensearch.org',
      tenant: '',
      authFailure: false,
      file: 'export.csv',
      line: 7,
    });
  });

  it('maps a row of the real logstash export: time and client IP only', () => {
    const [first] = decoded(LOGSTASH).records;
    expect(first).toEqual({ '@timestamp': 'Sep 20, 2015 @ 10:26:48.725', clientip: '74.214.76.90', extension: 'jpg' });
    expect(normalise(first!, 2)).toEqual({
      time: Date.UTC(2015, 8, 20, 10, 26, 48, 725),
      identity: { key: '', hash: '', id: '', alias: '' },
      ip: '74.214.76.90',
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

  it('reads Kibana dates in UTC by default and in --log-timezone', () => {
    expect(ok(row()).time).toBe(Date.parse('2018-07-22T00:39:02.912Z'));
    logTimezone('Europe/Amsterdam');
    expect(ok(row()).time).toBe(Date.parse('2018-07-21T22:39:02.912Z'));
    logTimezone('Asia/Kolkata');
    expect(ok(row({ '@timestamp': 'Sep 20, 2015 @ 10:26:48.725' })).time).toBe(Date.parse('2015-09-20T04:56:48.725Z'));
  });

  it('takes the time from @timestamp, else timestamp, else utc_time', () => {
    expect(ok(row({ '@timestamp': '-', timestamp: 'Jul 23, 2018 @ 01:02:03.004' })).time).toBe(Date.UTC(2018, 6, 23, 1, 2, 3, 4));
    expect(ok(row({ '@timestamp': undefined, utc_time: 'Jul 24, 2018 @ 01:02:03.004' })).time).toBe(Date.UTC(2018, 6, 24, 1, 2, 3, 4));
  });

  it.each([
    [{ '@timestamp': '-' }, 'missing-timestamp'],
    [{ '@timestamp': 'Jul 22, 2018 00:39:02' }, 'bad-timestamp'],
    [{ clientip: '74.214.76' }, 'bad-ip'],
  ])('%j is skipped as %s', (over, reason) => {
    const out = normalise(row(over));
    expect(out).toBeInstanceOf(Skip);
    expect((out as Skip).reason).toBe(reason);
  });

  it('reads `-` as missing and a 401 as no auth failure (the data has neither keys nor a sign)', () => {
    expect(ok(row({ request: '-', response: '-', agent: '-', host: '-' }))).toMatchObject({ path: '', status: 0, userAgent: '', api: '' });
    expect(ok(row({ response: '401' }))).toMatchObject({ status: 401, authFailure: false });
  });
});

describe('kibana-csv-logs: detection', () => {
  it('recognises every row of the real logstash export and of the web logs export', () => {
    const logstash = decoded(LOGSTASH).records;
    const web = decoded(WEB_LOGS).records;
    expect([logstash.length, web.length]).toEqual([20, 6]);
    for (const r of [...logstash, ...web]) {
      expect(csvLogs.detect(r)).toBe(true);
      expect(detectFormat([r], 'csv')?.meta.name).toBe('kibana-csv-logs');
    }
  });

  it.each([
    ['no time column', { clientip: '1.2.3.4', request: '/a' }],
    ['no clientip', { '@timestamp': 'Sep 20, 2015 @ 10:26:48.725', ip: '1.2.3.4', request: '/a', response: '200' }],
    ['an order_date export', { order_date: 'Jul 12, 2019 @ 00:00:00.000', customer_id: '19' }],
  ])('refuses %s', (_name, r) => {
    expect(csvLogs.detect(r)).toBe(false);
  });

  it("refuses every CSV row of the other formats' fixtures, and is never chosen for them", () => {
    const files = logFiles('fixtures').filter((f) => !OWN.includes(f));
    expect(files).toContain('fixtures/kibana/kibana-csv-ecs-gateway.csv');
    expect(files).toContain('fixtures/kibana/opensearch-dashboards-sample-web-logs-head25.ndjson');
    let seen = 0;
    for (const file of files) {
      const { container, records } = decoded(file);
      if (records.length > 0) expect(detectFormat(records.slice(0, 5), container)?.meta.name, file).not.toBe('kibana-csv-logs');
      if (container !== 'csv') continue; // the JSON sample web logs have the same names: the container tells them apart
      for (const r of records) {
        seen++;
        expect(csvLogs.detect(r), `${file}: ${JSON.stringify(r).slice(0, 80)}`).toBe(false);
      }
    }
    expect(seen).toBeGreaterThanOrEqual(6);
  });
});

describe('kibana-csv-logs: reading the fixtures', () => {
  async function read(file: string) {
    const requests: ApiRequest[] = [];
    const { counters } = await readRequests({ sources: expandInputs([file]) }, (r) => requests.push(r));
    return { stats: counters.files, requests };
  }

  it.each([
    [LOGSTASH, 20],
    [WEB_LOGS, 6],
  ])('%s: detected, %i records, none skipped', async (file, count) => {
    const { stats, requests } = await read(file);
    expect(stats.map((f) => [f.format, f.framing, f.records, f.parsed, f.skipped, f.error])).toEqual([['kibana-csv-logs', 'csv', count, count, 0, '']]);
    expect(requests).toHaveLength(count);
  });

  it('reads the real logstash export as published, in UTC and in another zone', async () => {
    const utc = (await read(LOGSTASH)).requests;
    expect(utc.map((r) => r.line)).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
    expect([utc[0], utc[19]].map((r) => [new Date(r!.time).toISOString(), r!.ip])).toEqual([
      ['2015-09-20T10:26:48.725Z', '74.214.76.90'],
      ['2015-09-20T10:25:06.674Z', '55.100.60.111'],
    ]);
    logTimezone('Europe/Amsterdam');
    const cest = (await read(LOGSTASH)).requests;
    expect(new Date(cest[0]!.time).toISOString()).toBe('2015-09-20T08:26:48.725Z');
  });

  it('reads the web logs export: BOM, a `Label (clientip)` header, thousands separators, multi-value tags', async () => {
    const { requests } = await read(WEB_LOGS);
    expect(requests.map((r) => [r.line, new Date(r.time).toISOString(), r.ip, r.method, r.path, r.status, r.api])).toEqual([
      [2, '2018-07-22T00:39:02.912Z', '223.87.60.27', '', '/opensearch/opensearch-1.0.0.deb', 200, 'artifacts.opensearch.org'],
      [3, '2018-07-22T03:26:21.326Z', '130.246.123.197', '', '/beats/metricbeat', 200, 'www.opensearch.org'],
      [4, '2018-07-22T03:30:25.131Z', '120.49.143.213', '', '/styles/main.css', 503, 'cdn.opensearch-opensearch-opensearch.org'],
      [5, '2018-07-22T03:34:43.399Z', '99.74.118.237', '', '/beats/metricbeat/metricbeat-6.3.2-amd64.deb', 200, 'artifacts.opensearch.org'],
      [6, '2018-07-22T03:37:04.863Z', '177.111.217.54', '', '/enterprise', 200, 'www.opensearch.org'],
      [7, '2018-07-22T03:49:40.669Z', '106.225.58.146', '', '/apm', 503, 'www.opensearch.org'],
    ]);
  });

  it('gives the same requests as the JSON documents the web logs export was made from', async () => {
    const csv = (await read(WEB_LOGS)).requests;
    const json = (await read('fixtures/kibana/opensearch-dashboards-sample-web-logs-head25.ndjson')).requests.slice(0, 6);
    const strip = ({ file: _f, line: _l, ...rest }: ApiRequest) => rest;
    expect(csv.map(strip)).toEqual(json.map(strip));
  });
});

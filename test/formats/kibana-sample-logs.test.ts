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

const logs = formatByName('kibana-sample-logs')!;
const SAMPLE = 'fixtures/kibana/opensearch-dashboards-sample-web-logs-head25.ndjson';

/** The first record of the OpenSearch Dashboards copy of the sample web logs, as published. */
const first = JSON.parse(readFileSync(SAMPLE, 'utf8').split('\n')[0]!) as Record<string, unknown>;
const record = (over: Record<string, unknown> = {}): Record<string, unknown> => ({ ...first, ...over });

const normalise = (r: Record<string, unknown>, line = 3): ApiRequest | Skip => logs.normalise(r, 'logs.ndjson', line);
const ok = (r: Record<string, unknown>): ApiRequest => requestOf(normalise(r));

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

describe('kibana-sample-logs: mapping to the canonical request', () => {
  it('maps every field of a published record', () => {
    expect(normalise(first, 1)).toEqual({
      time: Date.parse('2018-07-22T00:39:02.912Z'),
      identity: { key: '', hash: '', id: '', alias: '' },
      ip: '223.87.60.27',
      // the method is only inside `message` ("GET /opensearch/… HTTP/1.1"): a mapping cannot take it out
      method: '',
      path: '/opensearch/opensearch-1.0.0.deb',
      status: 200,
      latencyMs: 0,
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:6.0a1) Gecko/20110421 Firefox/6.0a1',
      requestId: '',
      api: 'artifacts.opensearch.org',
      tenant: '',
      authFailure: false,
      file: 'logs.ndjson',
      line: 1,
    });
  });

  it('reads the time from @timestamp (current Kibana), else timestamp, else utc_time', () => {
    expect(ok(record({ '@timestamp': '2026-09-20T10:26:48.725Z' })).time).toBe(Date.UTC(2026, 8, 20, 10, 26, 48, 725));
    expect(ok(record({ timestamp: undefined })).time).toBe(Date.UTC(2018, 6, 22, 0, 39, 2, 912));
    expect(ok(record({ timestamp: undefined, utc_time: '2018-07-23T01:02:03.004Z' })).time).toBe(Date.UTC(2018, 6, 23, 1, 2, 3, 4));
  });

  it.each([
    [{ timestamp: undefined, utc_time: undefined }, 'missing-timestamp'],
    [{ timestamp: 'Sunday', utc_time: undefined }, 'bad-timestamp'],
    [{ clientip: '223.87.60' }, 'bad-ip'],
  ])('%j is skipped as %s', (over, reason) => {
    const out = normalise(record(over));
    expect(out).toBeInstanceOf(Skip);
    expect((out as Skip).reason).toBe(reason);
  });

  it('takes the client from clientip, not ip; the path from request, not url or message', () => {
    const r = ok(record({ ip: '10.0.0.1', url: 'https://artifacts.opensearch.org/downloads/x_1', request: '/opensearch//opensearch-1.0.0.deb?x=1' }));
    expect([r.ip, r.path]).toEqual(['223.87.60.27', '/opensearch/opensearch-1.0.0.deb']);
  });

  it('reads response as a number or a string (text+keyword in the mapping)', () => {
    expect(ok(record({ response: '503' })).status).toBe(503);
    expect(ok(record({ response: 404 })).status).toBe(404);
  });

  it('has no sign of an auth failure and no identity: a 401 is not read as one', () => {
    expect(ok(record({ response: 401 }))).toMatchObject({ status: 401, authFailure: false, identity: { key: '', hash: '', id: '', alias: '' } });
  });

  it('unwraps _source (elasticdump lines, saved search hits)', () => {
    const hit = { _index: 'kibana_sample_data_logs', _id: 'x1', _score: 1, _source: first };
    expect(logs.detect(hit)).toBe(true);
    expect(normalise(hit, 1)).toEqual(normalise(first, 1));
  });
});

describe('kibana-sample-logs: detection', () => {
  it('recognises every published record', () => {
    const { records } = decoded(SAMPLE);
    expect(records).toHaveLength(25);
    for (const r of records) {
      expect(logs.detect(r)).toBe(true);
      expect(detectFormat([r], 'json')?.meta.name).toBe('kibana-sample-logs');
    }
  });

  it.each([
    ['no time', { clientip: '1.2.3.4', request: '/a', response: 200, agent: 'x' }],
    ['no clientip', { timestamp: 'x', ip: '1.2.3.4', request: '/a', response: 200, agent: 'x' }],
    ['no agent', { timestamp: 'x', clientip: '1.2.3.4', request: '/a', response: 200 }],
    ['a Kong record (request and response objects, client_ip)', { started_at: 1, client_ip: '1.2.3.4', request: { method: 'GET' }, response: { status: 200 } }],
  ])('refuses %s', (_name, r) => {
    expect(logs.detect(r)).toBe(false);
  });

  it("refuses every JSON record of the other formats' fixtures, and is never chosen for them", () => {
    const files = logFiles('fixtures').filter((f) => f !== SAMPLE);
    expect(files).toContain('fixtures/ecs/ecs-gateway-nested.ndjson');
    expect(files).toContain('fixtures/kibana/kibana-csv-sample-web-logs.csv');
    let seen = 0;
    for (const file of files) {
      const { container, records } = decoded(file);
      if (records.length > 0) expect(detectFormat(records.slice(0, 5), container)?.meta.name, file).not.toBe('kibana-sample-logs');
      if (container !== 'json') continue; // a Kibana CSV export of these documents has the same names: the container tells them apart
      for (const r of records) {
        seen++;
        expect(logs.detect(r), `${file}: ${JSON.stringify(r).slice(0, 80)}`).toBe(false);
      }
    }
    expect(seen).toBeGreaterThan(1138);
  });
});

describe('kibana-sample-logs: reading the fixture', () => {
  it('reads all 25 published records: detected, none skipped', async () => {
    const requests: ApiRequest[] = [];
    const { counters } = await readRequests({ sources: expandInputs([SAMPLE]) }, (r) => requests.push(r));
    expect(counters.files.map((f) => [f.format, f.framing, f.records, f.parsed, f.skipped, f.error])).toEqual([['kibana-sample-logs', 'ndjson', 25, 25, 0, '']]);
    expect(requests.map((r) => r.line)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(requests.filter((r) => r.method === '')).toHaveLength(25);
    expect(requests.map((r) => r.status).sort()).toEqual([...Array<number>(21).fill(200), 404, 404, 503, 503].sort());
    expect(requests[24]).toMatchObject({ time: Date.parse('2018-07-22T20:45:16.163Z'), ip: '163.139.91.194', path: '/styles/ads.css', api: 'cdn.opensearch-opensearch-opensearch.org' });
  });
});

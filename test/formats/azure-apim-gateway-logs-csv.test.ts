import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { csvReader } from '../../src/decode/containers.js';
import { formatByName } from '../../src/formats/index.js';
import type { ApiRequest } from '../../src/model/request.js';
import { Skip } from '../../src/model/skip.js';
import { readRequests } from '../../src/pipeline/requests.js';
import { LOG_NAME, expandInputs } from '../../src/read/sources.js';

const format = formatByName('azure-apim-gateway-logs-csv')!;
const DIR = 'fixtures/azure/';
type Rec = Record<string, unknown>;

/** The rows of a CSV fixture as the framework decodes them (header cleaned). */
function csvRows(file: string): Rec[] {
  const out: Rec[] = [];
  const reader = csvReader({ record: (r) => out.push(r), skip: () => {} });
  readFileSync(DIR + file, 'utf8')
    .split('\r\n')
    .forEach((l, i) => l !== '' && reader.line(l, i + 1));
  reader.end();
  return out;
}
const rows = csvRows('apim-gateway-logs-export.csv');
/** Request 5 of fixtures/azure/README.md: alice's subscription, 200. */
const alice = rows[4]!;

const ok = (over: Rec = {}, line = 6): ApiRequest => {
  const out = format.normalise({ ...alice, ...over }, 'la.csv', line);
  if (out instanceof Skip) throw new Error(`skipped: ${out.reason} ${out.detail}`);
  return out;
};

async function read(paths: string[]) {
  const requests: ApiRequest[] = [];
  const { counters } = await readRequests({ sources: expandInputs(paths) }, (r) => requests.push(r));
  return { files: counters.files, requests, examples: counters.examples };
}

describe('azure-apim-gateway-logs-csv: mapping', () => {
  it('the header is cleaned: `TimeGenerated [UTC]` is TimeGenerated; cells are text', () => {
    expect(alice.TimeGenerated).toBe('2026-11-20T10:02:14.296Z');
    expect(alice.ResponseCode).toBe('200');
    expect(alice.RequestHeaders).toBe('{"User-Agent":"curl/8.5.0"}');
  });

  it('maps every canonical field of an exported row', () => {
    expect(ok()).toEqual({
      time: Date.parse('2026-11-20T10:02:14.296Z'),
      identity: { key: '', hash: '', id: 'ak5alice01', alias: '' },
      ip: '10.20.0.15',
      method: 'GET',
      path: '/elastic/_cat/indices',
      status: 200,
      latencyMs: 143,
      // RequestHeaders is JSON text in a CSV cell: the engine cannot look inside it
      userAgent: '',
      requestId: '3b8c1f0e-5d2a-4c7e-9f14-2a6d8e0b7c31',
      api: 'elastic',
      tenant: '/subscriptions/8f6a2c1e-4b7d-4e3a-9c5f-1d2e3f4a5b6c/resourcegroups/rg-secops/providers/microsoft.apimanagement/service/corp-apim',
      authFailure: false,
      file: 'la.csv',
      line: 6,
    });
  });

  it('empty cells are missing values', () => {
    expect(ok({ ApimSubscriptionId: '', TotalTime: '' })).toMatchObject({ identity: { id: '' }, latencyMs: 0 });
    expect(ok({ _ResourceId: '' }).tenant).toBe('b7e1c9a4-2f3d-4c8e-a5b6-0d1e2f3a4b5c');
  });
});

describe('azure-apim-gateway-logs-csv: timestamps', () => {
  it('reads ISO 8601 TimeGenerated', () => {
    expect(ok({ TimeGenerated: '2026-11-20T10:02:14.2960000Z' }).time).toBe(Date.parse('2026-11-20T10:02:14.296Z'));
  });

  it.each([
    ['11/20/2026, 10:02:14.296 AM', '2026-11-20T10:02:14.296Z'], // en-US portal display form, in --log-timezone (UTC)
    ['11/20/2026, 12:02:14.296 AM', '2026-11-20T00:02:14.296Z'],
    ['11/20/2026, 12:02:14 PM', '2026-11-20T12:02:14.000Z'],
  ])('reads the en-US portal display form %s', (TimeGenerated, iso) => {
    expect(ok({ TimeGenerated }).time).toBe(Date.parse(iso));
  });

  it.each([
    ['2026/11/20 10:02:14.296'], // ja-JP portal display form
    ['20.11.2026, 10:02:14.296'], // de-DE
    ['13/20/2026, 10:02:14.296 AM'], // no 13th month
  ])('the portal display form %s is a bad-timestamp skip (no layout for it in the engine)', (TimeGenerated) => {
    const out = format.normalise({ ...alice, TimeGenerated }, 'la.csv', 2);
    expect(out).toEqual(new Skip('bad-timestamp', TimeGenerated));
  });
});

describe('azure-apim-gateway-logs-csv: authentication failures and keys', () => {
  it('LastErrorReason and 401 mark authentication failures', () => {
    expect(rows.map((r) => (format.normalise(r, 'x', 1) as ApiRequest).authFailure)).toEqual([true, true, true, true, false, false, false]);
    expect(ok({ ResponseCode: '403', LastErrorReason: 'TokenExpired' }).authFailure).toBe(true);
    expect(ok({ ResponseCode: '403', LastErrorReason: 'QuotaExceeded' }).authFailure).toBe(false);
  });

  it('a subscription key in the Url is exposed; header JSON text is not searched', () => {
    expect(format.exposures!(rows[5]!)).toEqual([{ where: 'query subscription-key', value: '7c1e4b2a9d8f4e6b8a0c2d4f6e8a0b1c' }]);
    expect(format.exposures!(rows[1]!)).toEqual([{ where: 'query subscription-key', value: '0123456789abcdef0123456789abcdef' }]);
    expect(format.exposures!({ ...alice, RequestHeaders: '{"Ocp-Apim-Subscription-Key":"abc"}' })).toEqual([]);
    expect(format.exposures!(alice)).toEqual([]);
  });
});

describe('azure-apim-gateway-logs-csv: detection', () => {
  it('recognises its rows, also the portal-dated ones', () => {
    for (const r of rows) expect(format.detect(r)).toBe(true);
    for (const r of csvRows('apim-gateway-logs-portal-en-us.csv')) expect(format.detect(r)).toBe(true);
  });

  it('refuses CSV rows of other tables and formats', () => {
    expect(format.detect({ TimeGenerated: '2026-11-20T10:00:00Z', Computer: 'srv01', AggregatedValue: '72' })).toBe(false);
    expect(format.detect({ '@timestamp': 'Sep 20, 2015 @ 10:26:48.725', clientip: '1.2.3.4', extension: 'css' })).toBe(false);
    expect(format.detect({ Method: 'GET', Host: 'h', Path: '/', RawPath: '/', ResponseCode: '200', APIKey: 'k', TimeStamp: 't' })).toBe(false);
    expect(format.detect({ TimeGenerated: 'x', method_s: 'GET', url_s: 'https://a/b', responseCode_d: '200' })).toBe(false);
  });
});

describe('azure-apim-gateway-logs-csv: reading files', () => {
  it('reads the ISO-dated export with no skips: the same requests as the JSON rows, minus the user agent', async () => {
    const csv = await read([DIR + 'apim-gateway-logs-export.csv']);
    const json = await read([DIR + 'apim-gateway-logs-query.json']);
    expect(csv.files.map((f) => [f.format, f.framing, f.records, f.parsed, f.skipped, f.error])).toEqual([['azure-apim-gateway-logs-csv', 'csv', 7, 7, 0, '']]);
    expect(csv.requests.map((r) => r.line)).toEqual([2, 3, 4, 5, 6, 7, 8]);
    const strip = (r: ApiRequest) => ({ ...r, userAgent: '', file: '', line: 0 });
    expect(csv.requests.map(strip)).toEqual(json.requests.map(strip));
  });

  it('the portal export with en-US display dates is read', async () => {
    const { files, requests } = await read([DIR + 'apim-gateway-logs-portal-en-us.csv']);
    expect(files[0]).toMatchObject({ format: 'azure-apim-gateway-logs-csv', framing: 'csv', records: 3, parsed: 3, skipped: 0, error: '' });
    expect(requests.map((r) => new Date(r.time).toISOString())).toEqual(['2026-11-20T02:10:07.318Z', '2026-11-20T10:02:14.296Z', '2026-11-20T11:03:58.072Z']);
  });

  it('no file in another fixture folder is taken for this format', async () => {
    const others = readdirSync('fixtures')
      .filter((d) => d !== 'azure' && readdirSync(`fixtures/${d}`).some((f) => LOG_NAME.test(f)))
      .map((d) => `fixtures/${d}`);
    const { files } = await read(others);
    expect(files.filter((f) => f.format === 'azure-apim-gateway-logs-csv')).toEqual([]);
  });
});

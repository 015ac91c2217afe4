import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatByName } from '../../src/formats/index.js';
import type { ApiRequest } from '../../src/model/request.js';
import { Skip } from '../../src/model/skip.js';
import { readRequests } from '../../src/pipeline/requests.js';
import { LOG_NAME, expandInputs } from '../../src/read/sources.js';

const format = formatByName('azure-diagnostics')!;
const DIR = 'fixtures/azure/';
type Rec = Record<string, unknown>;

const rows = JSON.parse(readFileSync(DIR + 'apim-azurediagnostics-query.json', 'utf8')) as Rec[];
/** Request 5 of fixtures/azure/README.md: alice's subscription, 200. */
const alice = rows[4]!;

const ok = (over: Rec = {}, line = 4): ApiRequest => {
  const out = format.normalise({ ...alice, ...over }, 'diag.json', line);
  if (out instanceof Skip) throw new Error(`skipped: ${out.reason} ${out.detail}`);
  return out;
};

async function read(paths: string[]) {
  const requests: ApiRequest[] = [];
  const { counters } = await readRequests({ sources: expandInputs(paths) }, (r) => requests.push(r));
  return { files: counters.files, requests, examples: counters.examples };
}

describe('azure-diagnostics: mapping', () => {
  it('maps every canonical field of an AzureDiagnostics GatewayLogs row', () => {
    expect(ok()).toEqual({
      time: Date.parse('2026-11-20T10:02:14.296Z'),
      identity: { key: '', hash: '', id: 'ak5alice01', alias: '' },
      ip: '10.20.0.15',
      method: 'GET',
      path: '/elastic/_cat/indices',
      status: 200,
      latencyMs: 143,
      userAgent: '',
      requestId: '3b8c1f0e-5d2a-4c7e-9f14-2a6d8e0b7c31',
      api: 'elastic',
      tenant: '/SUBSCRIPTIONS/8F6A2C1E-4B7D-4E3A-9C5F-1D2E3F4A5B6C/RESOURCEGROUPS/RG-SECOPS/PROVIDERS/MICROSOFT.APIMANAGEMENT/SERVICE/CORP-APIM',
      authFailure: false,
      file: 'diag.json',
      line: 4,
    });
  });

  it('reads typed-suffix values: doubles with a fraction, strings for numbers', () => {
    expect(ok({ responseCode_d: 401.0, totalTime_d: 143.7 })).toMatchObject({ status: 401, latencyMs: 143 });
    expect(ok({ responseCode_d: '404', totalTime_d: '12' })).toMatchObject({ status: 404, latencyMs: 12 });
  });

  it('latency falls back to DurationMs; tenant to _ResourceId; api to operationId_s', () => {
    expect(ok({ totalTime_d: undefined, DurationMs: 150 }).latencyMs).toBe(150);
    expect(ok({ ResourceId: undefined }).tenant).toBe('/subscriptions/8f6a2c1e-4b7d-4e3a-9c5f-1d2e3f4a5b6c/resourcegroups/rg-secops/providers/microsoft.apimanagement/service/corp-apim');
    expect(ok({ apiId_s: '' }).api).toBe('cat-indices');
  });

  it('does not read userId_s as an identity; reads CallerIPAddress (capital IP) only', () => {
    expect(ok({ apimSubscriptionId_s: undefined }).identity).toEqual({ key: '', hash: '', id: '', alias: '' });
    expect(ok({ CallerIPAddress: undefined, CallerIpAddress: '10.9.9.9' }).ip).toBe('');
  });
});

describe('azure-diagnostics: timestamps and skips', () => {
  it('TimeGenerated with 7 fraction digits is cut to the millisecond', () => {
    expect(ok({ TimeGenerated: '2026-11-20T10:02:14.2969999Z' }).time).toBe(Date.parse('2026-11-20T10:02:14.296Z'));
  });
  it.each([
    [{ TimeGenerated: '2026-11-20T17:xx:xx.xx' }, 'bad-timestamp'],
    [{ TimeGenerated: undefined }, 'missing-timestamp'],
    [{ CallerIPAddress: '10.20.0.256' }, 'bad-ip'],
  ])('%j is skipped as %s', (over, reason) => {
    const out = format.normalise({ ...alice, ...over }, 'diag.json', 1);
    expect(out).toBeInstanceOf(Skip);
    expect((out as Skip).reason).toBe(reason);
  });
});

describe('azure-diagnostics: authentication failures and keys', () => {
  it.each([
    [401, undefined, true],
    [401, 'SubscriptionKeyNotFound', true],
    [403, 'TokenClaimValueNotAllowed', true],
    [403, 'TokenNotPresent', true],
    [403, undefined, false],
    [429, 'RateLimitExceeded', false],
    [200, undefined, false],
  ])('responseCode_d %i with lastError_reason_s %s: %s', (responseCode_d, lastError_reason_s, expected) => {
    expect(ok({ responseCode_d, lastError_reason_s }).authFailure).toBe(expected);
  });

  it('the fixture rows: requests 1-4 are failures', () => {
    expect(rows.map((r) => (format.normalise(r, 'x', 1) as ApiRequest).authFailure)).toEqual([true, true, true, true, false, false, false]);
  });

  it('a subscription key in url_s is exposed', () => {
    expect(format.exposures!(rows[5]!)).toEqual([{ where: 'query subscription-key', value: '7c1e4b2a9d8f4e6b8a0c2d4f6e8a0b1c' }]);
    expect(format.exposures!({ ...alice, url_s: 'https://corp-apim.azure-api.net/x?api-key=abc' })).toEqual([{ where: 'query api-key', value: 'abc' }]);
    expect(format.exposures!(alice)).toEqual([]);
  });
});

describe('azure-diagnostics: detection', () => {
  it('recognises its rows', () => {
    for (const r of rows) expect(format.detect(r)).toBe(true);
    expect(format.detect({ TimeGenerated: 'x', method_s: 'GET', url_s: 'https://a/b', responseCode_d: 200 })).toBe(true);
  });

  it('refuses other AzureDiagnostics resources and other shapes', () => {
    // Application Gateway access log rows in AzureDiagnostics
    expect(format.detect({ TimeGenerated: 'x', httpMethod_s: 'GET', requestUri_s: '/', httpStatus_d: 200, clientIP_s: '1.2.3.4', Category: 'ApplicationGatewayAccessLog' })).toBe(false);
    expect(format.detect({ TimeGenerated: 'x', method_s: 'GET', url_s: 'https://a/b' })).toBe(false);
    const table = JSON.parse(readFileSync(DIR + 'apim-gateway-logs-query.json', 'utf8')) as Rec[];
    const resource = JSON.parse(readFileSync(DIR + 'apim-gatewaylogs-resource-log.ndjson', 'utf8').split('\n')[0]!) as Rec;
    expect(format.detect(table[0]!)).toBe(false);
    expect(format.detect(resource)).toBe(false);
  });
});

describe('azure-diagnostics: reading files', () => {
  it('reads the JSON array with no skips; the same requests as the resource log', async () => {
    const diag = await read([DIR + 'apim-azurediagnostics-query.json']);
    const resource = await read([DIR + 'apim-gatewaylogs-resource-log.ndjson']);
    expect(diag.files.map((f) => [f.format, f.framing, f.records, f.parsed, f.skipped, f.error])).toEqual([['azure-diagnostics', 'json-document', 7, 7, 0, '']]);
    const strip = (r: ApiRequest) => ({ ...r, file: '', line: 0 });
    expect(diag.requests.map(strip)).toEqual(resource.requests.map(strip));
  });

  it('no file in another fixture folder is taken for this format', async () => {
    const others = readdirSync('fixtures')
      .filter((d) => d !== 'azure' && readdirSync(`fixtures/${d}`).some((f) => LOG_NAME.test(f)))
      .map((d) => `fixtures/${d}`);
    const { files } = await read(others);
    expect(files.filter((f) => f.format === 'azure-diagnostics')).toEqual([]);
  });
});

import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatByName } from '../../src/formats/index.js';
import type { ApiRequest } from '../../src/model/request.js';
import { Skip } from '../../src/model/skip.js';
import { readRequests } from '../../src/pipeline/requests.js';
import { LOG_NAME, expandInputs } from '../../src/read/sources.js';

const format = formatByName('azure-apim-gateway-logs')!;
const DIR = 'fixtures/azure/';
type Rec = Record<string, unknown>;

const rows = JSON.parse(readFileSync(DIR + 'apim-gateway-logs-query.json', 'utf8')) as Rec[];
/** Request 5 of fixtures/azure/README.md: alice's subscription, 200. */
const alice = rows[4]!;
const RESOURCE = '/subscriptions/8f6a2c1e-4b7d-4e3a-9c5f-1d2e3f4a5b6c/resourcegroups/rg-secops/providers/microsoft.apimanagement/service/corp-apim';

const ok = (over: Rec = {}, line = 9): ApiRequest => {
  const out = format.normalise({ ...alice, ...over }, 'la.json', line);
  if (out instanceof Skip) throw new Error(`skipped: ${out.reason} ${out.detail}`);
  return out;
};

async function read(paths: string[]) {
  const requests: ApiRequest[] = [];
  const { counters } = await readRequests({ sources: expandInputs(paths) }, (r) => requests.push(r));
  return { files: counters.files, requests, examples: counters.examples };
}

describe('azure-apim-gateway-logs: mapping', () => {
  it('maps every canonical field of an ApiManagementGatewayLogs row', () => {
    expect(ok()).toEqual({
      time: Date.parse('2026-11-20T10:02:14.296Z'),
      identity: { key: '', hash: '', id: 'ak5alice01', alias: '' },
      ip: '10.20.0.15',
      method: 'GET',
      path: '/elastic/_cat/indices',
      status: 200,
      latencyMs: 143,
      userAgent: 'curl/8.5.0',
      requestId: '3b8c1f0e-5d2a-4c7e-9f14-2a6d8e0b7c31',
      api: 'elastic',
      tenant: RESOURCE,
      authFailure: false,
      file: 'la.json',
      line: 9,
    });
  });

  it('reads values as query tools print them: numbers as strings, empty strings and nulls', () => {
    expect(ok({ ResponseCode: '429', TotalTime: '87' })).toMatchObject({ status: 429, latencyMs: 87 });
    expect(ok({ ApimSubscriptionId: '', TotalTime: null }).identity.id).toBe('');
    expect(ok({ TotalTime: null }).latencyMs).toBe(0);
  });

  it('does not read UserId (the subscription owner) as an identity', () => {
    expect(ok({ ApimSubscriptionId: '', UserId: 'alice' }).identity).toEqual({ key: '', hash: '', id: '', alias: '' });
  });

  it('user agent from the RequestHeaders object, either spelling; not from JSON text', () => {
    expect(ok({ RequestHeaders: { 'user-agent': 'vt-py/0.18.0' } }).userAgent).toBe('vt-py/0.18.0');
    expect(ok({ RequestHeaders: '{"User-Agent":"curl/8.5.0"}' }).userAgent).toBe('');
    expect(ok({ RequestHeaders: undefined }).userAgent).toBe('');
  });

  it('tenant: the APIM resource, else the workspace id', () => {
    expect(ok({ _ResourceId: undefined }).tenant).toBe('b7e1c9a4-2f3d-4c8e-a5b6-0d1e2f3a4b5c');
  });

  it('path from the full Url; api falls back to OperationId', () => {
    expect(ok({ Url: 'https://corp-apim.azure-api.net/elastic/%5Fsecurity/role?subscription-key=x' }).path).toBe('/elastic/_security/role');
    expect(ok({ ApiId: '' }).api).toBe('cat-indices');
  });
});

describe('azure-apim-gateway-logs: timestamps', () => {
  it.each([
    ['2026-11-20T10:02:14.2960000Z', '2026-11-20T10:02:14.296Z'],
    ['2026-11-20T10:02:14.296Z', '2026-11-20T10:02:14.296Z'],
    ['2026-11-20 10:02:14.296', '2026-11-20T10:02:14.296Z'], // KQL's own display form, zoneless UTC
  ])('%s is %s', (TimeGenerated, iso) => {
    expect(ok({ TimeGenerated }).time).toBe(Date.parse(iso));
  });

  it.each([
    [{ TimeGenerated: '20.11.2026, 10:02:14.296' }, 'bad-timestamp'],
    [{ TimeGenerated: '' }, 'missing-timestamp'],
    [{ TimeGenerated: null }, 'missing-timestamp'],
    [{ CallerIpAddress: 'corp-appgw' }, 'bad-ip'],
  ])('%j is skipped as %s', (over, reason) => {
    const out = format.normalise({ ...alice, ...over }, 'la.json', 1);
    expect(out).toBeInstanceOf(Skip);
    expect((out as Skip).reason).toBe(reason);
  });
});

describe('azure-apim-gateway-logs: authentication failures', () => {
  it.each([
    [401, '', true],
    [401, 'SubscriptionKeyNotFound', true],
    [401, 'SubscriptionKeyInvalid', true],
    [403, 'TokenClaimValueNotAllowed', true],
    [403, 'TokenIssuerNotAllowed', true],
    [403, 'TokenSignatureKeyNotFound', true],
    [403, 'TokenClaimNotFound', true],
    [403, '', false],
    [403, 'CallerIpBlocked', false],
    [429, 'RateLimitExceeded', false],
    [200, '', false],
  ])('ResponseCode %i with LastErrorReason %j: %s', (ResponseCode, LastErrorReason, expected) => {
    expect(ok({ ResponseCode, LastErrorReason }).authFailure).toBe(expected);
  });
});

describe('azure-apim-gateway-logs: keys in the clear', () => {
  const exposures = (over: Rec) => format.exposures!({ ...alice, ...over });
  it('reports subscription-key / api-key in the Url and logged key headers', () => {
    expect(exposures({})).toEqual([]);
    expect(format.exposures!(rows[1]!)).toEqual([{ where: 'query subscription-key', value: '0123456789abcdef0123456789abcdef' }]);
    expect(exposures({ Url: 'https://corp-apim.azure-api.net/openai/x?api-key=k3y' })).toEqual([{ where: 'query api-key', value: 'k3y' }]);
    expect(exposures({ RequestHeaders: { 'User-Agent': 'curl/8.5.0', 'Ocp-Apim-Subscription-Key': '7c1e4b2a9d8f4e6b8a0c2d4f6e8a0b1c' } })).toEqual([
      { where: 'RequestHeaders.Ocp-Apim-Subscription-Key', value: '7c1e4b2a9d8f4e6b8a0c2d4f6e8a0b1c' },
    ]);
    expect(exposures({ RequestHeaders: { 'ocp-apim-subscription-key': 'abc', 'api-key': 'def' } })).toEqual([
      { where: 'RequestHeaders.ocp-apim-subscription-key', value: 'abc' },
      { where: 'RequestHeaders.api-key', value: 'def' },
    ]);
  });
});

describe('azure-apim-gateway-logs: detection', () => {
  it('recognises its rows, with or without optional columns', () => {
    for (const r of rows) expect(format.detect(r)).toBe(true);
    expect(format.detect({ TimeGenerated: 'x', Method: 'GET', Url: 'https://a/b', ResponseCode: 200, ApimSubscriptionId: '' })).toBe(true);
  });

  it('refuses the other Azure shapes and other formats', () => {
    const resource = JSON.parse(readFileSync(DIR + 'apim-gatewaylogs-resource-log.ndjson', 'utf8').split('\n')[0]!) as Rec;
    const diagnostics = JSON.parse(readFileSync(DIR + 'apim-azurediagnostics-query.json', 'utf8')) as Rec[];
    expect(format.detect(resource)).toBe(false);
    expect(format.detect(diagnostics[0]!)).toBe(false);
    expect(format.detect({ TimeGenerated: 'x', Method: 'GET', Url: 'https://a/b', ResponseCode: 200 })).toBe(false);
    expect(format.detect({ TimeGenerated: 'x', CsMethod: 'GET', CsUriStem: '/', ScStatus: 200, CIp: '1.2.3.4' })).toBe(false);
    expect(format.detect({ remote_addr: '1.2.3.4', request_method: 'GET', request_uri: '/', status: '200' })).toBe(false);
  });
});

describe('azure-apim-gateway-logs: reading files', () => {
  it('reads the query output (a JSON array) and the data export (NDJSON) with no skips', async () => {
    const { files } = await read([DIR + 'apim-gateway-logs-query.json', DIR + 'apim-gateway-logs-data-export.ndjson']);
    expect(files.map((f) => [f.format, f.framing, f.records, f.parsed, f.skipped, f.error])).toEqual([
      ['azure-apim-gateway-logs', 'json-document', 7, 7, 0, ''],
      ['azure-apim-gateway-logs', 'ndjson', 3, 3, 0, ''],
    ]);
  });

  it('gives the same requests as the resource log of the same traffic', async () => {
    const table = await read([DIR + 'apim-gateway-logs-query.json']);
    const resource = await read([DIR + 'apim-gatewaylogs-resource-log.ndjson']);
    const core = (r: ApiRequest) => [r.time, r.ip, r.method, r.path, r.status, r.latencyMs, r.identity, r.requestId, r.api, r.authFailure, r.exposedIn, r.exposedKey];
    expect(table.requests.map(core)).toEqual(resource.requests.map(core));
    expect(table.requests.map((r) => r.userAgent)).toEqual(['python-requests/2.31.0', 'python-requests/2.31.0', 'rt-cli/1.4', 'rt-cli/1.4', 'curl/8.5.0', 'soar-worker/4.2', 'soar-worker/4.2']);
  });

  it('the array document gives each row the line its object starts on', async () => {
    const { requests } = await read([DIR + 'apim-gateway-logs-query.json']);
    const text = readFileSync(DIR + 'apim-gateway-logs-query.json', 'utf8').split('\n');
    const starts = text.flatMap((l, i) => (l === '  {' ? [i + 1] : []));
    expect(requests.map((r) => r.line)).toEqual(starts);
    expect(starts).toHaveLength(7);
  });

  it('the data export rows: requests 2, 5 and 7', async () => {
    const { requests } = await read([DIR + 'apim-gateway-logs-data-export.ndjson']);
    expect(requests.map((r) => [r.line, new Date(r.time).toISOString(), r.status, r.identity.id, r.authFailure, r.exposedIn ?? ''])).toEqual([
      [1, '2026-11-20T02:10:14.602Z', 401, '', true, 'query subscription-key'],
      [2, '2026-11-20T10:02:14.296Z', 200, 'ak5alice01', false, ''],
      [3, '2026-11-20T13:00:09.342Z', 429, 'ak3v9enrich', false, ''],
    ]);
  });

  it('no file in another fixture folder is taken for this format', async () => {
    const others = readdirSync('fixtures')
      .filter((d) => d !== 'azure' && readdirSync(`fixtures/${d}`).some((f) => LOG_NAME.test(f)))
      .map((d) => `fixtures/${d}`);
    const { files } = await read(others);
    expect(files.filter((f) => f.format === 'azure-apim-gateway-logs')).toEqual([]);
  });
});

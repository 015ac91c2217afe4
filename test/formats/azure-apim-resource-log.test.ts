import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatByName } from '../../src/formats/index.js';
import type { ApiRequest } from '../../src/model/request.js';
import { Skip } from '../../src/model/skip.js';
import { readRequests } from '../../src/pipeline/requests.js';
import { LOG_NAME, expandInputs } from '../../src/read/sources.js';

const format = formatByName('azure-apim-resource-log')!;
const DIR = 'fixtures/azure/';
type Rec = Record<string, unknown>;

const lines = (file: string): Rec[] =>
  readFileSync(DIR + file, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Rec);
const records = lines('apim-gatewaylogs-resource-log.ndjson');
/** Request 5 of fixtures/azure/README.md: alice's subscription, 200. */
const alice = records[4]!;

const withProps = (r: Rec, props: Rec, top: Rec = {}): Rec => ({ ...r, ...top, properties: { ...(r.properties as Rec), ...props } });
const ok = (r: Rec, line = 3): ApiRequest => {
  const out = format.normalise(r, 'apim.ndjson', line);
  if (out instanceof Skip) throw new Error(`skipped: ${out.reason} ${out.detail}`);
  return out;
};

async function read(paths: string[]): Promise<{ files: { file: string; format: string; framing: string; records: number; parsed: number; skipped: number; error: string }[]; requests: ApiRequest[]; examples: { file: string; line: number; reason: string; detail: string }[] }> {
  const requests: ApiRequest[] = [];
  const { counters } = await readRequests({ sources: expandInputs(paths) }, (r) => requests.push(r));
  return { files: counters.files, requests, examples: counters.examples };
}

describe('azure-apim-resource-log: mapping', () => {
  it('maps every canonical field of a GatewayLogs record', () => {
    expect(ok(alice)).toEqual({
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
      file: 'apim.ndjson',
      line: 3,
    });
  });

  it('does not read userId (the subscription owner) as an identity', () => {
    const r = withProps(alice, { apimSubscriptionId: undefined, userId: 'alice' });
    expect(ok(r).identity).toEqual({ key: '', hash: '', id: '', alias: '' });
  });

  it('takes the path from the full URL, normalised, without host or query', () => {
    expect(ok(withProps(alice, { url: 'https://corp-apim.azure-api.net/elastic/logs-endpoint-default/../_security/api_key?pretty=true' })).path).toBe('/elastic/_security/api_key');
    expect(ok(withProps(alice, { url: 'https://corp-apim.azure-api.net/elastic/%5Fsecurity/role' })).path).toBe('/elastic/_security/role');
    expect(ok(withProps(alice, { url: 'http://corp-apim.azure-api.net:8080' })).path).toBe('/');
  });

  it('falls back to operationId when apiId is empty', () => {
    expect(ok(withProps(alice, { apiId: '' })).api).toBe('cat-indices');
  });

  it('reads callerIpAddress in every written form', () => {
    expect(ok({ ...alice, callerIpAddress: '2001:DB8:42::1A' }).ip).toBe('2001:db8:42::1a');
    expect(ok({ ...alice, callerIpAddress: '::ffff:10.20.0.15' }).ip).toBe('10.20.0.15');
  });

  it('takes numbers written as strings', () => {
    const r = withProps(alice, { responseCode: '401' }, { durationMs: '87' });
    expect(ok(r)).toMatchObject({ status: 401, latencyMs: 87 });
  });
});

describe('azure-apim-resource-log: timestamps', () => {
  it.each([
    ['2026-11-20T10:02:14.2960000Z', '2026-11-20T10:02:14.296Z'],
    ['2026-11-20T10:02:14.2969999Z', '2026-11-20T10:02:14.296Z'], // 100 ns ticks are cut, not rounded
    ['2026-11-20T10:02:14Z', '2026-11-20T10:02:14.000Z'],
    ['2026-11-20T11:02:14.296+01:00', '2026-11-20T10:02:14.296Z'],
  ])('%s is %s', (time, iso) => {
    expect(ok({ ...alice, time }).time).toBe(Date.parse(iso));
  });

  it.each([
    [{ time: '2020-10-14T17:xx:xx.xx' }, 'bad-timestamp', '2020-10-14T17:xx:xx.xx'],
    [{ time: '2026-02-30T10:00:00Z' }, 'bad-timestamp', '2026-02-30T10:00:00Z'],
    [{ time: '' }, 'missing-timestamp', ''],
    [{ time: undefined }, 'missing-timestamp', ''],
    [{ callerIpAddress: 'xx.xx.xxx.xx' }, 'bad-ip', 'xx.xx.xxx.xx'],
  ])('%j is skipped as %s', (over, reason, detail) => {
    const out = format.normalise({ ...alice, ...over }, 'apim.ndjson', 1);
    expect(out).toBeInstanceOf(Skip);
    expect(out).toMatchObject({ reason, detail });
  });
});

describe('azure-apim-resource-log: authentication failures', () => {
  const failure = (status: number, reason?: string): boolean =>
    ok(withProps(alice, { responseCode: status, lastError: reason === undefined ? undefined : { source: 'x', reason } })).authFailure;

  it.each([
    [401, undefined, true],
    [401, 'SubscriptionKeyNotFound', true],
    [401, 'SubscriptionKeyInvalid', true],
    [401, 'TokenNotPresent', true],
    [401, 'TokenSignatureInvalid', true],
    [401, 'JwtInvalid', true],
    [403, 'TokenClaimValueNotAllowed', true], // validate-jwt with failed-validation-httpcode 403
    [403, 'TokenExpired', true],
    [403, 'TokenAudienceNotAllowed', true],
    [403, undefined, false],
    [403, 'CallerIpNotAllowed', false], // ip-filter: network, not authentication
    [429, 'RateLimitExceeded', false],
    [403, 'QuotaExceeded', false],
    [404, 'OperationNotFound', false],
    [200, undefined, false],
  ])('status %i with lastError.reason %s: %s', (status, reason, expected) => {
    expect(failure(status, reason)).toBe(expected);
  });

  it('reads the fixture failures: requests 1-4 are, 5-7 are not', () => {
    expect(records.map((r) => ok(r).authFailure)).toEqual([true, true, true, true, false, false, false]);
  });
});

describe('azure-apim-resource-log: keys in the clear', () => {
  const exposures = (r: Rec) => format.exposures!(r);

  it('reports subscription-key and api-key query parameters, and nothing else', () => {
    expect(exposures(records[5]!)).toEqual([{ where: 'query subscription-key', value: '7c1e4b2a9d8f4e6b8a0c2d4f6e8a0b1c' }]);
    expect(exposures(records[1]!)).toEqual([{ where: 'query subscription-key', value: '0123456789abcdef0123456789abcdef' }]);
    expect(exposures(withProps(alice, { url: 'https://corp-apim.azure-api.net/openai/deployments/gpt/chat?api-version=2024-02-01&api-key=c0ffee%2Bkey' }))).toEqual([
      { where: 'query api-key', value: 'c0ffee+key' },
    ]);
    expect(exposures(withProps(alice, { url: 'https://corp-apim.azure-api.net/x?Subscription-Key=abc123' }))).toEqual([{ where: 'query subscription-key', value: 'abc123' }]);
    expect(exposures(alice)).toEqual([]);
    expect(exposures(withProps(alice, { url: 'https://corp-apim.azure-api.net/x?subscription-key=' }))).toEqual([]);
    expect(exposures(withProps(alice, { url: 'https://corp-apim.azure-api.net/x?key=abc123&subscription=abc' }))).toEqual([]);
  });
});

describe('azure-apim-resource-log: detection', () => {
  it('recognises its records, the Microsoft sample and the archive records', () => {
    for (const r of records) expect(format.detect(r)).toBe(true);
    expect(format.detect(JSON.parse(readFileSync(DIR + 'azure-docs-gatewaylogs-resource-log-sample.json', 'utf8')) as Rec)).toBe(true);
  });

  it('refuses other categories and other formats', () => {
    expect(format.detect({ ...alice, category: 'WebSocketConnectionLogs' })).toBe(false);
    expect(format.detect(withProps(alice, { url: undefined }))).toBe(false);
    const table = JSON.parse(readFileSync(DIR + 'apim-gateway-logs-query.json', 'utf8')) as Rec[];
    const diagnostics = JSON.parse(readFileSync(DIR + 'apim-azurediagnostics-query.json', 'utf8')) as Rec[];
    expect(format.detect(table[0]!)).toBe(false);
    expect(format.detect(diagnostics[0]!)).toBe(false);
    expect(format.detect({ started_at: 1, client_ip: '1.2.3.4', request: { method: 'GET', uri: '/' }, response: { status: 200 } })).toBe(false);
    expect(format.detect({ start_time: '2022-09-08T12:51:05.656Z', method: 'GET', path: '/', response_code: 200, response_flags: '-' })).toBe(false);
    expect(format.detect({ api_key: 'x', response_code: 200, ip_address: '1.2.3.4', timestamp: '2026-01-01T00:00:00Z' })).toBe(false);
  });
});

describe('azure-apim-resource-log: reading files', () => {
  it('reads every file in fixtures/azure with the format it is, skipping only the redacted sample', async () => {
    const { files } = await read([DIR]);
    expect(files.map((f) => [f.file.slice(DIR.length), f.format, f.framing, f.records, f.parsed, f.skipped])).toEqual([
      ['apim-azurediagnostics-query.json', 'azure-diagnostics', 'json-document', 7, 7, 0],
      ['apim-gateway-logs-data-export.ndjson', 'azure-apim-gateway-logs', 'ndjson', 3, 3, 0],
      ['apim-gateway-logs-export.csv', 'azure-apim-gateway-logs-csv', 'csv', 7, 7, 0],
      ['apim-gateway-logs-portal-en-us.csv', 'azure-apim-gateway-logs-csv', 'csv', 3, 3, 0],
      ['apim-gateway-logs-query.json', 'azure-apim-gateway-logs', 'json-document', 7, 7, 0],
      ['apim-gatewaylogs-records-archive.json', 'azure-apim-resource-log', 'json-document', 3, 3, 0],
      ['apim-gatewaylogs-resource-log.ndjson', 'azure-apim-resource-log', 'ndjson', 7, 7, 0],
      ['azure-docs-gatewaylogs-resource-log-sample.json', 'azure-apim-resource-log', 'json-document', 1, 0, 1],
    ]);
  });

  it('the redacted Microsoft sample: detected, then one bad-timestamp skip with the value, not a request', async () => {
    const { files, requests, examples } = await read([DIR + 'azure-docs-gatewaylogs-resource-log-sample.json']);
    expect(requests).toEqual([]);
    expect(files[0]).toMatchObject({ format: 'azure-apim-resource-log', records: 1, parsed: 0, skipped: 1 });
    expect(files[0]!.error).not.toBe('');
    expect(examples).toEqual([{ file: DIR + 'azure-docs-gatewaylogs-resource-log-sample.json', line: 1, reason: 'bad-timestamp', detail: '2020-10-14T17:xx:xx.xx' }]);
  });

  it('reads the one-object-per-line archive in order, with lines, failures and exposures', async () => {
    const { requests } = await read([DIR + 'apim-gatewaylogs-resource-log.ndjson']);
    expect(requests.map((r) => [r.line, new Date(r.time).toISOString(), r.ip, r.method, r.path, r.status, r.identity.id, r.authFailure, r.exposedIn ?? ''])).toEqual([
      [1, '2026-11-20T02:10:07.318Z', '203.0.113.50', 'GET', '/elastic/_cluster/health', 401, '', true, ''],
      [2, '2026-11-20T02:10:14.602Z', '203.0.113.50', 'GET', '/virustotal/api/v3/users/me', 401, '', true, 'query subscription-key'],
      [3, '2026-11-20T08:12:30.500Z', '2001:db8:42::1a', 'POST', '/rt/REST/2.0/ticket', 401, '', true, ''],
      [4, '2026-11-20T08:13:02.114Z', '2001:db8:42::1a', 'DELETE', '/rt/REST/2.0/ticket/4211', 403, '', true, ''],
      [5, '2026-11-20T10:02:14.296Z', '10.20.0.15', 'GET', '/elastic/_cat/indices', 200, 'ak5alice01', false, ''],
      [6, '2026-11-20T11:03:58.072Z', '10.10.5.4', 'GET', '/virustotal/api/v3/files/44d88612fea8a8f36de82e1278abb02f', 200, 'ak3v9enrich', false, 'query subscription-key'],
      [7, '2026-11-20T13:00:09.342Z', '10.10.5.4', 'GET', '/virustotal/api/v3/ip_addresses/192.0.2.24', 429, 'ak3v9enrich', false, ''],
    ]);
  });

  it('unwraps the records[] archive: the same requests as the line-per-record archive', async () => {
    const archive = await read([DIR + 'apim-gatewaylogs-records-archive.json']);
    const plain = await read([DIR + 'apim-gatewaylogs-resource-log.ndjson']);
    const strip = (r: ApiRequest) => ({ ...r, file: '', line: 0 });
    expect(archive.requests.map(strip)).toEqual([plain.requests[4]!, plain.requests[0]!, plain.requests[5]!].map(strip));
    expect(archive.requests.map((r) => r.line)).toEqual([1, 1, 1]);
  });

  it('no file in another fixture folder is taken for this format', async () => {
    const others = readdirSync('fixtures')
      .filter((d) => d !== 'azure' && readdirSync(`fixtures/${d}`).some((f) => LOG_NAME.test(f)))
      .map((d) => `fixtures/${d}`);
    const { files } = await read(others);
    expect(files.filter((f) => f.format === 'azure-apim-resource-log')).toEqual([]);
  });
});

import { Readable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import type { FileStats } from '../../src/aggregate/counters.js';
import type { ApiRequest } from '../../src/model/request.js';
import { readRequests } from '../../src/pipeline/requests.js';
import { expandInputs, type Source } from '../../src/read/sources.js';
import { render as renderCsv } from '../helpers/render/azure-apim-gateway-logs-csv.js';
import { render as renderJson } from '../helpers/render/azure-apim-gateway-logs.js';
import { DEMO_FILE, DEMO_IDENTITIES, demoRecords } from '../helpers/render/demo.js';

/**
 * The demo scenario written as Log Analytics ApiManagementGatewayLogs rows (JSON and CSV export),
 * read back: every request must be the Tyk original's (time to the ms, IP, method, normalised
 * path, status, latency, auth failure) with the identity APIM logs: the subscription id, which is
 * the key id of DEMO_IDENTITIES.
 */

async function read(sources: Source[]): Promise<{ stats: FileStats; requests: ApiRequest[] }> {
  const requests: ApiRequest[] = [];
  const { counters } = await readRequests({ sources }, (r) => requests.push(r));
  return { stats: counters.files[0]!, requests };
}
const text = (name: string, content: string): Source[] => [{ name, open: () => Readable.from([content]) }];

let tyk: ApiRequest[] = [];
let json: Awaited<ReturnType<typeof read>>;
let csv: Awaited<ReturnType<typeof read>>;

beforeAll(async () => {
  const original = await read(expandInputs([DEMO_FILE]));
  expect(original.stats).toMatchObject({ format: 'tyk-analytics', parsed: 1138, skipped: 0 });
  tyk = original.requests;
  json = await read(text('la-gateway-logs.json', renderJson(demoRecords())));
  csv = await read(text('la-gateway-logs.csv', renderCsv(demoRecords())));
});

const common = (r: ApiRequest) => ({ time: r.time, ip: r.ip, method: r.method, path: r.path, status: r.status, latencyMs: r.latencyMs, authFailure: r.authFailure });
const expected = () => tyk.map((r) => ({ ...common(r), identity: { key: '', hash: '', id: DEMO_IDENTITIES[r.identity.hash]?.id ?? '', alias: '' } }));

describe('the demo rendered as a Log Analytics JSON export', () => {
  it('is detected as azure-apim-gateway-logs and read with no skips', () => {
    expect(json.stats).toMatchObject({ format: 'azure-apim-gateway-logs', framing: 'json-document', records: 1138, parsed: 1138, skipped: 0, error: '' });
  });

  it('reads back as the Tyk original, identity by subscription id', () => {
    expect(json.requests.map((r) => ({ ...common(r), identity: r.identity }))).toEqual(expected());
  });

  it('keeps the row lines, the user agents and the scenario: evasion spellings, IPv6 attacker, keyless scanner, shadow key', () => {
    expect(json.requests.map((r) => r.line)).toEqual(tyk.map((_, i) => i + 2));
    expect(json.requests.map((r) => r.userAgent)).toEqual(demoRecords().map((r) => r.user_agent));
    expect(json.requests.filter((r) => r.ip === '2001:db8:dead::7')).toHaveLength(2);
    expect(json.requests.filter((r) => r.path === '/elastic/_security/api_key' && r.identity.id === 'ak5alice01')).toHaveLength(1);
    expect(json.requests.filter((r) => r.path === '/elastic/_security/role' && r.identity.id === 'ak5alice01')).toHaveLength(1);
    expect(json.requests.filter((r) => r.status === 401 && r.identity.id === '' && r.authFailure)).toHaveLength(40);
    expect(json.requests.filter((r) => r.identity.id === 'ak0shadow9')).toHaveLength(6);
  });
});

describe('the demo rendered as a Log Analytics CSV export', () => {
  it('is detected as azure-apim-gateway-logs-csv and read with no skips', () => {
    expect(csv.stats).toMatchObject({ format: 'azure-apim-gateway-logs-csv', framing: 'csv', records: 1138, parsed: 1138, skipped: 0, error: '' });
  });

  it('reads back as the Tyk original, identity by subscription id', () => {
    expect(csv.requests.map((r) => ({ ...common(r), identity: r.identity }))).toEqual(expected());
  });

  it('gives the same requests as the JSON export but for the user agent (JSON text in a CSV cell)', () => {
    const strip = (r: ApiRequest) => ({ ...r, userAgent: '', file: '', line: 0 });
    expect(csv.requests.map(strip)).toEqual(json.requests.map(strip));
    expect(csv.requests.every((r) => r.userAgent === '')).toBe(true);
  });
});

import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { CSV_HEADER, KIND_ROW, MAX_LATENCY_MS, PLAN, RECORDS_PER_SECOND, TABLE_ROWS, generateWorkload, ipv6Text, patternMatches, type PlantKind, type Workload } from '../../src/bench/generate.js';
import type { ApiRequest } from '../../src/model/request.js';
import type { Finding } from '../../src/model/finding.js';
import { readRequests } from '../../src/pipeline/requests.js';
import { scan } from '../../src/pipeline/scan.js';
import { parsePolicy } from '../../src/policy/load.js';
import { compilePattern } from '../../src/policy/patterns.js';
import { expandInputs } from '../../src/read/sources.js';

const RECORDS = 24_000;
const root = mkdtempSync(join(tmpdir(), 'apiguard-bench-test-'));
let w: Workload;

beforeAll(() => {
  w = generateWorkload({ dir: join(root, 'a'), records: RECORDS });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const sha = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

async function requestsOf(file: string): Promise<{ requests: ApiRequest[]; format: string; parsed: number; skipped: number; error: string }> {
  const requests: ApiRequest[] = [];
  const { counters } = await readRequests({ sources: expandInputs([file]) }, (r) => requests.push(r));
  const stats = counters.files[0]!;
  return { requests, format: stats.format, parsed: stats.parsed, skipped: stats.skipped, error: stats.error };
}

async function findingsOf(file: string): Promise<Finding[]> {
  const findings: Finding[] = [];
  const policy = parsePolicy(readFileSync(w.policyFile, 'utf8'), w.policyFile);
  const result = await scan({ sources: expandInputs([file]), policy, reorderWindowMs: 5 * 60_000, onFinding: (f) => findings.push(f) });
  expect(result.counters.parsed).toBe(RECORDS);
  expect(result.counters.late).toBe(0);
  return findings;
}

describe('bench workload: the policy', () => {
  it('is valid for apiguard and as large as the issue asks', () => {
    const text = readFileSync(w.policyFile, 'utf8');
    const policy = parsePolicy(text, w.policyFile);
    expect(policy.timezone).toBe('Europe/Amsterdam');
    expect(policy.keys.length).toBeGreaterThanOrEqual(500);
    expect(policy.keys.length).toBe(w.policy.keys);

    const raw = parseYaml(text) as {
      networks: Record<string, string[]>;
      roles: Record<string, { allow: string[]; deny?: string[] }>;
      keys: Record<string, unknown>[];
    };
    const cidrs = Object.values(raw.networks).flat();
    expect(Object.keys(raw.networks).length).toBeGreaterThanOrEqual(20);
    expect(cidrs.filter((c) => c.includes(':')).length).toBeGreaterThanOrEqual(5);
    expect(cidrs.filter((c) => /^\d+\.\d+\.\d+\.\d+(\/\d+)?$/.test(c)).length).toBeGreaterThanOrEqual(20);

    const allow = Object.values(raw.roles).flatMap((r) => r.allow);
    const deny = Object.values(raw.roles).flatMap((r) => r.deny ?? []);
    expect(allow.length + deny.length).toBeGreaterThanOrEqual(50);
    for (const list of [allow, deny]) {
      expect(list.some((p) => p.includes('/**'))).toBe(true);
      expect(list.some((p) => /\*(?!\*)/.test(p.replace(/\*\*/g, '')))).toBe(true);
    }

    const has = (field: string): number => raw.keys.filter((k) => k[field] !== undefined).length;
    expect(has('rate')).toBeGreaterThan(100);
    expect(has('quota')).toBeGreaterThan(5);
    expect(has('hours')).toBeGreaterThan(100);
    expect(has('days')).toBeGreaterThan(50);
    expect(has('revoked')).toBeGreaterThan(0);
    expect(has('timezone')).toBeGreaterThan(0);
    // Hashes identify keys: all distinct, all as Tyk logs them with hash_keys on.
    const hashes = raw.keys.map((k) => (k.match as { hash: string }).hash);
    expect(new Set(hashes).size).toBe(hashes.length);
    expect(hashes.every((h) => /^[0-9a-f]{16}$/.test(h))).toBe(true);
  });
});

describe('bench workload: the logs', () => {
  it('writes Tyk analytics records of the demo shape, in completion order with a few seconds of jitter', () => {
    const lines = readFileSync(w.ndjsonFile!, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(RECORDS);
    const demo = JSON.parse(readFileSync('fixtures/demo/tyk-analytics.ndjson', 'utf8').split('\n')[0]!) as Record<string, unknown>;
    const record = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(Object.keys(record)).toEqual(Object.keys(demo));
    expect(Object.keys(record.latency as object)).toEqual(Object.keys(demo.latency as object));
    expect(record.timestamp).toMatch(/^2026-11-20T0[45]:\d{2}:\d{2}(\.\d{1,9})?Z$/);
    expect(w.bytes.ndjson / RECORDS).toBeGreaterThan(900);
    expect(w.bytes.ndjson / RECORDS).toBeLessThan(1400);
    // Only ASCII is written (the writer copies latin1).
    expect(/[^\x20-\x7e\n]/.test(readFileSync(w.ndjsonFile!, 'latin1'))).toBe(false);
    expect(/[^\x20-\x7e\n]/.test(readFileSync(w.csvFile!, 'latin1'))).toBe(false);

    const times = lines.map((l) => Date.parse((JSON.parse(l) as { timestamp: string }).timestamp));
    let backwards = 0;
    for (let i = 1; i < times.length; i++) {
      expect(times[i - 1]! - times[i]!).toBeLessThan(MAX_LATENCY_MS);
      if (times[i]! < times[i - 1]!) backwards++;
    }
    expect(backwards).toBeGreaterThan(RECORDS / 10); // jitter, not a sorted file
    const hours = (w.last - w.first) / 3_600_000;
    expect(hours).toBeGreaterThan((RECORDS / RECORDS_PER_SECOND / 3600) * 0.9);
    expect(hours).toBeLessThan((RECORDS / RECORDS_PER_SECOND / 3600) * 1.1);
  });

  it('writes the CSV of the CSV pump >= 1.16: the 42-column header and Go time layout in the pump host zone', () => {
    const [header, first] = readFileSync(w.csvFile!, 'utf8').split('\n', 2) as [string, string];
    expect(header).toBe(readFileSync('fixtures/tyk/tyk-csv-pump-v1.16.csv', 'utf8').split('\n')[0]);
    expect(header.split(',')).toEqual(CSV_HEADER);
    expect(first).toMatch(/,2026-11-20 0[56]:\d{2}:\d{2}(\.\d{1,9})? \+0100 CET,Non Versioned,/);
    expect(first).toContain(',November,2026,');
  });

  it('is read by apiguard as tyk-analytics and as tyk-csv-pump, nothing skipped, request for request the same', async () => {
    const ndjson = await requestsOf(w.ndjsonFile!);
    const csv = await requestsOf(w.csvFile!);
    expect(ndjson).toMatchObject({ format: 'tyk-analytics', parsed: RECORDS, skipped: 0, error: '' });
    expect(csv).toMatchObject({ format: 'tyk-csv-pump', parsed: RECORDS, skipped: 0, error: '' });
    const view = (r: ApiRequest) => ({ time: r.time, ip: r.ip, method: r.method, path: r.path, status: r.status, identity: r.identity });
    for (let i = 0; i < RECORDS; i++) {
      const a = view(ndjson.requests[i]!);
      const b = view(csv.requests[i]!);
      if (JSON.stringify(a) !== JSON.stringify(b)) expect({ record: i + 1, csv: b }).toEqual({ record: i + 1, csv: a });
    }
    // Both IP families and every kind of identity occur.
    expect(ndjson.requests.some((r) => r.ip.includes(':'))).toBe(true);
    expect(ndjson.requests.some((r) => r.identity.hash === '00000000' || (r.identity.hash === '' && r.identity.key === ''))).toBe(true);
    expect(new Set(ndjson.requests.map((r) => r.identity.alias)).size).toBeGreaterThan(400);
  });

  it('is the same bytes for the same seed, and different for another seed', () => {
    const again = generateWorkload({ dir: join(root, 'b'), records: RECORDS });
    expect(sha(again.ndjsonFile!)).toBe(sha(w.ndjsonFile!));
    expect(sha(again.csvFile!)).toBe(sha(w.csvFile!));
    expect(sha(again.policyFile)).toBe(sha(w.policyFile));
    expect(again.planted).toEqual(w.planted);
    const other = generateWorkload({ dir: join(root, 'c'), records: 2_000, seed: 7, csv: false });
    expect(other.csvFile).toBeNull();
    expect(sha(other.ndjsonFile!)).not.toBe(sha(w.ndjsonFile!));
  });
});

describe('bench workload: what apiguard finds', () => {
  let ndjsonFindings: Finding[];
  let csvFindings: Finding[];
  beforeAll(async () => {
    ndjsonFindings = await findingsOf(w.ndjsonFile!);
    csvFindings = await findingsOf(w.csvFile!);
  });

  it('finds every table row at its planned rate (~1% each), exactly as many as were planted', () => {
    const byRow = Object.fromEntries(TABLE_ROWS.map((row) => [row, ndjsonFindings.filter((f) => f.row === row).length]));
    expect(byRow).toEqual(w.expectedByRow);
    expect(ndjsonFindings.filter((f) => f.row === 'key-exposed')).toHaveLength(0);
    for (const row of TABLE_ROWS) {
      const planned = (Object.keys(PLAN) as PlantKind[]).filter((k) => KIND_ROW[k] === row).reduce((n, k) => n + PLAN[k], 0);
      expect(planned).toBeCloseTo(0.01, 5);
      expect(byRow[row]! / RECORDS).toBeGreaterThan(planned * 0.9);
      expect(byRow[row]! / RECORDS).toBeLessThan(planned * 1.1);
    }
  });

  it('finds each planted cause of rows 1 and 5 by its reason', () => {
    const count = (row: string, reason: RegExp): number => ndjsonFindings.filter((f) => f.row === row && f.reasons.some((r) => reason.test(r))).length;
    expect(count('unauthenticated', /carried no API key/)).toBe(w.planted['no-key']);
    expect(count('unauthenticated', /is not in the key inventory/)).toBe(w.planted['unknown-key']);
    expect(count('unauthenticated', /was revoked at/)).toBe(w.planted['revoked-key']);
    expect(count('when-violation', / is outside /)).toBe(w.planted['out-of-hours']);
    expect(count('when-violation', /request in \d+[smh], limit \d+$/)).toBe(w.planted['over-rate']);
    expect(count('when-violation', /, quota \d+\/1d$/)).toBe(w.planted['over-quota']);
    for (const kind of Object.keys(PLAN) as PlantKind[]) expect(w.planted[kind], kind).toBeGreaterThan(0);
    // Each finding of row 5 has exactly one cause: the planted ones never overlap.
    expect(ndjsonFindings.filter((f) => f.row === 'when-violation').every((f) => f.reasons.length === 1)).toBe(true);
  });

  it('gives the same findings, record for record, from the CSV', () => {
    const key = (f: Finding, lineOffset: number) => `${f.request.line - lineOffset} ${f.row} ${f.severity} ${f.keyLabel} ${f.reasons.join('; ')}`;
    expect(csvFindings.map((f) => key(f, 1))).toEqual(ndjsonFindings.map((f) => key(f, 0)));
  });
});

describe('bench workload: helpers of the generator agree with apiguard', () => {
  it('matches role patterns as src/policy/patterns.ts does', () => {
    const patterns = ['GET /a/**', 'GET /a/*', 'GET|POST /elastic/*/_search', '* /**', 'POST /elastic/.alerts-*/**', 'GET /x/user-*', 'PUT /a/*/b/**'];
    const actions = ['GET /a', 'GET /a/', 'GET /a/b', 'GET /a/b/c', 'POST /a/b', 'POST /elastic/logs/_search', 'PUT /elastic/logs/_search', 'POST /elastic/.alerts-security/_doc', 'POST /elastic/alerts/_doc', 'GET /x/user-', 'GET /x/user-1', 'GET /x/users', 'PUT /a/z/b', 'PUT /a//b'];
    for (const p of patterns) {
      const compiled = compilePattern(p);
      if (typeof compiled === 'string') throw new Error(compiled);
      for (const action of actions) {
        const [method, path] = action.split(' ') as [string, string];
        expect(patternMatches(p, method, path), `${p} vs ${action}`).toBe(compiled.regex.test(action));
      }
    }
  });

  it('writes IPv6 addresses in their canonical text', () => {
    expect(ipv6Text([0x2001, 0xdb8, 0x20, 1, 0, 0, 0, 0x1a])).toBe('2001:db8:20:1::1a');
    expect(ipv6Text([0x2001, 0xdb8, 0, 1, 0, 0, 0, 5])).toBe('2001:db8:0:1::5');
    expect(ipv6Text([0x2001, 0xdb8, 0x42, 7, 1, 0, 0, 5])).toBe('2001:db8:42:7:1::5');
    expect(ipv6Text([1, 2, 3, 4, 5, 6, 7, 8])).toBe('1:2:3:4:5:6:7:8');
  });
});

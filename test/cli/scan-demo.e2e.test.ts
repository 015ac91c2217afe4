import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { normaliseIp } from '../../src/normalise/ip.js';
import { runCli } from '../helpers/run-cli.js';

const DEMO = 'fixtures/demo/tyk-analytics.ndjson';
const POLICY = 'rules/demo-policy.yaml';

// Expected from the scenario in fixtures/demo/README.md, counted independently by fixtures/demo/check.mjs.
const EXPECTED_BY_ROW = {
  unauthenticated: 51,
  'wrong-workstation': 8,
  'key-compromised': 14,
  'invalid-for-role': 4,
  'when-violation': 26,
  'key-exposed': 0,
};

describe('apiguard scan on the demo (README first command)', () => {
  const table = runCli(['scan', '--policy', POLICY, DEMO]);

  it('exits 1 because there are findings at or above low, and says why on stderr', () => {
    expect(table.status).toBe(1);
    expect(table.stderr).toContain('apiguard: 103 findings at or above low (exit 1)');
  });

  it('prints a table of incidents with row, cause, response, key, IP, counts and time', () => {
    const out = table.stdout;
    expect(out).toMatch(/^10 incidents from 103 violating requests \(42 let through by the gateway\)/);
    expect(out).toContain('row 3 key-compromised');
    expect(out).toContain('Cause:    API key compromised');
    expect(out).toContain('Response: Block API request; Revoke API key & create new API key');
    expect(out).toContain('soar-playbooks');
    expect(out).toContain('203.0.113.99');
    expect(out).toContain('8 let through');
    expect(out).toContain('Seen (Europe/Amsterdam)');
    expect(out).toContain('2026-11-20 04:');
    expect(out).toContain('Why:      5× outside mon-fri 08:00-18:00 Europe/Amsterdam');
  });

  it('ends with the summary: files, records read and skipped, findings per row', () => {
    const out = table.stdout;
    expect(out).toContain('Policy:    rules/demo-policy.yaml');
    expect(out).toContain(`${DEMO}: tyk-analytics, 1,138 read, 1,138 parsed`);
    expect(out).toContain('Records:   1,138 read, 1,138 parsed, 0 skipped');
    expect(out).toMatch(/row 1 unauthenticated\s+51\s+API request not authenticated/);
    expect(out).toMatch(/row 5 when-violation\s+26\s+API request exceeds rate-limit\/quota; Anomalous API requests/);
  });

  it('has no colour when not on a terminal', () => {
    expect(table.stdout).not.toContain('\x1b[');
  });

  it('never prints a full key hash that is not in the inventory', () => {
    expect(table.stdout).not.toContain('deadbeefcafef00d');
    expect(table.stdout).toContain('hash dead…f00d');
  });
});

describe('--output json', () => {
  const r = runCli(['scan', '-p', POLICY, DEMO, '--output', 'json']);
  const doc = JSON.parse(r.stdout) as {
    summary: { findings: { byRow: Record<string, number>; total: number }; records: Record<string, number>; files: { format: string }[] };
    incidents: { number: number; row: string; severity: string; key: string; ip: string; count: number; letThrough: number; blocked: number; evidence: { file: string; line: number }[]; userAgents: { text: string; count: number }[] }[];
  };

  it('is one document with summary and incidents', () => {
    expect(doc.summary.findings.byRow).toEqual(EXPECTED_BY_ROW);
    expect(doc.summary.findings.total).toBe(103);
    expect(doc.summary.records).toEqual({ read: 1138, parsed: 1138, skipped: 0, late: 0, ahead: 0, unchecked: { where: 0, what: 0 }, outsidePeriod: 0 });
    expect(doc.summary.files[0]!.format).toBe('tyk-analytics');
  });

  it('orders incidents worst first and groups by key × row × source IP', () => {
    expect(doc.incidents.map((i) => [i.severity, i.row, i.key, i.ip, i.count])).toEqual([
      ['critical', 'key-compromised', 'soar-playbooks', '2001:db8:dead::7', 2],
      ['critical', 'key-compromised', 'soar-playbooks', '203.0.113.99', 12],
      ['critical', 'invalid-for-role', 'analyst-alice', '10.20.0.15', 4],
      ['high', 'wrong-workstation', 'analyst-alice', '192.168.1.20', 8],
      ['high', 'when-violation', 'admin-carol', '10.30.1.10', 5],
      ['high', 'when-violation', 'analyst-alice', '10.20.0.15', 3],
      ['high', 'when-violation', 'soar-enrichment', '10.10.5.4', 18],
      ['medium', 'unauthenticated', 'analyst-bob', '10.20.0.22', 5],
      ['medium', 'unauthenticated', 'hash dead…f00d', '198.51.100.7', 6],
      ['low', 'unauthenticated', '(no key)', '203.0.113.50', 40],
    ]);
  });

  it("shows the clients' user agents: the stolen SOAR key came from curl, not from the SOAR workers", () => {
    expect(doc.incidents.filter((i) => i.key === 'soar-playbooks').map((i) => i.userAgents)).toEqual([[{ text: 'curl/7.88.1', count: 2 }], [{ text: 'curl/7.88.1', count: 12 }]]);
    expect(doc.incidents.find((i) => i.key === 'soar-enrichment')!.userAgents).toEqual([{ text: 'soar-worker/4.2', count: 18 }]);
    // And each request's own, in the streamed findings.
    const first = JSON.parse(runCli(['scan', '-p', POLICY, DEMO, '-o', 'ndjson']).stdout.split('\n')[0]!) as Record<string, unknown>;
    expect([first.line, first.userAgent, first.requestId]).toEqual([146, 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', '']);
    // Tyk analytics records carry no request id; Kong's do (request.id).
    const kong = JSON.parse(runCli(['scan', 'fixtures/kong/kong-file-log-compact.log', '-o', 'ndjson']).stdout.split('\n')[0]!) as Record<string, unknown>;
    expect([kong.requestId, kong.userAgent]).toEqual(['d3b0c442f1a84e6e9e3c7a1f5b2d9c10', 'Mozilla/5.0 (X11; Linux x86_64) Firefox/132.0']);
  });

  it('separates what the gateway blocked from what it let through', () => {
    const scanner = doc.incidents.find((i) => i.ip === '203.0.113.99')!;
    expect([scanner.letThrough, scanner.blocked]).toEqual([8, 4]);
  });

  it('points at evidence lines that really hold the requests', () => {
    const lines = readFileSync(DEMO, 'utf8').split('\n');
    for (const i of doc.incidents) {
      for (const e of i.evidence) {
        expect(e.file).toBe(DEMO);
        const record = JSON.parse(lines[e.line - 1]!) as { ip_address: string };
        expect(normaliseIp(record.ip_address)).toBe(i.ip);
      }
    }
  });
});

describe('--output ndjson', () => {
  const r = runCli(['scan', '-p', POLICY, DEMO, '-o', 'ndjson']);
  const findings = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

  it('streams one finding per violating request and nothing else on stdout', () => {
    expect(findings).toHaveLength(103);
    for (const f of findings) {
      for (const field of ['file', 'line', 'time', 'row', 'cause', 'responses', 'severity', 'key', 'ip', 'method', 'path', 'status', 'reasons']) {
        expect(f).toHaveProperty(field);
      }
      expect(f.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    }
  });

  it('puts the summary on stderr', () => {
    expect(r.stderr).toContain('Records:   1,138 read, 1,138 parsed, 0 skipped');
  });

  it('gives each finding the 1-based line of its record', () => {
    const lines = readFileSync(DEMO, 'utf8').split('\n');
    for (const f of findings) {
      const record = JSON.parse(lines[(f.line as number) - 1]!) as { timestamp: string; response_code: number };
      expect(Date.parse(record.timestamp.slice(0, 23) + 'Z')).toBe(Date.parse(f.time as string));
      expect(record.response_code).toBe(f.status);
    }
  });

  it('judges the evasion spellings on the normalised path', () => {
    const paths = findings.filter((f) => f.row === 'invalid-for-role').map((f) => f.path);
    expect(paths.sort()).toEqual([
      '/elastic/_security/api_key',
      '/elastic/_security/role',
      '/elastic/_security/user',
      '/opnsense/api/core/backup/download/this',
    ]);
  });

  it('reports the rate burst request by request', () => {
    const rate = findings.filter((f) => (f.reasons as string[]).some((x) => x.includes('request in 1m')));
    expect(rate.map((f) => (f.reasons as string[])[0])).toEqual([
      '5th request in 1m, limit 4',
      '6th request in 1m, limit 4',
      '7th request in 1m, limit 4',
      '8th request in 1m, limit 4',
      '9th request in 1m, limit 4',
      '10th request in 1m, limit 4',
      '11th request in 1m, limit 4',
      '12th request in 1m, limit 4',
    ]);
  });
});

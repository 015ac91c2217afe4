import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/run-cli.js';

// A key-guessing run against the demo policy: one source tries 40 keys nobody issued, another 3;
// the demo's own unknown key (deadbeefcafef00d, from 198.51.100.7) is a record to copy.
const POLICY = 'rules/demo-policy.yaml';
const tmp = mkdtempSync(join(tmpdir(), 'apiguard-guess-'));
const template = JSON.parse(
  readFileSync(join(ROOT, 'fixtures/demo/tyk-analytics.ndjson'), 'utf8')
    .split('\n')
    .find((l) => l.includes('deadbeefcafef00d'))!,
) as Record<string, unknown>;
const guessed = (n: number): string => `${String(n).padStart(4, '0')}-Zq7RtY2pW9xK-${String(n).padStart(4, '0')}`;
const start = Date.parse('2026-11-20T11:00:00Z');
const records: string[] = [];
for (let n = 0; n < 43; n++) {
  const ip = n < 40 ? '198.51.100.66' : '203.0.113.77';
  records.push(JSON.stringify({ ...template, api_key: guessed(n), ip_address: ip, response_code: 403, timestamp: new Date(start + n * 1000).toISOString() }));
}
const LOG = join(tmp, 'guessing.ndjson');
writeFileSync(LOG, records.join('\n') + '\n');

interface Doc {
  summary: { findings: { total: number; suppressed: number; byRow: Record<string, number> } };
  incidents: { id: string; row: string; key: string; ip: string; count: number; keys: { text: string; count: number }[]; otherKeys: number; suppressed: unknown }[];
}

const scanJson = (...more: string[]): Doc => {
  const r = runCli(['scan', '-p', POLICY, LOG, '-o', 'json', ...more], { env: { APIGUARD_NOW: '2026-11-23T00:00:00Z' } });
  expect(r.status, r.stderr).toBe(1); // findings at or above the default --fail-on (low)
  return JSON.parse(r.stdout) as Doc;
};

describe('keys nobody issued are grouped by source (a key-guessing run)', () => {
  const doc = scanJson();
  const row1 = doc.incidents.filter((i) => i.row === 'unauthenticated');

  it('makes one row 1 incident per source, not one per key tried', () => {
    expect(doc.summary.findings.byRow.unauthenticated).toBe(43);
    // Same severity and row: ordered by the key label, then the source.
    expect(row1.map((i) => [i.ip, i.key, i.count])).toEqual([
      ['203.0.113.77', '3 different keys', 3],
      ['198.51.100.66', 'more than 20 different keys', 40],
    ]);
    expect(row1[0]!.keys).toEqual(['0040…0040', '0041…0041', '0042…0042'].map((k) => ({ text: `key ${k}`, count: 1 })));
    const many = row1[1]!;
    expect(many.keys).toHaveLength(20);
    expect(many.keys[0]).toEqual({ text: 'key 0000…0000', count: 1 });
    expect(many.otherKeys).toBe(20);
    // The raw keys were also logged in the clear (Tyk with hash_keys off): that finding is grouped the same way.
    expect(doc.incidents.filter((i) => i.row === 'key-exposed').map((i) => [i.ip, i.count])).toEqual([
      ['203.0.113.77', 3],
      ['198.51.100.66', 40],
    ]);
  });

  it('shows the keys tried in the table, masked, and never a whole key anywhere', () => {
    const table = runCli(['scan', '-p', POLICY, LOG], { env: { COLUMNS: '200' } });
    expect(table.stdout).toContain('more than 20 different keys');
    expect(table.stdout).toMatch(/Keys: +1× key 0000…0000; 1× key 0001…0001; 1× key 0002…0002; 1× key 0003…0003; … and 36 more/);
    const ndjson = runCli(['scan', '-p', POLICY, LOG, '-o', 'ndjson']);
    // Each violating request still names its own (masked) key.
    expect(ndjson.stdout.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { key: string }).key)).toContain('key 0007…0007');
    const tickets = join(tmp, 'tickets');
    runCli(['scan', '-p', POLICY, LOG, '--tickets', tickets]);
    const bodies = readdirSync(tickets).map((f) => readFileSync(join(tickets, f), 'utf8'));
    expect(bodies).toHaveLength(4);
    const many = bodies.map((b) => JSON.parse(b) as { Subject: string; Content: string }).find((t) => t.Subject.includes('Block API request') && t.Subject.includes('198.51.100.66'))!;
    expect(many.Subject).toContain('more than 20 different keys from 198.51.100.66');
    expect(many.Content).toContain('Keys (nobody issued them; grouped by source):\n  - 1x key 0000…0000\n  - 1x key 0001…0001\n');
    expect(many.Content).toContain('  - and 20 more requests with other keys\n');
    expect(many.Content).toContain('the same in every run for this row and source');
    for (const out of [doc, table.stdout, ndjson.stdout, ...bodies].map((x) => (typeof x === 'string' ? x : JSON.stringify(x)))) {
      for (let n = 0; n < 43; n++) expect(out).not.toContain(guessed(n));
    }
  });

  it('gives the same report with --jobs 2', () => {
    const one = runCli(['scan', '-p', POLICY, LOG, '-o', 'json', '--jobs', '1']);
    const two = runCli(['scan', '-p', POLICY, LOG, '-o', 'json', '--jobs', '2']);
    expect(two.stdout).toBe(one.stdout);
  });

  it('a suppression of the source incident by id accepts every key that source tries', () => {
    const id = row1.find((i) => i.ip === '198.51.100.66')!.id;
    const f = join(tmp, 'suppress.yaml');
    writeFileSync(f, `version: 1\nsuppressions:\n  - incident: ${id}\n    row: unauthenticated\n    reason: pen test\n    owner: red@corp.example\n    expires: 2027-01-01\n`);
    const d = scanJson('--suppress', f);
    expect(d.summary.findings.suppressed).toBe(40);
    expect(d.incidents.filter((i) => i.suppressed).map((i) => [i.ip, i.row, i.count])).toEqual([['198.51.100.66', 'unauthenticated', 40]]);
  });
});

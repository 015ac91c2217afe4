import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/run-cli.js';

const DEMO = join(ROOT, 'fixtures/demo/tyk-analytics.ndjson');
const POLICY = join(ROOT, 'rules/demo-policy.yaml');

interface Doc {
  summary: { policy: string | null; checks: { mode: string; needPolicy: string[] }; findings: { byRow: Record<string, number>; total: number } };
  incidents: { row: string; key: string; ip: string; count: number; reasons: { text: string; count: number }[] }[];
}

describe('apiguard scan with no policy anywhere', () => {
  const r = runCli(['scan', DEMO, '-o', 'json']);
  const doc = JSON.parse(r.stdout) as Doc;

  it('judges what the logs alone can tell, and finds the demo\'s attacks', () => {
    expect(doc.summary.policy).toBeNull();
    expect(doc.summary.checks.mode).toBe('log-only');
    expect(doc.summary.findings.byRow).toEqual({
      unauthenticated: 40,
      'wrong-workstation': 14,
      'key-compromised': 0,
      'invalid-for-role': 0,
      'when-violation': 2,
      'key-exposed': 0,
    });
    expect(doc.incidents.map((i) => [i.row, i.key, i.ip, i.count])).toEqual([
      ['wrong-workstation', 'hash 3f9a…4e51 (alias soar-playbooks)', '2001:db8:dead::7', 2],
      ['wrong-workstation', 'hash 3f9a…4e51 (alias soar-playbooks)', '203.0.113.99', 12],
      ['when-violation', 'hash a1b2…0718 (alias soar-enrichment)', '10.10.5.4', 2],
      ['unauthenticated', '(no key)', '203.0.113.50', 40],
    ]);
    expect(r.status).toBe(1);
  });

  it('names the rule and threshold in each finding', () => {
    const scanner = doc.incidents.find((i) => i.ip === '203.0.113.50')!;
    expect(scanner.reasons).toEqual([
      { text: 'rejected for authentication', count: 40 },
      { text: 'key guessing: 10+ failures within 10m', count: 31 },
    ]);
    const ndjson = runCli(['scan', DEMO, '-o', 'ndjson']).stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { reasons: string[]; ip: string });
    expect(ndjson.find((f) => f.ip === '203.0.113.99')!.reasons[0]).toMatch(
      /^possible key sharing or theft: used from 203\.0\.113\.0\/24 within 30m of 10\.10\.5\.0\/24 \(the key's main network is 10\.10\.5\.0\/24, \d+ requests so far; rule: more than one \/24 or \/64 within 30m\)$/,
    );
    expect(ndjson.filter((f) => f.reasons[0]!.startsWith('burst:')).map((f) => f.reasons[0])).toEqual([
      "burst: 11th request within 1m, over 10× the key's median of 1 per active minute (rule: more than 10)",
      "burst: 12th request within 1m, over 10× the key's median of 1 per active minute (rule: more than 10)",
    ]);
  });

  it('says which checks ran, which need a policy, and how to draft one', () => {
    const table = runCli(['scan', DEMO]).stdout;
    expect(table).toContain('Policy:    none found (--policy, APIGUARD_POLICY, apiguard.yaml here or above)');
    expect(table).toContain('ran:     Who: requests the gateway rejected for authentication; key guessing');
    expect(table).toContain('skipped: What: the actions each key\'s role allows (needs a policy)');
    expect(table).toContain(`Draft a policy from these logs: apiguard init ${DEMO} > apiguard.yaml`);
  });
});

describe('policy discovery', () => {
  const dir = mkdtempSync(join(tmpdir(), 'apiguard-zero-'));
  mkdirSync(join(dir, 'project', 'logs'), { recursive: true });
  copyFileSync(POLICY, join(dir, 'project', 'apiguard.yaml'));
  const withPolicy = (doc: Doc) => doc.summary.findings.total;

  it('finds apiguard.yaml in a parent directory and says where', () => {
    const r = runCli(['scan', DEMO, '-o', 'json'], { cwd: join(dir, 'project', 'logs') });
    const doc = JSON.parse(r.stdout) as Doc;
    expect(doc.summary.policy).toBe(`${join(dir, 'project', 'apiguard.yaml')} (found in ..)`);
    expect(withPolicy(doc)).toBe(103);
  });

  it('APIGUARD_POLICY wins over the search, --policy over both', () => {
    const env = runCli(['scan', DEMO, '-o', 'json'], { cwd: join(dir, 'project'), env: { APIGUARD_POLICY: POLICY } });
    expect((JSON.parse(env.stdout) as Doc).summary.policy).toBe(`${POLICY} (from APIGUARD_POLICY)`);
    const flag = runCli(['scan', DEMO, '-o', 'json', '--policy', POLICY], { cwd: join(dir, 'project'), env: { APIGUARD_POLICY: 'nope.yaml' } });
    expect((JSON.parse(flag.stdout) as Doc).summary.policy).toBe(POLICY);
  });

  it('--no-policy scans with the log-only checks even when a policy would be found', () => {
    const r = runCli(['scan', DEMO, '-o', 'json', '--no-policy'], { cwd: join(dir, 'project') });
    const doc = JSON.parse(r.stdout) as Doc;
    expect(doc.summary.policy).toBeNull();
    expect(doc.summary.findings.total).toBe(56);
  });

  it('a discovered policy with errors is still a policy error (exit 2)', () => {
    const bad = mkdtempSync(join(tmpdir(), 'apiguard-zero-bad-'));
    copyFileSync(join(ROOT, 'fixtures/policies/broken-policy.yaml'), join(bad, '.apiguard.yaml'));
    const r = runCli(['scan', DEMO], { cwd: bad });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${join(bad, '.apiguard.yaml')}:11: keys[0].role: unknown role 'raeder'`);
  });
});

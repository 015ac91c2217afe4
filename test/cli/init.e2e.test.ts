import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../../src/policy/load.js';
import { ROOT, runCli } from '../helpers/run-cli.js';

const DEMO = 'fixtures/demo/tyk-analytics.ndjson';

describe('apiguard init', () => {
  const r = runCli(['init', DEMO, '--timezone', 'Europe/Amsterdam']);

  it('writes a valid, commented policy to stdout and a one-line summary to stderr', () => {
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('apiguard: drafted 6 keys, 6 roles from 1138 requests; review it before use\n');
    expect(r.stdout).toMatch(/^# apiguard policy DRAFT, learned by `apiguard init` from 1138 requests in 1 file:/);
    const policy = parsePolicy(r.stdout, 'draft.yaml');
    expect(policy.keys.map((k) => k.name)).toEqual(['alice', 'bob', 'carol', 'key-dead-f00d', 'soar-enrichment', 'soar-playbooks']);
    // every key line carries a comment saying what it was learned from
    for (const line of r.stdout.split('\n').filter((l) => /^\s+(rate|from|role|hours|days):/.test(l))) expect(line).toContain('#');
  });

  it('is deterministic', () => {
    expect(runCli(['init', DEMO, '--timezone', 'Europe/Amsterdam']).stdout).toBe(r.stdout);
  });

  it('round-trips through discovery: scanning with the draft finds only the outliers it lists', () => {
    const dir = mkdtempSync(join(tmpdir(), 'apiguard-init-'));
    writeFileSync(join(dir, 'apiguard.yaml'), r.stdout);
    const scan = runCli(['scan', join(ROOT, DEMO), '-o', 'json'], { cwd: dir });
    const doc = JSON.parse(scan.stdout) as { summary: { findings: { byRow: Record<string, number> } }; incidents: { row: string; key: string; ip: string; count: number }[] };
    expect(doc.summary.findings.byRow).toMatchObject({ unauthenticated: 40, 'key-compromised': 14, 'wrong-workstation': 0, 'invalid-for-role': 0, 'when-violation': 0 });
    expect(doc.incidents.map((i) => [i.row, i.key, i.ip, i.count])).toEqual([
      ['key-compromised', 'soar-playbooks', '2001:db8:dead::7', 2],
      ['key-compromised', 'soar-playbooks', '203.0.113.99', 12],
      ['unauthenticated', '(no key)', '203.0.113.50', 40],
    ]);
    expect(r.stdout).toContain('#   soar-playbooks from 203.0.113.0/24: 12 requests');
    expect(r.stdout).toContain('#   soar-playbooks from 2001:db8:dead::/64: 2 requests');
    expect(r.stdout).toContain('#   from 203.0.113.50: 40 requests');
  });

  it('never writes a raw key, even one logged in the clear', () => {
    const dir = mkdtempSync(join(tmpdir(), 'apiguard-init-raw-'));
    const RAW = 'sk_live_Zq8Xw2Lp5Rt7Yv3Nb6Mc';
    const line = JSON.parse(readFileSync(join(ROOT, DEMO), 'utf8').split('\n')[0]!) as Record<string, unknown>;
    const lines = [0, 1, 2].map((i) => JSON.stringify({ ...line, api_key: RAW, alias: '', timestamp: `2026-11-19T09:0${i}:00Z` }));
    writeFileSync(join(dir, 'raw.ndjson'), lines.join('\n') + '\n');
    const out = runCli(['init', join(dir, 'raw.ndjson')]);
    expect(out.status).toBe(0);
    expect(out.stdout + out.stderr).not.toContain(RAW);
    expect(out.stdout).toContain('sk_l…b6Mc');
  });

  it.each([
    [['init', DEMO, '--timezone', 'Mars/Olympus'], 2],
    [['init', DEMO, '--prefix', '33'], 2],
    [['init', 'no/such.ndjson'], 3],
  ])('%j exits %i', (args, status) => {
    expect(runCli(args).status).toBe(status);
  });
});

import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/run-cli.js';

const DEMO = 'fixtures/demo/tyk-analytics.ndjson';
const POLICY = 'rules/demo-policy.yaml';
const tmp = mkdtempSync(join(tmpdir(), 'apiguard-ci-'));
const NOW = { APIGUARD_NOW: '2026-11-23T00:00:00Z' };

interface Doc {
  summary: {
    findings: { total: number; suppressed: number; byRow: Record<string, number> };
    suppressions: { active: number; expired: { at: string }[]; stale: { at: string }[] } | null;
    records: { parsed: number; outsidePeriod: number };
    period: { since: string | null; until: string | null };
    tenant?: string;
  };
  incidents: { id: string; key: string; row: string; ip: string; count: number; tenant: string; suppressed: { reason: string; at: string } | null }[];
}

function suppressFile(name: string, entries: string): string {
  const f = join(tmp, name);
  writeFileSync(f, `version: 1\nsuppressions:\n${entries}`);
  return f;
}

describe('--suppress', () => {
  const file = suppressFile(
    'accept.yaml',
    [
      '  - key: soar-enrichment',
      '    row: when-violation',
      '    action: GET /virustotal/**',
      '    reason: the nightly enrichment batch bursts by design',
      '    owner: soc@corp.example',
      '    expires: 2027-01-31',
      '  - key: analyst-alice',
      '    row: wrong-workstation',
      '    reason: home office trial',
      '    owner: alice@corp.example',
      '    expires: 2026-10-01',
      '  - key: admin-carol',
      '    row: invalid-for-role',
      '    reason: old exception',
      '    owner: carol@corp.example',
      '    expires: 2027-06-30',
      '',
    ].join('\n'),
  );
  const r = runCli(['scan', '-p', POLICY, DEMO, '--suppress', file, '-o', 'json'], { env: NOW });
  const doc = JSON.parse(r.stdout) as Doc;

  it('lists suppressed findings as suppressed, never drops them, and leaves them out of the counts', () => {
    const suppressed = doc.incidents.filter((i) => i.suppressed);
    expect(suppressed.map((i) => [i.key, i.row, i.count, i.suppressed!.reason])).toEqual([
      ['soar-enrichment', 'when-violation', 18, 'the nightly enrichment batch bursts by design'],
    ]);
    expect(doc.summary.findings.suppressed).toBe(18);
    expect(doc.summary.findings.total).toBe(103 - 18);
    expect(doc.summary.findings.byRow['when-violation']).toBe(26 - 18);
  });

  it('reports expired entries (which no longer suppress) and stale ones', () => {
    expect(doc.summary.suppressions!.expired.map((e) => e.at)).toEqual([`${file}:9`]);
    expect(doc.summary.suppressions!.stale.map((e) => e.at)).toEqual([`${file}:14`]);
    expect(doc.incidents.find((i) => i.key === 'analyst-alice' && i.row === 'wrong-workstation')!.suppressed).toBeNull();
    expect(r.stderr).toContain(`suppression at ${file}:9 expired on 2026-10-01; it no longer suppresses (home office trial)`);
    expect(r.stderr).toContain(`suppression at ${file}:14 matched nothing in this scan (old exception)`);
  });

  it('does not count suppressed findings towards --fail-on', () => {
    const only = suppressFile('only.yaml', '  - key: soar-playbooks\n    row: key-compromised\n    reason: pen test\n    owner: red@corp.example\n    expires: 2027-01-01\n');
    expect(runCli(['scan', '-p', POLICY, DEMO, '--suppress', only, '--fail-on', 'critical', '-o', 'json'], { env: NOW }).status).toBe(1); // alice's let-through row 4 is still critical
    const both = suppressFile(
      'both.yaml',
      '  - key: soar-playbooks\n    row: key-compromised\n    reason: pen test\n    owner: red@corp.example\n    expires: 2027-01-01\n  - key: analyst-alice\n    row: invalid-for-role\n    reason: pen test\n    owner: red@corp.example\n    expires: 2027-01-01\n',
    );
    expect(runCli(['scan', '-p', POLICY, DEMO, '--suppress', both, '--fail-on', 'critical', '-o', 'json'], { env: NOW }).status).toBe(0);
  });

  it('never matches a different key or a different row than it names', () => {
    const f = suppressFile('narrow.yaml', '  - key: soar-playbooks\n    row: wrong-workstation\n    reason: r\n    owner: o\n    expires: 2027-01-01\n  - key: soar-playbook\n    row: key-compromised\n    reason: r\n    owner: o\n    expires: 2027-01-01\n');
    const d = JSON.parse(runCli(['scan', '-p', POLICY, DEMO, '--suppress', f, '-o', 'json'], { env: NOW }).stdout) as Doc;
    expect(d.summary.findings.suppressed).toBe(0);
    expect(d.summary.suppressions!.stale).toHaveLength(2);
  });

  it('can accept exactly one incident by its id', () => {
    const id = doc.incidents.find((i) => i.ip === '2001:db8:dead::7')!.id;
    const f = suppressFile('one.yaml', `  - incident: ${id}\n    row: key-compromised\n    reason: r\n    owner: o\n    expires: 2027-01-01\n`);
    const d = JSON.parse(runCli(['scan', '-p', POLICY, DEMO, '--suppress', f, '-o', 'json'], { env: NOW }).stdout) as Doc;
    expect(d.incidents.filter((i) => i.suppressed).map((i) => i.ip)).toEqual(['2001:db8:dead::7']);
  });

  it('a bad suppression file is exit 2 with file:line', () => {
    const f = suppressFile('bad.yaml', '  - row: key-compromised\n    reason: r\n    owner: o\n    expires: someday\n');
    const bad = runCli(['scan', '-p', POLICY, DEMO, '--suppress', f]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain(`${f}:3: suppressions[0]: name the key (its policy name) or the incident (AG-…) this accepts`);
    expect(bad.stderr).toContain(`${f}:6: suppressions[0].expires: 'someday' is not a date`);
  });
});

describe('--since / --until', () => {
  it('judges only the period and says how many requests were outside it', () => {
    const d = JSON.parse(runCli(['scan', '-p', POLICY, DEMO, '--since', '2026-11-21', '-o', 'json']).stdout) as Doc;
    expect(d.summary.period).toEqual({ since: '2026-11-21T00:00:00.000Z', until: null });
    expect(d.summary.records.parsed).toBe(1138);
    expect(d.summary.records.outsidePeriod + 0).toBeGreaterThan(0);
    // Saturday holds only carol's night-time use
    expect(d.incidents.map((i) => [i.key, i.row])).toEqual([['admin-carol', 'when-violation']]);
  });

  it.each([
    [['--since', 'yesterday'], /--since 'yesterday' is not a date/],
    [['--since', '2026-11-22', '--until', '2026-11-21'], /--since must be before --until/],
  ])('%j is a usage error', (flags, message) => {
    const r = runCli(['scan', '-p', POLICY, DEMO, ...flags]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});

describe('--output-file', () => {
  it('writes several outputs in one run, the table still on stdout', () => {
    const json = join(tmp, 'out.json');
    const nd = join(tmp, 'out.ndjson');
    const r = runCli(['scan', '-p', POLICY, DEMO, '--output-file', `json=${json}`, '--output-file', `ndjson=${nd}`]);
    expect(r.stdout).toMatch(/^10 incidents from 103 violating requests/);
    expect((JSON.parse(readFileSync(json, 'utf8')) as Doc).summary.findings.total).toBe(103);
    expect(readFileSync(nd, 'utf8').trimEnd().split('\n')).toHaveLength(103);
    expect(readFileSync(json, 'utf8')).toBe(runCli(['scan', '-p', POLICY, DEMO, '-o', 'json']).stdout);
  });

  it('refuses an unknown format', () => {
    const r = runCli(['scan', '-p', POLICY, DEMO, '--output-file', 'pdf=x.pdf']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--output-file 'pdf=x.pdf' is not FORMAT=PATH/);
  });
});

describe('--split-by tenant', () => {
  // Two tenants: the analysts' keys and the scanner under org-analysts, the rest under the demo's org.
  const lines = readFileSync(join(ROOT, DEMO), 'utf8').trimEnd().split('\n').map((l) => {
    const r = JSON.parse(l) as Record<string, unknown>;
    if (['9f2c4e6a8b0d1f35', '5d7e9f1a3c5b7d92'].includes(r.api_key as string) || r.ip_address === '203.0.113.50') r.org_id = 'org-analysts';
    return r;
  });
  const input = join(tmp, 'two-tenants.ndjson');
  writeFileSync(input, lines.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const dir = join(tmp, 'reports');
  const r = runCli(['scan', '-p', POLICY, input, '--split-by', 'tenant', '--split-dir', dir, '-o', 'json', '--output-file', `ndjson=${join(tmp, 'all.ndjson')}`]);

  it('writes one report per tenant per output', () => {
    expect(readdirSync(dir).sort()).toEqual(['5e9d9544a1dcd60001d0ed20.json', '5e9d9544a1dcd60001d0ed20.ndjson', 'org-analysts.json', 'org-analysts.ndjson']);
    expect(r.stderr).toContain(`apiguard: wrote 2 tenant reports to ${dir}/`);
  });

  it('puts nothing of one tenant in another\'s report: no record, key, IP or count', () => {
    const tenants = ['org-analysts', '5e9d9544a1dcd60001d0ed20'];
    for (const tenant of tenants) {
      const other = tenants.find((t) => t !== tenant)!;
      const text = readFileSync(join(dir, `${tenant}.json`), 'utf8') + readFileSync(join(dir, `${tenant}.ndjson`), 'utf8');
      const doc = JSON.parse(readFileSync(join(dir, `${tenant}.json`), 'utf8')) as Doc;
      const mine = lines.filter((l) => l.org_id === tenant);
      const theirs = lines.filter((l) => l.org_id === other);
      expect(doc.summary.tenant).toBe(tenant);
      expect(doc.summary.records.parsed).toBe(mine.length);
      expect(text).not.toContain(other);
      for (const ip of new Set(theirs.map((l) => l.ip_address as string))) {
        if (!mine.some((l) => l.ip_address === ip)) expect(text, ip).not.toContain(`"${ip}"`);
      }
      for (const alias of new Set(theirs.map((l) => l.alias as string).filter(Boolean))) expect(text, alias).not.toContain(alias);
      // no count of the whole run: the totals are this tenant's
      expect(text).not.toContain('"parsed": 1138');
      for (const i of doc.incidents) expect(i.tenant).toBe(tenant);
    }
    const a = JSON.parse(readFileSync(join(dir, 'org-analysts.json'), 'utf8')) as Doc;
    const b = JSON.parse(readFileSync(join(dir, '5e9d9544a1dcd60001d0ed20.json'), 'utf8')) as Doc;
    expect(a.summary.findings.total + b.summary.findings.total).toBe(103);
  });
});

describe('apiguard learn, scan --state, --update-state', () => {
  const all = readFileSync(join(ROOT, DEMO), 'utf8').trimEnd().split('\n');
  const day = (d: string) => all.filter((l) => l.includes(`"timestamp":"2026-11-${d}`));
  const thu = join(tmp, 'thu.ndjson');
  const fri = join(tmp, 'fri.ndjson');
  writeFileSync(thu, day('19').join('\n') + '\n');
  writeFileSync(fri, day('20').join('\n') + '\n');
  const state = join(tmp, 'state.json');
  const learn = runCli(['learn', thu, '--state', state]);

  it('learns a small, deterministic state with no raw key in it', () => {
    expect(learn.status).toBe(0);
    expect(learn.stderr).toMatch(/^apiguard: learned \d+ keys? from \d+ requests/);
    const text = readFileSync(state, 'utf8');
    expect(JSON.parse(text)).toMatchObject({ version: 1 });
    expect(text.length).toBeLessThan(64 * 1024);
    const again = join(tmp, 'state2.json');
    runCli(['learn', thu, '--state', again]);
    expect(readFileSync(again, 'utf8')).toBe(text);
    for (const hash of ['3f9a1c0d7be24e51', 'a1b2c3d4e5f60718', '9f2c4e6a8b0d1f35']) expect(text).not.toContain(hash);
  });

  it('flags what the key never did while learning as row 5 anomalies, with the rule', () => {
    const r = runCli(['scan', fri, '--state', state, '-o', 'ndjson', '--no-policy']);
    const findings = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { row: string; ip: string; reasons: string[] });
    const anomalies = findings.filter((f) => f.row === 'when-violation');
    const kinds = new Set(anomalies.flatMap((f) => f.reasons.map((x) => /^(new network|new action|new hour|hourly volume|burst)/.exec(x)?.[1] ?? x)));
    // Friday brings Alice's VPN (a new network), her forbidden tries (new actions) and new hours;
    // the burst comes from the log-only checks, which still run without a policy.
    expect([...kinds].sort()).toEqual(['burst', 'new action', 'new hour', 'new network']);
    expect(anomalies.find((f) => f.reasons[0]!.startsWith('new network'))!.reasons[0]).toMatch(/^new network 2001:db8:42::\/64 for this key \(learned from \d+ requests on 1 day: /);
    expect(r.stderr).toContain(`Baseline:  ${state}`);
  });

  it('--update-state folds the scan\'s clean requests in', () => {
    const copy = join(tmp, 'state-updated.json');
    writeFileSync(copy, readFileSync(state));
    const r = runCli(['scan', fri, '--state', copy, '--update-state', '-o', 'json', '--no-policy']);
    expect(r.stderr).toMatch(/apiguard: folded \d+ clean requests into /);
    expect(readFileSync(copy, 'utf8')).not.toBe(readFileSync(state, 'utf8'));
  });

  it.each([
    [['scan', fri, '--update-state'], /--update-state needs --state FILE/, 2],
    [['learn', thu], /required option '--state <file>' not specified/, 2],
  ])('%j', (args, message, status) => {
    const r = runCli(args);
    expect(r.status).toBe(status);
    expect(r.stderr).toMatch(message);
  });

  it('a state file of another kind is refused with exit 2', () => {
    const foreign = join(tmp, 'foreign.json');
    writeFileSync(foreign, '{"version": 9, "keys": {}}');
    const r = runCli(['scan', fri, '--state', foreign]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(foreign);
  });
});

describe('every output through the CLI', () => {
  it.each(['sarif', 'ecs', 'csv', 'junit'])('%s is written by --output and --output-file alike, deterministically', (format) => {
    const file = join(tmp, `out.${format}`);
    const r = runCli(['scan', '-p', POLICY, DEMO, '-o', format, '--output-file', `${format}=${file}`]);
    expect(r.status).toBe(1);
    expect(r.stdout.length).toBeGreaterThan(100);
    expect(readFileSync(file, 'utf8')).toBe(r.stdout);
    expect(r.stdout).not.toContain('deadbeefcafef00d');
    expect(r.stderr).toContain('Records:   1,138 read'); // machine outputs keep the summary on stderr
    expect(runCli(['scan', '-p', POLICY, DEMO, '-o', format]).stdout).toBe(r.stdout);
  });
});

describe('the table with suppressions', () => {
  it('counts open incidents in its title and names the suppressed ones apart', () => {
    const f = join(tmp, 'title.yaml');
    writeFileSync(f, 'version: 1\nsuppressions:\n  - key: soar-enrichment\n    row: when-violation\n    reason: batch\n    owner: soc\n    expires: 2027-01-31\n');
    const r = runCli(['scan', '-p', POLICY, DEMO, '--suppress', f], { env: NOW });
    expect(r.stdout.split('\n')[0]).toBe('9 incidents from 85 violating requests (40 let through by the gateway), and 1 suppressed incident (18 requests)');
    expect(r.stdout).toContain('Findings:  85 violating requests in 9 incidents');
    expect(r.stdout).toContain('HIGH (suppressed)');
  });
});

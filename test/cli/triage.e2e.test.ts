import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';

const DEMO = 'fixtures/demo/tyk-analytics.ndjson';
const POLICY = 'rules/demo-policy.yaml';
const tmp = mkdtempSync(join(tmpdir(), 'apiguard-triage-'));

const triage = (args: string[], opts: Parameters<typeof runCli>[1] = {}) => runCli(['triage', '-p', POLICY, ...args], opts);
const triageJson = (key: string, ...more: string[]) => {
  const r = triage([key, DEMO, '-o', 'json', '--fail-on', 'none', ...more]);
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
};

describe('apiguard triage on the demo logs', () => {
  it('tells the stolen SOAR key story in one table', () => {
    const r = triage(['soar-playbooks', DEMO]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('apiguard: soar-playbooks: 14 findings at or above low (exit 1)\n');
    const out = r.stdout;
    expect(out).toContain('Triage: soar-playbooks  (policy key; matched by name soar-playbooks)');
    expect(out).toContain('  Requests:   510: 504 succeeded, 6 blocked (status ≥ 400)');
    expect(out).toContain('  Violations: 14 violating requests in 2 incidents, 10 let through by the gateway');
    expect(out).toContain('  First violation:    2026-11-20 04:00:41 +01:00  GET /elastic/_security/user from 203.0.113.99 → 200');
    expect(out).toContain('  First new network:  203.0.113.0/24 (outside its from networks): the same request');
    expect(out).toContain('  Of those:  14 from the 2 sources that broke policy: 10 succeeded, 4 blocked');
    expect(out).toMatch(/\n {2}203\.0\.113\.99 +203\.0\.113\.0\/24 .* NO +row 3 key-compromised \(12\)\n/);
    expect(out).toMatch(/\n {2}10\.10\.5\.2 +10\.10\.5\.0\/24 .* yes +clean\n/);
    expect(out).toMatch(/\n {2}GET \/elastic\/_security\/api_key +2 +2 +0 +NO +2\n/);
    // The clients: the SOAR workers all along, and curl from the first violation on.
    expect(out).toContain('Clients  2 user agents, first seen first\n');
    expect(out).toMatch(/\n {2}soar-worker\/4\.2 +2026-11-19 01:02:02 \+01:00 → 2026-11-22 00:47:06 \+01:00 +496 +494 +2 +0\n {2}curl\/7\.88\.1 +2026-11-20 04:00:41 \+01:00 → 04:31:47 \+01:00 +14 +10 +4 +14\n/);
    expect(out).toContain('  1. Block API request  (row 3 key-compromised; 2 incidents)');
    expect(out).toContain('  2. Revoke API key & create new API key  (row 3 key-compromised; 2 incidents)');
    expect(out).toContain('curl -s -X DELETE -H "x-tyk-authorization: $TYK_SECRET" "$TYK_GW/tyk/keys/3f9a1c0d7be24e51?hashed=true"');
    // The read counts are always there.
    expect(out).toContain('  Records:   1,138 read, 1,138 parsed, 0 skipped');
  });

  it('draws a one-line activity strip, 1 hour per character over the three days, with the violating hours marked', () => {
    const ascii = triage(['soar-playbooks', DEMO]).stdout.split('\n');
    const at = ascii.findIndex((l) => l.startsWith('Activity'));
    expect(ascii[at]).toBe('Activity  1 character = 1 hour, 2026-11-19 01:00 to 2026-11-22 01:00 (Europe/Amsterdam); peak 22 requests, log scale');
    const strip = ascii[at + 1]!;
    const marks = ascii[at + 2]!;
    expect(strip).toMatch(/^ {2}\|[ .:\-=+*#@]{72}\|$/);
    // 04:00-05:00 local on Friday is the 28th hour: the stolen key's requests, let through.
    expect(marks).toBe(`  |${' '.repeat(27)}!${' '.repeat(44)}|  ! violations let through, ^ violations blocked`);
    const unicode = triage(['soar-playbooks', DEMO], { env: { LANG: 'en_US.UTF-8' } }).stdout.split('\n')[at + 1]!;
    expect(unicode).toMatch(/^ {2}\|[▁▂▃▄▅▆▇█ ]{72}\|$/);
    expect(triage(['soar-playbooks', DEMO, '--ascii'], { env: { LANG: 'en_US.UTF-8' } }).stdout.split('\n')[at + 1]).toBe(strip);
  });

  it.each([
    ['its name', 'analyst-alice', 'name analyst-alice'],
    ['its alias', 'alice', 'alias alice'],
    ['its id', 'ak5alice01', 'id ak5alice01'],
    ['its hash', '9f2c4e6a8b0d1f35', 'hash 9f2c…1f35'],
    ['a prefix of its hash', '9f2c', 'start of hash 9f2c…1f35'],
    ['a prefix of its name', 'analyst-a', 'start of name analyst-alice'],
  ])('finds a key by %s', (_what, key, how) => {
    const r = triage([key, DEMO, '--fail-on', 'none']);
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe(`Triage: analyst-alice  (policy key; matched by ${how})`);
    expect(r.stdout).not.toContain('9f2c4e6a8b0d1f35"');
  });

  it('an ambiguous prefix: exit 2, every candidate listed, nothing read', () => {
    const r = triage(['an', DEMO]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      "apiguard: 'an' matches 2 keys in rules/demo-policy.yaml; type more of it, or the whole name:\n  analyst-alice (start of name analyst-alice)\n  analyst-bob (start of name analyst-bob)\n",
    );
  });

  it('no match: exit 2 with the closest names, what was typed masked', () => {
    const r = triage(['analyst-alcie', DEMO]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("no key matches 'an…ie'");
    expect(r.stderr).toContain('closest policy keys: analyst-alice, analyst-bob, admin-carol');
    expect(r.stderr).not.toContain('analyst-alcie');
  });

  it("the no-key value is not a key", () => {
    const r = triage(['00000000', DEMO]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('what gateways log when a request carried no key');
  });

  it('a key the policy does not know is found in the logs: the shadow key', () => {
    const j = triageJson('deadbeef');
    expect(j.key).toMatchObject({ label: 'hash dead…f00d', source: 'logs', matched: { field: 'hash', shown: 'dead…f00d', exact: false } });
    expect(j.use).toMatchObject({ requests: 6, succeeded: 6, violations: 6, letThrough: 6 });
    expect(j.response.steps[0].commands).toContain('curl -s -X DELETE -H "x-tyk-authorization: $TYK_SECRET" "$TYK_GW/tyk/keys/deadbeefcafef00d?hashed=true"');
  });

  describe('finds exactly what scan finds for the key: the same incident ids and counts', () => {
    const scanned = JSON.parse(runCli(['scan', '-p', POLICY, DEMO, '-o', 'json', '--fail-on', 'none']).stdout);
    const strip = (i: Record<string, unknown>) => ({ ...i, number: undefined });
    it.each(['soar-playbooks', 'soar-enrichment', 'analyst-alice', 'analyst-bob', 'admin-carol', 'deadbeefcafef00d'])('%s', (key) => {
      const j = triageJson(key);
      const mine = scanned.incidents.filter((i: { key: string }) => i.key === j.key.label);
      expect(mine.length).toBeGreaterThan(0);
      expect(j.incidents.map(strip)).toEqual(mine.map(strip));
      expect(j.use.violations).toBe(mine.reduce((n: number, i: { count: number }) => n + i.count, 0));
    });
  });

  it('json: the onset, the first new network and the blast radius of the stolen key', () => {
    const j = triageJson('soar-playbooks');
    expect(j.schema).toBe('apiguard.triage/1');
    expect(j.onset.firstViolation).toMatchObject({ time: '2026-11-20T03:00:41.207Z', ip: '203.0.113.99', method: 'GET', path: '/elastic/_security/user', status: 200, line: 452, rows: ['key-compromised'] });
    expect(j.onset.firstNewNetwork).toMatchObject({ network: '203.0.113.0/24', insideFrom: false, request: { time: '2026-11-20T03:00:41.207Z' } });
    expect(j.networks.map((n: { network: string; isNew: boolean }) => `${n.network} ${n.isNew}`)).toEqual(['10.10.5.0/24 false', '203.0.113.0/24 true', '2001:db8:dead::/64 true']);
    expect(j.blastRadius.start).toMatchObject({ by: 'first-violation', request: { line: 452 } });
    expect(j.blastRadius.fromSuspectSources).toEqual({ requests: 14, succeeded: 10, blocked: 4, unknown: 0, sources: 2 });
    expect(j.blastRadius.apis.map((a: { api: string }) => a.api)).toEqual(['Elastic', 'RT', 'Carbon Black', 'OPNsense']);
    expect(j.clients).toEqual([
      { requests: 496, succeeded: 494, blocked: 2, unknown: 0, userAgent: 'soar-worker/4.2', first: '2026-11-19T00:02:02.620Z', last: '2026-11-21T23:47:06.037Z', violations: 0 },
      { requests: 14, succeeded: 10, blocked: 4, unknown: 0, userAgent: 'curl/7.88.1', first: '2026-11-20T03:00:41.207Z', last: '2026-11-20T03:31:47.925Z', violations: 14 },
    ]);
    expect(j.otherClients).toEqual({ requests: 0, succeeded: 0, blocked: 0, unknown: 0 });
    expect(j.activity).toMatchObject({ bucketHours: 1, bucket: '1 hour', start: '2026-11-19T00:00:00.000Z', end: '2026-11-22T00:00:00.000Z', peak: 22 });
    expect(j.activity.buckets).toHaveLength(72);
    expect(j.activity.buckets.filter((b: { violations: number }) => b.violations > 0)).toEqual([{ start: '2026-11-20T03:00:00.000Z', requests: 22, violations: 14, letThrough: 10 }]);
    expect(j.response.steps.map((s: { action: string }) => s.action)).toEqual(['block', 'revoke']);
    expect(j.summary.records).toMatchObject({ read: 1138, parsed: 1138, skipped: 0 });
  });

  it("json: alice's first new network is her home, before the VPN (new, but allowed)", () => {
    const j = triageJson('alice');
    expect(j.onset.firstNewNetwork).toMatchObject({ network: '192.168.1.0/24', insideFrom: false, request: { time: '2026-11-19T15:00:21.433Z', ip: '192.168.1.20' } });
    expect(j.networks).toContainEqual({ network: '2001:db8:42::/64', first: '2026-11-20T07:07:29.335Z', requests: 10, isNew: true, insideFrom: true });
    expect(j.actions[0]).toMatchObject({ allowed: false });
  });

  it('json on stdout is one document; the read counts go to stderr', () => {
    const r = triage(['soar-playbooks', DEMO, '-o', 'json']);
    expect(r.status).toBe(1);
    expect(() => JSON.parse(r.stdout)).not.toThrow();
    expect(r.stderr).toContain('  Records:   1,138 read, 1,138 parsed, 0 skipped');
  });

  it('is deterministic: the same bytes every run', () => {
    const a = triage(['soar-playbooks', DEMO, '-o', 'json', '--context', '2']);
    const b = triage(['soar-playbooks', DEMO, '-o', 'json', '--context', '2']);
    expect(a.stdout).toBe(b.stdout);
    expect(triage(['alice', DEMO]).stdout).toBe(triage(['alice', DEMO]).stdout);
  });

  it('--since and --until limit the period as scan does', () => {
    const j = triageJson('soar-playbooks', '--until', '2026-11-20T03:10:00Z');
    expect(j.use.violations).toBe(7);
    expect(j.period.until).toBe('2026-11-20T03:10:00.000Z');
    expect(j.summary.records.outsidePeriod).toBeGreaterThan(0);
    const late = triageJson('soar-playbooks', '--since', '2026-11-21');
    expect(late.use.violations).toBe(0);
    expect(late.response.steps).toEqual([]);
  });

  it('exit 0 when the key shows no violation, or none at or above --fail-on', () => {
    const clean = triage(['admin-carol', DEMO, '--until', '2026-11-21']);
    expect(clean.status).toBe(0);
    expect(clean.stdout).toContain('  Violations: none');
    expect(clean.stdout).toContain('No violation: the decision table calls for no response.');
    expect(triage(['admin-carol', DEMO, '--fail-on', 'critical']).status).toBe(0);
    const unused = triage(['analyst-bob', DEMO, '--since', '2026-11-21T23:00:00Z', '--context', '2']);
    expect(unused.status).toBe(0);
    expect(unused.stdout).toContain('Use\n  No request of this key in the period scanned.\n\nResponse\n');
    expect(unused.stdout).toContain('Context  no violation to show the raw lines around');
    expect(triage(['alice', DEMO, '--fail-on', 'critical']).status).toBe(1);
  });

  it('exit 3 on input errors, 2 on bad flags', () => {
    expect(triage(['alice', 'no-such-file.ndjson']).status).toBe(3);
    const garbage = join(tmp, 'garbage.ndjson');
    writeFileSync(garbage, 'not json\nnor this\n');
    expect(triage(['alice', garbage]).status).toBe(3);
    expect(triage(['alice', DEMO, '--context', 'x']).status).toBe(2);
    expect(triage(['alice', DEMO, '--since', 'yesterday']).status).toBe(2);
  });

  it('--context pulls the masked raw lines around each violation, from stdin too', () => {
    const r = triage(['soar-playbooks', '-', '--context', '1', '--context-max', '2'], { input: readFileSync(DEMO) });
    expect(r.status).toBe(1);
    const out = r.stdout;
    expect(out).toContain('Context  1 line before and after the first 2 of 14 violations (--context-max); > marks a violation; keys masked');
    expect(out).toMatch(/\n {2}<stdin>\n {4}451 {2}\{"method":"GET"[^\n]*\n {2}> 452 {2}\{[^\n]*"ip_address":"203\.0\.113\.99"[^\n]*\n {2}> 453 [^\n]*\n {4}454 /);
    const fromFile = triage(['soar-playbooks', DEMO, '--context', '1', '--context-max', '2']).stdout;
    expect(fromFile.replaceAll(DEMO, '<stdin>').split('Context')[1]!.split('Summary')[0]).toBe(out.split('Context')[1]!.split('Summary')[0]);
  });

  it('--tickets writes one RT ticket per incident of the key', () => {
    const dir = join(tmp, 'tickets');
    const r = triage(['soar-playbooks', DEMO, '--tickets', dir, '--rt-queue', 'SOC']);
    expect(r.stderr).toContain(`apiguard: wrote 2 tickets to ${dir}`);
    const files = readdirSync(dir).sort();
    const ids = triageJson('soar-playbooks').incidents.map((i: { id: string }) => `${i.id}.json`).sort();
    expect(files).toEqual(ids);
    const t = JSON.parse(readFileSync(join(dir, files[0]!), 'utf8'));
    expect(t).toMatchObject({ Queue: 'SOC', Priority: 100, ContentType: 'text/plain' });
    expect(t.Subject).toContain('Revoke API key & create new API key: soar-playbooks');
    expect(t.Content).toContain('apiguard triage soar-playbooks');
    expect(r.stdout).toContain(`Tickets:  wrote 2 RT tickets to ${dir}`);
  });

  it('without a policy: the key as the logs show it, judged by the log-only checks', () => {
    const r = runCli(['triage', '--no-policy', '3f9a1c0d', DEMO, '-o', 'json', '--fail-on', 'none']);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.key).toMatchObject({ label: 'hash 3f9a…4e51 (alias soar-playbooks)', source: 'logs', identities: { aliases: ['soar-playbooks'], hashes: ['3f9a…4e51'] } });
    expect(j.summary.checks.mode).toBe('log-only');
    expect(j.onset.firstNewNetwork).toMatchObject({ network: '203.0.113.0/24', insideFrom: null });
    expect(j.blastRadius.start.request.time).toBe('2026-11-20T03:00:41.207Z');
    const ambiguous = runCli(['triage', '--no-policy', 'a', DEMO]);
    expect(ambiguous.status).toBe(2);
    expect(ambiguous.stderr).toContain("'a' matches");
    expect(ambiguous.stderr).toContain('hash a1b2…0718 (alias soar-enrichment)');
  });
});

describe('masking: no raw key in any output byte', () => {
  // The demo as a gateway with hash_keys off would log it: raw keys instead of hashes, in api_key and the tags.
  const demoPolicy = readFileSync(POLICY, 'utf8');
  const hashes = [...demoPolicy.matchAll(/hash: "([0-9a-f]{16})"/g)].map((m) => m[1]!);
  const raw = new Map(hashes.map((h) => [h, `tyk_live_${h}_S3cr3tTail`]));
  const RAW_KEYS = [...raw.values(), 'tyk_live_deadbeefcafef00d_S3cr3tTail'];
  const policyFile = join(tmp, 'raw-policy.yaml');
  writeFileSync(policyFile, demoPolicy.replace(/hash: "([0-9a-f]{16})"/g, (_m, h: string) => `key: "${raw.get(h)}"`));
  const logFile = join(tmp, 'raw.ndjson');
  const lines = readFileSync(DEMO, 'utf8').replace(/[0-9a-f]{16}/g, (h) => (raw.has(h) ? raw.get(h)! : h === 'deadbeefcafef00d' ? RAW_KEYS[RAW_KEYS.length - 1]! : h));
  // One more record of the stolen key with hostile fields: the raw key and escapes in its path.
  const hostile = JSON.stringify({
    ...JSON.parse(lines.split('\n')[451]!),
    original_path: `/elastic/\u001b]0;pwned\u0007/${raw.get('3f9a1c0d7be24e51')}/\u202egpj.exe`,
    timestamp: '2026-11-20T03:00:42.000000000Z',
  });
  const all = lines.split('\n');
  all.splice(452, 0, hostile);
  writeFileSync(logFile, all.join('\n'));
  const ticketDir = join(tmp, 'raw-tickets');

  const noSecrets = (label: string, text: string): void => {
    for (const k of RAW_KEYS) expect(text, `${label} holds ${k}`).not.toContain(k);
    // eslint-disable-next-line no-control-regex
    expect(text, label).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/);
  };

  it.each([
    ['table', ['soar-playbooks', logFile, '--context', '3', '--context-max', '50']],
    ['json', ['soar-playbooks', logFile, '-o', 'json', '--context', '3', '--context-max', '50']],
    ['tickets', ['soar-playbooks', logFile, '--tickets', ticketDir]],
    ['the key typed whole', [raw.get('3f9a1c0d7be24e51')!, logFile, '-o', 'json']],
    ['an unknown raw key found in the logs', ['tyk_live_deadbeef', logFile, '--context', '2']],
    ['a key typed wrong', [`${raw.get('3f9a1c0d7be24e51')!}x`, logFile]],
    ['an ambiguous prefix of raw keys', ['tyk_live_', logFile]],
  ])('%s', (_what, args) => {
    const r = runCli(['triage', '-p', policyFile, ...args]);
    expect([0, 1, 2]).toContain(r.status);
    noSecrets('stdout', r.stdout);
    noSecrets('stderr', r.stderr);
    if (args.includes('--tickets')) {
      const files = readdirSync(ticketDir);
      expect(files.length).toBeGreaterThan(0);
      for (const f of files) noSecrets(f, readFileSync(join(ticketDir, f), 'utf8'));
    }
  });

  it('still shows what was masked, so an analyst can pivot', () => {
    const r = runCli(['triage', '-p', policyFile, 'soar-playbooks', logFile, '--context', '1', '--context-max', '2']);
    expect(r.stdout).toContain('Triage: soar-playbooks');
    expect(r.stdout).toContain('key tyk_…Tail');
    expect(r.stdout).toContain('"api_key":"tyk_…Tail"');
    expect(r.stdout).toContain('/elastic/\\x1b]0;pwned\\x07/tyk_…Tail/\\u202egpj.exe');
    // The calls cannot name a raw key: a placeholder instead.
    expect(r.stdout).toContain('"$TYK_GW/tyk/keys/$API_KEY"');
  });

  it('an error message never echoes a raw key the user typed', () => {
    const r = runCli(['triage', '-p', policyFile, `${raw.get('3f9a1c0d7be24e51')!}x`, logFile]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("no key matches 'tyk_…ailx'");
  });
});

describe('README: the Triage section', () => {
  const readme = readFileSync('README.md', 'utf8');
  const section = readme.slice(readme.indexOf('## `apiguard triage`'), readme.indexOf('## Zero configuration'));

  it('documents every triage option', () => {
    const help = runCli(['triage', '--help']).stdout;
    const flags = [...help.matchAll(/^ {2}(?:-\w, )?(--[a-z-]+)/gm)].map((m) => m[1]!).filter((f) => f !== '--help');
    expect(flags.length).toBeGreaterThan(15);
    for (const flag of flags) expect(section, flag).toMatch(new RegExp(`(\`|, )${flag}[\` ]`));
  });

  it('its examples on the demo logs work', () => {
    const examples = [...section.matchAll(/^npx apiguard (triage .*fixtures\/demo.*)$/gm)].map((m) => m[1]!);
    expect(examples.length).toBeGreaterThanOrEqual(4);
    for (const example of examples) {
      const args = example.replace('| jq .onset', '').replace('tickets/', join(tmp, 'readme-tickets')).trim().split(/\s+/);
      const r = runCli(args);
      expect(r.status, `${example}\n${r.stderr}`).toBe(1);
      expect(r.stdout.length).toBeGreaterThan(0);
    }
  });
});


describe('--jobs', () => {
  it('gives the same bytes with 1, 2 and 4 threads, with chunks small enough to cut the demo into many', () => {
    const run = (jobs: string) => triage(['soar-playbooks', DEMO, '-o', 'json', '--context', '1', '--jobs', jobs], { env: { APIGUARD_CHUNK_BYTES: '4096' } });
    const one = run('1');
    expect(one.status).toBe(1);
    expect(JSON.parse(one.stdout).incidents.length).toBe(2);
    for (const jobs of ['2', '4']) {
      const many = run(jobs);
      expect(many.stdout).toBe(one.stdout);
      expect(many.status).toBe(1);
    }
  });
});

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/run-cli.js';

const DEMO = 'fixtures/demo/tyk-analytics.ndjson';
const POLICY = 'rules/demo-policy.yaml';
const BROKEN = 'fixtures/broken/tyk-broken-records.ndjson';
const tmp = mkdtempSync(join(tmpdir(), 'apiguard-exit-'));

describe('exit 0: clean, or nothing at or above --fail-on', () => {
  it('--fail-on none never fails on findings', () => {
    const r = runCli(['scan', '-p', POLICY, DEMO, '--fail-on', 'none', '-o', 'json']);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
  });

  it('a clean log exits 0 and says so', () => {
    // The first ten demo lines are ordinary traffic.
    const clean = join(tmp, 'clean.ndjson');
    writeFileSync(clean, readFileSync(DEMO, 'utf8').split('\n').slice(0, 10).join('\n') + '\n');
    const r = runCli(['scan', '-p', POLICY, clean]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^No findings in 10 requests\./);
  });
});

describe('exit 1: findings at or above --fail-on', () => {
  it.each([
    ['low', 1, 103],
    ['medium', 1, 63],
    ['high', 1, 36],
    ['critical', 1, 17],
  ])('--fail-on %s', (level, status, count) => {
    const r = runCli(['scan', '-p', POLICY, DEMO, '--fail-on', level, '-o', 'json']);
    expect(r.status).toBe(status);
    expect(r.stderr).toBe(`apiguard: ${count} findings at or above ${level} (exit 1)\n`);
  });
});

describe('exit 2: usage and policy errors', () => {
  it('names each policy problem with file:line', () => {
    const r = runCli(['scan', '-p', 'fixtures/policies/broken-policy.yaml', DEMO]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain("fixtures/policies/broken-policy.yaml:4: networks.soc[0]: '10.20.0.0/33' has a bad prefix length (0–32)");
    expect(r.stderr).toContain("fixtures/policies/broken-policy.yaml:11: keys[0].role: unknown role 'raeder' (roles: reader)");
    expect(r.stderr).toContain("fixtures/policies/broken-policy.yaml:12: keys[0].rate: '30/1x' is not a rate like 30/1m");
  });

  it('a YAML syntax error names its line', () => {
    const bad = join(tmp, 'syntax.yaml');
    writeFileSync(bad, 'version: 1\nkeys:\n  - name: a\n   match: {alias: a}\n');
    const r = runCli(['scan', '-p', bad, DEMO]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4: YAML: `));
  });

  it.each([
    [['scan', '--no-such-flag', DEMO], /unknown option '--no-such-flag'/],
    [['scan', '--fail-on', 'severe', DEMO], /--fail-on.*Allowed choices are low, medium, high, critical, none/],
    [['scan', '--output', 'xml', DEMO], /Allowed choices are table, json, ndjson/],
    [['scan', '--reorder-window', 'soon', DEMO], /--reorder-window 'soon' is not a duration/],
    [['scan', '-p', 'no/such/policy.yaml', DEMO], /no\/such\/policy.yaml: policy file not found/],
    [['frobnicate'], /unknown command 'frobnicate'/],
  ])('%j', (args, message) => {
    const r = runCli(args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('--help documents the exit codes and exits 0', () => {
    const r = runCli(['scan', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Exit codes:');
    expect(r.stdout).toContain('3  input error');
  });
});

describe('exit 3: input errors', () => {
  it('a missing input file', () => {
    const r = runCli(['scan', '-p', POLICY, 'no/such/file.ndjson']);
    expect(r.status).toBe(3);
    expect(r.stderr).toBe('apiguard: no/such/file.ndjson: no such file or directory\n');
  });

  it('no record parsed at all, with the reason', () => {
    const junk = join(tmp, 'junk.ndjson');
    writeFileSync(junk, 'hello\nworld\n');
    const r = runCli(['scan', '-p', POLICY, junk, '-o', 'json']);
    expect(r.status).toBe(3);
    expect(r.stderr).toContain('junk.ndjson: no known log format fits (first record has fields: hello); use --format to force one');
    expect(r.stderr).toContain('apiguard: no request could be read: all 1 records were skipped (unknown-format: 1)');
  });

  it('an empty input', () => {
    const r = runCli(['scan', '-p', POLICY, '-'], { input: '' });
    expect(r.status).toBe(3);
    expect(r.stderr).toContain('no request could be read: the input has no records');
  });

  it('broken records are skipped with file:line and counted; the scan goes on', () => {
    const r = runCli(['scan', '-p', POLICY, BROKEN, '-o', 'json', '--fail-on', 'none']);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(`${BROKEN}:2: skipped: not valid JSON`);
    expect(r.stderr).toContain(`${BROKEN}:3: skipped: no timestamp`);
    expect(r.stderr).toContain(`${BROKEN}:5: skipped: client IP cannot be parsed (10.20.0.999)`);
    expect(r.stderr).toContain(`${BROKEN}:6: skipped: JSON value is not an object (array with 3 values that are not objects)`);
    expect(r.stderr).toContain(`${BROKEN}:7: skipped: timestamp cannot be parsed (yesterday)`);
    const doc = JSON.parse(r.stdout) as { summary: { records: unknown; skipped: { reason: string; count: number }[] } };
    expect(doc.summary.records).toEqual({ read: 7, parsed: 2, skipped: 5, late: 0, ahead: 0, unchecked: { where: 0, what: 0 }, outsidePeriod: 0 });
    expect(doc.summary.skipped.map((s) => [s.reason, s.count])).toEqual([
      ['bad-json', 1],
      ['not-an-object', 1],
      ['missing-timestamp', 1],
      ['bad-timestamp', 1],
      ['bad-ip', 1],
    ]);
  });

  it('--strict turns any skipped record into exit 3', () => {
    const r = runCli(['scan', '-p', POLICY, BROKEN, '--strict', '--fail-on', 'none']);
    expect(r.status).toBe(3);
    expect(r.stderr).toContain('apiguard: --strict: 5 records were skipped');
  });

  it('a truncated .gz is reported by name, and what was read before the break counts', () => {
    const whole = gzipSync(readFileSync(DEMO));
    const cut = join(tmp, 'cut.ndjson.gz');
    writeFileSync(cut, whole.subarray(0, Math.floor(whole.length / 2)));
    const r = runCli(['scan', '-p', POLICY, cut, '-o', 'json']);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(new RegExp(`cut.ndjson.gz: truncated gzip stream after line \\d+`));
    expect(r.stderr).toMatch(/1 file could not be read completely: .*cut.ndjson.gz/);
    const doc = JSON.parse(r.stdout) as { summary: { records: { parsed: number }; files: { gzip: boolean; error: string }[] } };
    expect(doc.summary.records.parsed).toBeGreaterThan(100);
    expect(doc.summary.records.parsed).toBeLessThan(1138);
    expect(doc.summary.files[0]!.gzip).toBe(true);
  });
});

describe('a reader that stops early (| head): the exit code of the whole run', () => {
  /** `apiguard ARGS | READER` in bash with pipefail; apiguard's own exit status. */
  const piped = (args: string[], reader: string): number => {
    const quoted = args.map((a) => `'${a}'`).join(' ');
    const r = spawnSync('bash', ['-c', `set -o pipefail; '${process.execPath}' bin/apiguard.js ${quoted} 2>/dev/null | ${reader}; echo "\${PIPESTATUS[0]}"`], { cwd: ROOT, encoding: 'utf8' });
    return Number(r.stdout.trim());
  };

  it.each([
    // Streamed: the reader is gone before the first finding is written.
    ['ndjson', 'true'],
    ['ndjson', 'head -c 100 >/dev/null'],
    // Written once the scan is done.
    ['json', 'true'],
    ['table', 'true'],
  ])('-o %s | %s: 1 with findings at or above --fail-on, 0 without', (output, reader) => {
    expect(piped(['scan', '-p', POLICY, DEMO, '-o', output, '--fail-on', 'high'], reader)).toBe(1);
    expect(piped(['scan', '-p', POLICY, DEMO, '-o', output, '--fail-on', 'none'], reader)).toBe(0);
  });

  it('3 for an incomplete read, whatever the reader did', () => {
    expect(piped(['scan', '-p', POLICY, BROKEN, '-o', 'ndjson', '--strict', '--fail-on', 'none'], 'true')).toBe(3);
  });

  it.each([
    ['ndjson', 'true'],
    ['ndjson', 'head -c 100 >/dev/null'],
    ['json', 'true'],
  ])('-o %s | %s: a scan that writes tickets, a state file and an output file finishes them, as with a reader that reads all', (output, reader) => {
    const dir = mkdtempSync(join(tmpdir(), 'apiguard-pipe-'));
    const learned = join(dir, 'learned.json');
    expect(runCli(['learn', DEMO, '--state', learned]).status).toBe(0);
    const run = (name: string, pipeTo: string): { code: number; state: string; tickets: string[]; sarif: string } => {
      const state = join(dir, `${name}.state.json`);
      writeFileSync(state, readFileSync(learned));
      const tickets = join(dir, `${name}-tickets`);
      const sarif = join(dir, `${name}.sarif`);
      const code = piped(['scan', '-p', POLICY, DEMO, '-o', output, '--fail-on', 'high', '--state', state, '--update-state', '--tickets', tickets, '--output-file', `sarif=${sarif}`], pipeTo);
      const names = readdirSync(tickets).sort();
      return { code, state: readFileSync(state, 'utf8'), tickets: names.map((n) => `${n}\n${readFileSync(join(tickets, n), 'utf8')}`), sarif: readFileSync(sarif, 'utf8') };
    };
    const whole = run('whole', 'cat >/dev/null');
    const cut = run('cut', reader);
    expect(whole.code).toBe(1);
    expect(whole.tickets.length).toBeGreaterThan(0);
    expect(whole.state).not.toBe(readFileSync(learned, 'utf8')); // the scan folded its clean requests in
    expect(cut).toEqual(whole);
  });
});

/**
 * --jobs gives byte-for-byte the output of one thread: every output format, summary counts, skip
 * examples with file:line, incident order and ids, late counts, updated state, per-tenant reports.
 * A correctness test, not a timing test. The fixture is the benchmark's workload (rate limits from
 * 10 s to 1 h, daily quotas, up to 3 s of out-of-order jitter), with broken records mixed in, read
 * in chunks of a few records (APIGUARD_CHUNK_BYTES) so that rate and quota windows, out-of-order
 * runs and CSV records with quoted line breaks all cross chunk boundaries, many times.
 */
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateWorkload } from '../../src/bench/generate.js';
import { runCli, type CliResult } from '../helpers/run-cli.js';

const RECORDS = 2500;
const CHUNK_BYTES = '3000'; // two or three records per chunk
const JOBS = ['1', '2', '4'];
const OUTPUTS = ['json', 'table', 'ndjson', 'sarif', 'ecs', 'csv', 'junit'];

const root = mkdtempSync(join(tmpdir(), 'apiguard-jobs-'));
let policy = '';
let ndjson = '';
let gz = '';
let csv = '';
let zoneless = '';
let mapping = '';

beforeAll(() => {
  const w = generateWorkload({ dir: join(root, 'w'), records: RECORDS });
  policy = w.policyFile;
  // Broken records among the good ones, in many chunks: bad JSON, a non-object, blank and CRLF lines.
  const lines = readFileSync(w.ndjsonFile!, 'utf8').trimEnd().split('\n');
  const mixed: string[] = [];
  lines.forEach((l, i) => {
    mixed.push(i % 97 === 5 ? `${l}\r` : l);
    if (i % 401 === 7) mixed.push('{"timestamp": "2026-11-20T05:00:00Z", "broken": ');
    if (i % 503 === 11) mixed.push('[1, 2]');
    if (i % 307 === 13) mixed.push('');
  });
  ndjson = join(root, 'mixed.ndjson');
  writeFileSync(ndjson, mixed.join('\n') + '\n');
  // The same records with a zoneless local time (Amsterdam) beside the UTC one, for --map and --log-timezone.
  zoneless = join(root, 'zoneless.ndjson');
  writeFileSync(
    zoneless,
    mixed
      .map((l) => {
        if (!l.startsWith('{"method"')) return l;
        const r = JSON.parse(l) as { timestamp: string };
        const local = new Date(Date.parse(r.timestamp) + 3_600_000).toISOString().replace('Z', '');
        return JSON.stringify({ ...r, local });
      })
      .join('\n') + '\n',
  );
  mapping = join(root, 'own-tyk.yml');
  writeFileSync(
    mapping,
    ['name: own-tyk', 'description: Tyk analytics read by a mapping of our own', 'container: json', 'detect: {all: [api_key, response_code, ip_address]}', 'fields:', '  time: {from: local, as: iso}', '  ip: ip_address', '  method: method', '  path: path', '  status: response_code', '  keyOrHash: api_key', '  alias: alias', '  tenant: org_id', ''].join('\n'),
  );
  gz = join(root, 'mixed.ndjson.gz');
  writeFileSync(gz, gzipSync(readFileSync(ndjson)));
  // CSV records whose quoted cells span lines, every so often.
  const rows = readFileSync(w.csvFile!, 'utf8').trimEnd().split('\n');
  csv = join(root, 'mixed.csv');
  writeFileSync(
    csv,
    rows
      .map((r, i) => {
        if (i === 0 || i % 23 !== 3 || r.includes('"')) return r;
        const cells = r.split(',');
        cells[5] = `"agent ""x""\nsecond line, with a comma"`; // UserAgent
        return cells.join(',');
      })
      .join('\n') + '\n',
  );
}, 60_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** CLI runs on a loaded 2-core machine: give each test room. */
const SLOW = { timeout: 180_000 };

interface Run extends CliResult {
  files: Record<string, string>;
}

/** One scan per --jobs value, each writing every output (or those given) to its own directory. */
function scanAll(inputArgs: string[], extra: string[] = [], input?: Buffer, jobsList = JOBS, outputs = OUTPUTS): Record<string, Run> {
  const runs: Record<string, Run> = {};
  for (const jobs of jobsList) {
    const dir = join(root, `out-${Math.random().toString(36).slice(2)}`);
    mkdirSync(dir);
    const fileOutputs = outputs.filter((o) => o !== 'json').flatMap((o) => ['--output-file', `${o}=${join(dir, `report.${o}`)}`]);
    const r = runCli(['scan', '-p', policy, ...inputArgs, '-o', 'json', '--fail-on', 'none', '--jobs', jobs, ...fileOutputs, ...extra], {
      input,
      env: { APIGUARD_CHUNK_BYTES: CHUNK_BYTES, COLUMNS: '120', APIGUARD_NOW: '2026-11-23T00:00:00Z' },
    });
    const files: Record<string, string> = {};
    for (const f of readdirSync(dir, { recursive: true, withFileTypes: true })) {
      if (f.isFile()) files[join(f.parentPath, f.name).slice(dir.length + 1)] = readFileSync(join(f.parentPath, f.name), 'utf8');
    }
    runs[jobs] = { ...r, files };
  }
  return runs;
}

function expectSame(runs: Record<string, Run>): void {
  const one = runs['1']!;
  expect(one.status, one.stderr).toBe(0);
  for (const jobs of Object.keys(runs).filter((j) => j !== '1')) {
    const other = runs[jobs]!;
    expect(other.status, `--jobs ${jobs}: ${other.stderr}`).toBe(one.status);
    expect(other.stdout, `stdout of --jobs ${jobs}`).toBe(one.stdout);
    expect(other.stderr, `stderr of --jobs ${jobs}`).toBe(one.stderr);
    expect(Object.keys(other.files).sort()).toEqual(Object.keys(one.files).sort());
    for (const [name, text] of Object.entries(one.files)) expect(other.files[name], `${name} of --jobs ${jobs}`).toBe(text);
  }
}

interface Report {
  summary: {
    records: { read: number; parsed: number; skipped: number; late: number };
    skipExamples: { file: string; line: number; reason: string }[];
    findings: { total: number; byRow: Record<string, number> };
    files: { file: string; format: string; framing: string; records: number }[];
  };
  incidents: { id: string }[];
}

let fromFile: Record<string, Run> | undefined;
const ndjsonRuns = (): Record<string, Run> => (fromFile ??= scanAll([ndjson]));

describe('scan --jobs 1, 2 and 4 give the same bytes', () => {
  it('on an NDJSON file, in every output format', SLOW, () => {
    const runs = ndjsonRuns();
    expectSame(runs);
    const r = JSON.parse(runs['1']!.stdout) as Report;
    // The fixture does what it is for: windows to judge, broken records to skip, many chunks.
    expect(r.summary.records.parsed).toBe(RECORDS);
    expect(r.summary.findings.byRow['when-violation']).toBeGreaterThan(5);
    expect(r.summary.records.skipped).toBeGreaterThanOrEqual(12);
    expect(r.summary.skipExamples.length).toBe(10);
    expect(r.summary.skipExamples.some((e) => e.reason === 'bad-json' && e.line > 1000)).toBe(true);
    expect(runs['1']!.stderr).toMatch(/mixed\.ndjson:\d+: skipped: not valid JSON/);
    expect(Object.keys(runs['1']!.files)).toHaveLength(OUTPUTS.length - 1);
  });

  it('on several gateway nodes\' files merged by time (one gzipped), broken records in each', SLOW, () => {
    // The same records dealt out to three nodes, as a cluster logs them: every file covers the same hours.
    const lines = readFileSync(ndjson, 'utf8').trimEnd().split('\n');
    const nodes = [0, 1, 2].map((n) => lines.filter((_, i) => i % 3 === n).join('\n') + '\n');
    const files = [join(root, 'node-0.ndjson'), join(root, 'node-1.ndjson'), join(root, 'node-2.ndjson.gz')];
    writeFileSync(files[0]!, nodes[0]!);
    writeFileSync(files[1]!, nodes[1]!);
    writeFileSync(files[2]!, gzipSync(nodes[2]!));
    const runs = scanAll(files, [], undefined, JOBS, ['json', 'ndjson']);
    expectSame(runs);
    const merged = JSON.parse(runs['1']!.stdout) as Report;
    const single = JSON.parse(ndjsonRuns()['1']!.stdout) as Report;
    // What one file of all the records gives: no record late, the same findings (rate and quota windows too).
    expect(merged.summary.records).toEqual(single.summary.records);
    expect(merged.summary.findings).toEqual(single.summary.findings);
    expect(merged.summary.skipExamples.map((e) => e.file).filter((f, i, all) => all.indexOf(f) === i).length).toBeGreaterThan(1);
    const place = (l: string): string => {
      const { file: _f, line: _l, ...rest } = JSON.parse(l) as Record<string, unknown>;
      return JSON.stringify(rest);
    };
    const ndjsonOf = (r: Run): string[] => r.files['report.ndjson']!.trimEnd().split('\n').map(place);
    expect(ndjsonOf(runs['2']!)).toEqual(ndjsonOf(ndjsonRuns()['1']!));
  });

  it('on the same file gzipped, with the same findings and line numbers', SLOW, () => {
    const runs = scanAll([gz]);
    expectSame(runs);
    const unzipped = JSON.parse(runs['1']!.stdout) as Report;
    const plain = JSON.parse(ndjsonRuns()['1']!.stdout) as Report;
    expect(unzipped.incidents.map((i) => i.id)).toEqual(plain.incidents.map((i) => i.id));
    expect(unzipped.summary.skipExamples.map((e) => e.line)).toEqual(plain.summary.skipExamples.map((e) => e.line));
  });

  it('on standard input, plain and gzipped', SLOW, () => {
    expectSame(scanAll(['-'], [], readFileSync(ndjson)));
    expectSame(scanAll(['-'], [], readFileSync(gz)));
  });

  it("on a FIFO, as bash's <(zcat ...) gives: read once as it comes, plain and gzipped", SLOW, () => {
    const plain = JSON.parse(ndjsonRuns()['1']!.stdout) as Report;
    for (const file of [ndjson, gz]) {
      const fifo = join(root, `fifo-${Math.random().toString(36).slice(2)}`);
      execFileSync('mkfifo', [fifo]);
      const runs: Record<string, Run> = {};
      for (const jobs of JOBS) {
        // A writer per run: the scan reads the FIFO to its end once.
        const writer = spawn('sh', ['-c', 'cat "$0" > "$1"', file, fifo], { stdio: 'ignore' });
        const r = runCli(['scan', '-p', policy, fifo, '-o', 'json', '--fail-on', 'none', '--jobs', jobs], { env: { APIGUARD_CHUNK_BYTES: CHUNK_BYTES } });
        writer.kill();
        runs[jobs] = { ...r, files: {} };
      }
      expectSame(runs);
      const got = JSON.parse(runs['2']!.stdout) as Report;
      expect(got.summary.records.parsed).toBe(RECORDS);
      expect(got.incidents.map((i) => i.id)).toEqual(plain.incidents.map((i) => i.id));
      expect(got.summary.skipExamples.map((e) => e.line)).toEqual(plain.summary.skipExamples.map((e) => e.line));
    }
  });

  it('with late records (a reorder window shorter than the jitter), as a table', SLOW, () => {
    const runs = scanAll([ndjson], ['-o', 'table', '--reorder-window', '1s']);
    expectSame(runs);
    expect(runs['1']!.stdout).toMatch(/Late: +\d+ records? arrived after later ones were judged/);
    expect(runs['1']!.stdout).not.toMatch(/Late: +0 /);
  });

  it('on CSV whose quoted cells span lines, cut only between records', SLOW, () => {
    const runs = scanAll([csv]);
    expectSame(runs);
    const r = JSON.parse(runs['1']!.stdout) as Report;
    expect(r.summary.files[0]!.framing).toBe('csv');
    expect(r.summary.records.parsed).toBe(RECORDS);
    expect(r.summary.records.skipped).toBe(0);
  });

  it('with several files, suppressions, a learned baseline updated, and per-tenant reports', SLOW, () => {
    const first = JSON.parse(runCli(['scan', '-p', policy, ndjson, '-o', 'json', '--fail-on', 'none', '--jobs', '1']).stdout) as {
      incidents: { row: string; key: string }[];
    };
    const when = first.incidents.find((i) => i.row === 'when-violation')!;
    const suppress = join(root, 'suppress.yaml');
    writeFileSync(suppress, `version: 1\nsuppressions:\n  - key: ${when.key}\n    row: when-violation\n    reason: test\n    owner: soc\n    expires: 2030-01-31\n`);
    // learn gives the same state with every --jobs
    const states = JOBS.map((jobs) => {
      const state = join(root, `state-${jobs}.json`);
      const r = runCli(['learn', gz, '--state', state, '--jobs', jobs], { env: { APIGUARD_CHUNK_BYTES: CHUNK_BYTES } });
      expect(r.status, r.stderr).toBe(0);
      return readFileSync(state, 'utf8');
    });
    expect(states[1]).toBe(states[0]);
    expect(states[2]).toBe(states[0]);

    const runs: Record<string, Run> = {};
    const dir = join(root, 'features');
    for (const jobs of JOBS) {
      // The same paths for every run (they appear in the report): a fresh copy of the state, no reports yet.
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir);
      cpSync(join(root, 'state-1.json'), join(dir, 'state.json'));
      const r = runCli(
        ['scan', '-p', policy, ndjson, csv, '-o', 'json', '--fail-on', 'none', '--jobs', jobs, '--suppress', suppress, '--state', join(dir, 'state.json'), '--update-state', '--split-by', 'tenant', '--split-dir', join(dir, 'tenants')],
        { env: { APIGUARD_CHUNK_BYTES: CHUNK_BYTES, APIGUARD_NOW: '2026-11-23T00:00:00Z' } },
      );
      const files: Record<string, string> = {};
      for (const f of readdirSync(dir, { recursive: true, withFileTypes: true })) {
        if (f.isFile()) files[join(f.parentPath, f.name).slice(dir.length + 1)] = readFileSync(join(f.parentPath, f.name), 'utf8');
      }
      runs[jobs] = { ...r, files };
    }
    expectSame(runs);
    const r = JSON.parse(runs['1']!.stdout) as Report & { summary: { suppressions: { active: number } } };
    expect(r.summary.records.parsed).toBe(2 * RECORDS);
    expect(Object.keys(runs['1']!.files).filter((f) => f.startsWith('tenants/')).length).toBeGreaterThan(0);
    expect(runs['1']!.files['state.json']).not.toBe(states[0]);
  });

  it('with formats the command line defines, which every worker rebuilds: --format, --mapping, --map with --log-timezone', SLOW, () => {
    const few = ['json', 'ndjson'];
    const forced = scanAll([ndjson], ['--format', 'tyk-analytics'], undefined, ['1', '2'], few);
    expectSame(forced);
    expect(forced['1']!.stdout).toBe(ndjsonRuns()['1']!.stdout); // forcing the format it detects changes nothing

    const own = scanAll([zoneless], ['--mapping', mapping, '--log-timezone', 'Europe/Amsterdam'], undefined, JOBS, few);
    expectSame(own);
    const maps = ['--map', 'time=local:iso', '--map', 'ip=ip_address', '--map', 'method=method', '--map', 'path=path', '--map', 'status=response_code', '--map', 'keyOrHash=api_key', '--map', 'alias=alias', '--map', 'tenant=org_id'];
    const adHoc = scanAll([zoneless], [...maps, '--log-timezone', 'Europe/Amsterdam'], undefined, ['1', '2'], few);
    expectSame(adHoc);
    const formatOf = (r: Run): string => (JSON.parse(r.stdout) as Report).summary.files[0]!.format;
    expect([formatOf(own['1']!), formatOf(adHoc['1']!)]).toEqual(['own-tyk', 'custom']);
    // The zone was applied, by the workers too: each finding's time is the UTC time of its record.
    const utcByLine = readFileSync(zoneless, 'utf8').split('\n').map((l) => (l.startsWith('{"method"') ? new Date((JSON.parse(l) as { timestamp: string }).timestamp).toISOString() : ''));
    for (const r of [own['2']!, own['4']!, adHoc['2']!]) {
      const findings = r.files['report.ndjson']!.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { time: string; line: number });
      expect(findings.length).toBeGreaterThan(50);
      expect(findings.filter((f) => f.time !== utcByLine[f.line - 1])).toEqual([]);
    }
  });

  it('init drafts the same policy', SLOW, () => {
    const drafts = JOBS.map((jobs) => runCli(['init', ndjson, '--jobs', jobs], { env: { APIGUARD_CHUNK_BYTES: CHUNK_BYTES } }));
    expect(drafts[0]!.status, drafts[0]!.stderr).toBe(0);
    for (const d of drafts.slice(1)) expect(d).toEqual(drafts[0]);
  });
});

describe('scan --jobs when a worker fails', () => {
  it('decodes the failed worker\'s chunks on the main thread: no record lost, same output, a warning', SLOW, () => {
    const one = runCli(['scan', '-p', policy, ndjson, '-o', 'json', '--fail-on', 'none', '--jobs', '1'], { env: { APIGUARD_CHUNK_BYTES: CHUNK_BYTES } });
    for (const jobs of ['2', '4']) {
      const r = runCli(['scan', '-p', policy, ndjson, '-o', 'json', '--fail-on', 'none', '--jobs', jobs], {
        env: { APIGUARD_CHUNK_BYTES: CHUNK_BYTES, APIGUARD_TEST_WORKER_EXIT: '5' },
      });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toBe(one.stdout);
      const warnings = r.stderr.split('\n').filter((l) => l.includes('decode worker'));
      expect(warnings).toEqual(['apiguard: warning: decode worker 1 stopped (exit code 70); the main thread decodes its chunks']);
      expect(r.stderr.split('\n').filter((l) => !l.includes('decode worker'))).toEqual(one.stderr.split('\n'));
    }
  });
});

describe('--jobs', () => {
  it('is listed by scan, learn and init, with a default of the number of cores', () => {
    for (const cmd of ['scan', 'learn', 'init']) expect(runCli([cmd, '--help']).stdout).toMatch(/-j, --jobs <n>\s+threads: n-1 worker threads[\s\S]*?default:\s+the\s+number\s+of\s+cores/);
  });

  it.each([['0'], ['-1'], ['two'], ['1.5'], ['999']])('rejects %s as a usage error', (value) => {
    const r = runCli(['scan', '-p', 'rules/demo-policy.yaml', 'fixtures/demo/tyk-analytics.ndjson', '--jobs', value]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`--jobs '${value}' is not a number of threads from 1 to 256`);
  });
});

describe('workers started before the CLI loads (src/cli/prestart.ts)', () => {
  it('ends a worker started for a big file that turned out not to be a log to split: same output as one thread', () => {
    // The policy (3,756 bytes) is more than 4 chunks of 900 bytes, so a worker starts; the log is one
    // record, one chunk, which the main thread reads itself: the pool never takes the worker.
    const one = join(root, 'one.ndjson');
    writeFileSync(one, readFileSync('fixtures/demo/tyk-analytics.ndjson', 'utf8').split('\n')[0] + '\n');
    const env = { APIGUARD_CHUNK_BYTES: '900' };
    const single = runCli(['scan', '-p', 'rules/demo-policy.yaml', one, '-o', 'json', '--jobs', '1'], { env });
    const r = runCli(['scan', '-p', 'rules/demo-policy.yaml', one, '-o', 'json', '--jobs', '2'], { env });
    expect(r.status, r.stderr).toBe(single.status);
    expect(r.stdout).toBe(single.stdout);
    expect(r.stderr).toBe(single.stderr);
    expect(JSON.parse(r.stdout).summary.files[0].parsed).toBe(1);
  });

  it('exits with the usage or policy error, not held up by the started workers', () => {
    // 1.2 MB is more than 4 chunks of 64 KiB: workers start before the CLI loads, and the pool
    // takes them before the policy is read. A worker the process waits on hangs it: killed (status null).
    const demo = 'fixtures/demo/tyk-analytics.ndjson';
    const opts = { env: { APIGUARD_CHUNK_BYTES: String(64 * 1024) }, timeoutMs: 20_000 };
    const usage = runCli(['scan', '-p', 'rules/demo-policy.yaml', demo, '--jobs', '4', '-o', 'nope'], opts);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain("'nope' is invalid");
    const broken = join(root, 'broken-policy.yaml');
    writeFileSync(broken, 'keys:\n  - id: [unclosed\n');
    const policyError = runCli(['scan', '-p', broken, demo, '--jobs', '4'], opts);
    expect(policyError.status).toBe(2);
    expect(policyError.stderr).toContain('broken-policy.yaml');
    // The other reading commands fail after their pool started too: a broken state file, a folder with no logs.
    const state = join(root, 'broken-state.json');
    writeFileSync(state, '{"version": ');
    const stateError = runCli(['learn', demo, '--state', state, '--jobs', '4'], opts);
    expect(stateError.status, stateError.stderr).toBe(2);
    expect(stateError.stderr).toContain('broken-state.json');
    const empty = join(root, 'no-logs');
    mkdirSync(empty, { recursive: true });
    const inputError = runCli(['init', demo, empty, '--jobs', '4'], opts);
    expect(inputError.status, inputError.stderr).toBe(3);
    expect(inputError.stderr).toContain('no log files');
  });
});

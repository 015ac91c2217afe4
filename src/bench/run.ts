/**
 * `npm run bench`: how fast apiguard judges a realistic workload, next to the bars of the
 * performance issue.
 *
 *   npm run bench -- [--records N] [--runs R] [--growth] [--json FILE] [--keep] [--seed S]
 *
 * Generates a workload in a temporary directory (src/bench/generate.ts: a policy, and the same Tyk
 * analytics records as NDJSON and as CSV-pump CSV), then measures, each the median of R runs, each
 * run a fresh process, the runs of all rows interleaved so drift hits every row alike:
 *
 *   (a) the bare baseline: split lines + JSON.parse, one thread (src/bench/baseline.ts)
 *   (b) apiguard scan --policy P FILE.ndjson -o json --fail-on none (one thread)
 *   (c) the same on all cores: measured once `apiguard scan --help` lists --jobs (see JOBS below)
 *   (d) the same scan as (b) on the CSV file
 *   (e) jq with a comparable filter on the NDJSON file, when jq is installed
 *   (p) one copy of (a) per core, all at once: what the cores give together with no cost of
 *       splitting work, the ceiling (c) is up against (two vCPUs of a VM are not two cores)
 *
 * For each: wall time, records/s (records / wall time of the whole process, start-up included;
 * for (p), of all copies over the time until the last one ended),
 * the ratio to (a), and the peak RSS of the process tree (`/usr/bin/time -f %M` when present, else
 * VmHWM polled from /proc for the child and its descendants). Each run of (a), (b), (c), (d) is
 * checked: all N records parsed, none skipped, and exactly the planted findings per table row.
 * Before each run its input file is read once, so every run starts with it in the page cache.
 * `--growth` also scans a workload of 2N records and prints both peak RSS values.
 *
 * Exit status: 0 when every measurement ran and checked out (whatever the bars say), 1 when a run
 * failed or gave wrong results, 2 for bad flags. The CI never runs this.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { TABLE_ROWS, generateWorkload, type TableRow, type Workload } from './generate.js';
import { perRunRatios } from './ratios.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const APIGUARD = join(ROOT, 'bin', 'apiguard.js');
const BASELINE = fileURLToPath(new URL('./baseline.js', import.meta.url));
const MB = 1024 * 1024;
/** The issue's bars. */
const BARS = { scanVsBaseline: 0.8, allCoresVsBaseline: 1.5, csvVsNdjson: 0.8, rssMb: 250, rssRecords: 4_000_000 };
/** jq's stand-in for "judge every record": parse each, test two fields, print the matches. */
const JQ_FILTER = 'select(.response_code >= 400 and (.ip_address | startswith("10.")))';

type RowId = 'a' | 'b' | 'c' | 'd' | 'e' | 'p';

interface Sample {
  wallMs: number;
  peakRssKb: number;
}

interface RowResult {
  id: RowId;
  label: string;
  /** The command as run, with the workload's paths; null when the row was not measured. */
  command: string[] | null;
  /** Why the row was not measured, or why its runs are invalid. */
  note: string;
  samples: Sample[];
  medianWallMs: number;
  medianPeakRssKb: number;
  recordsPerSecond: number;
  /** records/s relative to (a). */
  ratioToBaseline: number;
  valid: boolean;
}

interface Bar {
  bar: string;
  measured: string;
  verdict: 'pass' | 'fail' | 'not judged';
  why: string;
}

// ------------------------------------------------------------------------------------ flags

const USAGE = `usage: npm run bench -- [options]

  --records N    records in the workload (default 1000000)
  --runs R       runs per measurement; the median is reported (default 3)
  --growth       also scan 2N records and print both peak RSS values (doubles the time)
  --json FILE    also write the results as JSON
  --keep         keep the generated files (printed) instead of removing them
  --seed S       PRNG seed of the workload (default: the generator's)
`;

interface Flags {
  records: number;
  runs: number;
  growth: boolean;
  json: string | undefined;
  keep: boolean;
  seed: number | undefined;
}

function positiveInt(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got '${text}'`);
  return n;
}

function parseFlags(argv: string[]): Flags | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      records: { type: 'string' },
      runs: { type: 'string' },
      growth: { type: 'boolean', default: false },
      json: { type: 'string' },
      keep: { type: 'boolean', default: false },
      seed: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return null;
  return {
    records: positiveInt('records', values.records, 1_000_000),
    runs: positiveInt('runs', values.runs, 3),
    growth: values.growth ?? false,
    json: values.json,
    keep: values.keep ?? false,
    seed: values.seed === undefined ? undefined : positiveInt('seed', values.seed, 0),
  };
}

// ------------------------------------------------------------------------------------ running and measuring

/** GNU time writes "%M" (peak RSS in KiB) to a file; a failing command adds a line before it. */
function hasGnuTime(dir: string): boolean {
  if (!existsSync('/usr/bin/time')) return false;
  const out = join(dir, 'time-probe.txt');
  const r = spawnSync('/usr/bin/time', ['-f', '%M', '-o', out, process.execPath, '-e', '0'], { stdio: 'ignore' });
  const ok = r.status === 0 && existsSync(out) && /^\d+\s*$/.test(readFileSync(out, 'utf8'));
  rmSync(out, { force: true });
  return ok;
}

/** Peak RSS of a process tree without GNU time: VmHWM of the child and its descendants, polled every 10 ms, summed. */
class TreePoller {
  private readonly peaks = new Map<number, number>();
  private readonly timer: NodeJS.Timeout;
  constructor(private readonly root: number) {
    this.poll();
    this.timer = setInterval(() => this.poll(), 10);
  }
  private children(pid: number): number[] {
    const out: number[] = [];
    try {
      for (const tid of readdirSync(`/proc/${pid}/task`)) {
        const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
        if (text) out.push(...text.split(/\s+/).map(Number));
      }
    } catch {
      // gone already
    }
    return out;
  }
  private poll(): void {
    const queue = [this.root];
    while (queue.length) {
      const pid = queue.pop()!;
      try {
        const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
        if (m) this.peaks.set(pid, Math.max(this.peaks.get(pid) ?? 0, Number(m[1])));
      } catch {
        continue;
      }
      queue.push(...this.children(pid));
    }
  }
  stop(): number {
    clearInterval(this.timer);
    let sum = 0;
    for (const kb of this.peaks.values()) sum += kb;
    return sum;
  }
}

/**
 * Reads `file` once, so that every run finds it in the page cache. Without this, whichever row ran
 * first after the file was written (or after the kernel dropped its cold pages) waited on the
 * disk: at 4M records (a) measured 92k records/s against 129k/s at 400k.
 */
function warmPageCache(file: string): void {
  const buf = Buffer.allocUnsafe(4 << 20);
  const fd = openSync(file, 'r');
  try {
    while (readSync(fd, buf, 0, buf.length, null) > 0);
  } finally {
    closeSync(fd);
  }
}

interface RunOutcome extends Sample {
  code: number | null;
  stderr: string;
}

async function runOnce(command: string[], stdoutFile: string | null, gnuTime: boolean, dir: string): Promise<RunOutcome> {
  const timeFile = join(dir, 'time.txt');
  const argv = gnuTime ? ['/usr/bin/time', '-f', '%M', '-o', timeFile, ...command] : command;
  const out = stdoutFile ? openSync(stdoutFile, 'w') : 'ignore';
  const started = process.hrtime.bigint();
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', out, 'pipe'], cwd: ROOT });
  const poller = gnuTime || child.pid === undefined ? null : new TreePoller(child.pid);
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (s: string) => {
    if (stderr.length < 64 * 1024) stderr += s;
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (c) => resolve(c));
  });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  await new Promise<void>((resolve) => (child.stderr!.readableEnded ? resolve() : child.stderr!.on('end', resolve)));
  if (typeof out === 'number') closeSync(out);
  let peakRssKb = poller ? poller.stop() : NaN;
  if (gnuTime) {
    const lines = readFileSync(timeFile, 'utf8').trim().split('\n');
    peakRssKb = Number(lines[lines.length - 1]);
    rmSync(timeFile, { force: true });
  }
  return { wallMs, peakRssKb, code, stderr };
}

/** The first line of a file, without reading the whole file. */
function firstLine(file: string): string {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(1 << 16);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const text = buf.subarray(0, n).toString('utf8');
    const nl = text.indexOf('\n');
    return nl < 0 ? text : text.slice(0, nl);
  } finally {
    closeSync(fd);
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** What a scan's JSON report must say about the workload; '' when it does. */
function checkScan(reportFile: string, w: Workload): string {
  let report: { summary: { records: { parsed: number; skipped: number }; findings: { byRow: Record<string, number> } } };
  try {
    report = JSON.parse(readFileSync(reportFile, 'utf8')) as typeof report;
  } catch (e) {
    return `the JSON report could not be read: ${(e as Error).message}`;
  }
  const { records, findings } = report.summary;
  if (records.parsed !== w.records || records.skipped !== 0) return `parsed ${records.parsed} and skipped ${records.skipped} of ${w.records} records`;
  const wrong = [...TABLE_ROWS, 'key-exposed'].filter((row) => (findings.byRow[row] ?? 0) !== (w.expectedByRow[row as TableRow] ?? 0));
  if (wrong.length) return `findings differ from the planted ones: ${wrong.map((row) => `${row} ${findings.byRow[row] ?? 0} (planted ${w.expectedByRow[row as TableRow] ?? 0})`).join(', ')}`;
  return '';
}

function checkBaseline(stdoutFile: string, w: Workload): string {
  try {
    const r = JSON.parse(readFileSync(stdoutFile, 'utf8')) as { records: number; bad: number };
    return r.records === w.records && r.bad === 0 ? '' : `parsed ${r.records} records (${r.bad} bad) of ${w.records}`;
  } catch (e) {
    return `its output could not be read: ${(e as Error).message}`;
  }
}

// ------------------------------------------------------------------------------------ (c): all cores

/**
 * JOBS — the place for (c): when `apiguard scan --help` lists `--jobs`, row (c) runs (b) with
 * `--jobs <cores>` and is judged against its bar, and (b) and (d) run with `--jobs 1`.
 */
function jobsFlagSupported(): boolean {
  const r = spawnSync(process.execPath, [APIGUARD, 'scan', '--help'], { encoding: 'utf8', cwd: ROOT });
  return /--jobs\b/.test(r.stdout ?? '');
}

// ------------------------------------------------------------------------------------ machine

function machine(): Record<string, string | number> {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpu = m[1]!.trim();
  } catch {
    // not Linux: os.cpus() it is
  }
  return {
    cpu,
    cores: os.availableParallelism(),
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}

// ------------------------------------------------------------------------------------ formatting

const int = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-');
const fixed = (n: number, d = 2): string => (Number.isFinite(n) ? n.toFixed(d) : '-');
const mb = (kb: number): string => (Number.isFinite(kb) ? `${Math.round(kb / 1024)} MB` : '-');

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === 0 || i === r.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd()).join('\n');
}

// ------------------------------------------------------------------------------------ main

async function main(argv: string[]): Promise<number> {
  let flags: Flags | null;
  try {
    flags = parseFlags(argv);
  } catch (e) {
    process.stderr.write(`bench: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (!flags) {
    process.stdout.write(USAGE);
    return 0;
  }
  const dir = mkdtempSync(join(os.tmpdir(), 'apiguard-bench-'));
  let cleaned = false;
  const cleanup = (): void => {
    if (cleaned) return;
    cleaned = true;
    if (flags.keep) process.stderr.write(`bench: generated files kept in ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
  };
  const onSignal = (): void => {
    cleanup();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await bench(flags, dir);
  } finally {
    cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function bench(flags: Flags, dir: string): Promise<number> {
  const N = flags.records;
  const R = flags.runs;
  const log = (s = ''): boolean => process.stdout.write(s + '\n');
  const progress = (s: string): boolean => process.stderr.write(`bench: ${s}\n`);

  // ~1.7 KB per record for both files (2N for --growth, after the N files are removed); refuse early rather than fill the disk.
  const need = N * 1700 * (flags.growth ? 2 : 1) * 1.1;
  const disk = statfsSync(dir);
  if (disk.bavail * disk.bsize < need) {
    process.stderr.write(`bench: ${os.tmpdir()} has ${Math.round((disk.bavail * disk.bsize) / MB)} MB free; ${Math.round(need / MB)} MB are needed for ${int(N)} records\n`);
    return 1;
  }

  const m = machine();
  const gnuTime = hasGnuTime(dir);
  const jqInstalled = spawnSync('sh', ['-c', 'command -v jq'], { stdio: 'ignore' }).status === 0;
  const jobs = jobsFlagSupported();

  progress(`generating ${int(N)} records in ${dir} ...`);
  const t0 = performance.now();
  const w = generateWorkload({ dir: join(dir, 'n'), records: N, seed: flags.seed });
  const generateMs = performance.now() - t0;
  progress(`generated in ${fixed(generateMs / 1000, 1)} s`);

  const ndjson = w.ndjsonFile!;
  const csv = w.csvFile!;
  const scan = (wl: Workload, file: string, extra: string[] = []): string[] => [process.execPath, APIGUARD, 'scan', '--policy', wl.policyFile, file, '-o', 'json', '--fail-on', 'none', ...extra];
  const rows: RowResult[] = [];
  const newRow = (id: RowId, label: string, command: string[] | null, note = ''): RowResult => ({
    id, label, command, note, samples: [], medianWallMs: NaN, medianPeakRssKb: NaN, recordsPerSecond: NaN, ratioToBaseline: NaN, valid: command !== null,
  });
  const row = (...args: Parameters<typeof newRow>): RowResult => {
    const r = newRow(...args);
    rows.push(r);
    return r;
  };
  const a = row('a', '(a) bare baseline: split + JSON.parse, 1 thread', [process.execPath, BASELINE, ndjson]);
  const cores = os.availableParallelism();
  const p = cores > 1 ? row('p', `(p) ${cores} copies of (a) at once, records/s of all`, [process.execPath, BASELINE, ndjson]) : null;
  // Once there is --jobs its default is every core: (b) and (d) ask for one thread.
  const single = jobs ? ['--jobs', '1'] : [];
  const b = row('b', '(b) apiguard scan, NDJSON, 1 thread', scan(w, ndjson, single));
  const c = jobs
    ? row('c', `(c) apiguard scan, NDJSON, --jobs ${m.cores}`, scan(w, ndjson, ['--jobs', String(m.cores)]))
    : row('c', '(c) apiguard scan, NDJSON, all cores', null, '(c) all cores: not implemented yet (--jobs)');
  const d = row('d', '(d) apiguard scan, CSV, 1 thread', scan(w, csv, single));
  const jqLabel = '(e) jq select on response_code and ip_address';
  row('e', jqLabel, jqInstalled ? ['jq', '-c', JQ_FILTER, ndjson] : null, jqInstalled ? '' : 'not installed');

  /** One run of a row; a failed or wrong run marks the row invalid (its figures are not reported). */
  const measure = async (r: RowResult, run: number, workload: Workload): Promise<void> => {
    if (!r.command || !r.valid) return;
    const copies = r.id === 'p' ? cores : 1;
    const stdoutFiles = r.id === 'e' ? [null] : Array.from({ length: copies }, (_, i) => join(dir, `out-${r.id}${i}.json`));
    progress(`run ${run + 1}/${R} ${r.label}`);
    warmPageCache(r.id === 'd' ? workload.csvFile! : workload.ndjsonFile!);
    let o: RunOutcome;
    if (copies === 1) o = await runOnce(r.command, stdoutFiles[0]!, gnuTime, dir);
    else {
      // Started together; timed until the last has ended. Peak RSS by /proc (GNU time writes one file).
      const started = process.hrtime.bigint();
      const all = await Promise.all(stdoutFiles.map((f) => runOnce(r.command!, f, false, dir)));
      o = {
        wallMs: Number(process.hrtime.bigint() - started) / 1e6,
        peakRssKb: Math.max(...all.map((x) => x.peakRssKb)),
        code: all.find((x) => x.code !== 0)?.code ?? 0,
        stderr: all.map((x) => x.stderr).join(''),
      };
    }
    const problem =
      o.code !== 0 ? `exit ${o.code}: ${o.stderr.trim().split('\n').slice(-3).join(' | ')}`
      : r.id === 'a' || r.id === 'p' ? stdoutFiles.map((f) => checkBaseline(f!, workload)).find(Boolean) ?? ''
      : r.id === 'e' ? ''
      : checkScan(stdoutFiles[0]!, workload);
    for (const f of stdoutFiles) if (f) rmSync(f, { force: true });
    if (problem) {
      r.valid = false;
      r.note = `INVALID: ${problem}`;
      progress(`${r.label}: ${r.note}`);
      return;
    }
    r.samples.push({ wallMs: o.wallMs, peakRssKb: o.peakRssKb });
  };
  const summarise = (r: RowResult, records: number): void => {
    if (!r.valid || r.samples.length === 0) return;
    r.medianWallMs = median(r.samples.map((x) => x.wallMs));
    r.medianPeakRssKb = median(r.samples.map((x) => x.peakRssKb));
    r.recordsPerSecond = records / (r.medianWallMs / 1000);
  };

  // Fixed cost of one apiguard run: start-up, compiling the policy, one record, the report.
  const one = join(dir, 'one.ndjson');
  writeFileSync(one, firstLine(ndjson) + '\n');
  const startup: number[] = [];
  for (let i = 0; i < R; i++) startup.push((await runOnce(scan(w, one), null, gnuTime, dir)).wallMs);

  for (let run = 0; run < R; run++) for (const r of rows) await measure(r, run, w);
  /** Records a row's run reads: (p) runs one copy per core. */
  const recordsOf = (r: RowResult): number => (r.id === 'p' ? N * cores : N);
  for (const r of rows) summarise(r, recordsOf(r));
  for (const r of rows) r.ratioToBaseline = r.recordsPerSecond / a.recordsPerSecond;

  // Memory growth: the same scans on 2N records.
  let growth: { records: number; ndjson: RowResult; csv: RowResult; jobs: RowResult | null } | null = null;
  if (flags.growth) {
    rmSync(join(dir, 'n'), { recursive: true, force: true });
    progress(`generating ${int(2 * N)} records for the growth check ...`);
    const w2 = generateWorkload({ dir: join(dir, '2n'), records: 2 * N, seed: flags.seed });
    growth = {
      records: 2 * N,
      ndjson: newRow('b', `(b) at ${int(2 * N)} records`, scan(w2, w2.ndjsonFile!, single)),
      csv: newRow('d', `(d) at ${int(2 * N)} records`, scan(w2, w2.csvFile!, single)),
      jobs: c.command ? newRow('c', `(c) at ${int(2 * N)} records`, scan(w2, w2.ndjsonFile!, ['--jobs', String(m.cores)])) : null,
    };
    const again = [growth.ndjson, growth.csv, ...(growth.jobs ? [growth.jobs] : [])];
    for (let run = 0; run < R; run++) for (const r of again) await measure(r, run, w2);
    for (const r of again) summarise(r, 2 * N);
  }

  // ---- bars
  const bars: Bar[] = [];
  const verdict = (ok: boolean): 'pass' | 'fail' => (ok ? 'pass' : 'fail');
  bars.push(
    b.valid && a.valid
      ? { bar: '(b) >= 0.8 x (a) records/s', measured: `${fixed(b.ratioToBaseline)} x (a)`, verdict: verdict(b.ratioToBaseline >= BARS.scanVsBaseline), why: '' }
      : { bar: '(b) >= 0.8 x (a) records/s', measured: '-', verdict: 'not judged', why: 'a run failed' },
  );
  bars.push(
    c.command === null
      ? { bar: '(c) >= 1.5 x (a) records/s', measured: 'not measured', verdict: 'fail', why: 'apiguard has no multi-core scan (--jobs) yet' }
      : c.valid && a.valid
        ? { bar: '(c) >= 1.5 x (a) records/s', measured: `${fixed(c.ratioToBaseline)} x (a)`, verdict: verdict(c.ratioToBaseline >= BARS.allCoresVsBaseline), why: p?.valid ? `the cores' ceiling, (p): ${fixed(p.ratioToBaseline)} x (a)` : '' }
        : { bar: '(c) >= 1.5 x (a) records/s', measured: '-', verdict: 'not judged', why: 'a run failed' },
  );
  const csvVsNdjson = d.recordsPerSecond / b.recordsPerSecond;
  bars.push(
    b.valid && d.valid
      ? { bar: '(d) >= 0.8 x (b) records/s', measured: `${fixed(csvVsNdjson)} x (b)`, verdict: verdict(csvVsNdjson >= BARS.csvVsNdjson), why: '' }
      : { bar: '(d) >= 0.8 x (b) records/s', measured: '-', verdict: 'not judged', why: 'a run failed' },
  );
  const rssScans = [b, c, d].filter((r) => r.valid && r.samples.length > 0);
  const worst = Math.max(...rssScans.map((r) => r.medianPeakRssKb));
  const each = rssScans.map((r) => `(${r.id}) ${mb(r.medianPeakRssKb)}`).join(', ');
  const rssBar = 'peak RSS <= 250 MB for 4M records';
  if (N >= BARS.rssRecords) {
    bars.push({ bar: rssBar, measured: `${each} at ${int(N)}`, verdict: verdict(worst <= BARS.rssMb * 1024), why: '' });
  } else if (worst > BARS.rssMb * 1024) {
    bars.push({ bar: rssBar, measured: `${each} at ${int(N)}`, verdict: 'fail', why: `already above 250 MB at ${int(N)} records` });
  } else if (growth && b.valid && d.valid && growth.ndjson.valid && growth.csv.valid && (!growth.jobs || (c.valid && growth.jobs.valid))) {
    // A straight line through N and 2N, to 4M: an estimate, said so.
    const at4m = (kbN: number, kb2N: number): number => kbN + ((kb2N - kbN) * (BARS.rssRecords - N)) / N;
    const estB = at4m(b.medianPeakRssKb, growth.ndjson.medianPeakRssKb);
    const estD = at4m(d.medianPeakRssKb, growth.csv.medianPeakRssKb);
    const estC = growth.jobs ? at4m(c.medianPeakRssKb, growth.jobs.medianPeakRssKb) : NaN;
    const shown = `~(b) ${mb(estB)}, ${growth.jobs ? `(c) ${mb(estC)}, ` : ''}(d) ${mb(estD)} extrapolated`;
    bars.push({ bar: rssBar, measured: shown, verdict: verdict(Math.max(estB, estD, growth.jobs ? estC : 0) <= BARS.rssMb * 1024), why: `a straight line through ${int(N)} and ${int(2 * N)} records; run --records 4000000 to measure` });
  } else {
    bars.push({ bar: rssBar, measured: `${each} at ${int(N)}`, verdict: 'not judged', why: 'needs --records 4000000 (or --growth for an estimate)' });
  }

  // ---- report
  log();
  log(`apiguard benchmark: ${int(N)} Tyk analytics records, ${R} run${R > 1 ? 's' : ''} each (median), every run a fresh process`);
  log(`machine:  ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB RAM, Node ${m.node}, ${m.os}`);
  log(`workload: NDJSON ${fixed(w.bytes.ndjson / MB, 1)} MB (${int(w.bytes.ndjson / N)} B/record), CSV ${fixed(w.bytes.csv / MB, 1)} MB (${int(w.bytes.csv / N)} B/record, 42 columns); ` +
    `${w.policy.keys} keys, ${w.policy.networks} networks, ${w.policy.allowPatterns + w.policy.denyPatterns} role patterns; ` +
    `${fixed(((w.last - w.first) / 3_600_000), 1)} h of traffic; generated in ${fixed(generateMs / 1000, 1)} s`);
  log(`planted:  ${TABLE_ROWS.map((r) => `${r} ${int(w.expectedByRow[r])}`).join(', ')} (checked in every apiguard run)`);
  const polled = 'VmHWM from /proc, summed over the child and its descendants, polled every 10 ms';
  // Row (p) runs several copies at once, and GNU time writes one file: its copies are polled, the largest reported.
  log(`peak RSS: ${gnuTime ? `/usr/bin/time -f %M (the largest process of the tree); row (p): ${polled}, the largest copy` : polled}`);
  log(`start-up: one apiguard run on a one-record file takes ${fixed(median(startup) / 1000)} s (included in every apiguard row below)`);
  log();
  const body: string[][] = [['', 'wall s', 'records/s', 'MB/s', 'vs (a)', 'runs vs (a)', 'peak RSS', '']];
  for (const r of rows) {
    if (r.command === null) {
      body.push([r.label, '-', '-', '-', '-', '', '-', r.note]);
      continue;
    }
    const bytes = r.id === 'd' ? w.bytes.csv : r.id === 'p' ? w.bytes.ndjson * cores : w.bytes.ndjson;
    // Each run against the (a) run of its round (src/bench/ratios.ts): the spread the median hides.
    const runs = r.id === 'a' || !r.valid || !a.valid || R < 2 ? '' : perRunRatios(r.samples, recordsOf(r), a.samples, N).map((x) => fixed(x)).join(' ');
    body.push([r.label, fixed(r.medianWallMs / 1000), int(r.recordsPerSecond), fixed(bytes / MB / (r.medianWallMs / 1000), 0), fixed(r.ratioToBaseline), runs, mb(r.medianPeakRssKb), r.valid ? '' : r.note]);
  }
  log(table(body));
  if (growth) {
    log();
    const g = (r: RowResult, at2N: RowResult): string =>
      at2N.valid ? `${mb(r.medianPeakRssKb)} at ${int(N)} -> ${mb(at2N.medianPeakRssKb)} at ${int(2 * N)} records (wall ${fixed(r.medianWallMs / 1000)} -> ${fixed(at2N.medianWallMs / 1000)} s)` : at2N.note;
    log(`memory growth, peak RSS: (b) NDJSON ${g(b, growth.ndjson)}`);
    if (growth.jobs) log(`                         (c) NDJSON ${g(c, growth.jobs)}`);
    log(`                         (d) CSV    ${g(d, growth.csv)}`);
  }
  log();
  log(table([['bar (from the issue)', 'measured', 'verdict', ''], ...bars.map((x) => [x.bar, x.measured, x.verdict.toUpperCase(), x.why])]));
  const passed = bars.filter((x) => x.verdict === 'pass').length;
  const failed = bars.filter((x) => x.verdict === 'fail').length;
  log();
  log(`${passed} of ${bars.length} bars pass, ${failed} fail${bars.length - passed - failed ? `, ${bars.length - passed - failed} not judged` : ''}.`);

  if (flags.json) {
    const out = {
      machine: m,
      flags: { records: N, runs: R, growth: flags.growth, seed: w.seed },
      peakRssMethod: gnuTime ? 'gnu-time' : 'proc-vmhwm',
      workload: { records: N, bytes: w.bytes, planted: w.planted, expectedByRow: w.expectedByRow, policy: w.policy, hoursOfTraffic: (w.last - w.first) / 3_600_000, generateMs },
      startupMs: median(startup),
      rows: rows.map((r) => ({ ...r, csvVsNdjson: r.id === 'd' ? csvVsNdjson : undefined })),
      growth: growth && { records: growth.records, ndjson: growth.ndjson, csv: growth.csv },
      bars,
    };
    writeFileSync(flags.json, JSON.stringify(out, null, 2) + '\n');
    progress(`results written to ${flags.json}`);
  }
  const all = growth ? [...rows, growth.ndjson, growth.csv] : rows;
  return all.every((r) => r.command === null || r.valid) ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));

import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Suppressions } from '../../aggregate/suppressions.js';
import { BASELINE_CHECKS, BaselineChecks } from '../../baseline/checks.js';
import { BaselineLearner } from '../../baseline/learn.js';
import { readState, writeState } from '../../baseline/state.js';
import { EXIT, InputError, UsageError } from '../../model/errors.js';
import { parseIsoTime } from '../../normalise/time.js';
import { SEVERITIES, severityRank, type Severity } from '../../model/finding.js';
import { discoverPolicy, policyLabel } from '../../policy/discover.js';
import { loadPolicy } from '../../policy/load.js';
import { Inventory, type Policy } from '../../policy/policy.js';
import { colourLevel, makeChalk } from '../../report/colour.js';
import { REPORTERS, reporterByName, type Reporter, type ReportContext, type ScanReport } from '../../report/index.js';
import { Redactor } from '../../report/sanitize.js';
import { buildSummary, renderSummaryText } from '../../report/summary.js';
import { scan, type TenantResult } from '../../pipeline/scan.js';
import { parseDuration } from '../duration.js';
import { applyInputOptions, type InputFlags } from '../input-options.js';
import { chunkBytes, decodePool, parseJobs, type JobsFlags } from '../jobs.js';
import { inputSources, readFailed, readWarnings, requireCompleteFiles, requireSomethingRead, stderrWarner } from '../read-feedback.js';
import { VERSION } from '../version.js';
import { writeTicketDir } from '../../tickets/files.js';
import { ticketFor } from '../../tickets/ticket.js';

export interface ScanFlags extends InputFlags, JobsFlags {
  /** A file, or false for --no-policy; undefined: discover. */
  policy?: string | false;
  output: string;
  /** FORMAT=PATH, repeatable: more outputs written to files in the same run. */
  outputFile?: string[];
  failOn: string;
  strict?: boolean;
  reorderWindow: string;
  color?: boolean;
  since?: string;
  until?: string;
  suppress?: string;
  splitBy?: string;
  splitDir?: string;
  /** Learned baseline (apiguard learn): judge against it, and with updateState fold this scan's clean requests into it. */
  state?: string;
  updateState?: boolean;
  /** Write one RT ticket body per open incident into this directory. */
  tickets?: string;
  rtQueue: string;
}

/** `2026-11-22` (UTC midnight) or an ISO time with a zone, for --since/--until. */
export function parseInstantFlag(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const t = /^\d{4}-\d{2}-\d{2}$/.test(text) ? parseIsoTime(`${text}T00:00:00Z`) : /(?:Z|[+-]\d{2}:\d{2})$/.test(text) ? parseIsoTime(text) : NaN;
  if (Number.isNaN(t)) throw new UsageError(`${flag} '${text}' is not a date (2026-11-22, UTC midnight) or a time with a zone (2026-11-22T06:00:00+01:00)`);
  return t;
}

/** A file name for a tenant's report: its name, made safe; a short hash keeps distinct names distinct. */
function tenantFileName(tenant: string): string {
  if (tenant === '') return 'no-tenant';
  const safe = tenant.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80);
  return safe === tenant ? safe : `${safe}-${createHash('sha256').update(tenant).digest('hex').slice(0, 8)}`;
}

export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** Gathered up to this many characters per write when a reporter renders in parts. */
const WRITE_CHARS = 1 << 20;

/**
 * A reporter's text through `write`: in parts of about a mebibyte when the reporter renders in
 * parts (a big report is then never held whole: on Linux stdout to a file or pipe is written
 * synchronously), else in one piece.
 */
export function writeReport(reporter: Reporter, report: ScanReport, ctx: ReportContext, write: (text: string) => unknown): void {
  if (!reporter.renderParts) {
    write(reporter.render(report, ctx));
    return;
  }
  let pending: string[] = [];
  let chars = 0;
  for (const part of reporter.renderParts(report, ctx)) {
    pending.push(part);
    chars += part.length;
    if (chars >= WRITE_CHARS) {
      write(pending.join(''));
      pending = [];
      chars = 0;
    }
  }
  if (pending.length > 0) write(pending.join(''));
}

/** The terminal's width; when not on a terminal, COLUMNS if set, else 132 (so piped output is stable). */
export function terminalWidth(io: Io): number {
  if (io.stdout.isTTY && io.stdout.columns) return io.stdout.columns;
  const columns = Number(io.env.COLUMNS);
  return Number.isInteger(columns) && columns >= 40 ? columns : 132;
}

/** Without a policy nothing is known about keys; the gateway's 401s are still worth reporting. */
export function emptyPolicy(): Policy {
  return { file: '', timezone: 'UTC', hasInventory: false, keys: [], inventory: new Inventory(), secrets: [] };
}

/** What the CLI's runner hears from a scan while it runs, for when stdout's reader stops early (`| head`). */
export interface ScanHooks {
  /** The exit code, before the report is written: the process then exits with the code of the whole run. */
  settled?: (code: number) => void;
  /** The scan writes more than stdout (tickets, the state file, output files, split reports): it must finish them. */
  writesElsewhere?: () => void;
}

export async function runScan(inputs: string[], flags: ScanFlags, io: Io, hooks: ScanHooks = {}): Promise<number> {
  const settled = hooks.settled;
  const reporter = reporterByName(flags.output);
  if (!reporter) throw new UsageError(`--output '${flags.output}' is not one of ${REPORTERS.map((r) => r.meta.name).join(', ')}`);
  const fileOutputs = (flags.outputFile ?? []).map((spec) => {
    const m = /^([a-z]+)=(.+)$/.exec(spec);
    const r = m ? reporterByName(m[1]!) : undefined;
    if (!m || !r) throw new UsageError(`--output-file '${spec}' is not FORMAT=PATH with FORMAT one of ${REPORTERS.map((x) => x.meta.name).join(', ')}`);
    return { reporter: r, path: m[2]! };
  });
  const since = parseInstantFlag(flags.since, '--since');
  const until = parseInstantFlag(flags.until, '--until');
  if (since !== undefined && until !== undefined && since >= until) throw new UsageError('--since must be before --until');
  if (flags.splitBy !== undefined && flags.splitBy !== 'tenant') throw new UsageError(`--split-by '${flags.splitBy}' is not supported (tenant)`);
  if (flags.updateState && !flags.state) throw new UsageError('--update-state needs --state FILE');
  if (flags.tickets !== undefined || flags.updateState || fileOutputs.length > 0 || flags.splitBy !== undefined) hooks.writesElsewhere?.();

  const failOn = flags.failOn as Severity | 'none';
  if (failOn !== 'none' && !SEVERITIES.includes(failOn)) {
    throw new UsageError(`--fail-on '${flags.failOn}' is not one of ${SEVERITIES.join(', ')}, none`);
  }
  /** Whether a finding of this severity counts towards exit 1. */
  const fails = (s: Severity): boolean => failOn !== 'none' && severityRank(s) >= severityRank(failOn);
  const { format, noHeader } = applyInputOptions(flags);
  const reorderWindowMs = parseDuration(flags.reorderWindow, '--reorder-window');
  const jobs = parseJobs(flags.jobs);
  const warn = stderrWarner(io, flags.color);
  // Before the policy is loaded, so that workers start up meanwhile. Idle workers never keep the
  // process alive, so an error before the scan needs no clean-up.
  const pool = decodePool(jobs, flags, inputs, io.env, warn);

  const found = discoverPolicy(flags.policy, io.env, io.cwd);
  const policy = found === null ? emptyPolicy() : loadPolicy(found.file);
  const ignoredFiles: string[] = [];
  const sources = inputSources(inputs, io, (path) => ignoredFiles.push(path));

  const suppressions = flags.suppress ? Suppressions.load(flags.suppress, referenceNow(io.env)) : null;
  const baselineState = flags.state ? readState(flags.state) : null;
  const baseline = baselineState ? new BaselineChecks(baselineState) : null;
  const learner = flags.updateState ? new BaselineLearner() : null;
  const redact = new Redactor(policy.secrets);
  const out: ReportContext = {
    chalk: makeChalk(colourLevel(flags.color, Boolean(io.stdout.isTTY), io.env)),
    redact,
    width: terminalWidth(io),
  };
  const err: ReportContext = { ...out, chalk: makeChalk(colourLevel(flags.color, Boolean(io.stderr.isTTY), io.env)) };
  // Files never get colour; streamed outputs (ndjson) are written as findings come.
  const plain: ReportContext = { ...out, chalk: makeChalk(0), width: 132 };
  const streamed = fileOutputs.filter((o) => o.reporter.finding).map((o) => ({ ...o, fd: openOutput(o.path) }));
  // With --split-by tenant, every output also goes to one file per tenant; streamed ones as findings come.
  const splitDir = flags.splitBy === 'tenant' ? (flags.splitDir ?? 'apiguard-reports') : null;
  const splitOutputs = [reporter, ...fileOutputs.map((o) => o.reporter)].filter((r, i, all) => all.indexOf(r) === i);
  const splitStreamed = splitOutputs.filter((r) => r.finding).map((r) => ({ reporter: r }));
  const tenantFds = new Map<Reporter, Map<string, number>>();
  const tenantFd = (o: { reporter: Reporter }, tenant: string): number => {
    let fds = tenantFds.get(o.reporter);
    if (!fds) tenantFds.set(o.reporter, (fds = new Map()));
    let fd = fds.get(tenant);
    if (fd === undefined) {
      mkdirSync(splitDir!, { recursive: true });
      fds.set(tenant, (fd = openOutput(join(splitDir!, `${tenantFileName(tenant)}.${o.reporter.meta.name}`))));
    }
    return fd;
  };

  const scanning = scan({
    sources,
    policy,
    format,
    noHeader,
    reorderWindowMs,
    since,
    until,
    perTenant: flags.splitBy === 'tenant',
    decorate: suppressions ? (f) => suppressions.apply(f) : undefined,
    extraWhen: baseline ? (req) => baseline.judge(req) : undefined,
    // Only clean requests become normal: accepting an anomaly is a person's decision (apiguard learn).
    onJudged: learner ? (req, flagged) => !flagged && learner.add(req) : undefined,
    onFinding: (f) => {
      if (reporter.finding) {
        // Streamed: a reader that stops early (| head) may have seen this one, so it decides the exit code from now on.
        if (!f.suppressed && fails(f.severity)) settled?.(EXIT.findings);
        io.stdout.write(reporter.finding(f, out));
      }
      for (const o of streamed) writeSync(o.fd, o.reporter.finding!(f, plain));
      if (splitDir !== null) for (const o of splitStreamed) writeSync(tenantFd(o, f.request.tenant), o.reporter.finding!(f, plain));
    },
    ...readWarnings(warn, redact),
    pool,
    chunkBytes: chunkBytes(io.env),
  });
  const result = await scanning.finally(() => pool?.close());
  for (const o of streamed) closeSync(o.fd);
  for (const fds of tenantFds.values()) for (const fd of fds.values()) closeSync(fd);

  const { counters, aggregator } = result;
  const incidents = aggregator.incidents();
  const summaryOf = (agg: typeof aggregator, count: number, first: number, last: number) =>
    buildSummary({
      version: VERSION,
      inventory: policy.hasInventory,
      policy: policyLabel(found, io.cwd),
      timezone: policy.timezone,
      counters,
      aggregator: agg,
      ignoredFiles,
      incidents: count,
      first,
      last,
      outsidePeriod: result.outsidePeriod,
      period: { since, until },
      suppressions: suppressions && { file: suppressions.file, active: suppressions.active, expired: suppressions.expired(), stale: suppressions.stale() },
      baseline: baseline && { file: flags.state!, checks: [...BASELINE_CHECKS], notInState: baseline.unjudged.notInState, littleHistory: baseline.unjudged.littleHistory, updated: learner !== null },
    });
  const openCount = (list: typeof incidents): number => list.filter((i) => i.suppressed === null).length;
  const summary = summaryOf(aggregator, openCount(incidents), result.first, result.last);
  const hits = SEVERITIES.filter(fails).reduce((n, s) => n + summary.findings.bySeverity[s], 0);
  settled?.(readFailed(counters) || (flags.strict && counters.skipped > 0) ? EXIT.input : hits > 0 ? EXIT.findings : EXIT.clean);
  writeReport(reporter, { summary, incidents }, out, (text) => io.stdout.write(text));
  if (reporter.meta.summaryToStderr) io.stderr.write(renderSummaryText(summary, err));
  for (const o of fileOutputs) {
    if (o.reporter.finding) continue;
    const fd = openSync(o.path, 'w');
    try {
      writeReport(o.reporter, { summary, incidents }, plain, (text) => writeSync(fd, text));
    } finally {
      closeSync(fd);
    }
  }
  if (suppressions) {
    for (const e of suppressions.expired()) warn(`suppression at ${redact.text(e.at)} expired on ${e.expires}; it no longer suppresses (${redact.text(e.reason)})`);
    for (const e of suppressions.stale()) warn(`suppression at ${redact.text(e.at)} matched nothing in this scan (${redact.text(e.reason)})`);
  }
  if (flags.tickets !== undefined) {
    // Suppressed incidents are accepted risk: no ticket.
    const open = incidents.filter((i) => i.suppressed === null);
    const tickets = open.map((i) => ticketFor(i, { queue: flags.rtQueue, redact, version: VERSION, origin: 'apiguard scan' }));
    const { written, removed } = writeTicketDir(flags.tickets, tickets);
    io.stderr.write(
      `apiguard: wrote ${written} ticket${written === 1 ? '' : 's'} to ${redact.text(flags.tickets)}/` +
        (removed > 0 ? ` (removed ${removed} of an earlier run that this scan did not find again)` : '') +
        '\n',
    );
  }
  if (splitDir !== null) writeTenantReports(result.tenants, summaryOf, splitDir, splitOutputs.filter((r) => !r.finding), plain, io);


  // Errors outrank findings: an incomplete read must not pass for a clean one.
  requireSomethingRead(counters);
  requireCompleteFiles(counters, redact);
  // Only after a complete read: folding half a file in, then the repaired file, would count twice.
  if (learner && baselineState) {
    const bytes = writeState(flags.state!, learner.finish(baselineState));
    io.stderr.write(`apiguard: folded ${learner.stats.requests} clean requests into ${redact.text(flags.state!)} (${bytes} bytes)\n`);
  }
  if (flags.strict && counters.skipped > 0) {
    throw new InputError(`--strict: ${counters.skipped} record${counters.skipped === 1 ? ' was' : 's were'} skipped`);
  }
  if (hits > 0) {
    io.stderr.write(`apiguard: ${hits} finding${hits === 1 ? '' : 's'} at or above ${failOn} (exit 1)\n`);
    return EXIT.findings;
  }
  return EXIT.clean;
}

/** The time that decides which suppressions have expired: now, or APIGUARD_NOW (for reproducible runs and tests). */
function referenceNow(env: NodeJS.ProcessEnv): number {
  if (env.APIGUARD_NOW) {
    const t = parseIsoTime(env.APIGUARD_NOW);
    if (Number.isNaN(t)) throw new UsageError(`APIGUARD_NOW '${env.APIGUARD_NOW}' is not an ISO time`);
    return t;
  }
  return Date.now();
}

function openOutput(path: string): number {
  try {
    return openSync(path, 'w');
  } catch (e) {
    throw new UsageError(`cannot write ${path}: ${(e as Error).message}`);
  }
}

/**
 * One report per tenant, with nothing of any other tenant in it: incidents, counts and the time
 * range come from that tenant's requests only; the per-file statistics (which mix tenants) are
 * left out.
 */
function writeTenantReports(
  tenants: Map<string, TenantResult>,
  summaryOf: (agg: TenantResult['aggregator'], count: number, first: number, last: number) => ScanReport['summary'],
  dir: string,
  outputs: Reporter[],
  ctx: ReportContext,
  io: Io,
): void {
  mkdirSync(dir, { recursive: true });
  const names = [...tenants.keys()].sort();
  for (const tenant of names) {
    const t = tenants.get(tenant)!;
    const incidents = t.aggregator.incidents();
    const full = summaryOf(t.aggregator, incidents.filter((i) => i.suppressed === null).length, t.first, t.last);
    const summary: ScanReport['summary'] = {
      ...full,
      tenant,
      files: [],
      ignoredFiles: [],
      skipped: [],
      skipExamples: [],
      records: { read: t.parsed, parsed: t.parsed, skipped: 0, late: 0, ahead: 0, unchecked: { where: 0, what: 0 }, outsidePeriod: 0 },
      suppressions: null,
    };
    for (const r of outputs) {
      writeFileSync(join(dir, `${tenantFileName(tenant)}.${r.meta.name === 'table' ? 'txt' : r.meta.name}`), r.render({ summary, incidents }, ctx));
    }
  }
  io.stderr.write(`apiguard: wrote ${names.length} tenant report${names.length === 1 ? '' : 's'} to ${dir}/\n`);
}

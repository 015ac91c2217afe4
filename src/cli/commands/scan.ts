import { EXIT, InputError, UsageError } from '../../model/errors.js';
import { SEVERITIES, severityRank, type Severity } from '../../model/finding.js';
import { dirname, relative } from 'node:path';
import { discoverPolicy } from '../../policy/discover.js';
import { loadPolicy } from '../../policy/load.js';
import { Inventory, type Policy } from '../../policy/policy.js';
import { expandInputs } from '../../read/sources.js';
import { colourLevel, makeChalk } from '../../report/colour.js';
import { reporterByName, type ReportContext } from '../../report/index.js';
import { Redactor } from '../../report/sanitize.js';
import { buildSummary, renderSummaryText } from '../../report/summary.js';
import { scan } from '../../pipeline/scan.js';
import { parseDuration } from '../duration.js';
import { applyInputOptions, type InputFlags } from '../input-options.js';
import { readWarnings, requireCompleteFiles, requireSomethingRead } from '../read-feedback.js';
import { VERSION } from '../version.js';

export interface ScanFlags extends InputFlags {
  /** A file, or false for --no-policy; undefined: discover. */
  policy?: string | false;
  output: string;
  failOn: string;
  strict?: boolean;
  reorderWindow: string;
  color?: boolean;
}

export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** The terminal's width; when not on a terminal, COLUMNS if set, else 132 (so piped output is stable). */
function terminalWidth(io: Io): number {
  if (io.stdout.isTTY && io.stdout.columns) return io.stdout.columns;
  const columns = Number(io.env.COLUMNS);
  return Number.isInteger(columns) && columns >= 40 ? columns : 132;
}

/** Without a policy nothing is known about keys; the gateway's 401s are still worth reporting. */
function emptyPolicy(): Policy {
  return { file: '', timezone: 'UTC', hasInventory: false, keys: [], inventory: new Inventory(), secrets: [] };
}

export async function runScan(inputs: string[], flags: ScanFlags, io: Io): Promise<number> {
  const reporter = reporterByName(flags.output);
  if (!reporter) throw new UsageError(`--output '${flags.output}' is not one of table, json, ndjson`);
  const failOn = flags.failOn as Severity | 'none';
  if (failOn !== 'none' && !SEVERITIES.includes(failOn)) {
    throw new UsageError(`--fail-on '${flags.failOn}' is not one of ${SEVERITIES.join(', ')}, none`);
  }
  const { format, noHeader } = applyInputOptions(flags);
  const reorderWindowMs = parseDuration(flags.reorderWindow, '--reorder-window');

  if (inputs.length === 0) {
    if (io.stdin.isTTY) throw new UsageError('no input: give log files or directories, or - for standard input');
    inputs = ['-'];
  }
  const found = discoverPolicy(flags.policy, io.env, io.cwd);
  const policy = found === null ? emptyPolicy() : loadPolicy(found.file);
  const ignoredFiles: string[] = [];
  const sources = expandInputs(inputs, () => io.stdin as unknown as import('node:stream').Readable, (path) => ignoredFiles.push(path));

  const redact = new Redactor(policy.secrets);
  const out: ReportContext = {
    chalk: makeChalk(colourLevel(flags.color, Boolean(io.stdout.isTTY), io.env)),
    redact,
    width: terminalWidth(io),
  };
  const err: ReportContext = { ...out, chalk: makeChalk(colourLevel(flags.color, Boolean(io.stderr.isTTY), io.env)) };
  const warn = (text: string): void => {
    io.stderr.write(`${err.chalk.yellow('apiguard: warning:')} ${text}\n`);
  };

  const result = await scan({
    sources,
    policy,
    format,
    noHeader,
    reorderWindowMs,
    onFinding: reporter.finding ? (f) => io.stdout.write(reporter.finding!(f, out)) : undefined,
    ...readWarnings(warn, redact),
  });

  const { counters, aggregator } = result;
  const incidents = aggregator.incidents();
  const summary = buildSummary({
    version: VERSION,
    inventory: policy.hasInventory,
    policy: found === null ? null : found.via === 'flag' ? found.file : `${found.file} (${found.via === 'env' ? 'from APIGUARD_POLICY' : 'found in ' + (relative(io.cwd, dirname(found.file)) || '.')})`,
    timezone: policy.timezone,
    counters,
    aggregator,
    ignoredFiles,
    incidents: incidents.length,
    first: result.first,
    last: result.last,
  });
  io.stdout.write(reporter.render({ summary, incidents }, out));
  if (reporter.meta.summaryToStderr) io.stderr.write(renderSummaryText(summary, err));

  // Errors outrank findings: an incomplete read must not pass for a clean one.
  requireSomethingRead(counters);
  requireCompleteFiles(counters, redact);
  if (flags.strict && counters.skipped > 0) {
    throw new InputError(`--strict: ${counters.skipped} record${counters.skipped === 1 ? ' was' : 's were'} skipped`);
  }
  if (failOn !== 'none') {
    const threshold = severityRank(failOn);
    const hits = SEVERITIES.filter((s) => severityRank(s) >= threshold).reduce((n, s) => n + summary.findings.bySeverity[s], 0);
    if (hits > 0) {
      io.stderr.write(`apiguard: ${hits} finding${hits === 1 ? '' : 's'} at or above ${failOn} (exit 1)\n`);
      return EXIT.findings;
    }
  }
  return EXIT.clean;
}

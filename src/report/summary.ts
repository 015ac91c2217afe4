import type { Counters } from '../aggregate/counters.js';
import type { IncidentAggregator } from '../aggregate/incidents.js';
import { DECISION_TABLE, FINDING_KINDS } from '../judge/decision-table.js';
import { LOG_ONLY_CHECKS } from '../judge/log-only.js';
import type { RowId, Severity } from '../model/finding.js';
import { SEVERITIES } from '../model/finding.js';
import { isoUtc } from '../normalise/time.js';
import { MAX_OPEN } from '../pipeline/merge.js';
import { localSpan } from './local-time.js';
import type { ReportContext, Summary } from './types.js';

export function buildSummary(args: {
  version: string;
  policy: string | null;
  /** True when there was a key inventory to judge against. */
  inventory?: boolean;
  timezone: string;
  counters: Counters;
  aggregator: IncidentAggregator;
  /** Files in input directories not read because their names do not look like logs. */
  ignoredFiles?: string[];
  incidents: number;
  outsidePeriod?: number;
  period?: { since: number | undefined; until: number | undefined };
  suppressions?: Summary['suppressions'];
  baseline?: Summary['baseline'];
  first: number;
  last: number;
}): Summary {
  const { counters, aggregator } = args;
  const byRow = Object.fromEntries(FINDING_KINDS.map((r) => [r.id, aggregator.byRow.get(r.id) ?? 0])) as Record<RowId, number>;
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, aggregator.bySeverity.get(s) ?? 0])) as Record<Severity, number>;
  return {
    tool: { name: 'apiguard', version: args.version },
    policy: args.policy,
    checks:
      args.inventory ?? args.policy !== null
        ? { mode: 'policy', ran: ['Who, Where, What and When against the policy'], needPolicy: [] }
        : { mode: 'log-only', ran: [...LOG_ONLY_CHECKS.ran], needPolicy: [...LOG_ONLY_CHECKS.needPolicy] },
    timezone: args.timezone,
    files: counters.files,
    ignoredFiles: args.ignoredFiles ?? [],
    records: {
      read: counters.records,
      parsed: counters.parsed,
      skipped: counters.skipped,
      late: counters.late,
      ahead: counters.ahead,
      unchecked: { ...counters.unchecked },
      outsidePeriod: args.outsidePeriod ?? 0,
    },
    period: {
      since: args.period?.since === undefined ? null : isoUtc(args.period.since),
      until: args.period?.until === undefined ? null : isoUtc(args.period.until),
    },
    skipped: counters.skipsByReason(),
    skipExamples: counters.examples,
    findings: { total: aggregator.findings, letThrough: aggregator.letThrough, suppressed: aggregator.suppressed, byRow, bySeverity },
    incidents: args.incidents,
    suppressions: args.suppressions ?? null,
    baseline: args.baseline ?? null,
    timeRange: {
      first: Number.isFinite(args.first) ? isoUtc(args.first) : null,
      last: Number.isFinite(args.last) ? isoUtc(args.last) : null,
    },
  };
}

const n = (x: number): string => x.toLocaleString('en-US');
const plural = (x: number, word: string): string => `${n(x)} ${word}${x === 1 ? '' : 's'}`;

/** The human summary: what was read, what was skipped and why, what was found. */
export function renderSummaryText(s: Summary, ctx: ReportContext): string {
  const c = ctx.chalk;
  const r = ctx.redact;
  const lines: string[] = [];
  lines.push(c.bold('Summary'));
  if (s.tenant !== undefined) lines.push(`  Tenant:    ${s.tenant === '' ? '(none logged)' : r.text(s.tenant)} — this report holds only this tenant's requests`);
  lines.push(`  Policy:    ${s.policy === null ? c.yellow('none found (--policy, APIGUARD_POLICY, apiguard.yaml here or above)') : r.text(s.policy)}`);
  if (s.checks.mode === 'log-only') {
    lines.push(`  Checks:    ${c.yellow('without a key inventory, only what the logs alone show:')}`);
    for (const check of s.checks.ran) lines.push(`    ran:     ${check}`);
    for (const check of s.checks.needPolicy) lines.push(`    skipped: ${check} (needs a policy)`);
    const files = s.files.map((f) => r.text(f.file)).join(' ') || 'FILES';
    lines.push(`    Draft a policy from these logs: apiguard init ${files} > apiguard.yaml`);
  }
  if (s.baseline) {
    lines.push(`  Baseline:  ${r.text(s.baseline.file)}${s.baseline.updated ? ' (updated with this scan\'s clean requests)' : ''}`);
    for (const check of s.baseline.checks) lines.push(`    ran:     ${check}`);
    if (s.baseline.notInState + s.baseline.littleHistory > 0) {
      lines.push(`    not judged: ${plural(s.baseline.notInState, 'request')} of keys it never learned, ${plural(s.baseline.littleHistory, 'request')} of keys with too little history`);
    }
  }
  lines.push(`  Files:     ${plural(s.files.length, 'file')}`);
  for (const f of s.files) {
    const parts = [f.format || 'no format', `${n(f.records)} read`, `${n(f.parsed)} parsed`];
    if (f.skipped) parts.push(`${n(f.skipped)} skipped`);
    if (f.gzip) parts.push('gzip');
    lines.push(`    ${r.text(f.file)}: ${parts.join(', ')}${f.error ? c.red(` — ${r.text(f.error)}`) : ''}`);
  }
  if (s.ignoredFiles.length > 0) {
    const shown = s.ignoredFiles.slice(0, 3).map((f) => r.text(f)).join(', ');
    lines.push(`  Ignored:   ${plural(s.ignoredFiles.length, 'file')} in directories not named like logs: ${shown}${s.ignoredFiles.length > 3 ? ', …' : ''}`);
  }
  lines.push(`  Records:   ${n(s.records.read)} read, ${n(s.records.parsed)} parsed, ${n(s.records.skipped)} skipped`);
  for (const k of s.skipped) lines.push(`    ${n(k.count)} ${k.reason} (${k.description})`);
  if (s.records.late > 0) {
    lines.push(c.yellow(`  Late:      ${plural(s.records.late, 'record')} arrived after later ones were judged (beyond --reorder-window); their rate/quota counts are approximate`));
    // Up to MAX_OPEN files are merged by time as they are read; more that overlap in time are not.
    const hint = `files are merged by time ${MAX_OPEN} at a time: merge more logs of the same hours first (README: Time order)`;
    if (s.files.length > MAX_OPEN) lines.push(c.yellow(`             ${hint}`));
  }
  if (s.records.ahead > 0) {
    // A clock glitch or a bogus time: it did not move the reorder window (src/judge/reorder.ts).
    const one = s.records.ahead === 1;
    lines.push(
      c.yellow(
        `  Ahead:     ${plural(s.records.ahead, 'record')} more than --reorder-window (at least 1m) ahead of every record before ${one ? 'it' : 'them'}, and no record near ${one ? 'it' : 'them'} in time followed: judged in time order without moving the window; check ${one ? 'its timestamp' : 'their timestamps'}`,
      ),
    );
  }
  if (s.period.since || s.period.until) {
    lines.push(`  Window:    ${s.period.since ?? 'start'} to ${s.period.until ?? 'end'} (--since/--until); ${plural(s.records.outsidePeriod, 'request')} outside it not judged`);
  }
  if (s.timeRange.first && s.timeRange.last) {
    lines.push(`  Period:    ${localSpan(Date.parse(s.timeRange.first), Date.parse(s.timeRange.last), s.timezone, ' to ')} (${s.timezone})`);
  }
  lines.push(`  Findings:  ${plural(s.findings.total, 'violating request')} in ${plural(s.incidents, 'incident')}; ${n(s.findings.letThrough)} let through by the gateway`);
  DECISION_TABLE.forEach((row, i) => {
    lines.push(`    row ${i + 1} ${row.id.padEnd(18)} ${n(s.findings.byRow[row.id]).padStart(7)}  ${row.cause}`);
  });
  if (s.findings.suppressed > 0) lines.push(`    ${'suppressed'.padEnd(24)} ${n(s.findings.suppressed).padStart(7)}  accepted by ${s.suppressions ? r.text(s.suppressions.file) : 'suppressions'} (listed, not counted)`);
  if (s.suppressions) {
    for (const e of s.suppressions.expired) lines.push(c.yellow(`  Expired:   suppression at ${r.text(e.at)} ended ${e.expires} (${r.text(e.reason)}; ${r.text(e.owner)}): it no longer suppresses`));
    for (const e of s.suppressions.stale) lines.push(c.yellow(`  Stale:     suppression at ${r.text(e.at)} matched nothing (${r.text(e.reason)}; ${r.text(e.owner)})`));
  }
  const exposed = s.findings.byRow['key-exposed'];
  if (exposed > 0) lines.push(`    ${'key-exposed'.padEnd(24)} ${n(exposed).padStart(7)}  API key exposed in logs (rotate it)`);
  const { where, what } = s.records.unchecked;
  if (where > 0) lines.push(c.yellow(`  Unchecked: ${plural(where, 'request')} with no client IP in the log: Where not checked`));
  if (what > 0) lines.push(c.yellow(`  Unchecked: ${plural(what, 'request')} with no method and path in the log: What not checked`));
  return lines.join('\n') + '\n';
}

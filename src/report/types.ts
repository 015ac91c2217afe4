import type { ChalkInstance } from 'chalk';
import type { FileStats, SkipExample } from '../aggregate/counters.js';
import type { Incident } from '../aggregate/incidents.js';
import type { Finding, RowId, Severity } from '../model/finding.js';
import type { Redactor } from './sanitize.js';

export interface Summary {
  tool: { name: 'apiguard'; version: string };
  /** Set in a per-tenant report (--split-by tenant): the tenant it is about, and nothing else. */
  tenant?: string;
  /** The policy file used, or null when the scan ran without one. */
  policy: string | null;
  /**
   * `policy`: judged against the key inventory. `log-only`: no inventory (no policy, or one
   * without keys), so only what the logs alone show; `needPolicy` lists what could not be checked.
   */
  checks: { mode: 'policy' | 'log-only'; ran: string[]; needPolicy: string[] };
  /** IANA zone for hours, days and quota days; also the zone of the table's times. */
  timezone: string;
  files: FileStats[];
  /** Files in input directories that were not read: their names do not look like logs. */
  ignoredFiles: string[];
  records: { read: number; parsed: number; skipped: number; late: number; ahead: number; unchecked: { where: number; what: number }; outsidePeriod: number };
  /** --since / --until as ISO times, null when not given. */
  period: { since: string | null; until: string | null };
  skipped: { reason: string; description: string; count: number }[];
  skipExamples: SkipExample[];
  findings: {
    total: number;
    letThrough: number;
    /** Accepted by a suppression: listed, not counted in total, rows or --fail-on. */
    suppressed: number;
    byRow: Record<RowId, number>;
    bySeverity: Record<Severity, number>;
  };
  /** Open incidents (suppressed ones are counted in findings.suppressed). */
  incidents: number;
  /** The learned baseline judged against (--state): its checks, the keys it could not judge, whether it was updated. */
  baseline?: { file: string; checks: string[]; notInState: number; littleHistory: number; updated: boolean } | null;
  /** Suppression file state: entries in force, entries past their expiry, entries that matched nothing. */
  suppressions: { file: string; active: number; expired: SuppressionNote[]; stale: SuppressionNote[] } | null;
  /** First and last request time among parsed records (ISO 8601 UTC), null when none. */
  timeRange: { first: string | null; last: string | null };
}

export interface SuppressionNote {
  reason: string;
  owner: string;
  expires: string;
  at: string;
}

export interface ScanReport {
  summary: Summary;
  incidents: Incident[];
}

export interface ReportContext {
  chalk: ChalkInstance;
  redact: Redactor;
  /** Columns available for the table. */
  width: number;
}

/**
 * One output format. Reporters never write, sort or exit: they turn data into text, and the CLI
 * writes it. `finding` streams one chunk per violating request (for line-oriented outputs);
 * `render` returns the text written once the scan is done.
 */
export interface Reporter {
  meta: {
    name: string;
    description: string;
    /** True when stdout carries only data, so the human summary goes to stderr. */
    summaryToStderr: boolean;
  };
  finding?(finding: Finding, ctx: ReportContext): string;
  render(report: ScanReport, ctx: ReportContext): string;
  /**
   * The text of `render`, in parts: a report of tens of thousands of incidents is then written
   * as it is made, never held whole (the CLI prefers this when a reporter has it).
   */
  renderParts?(report: ScanReport, ctx: ReportContext): Iterable<string>;
}

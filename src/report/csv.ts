import type { Counted, Incident } from '../aggregate/incidents.js';
import { isoUtc } from '../normalise/time.js';
import { neutraliseFormula, type Redactor } from './sanitize.js';
import type { Reporter } from './types.js';

/**
 * Incidents as CSV for a spreadsheet: a header, then one row per incident, in report order.
 *
 * RFC 4180: comma separated; a cell holding a comma, a double quote, CR or LF is quoted, its
 * quotes doubled. Records end in CRLF, as RFC 4180 §2 specifies and Excel, LibreOffice and
 * Python's csv module write; every reader, those included, also accepts it. (No cell holds a raw
 * line break anyway: the redactor prints control characters as visible escapes.) No byte order
 * mark: the file stays plain UTF-8 for pipes and CSV tools; Excel users open it through
 * Data → From Text/CSV, which detects UTF-8.
 *
 * Log fields are attacker controlled, and a cell that starts with = + - @ tab or CR is a formula
 * to Excel and LibreOffice (`=HYPERLINK(…)`, `=cmd|' /C calc'!A0`). Every cell is masked and
 * escaped by the redactor, then given a leading `'` if it starts like a formula. The raw text is
 * checked too, so a cell whose log value started with a tab or CR is marked as well, even though
 * the redactor has already turned that character into the harmless text `\x09` / `\x0d`.
 */
export const CSV_COLUMNS = [
  'id',
  'severity',
  'row',
  'cause',
  'response',
  'key',
  'ip',
  'tenant',
  'first_seen',
  'last_seen',
  'count',
  'let_through',
  'blocked',
  'reasons',
  'actions',
  'evidence',
  /** Empty for an open incident; `until DATE: reason (owner; file:line)` for an accepted one. */
  'suppressed',
] as const;

const EOL = '\r\n';

/** RFC 4180 quoting: only cells that need it. */
export function csvCell(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** Masked, escaped and formula-neutralised: what every cell goes through before quoting. */
function safe(raw: string, r: Redactor): string {
  return neutraliseFormula(r.text(neutraliseFormula(raw)));
}

/** "2× a; 1× b; … and 3 more": each kept item with its count, then how many were not kept. */
function counted(list: Counted[], other: number): string {
  const items = list.map((c) => `${c.count}× ${c.text}`);
  if (other > 0) items.push(`… and ${other} more`);
  return items.join('; ');
}

function incidentRow(i: Incident): string[] {
  const s = i.suppressed;
  return [
    i.id,
    i.severity,
    i.row,
    i.cause,
    i.responses.join('; '),
    i.key,
    i.ip,
    i.tenant,
    isoUtc(i.firstSeen),
    isoUtc(i.lastSeen),
    String(i.count),
    String(i.letThrough),
    String(i.blocked),
    counted(i.reasons, i.otherReasons),
    counted(i.actions, i.otherActions),
    i.evidence.map((e) => `${e.file}:${e.line}`).join('; '),
    s ? `until ${s.expires}: ${s.reason} (${s.owner}; ${s.at})` : '',
  ];
}

const line = (cells: readonly string[]): string => cells.map(csvCell).join(',') + EOL;

/** One CSV row per incident with a header; the summary goes to stderr. */
const csv: Reporter = {
  meta: { name: 'csv', description: 'one CSV row per incident with a header, for spreadsheets (summary on stderr)', summaryToStderr: true },
  render(report, ctx) {
    // Every cell, not only the log-derived ones: a cell that is missed cannot become a formula.
    const rows = report.incidents.map((i) => line(incidentRow(i).map((c) => safe(c, ctx.redact))));
    return line(CSV_COLUMNS) + rows.join('');
  },
};

export default csv;

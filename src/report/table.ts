import Table from 'cli-table3';
import type { ChalkInstance } from 'chalk';
import { severalKeys, type Counted, type Incident } from '../aggregate/incidents.js';
import { rowLabel } from '../judge/decision-table.js';
import { localSpan } from './local-time.js';
import type { Severity } from '../model/finding.js';
import { renderSummaryText } from './summary.js';
import type { Reporter, ReportContext } from './types.js';

const SEVERITY_STYLE: Record<Severity, (c: ChalkInstance) => ChalkInstance> = {
  critical: (c) => c.red.bold,
  high: (c) => c.red,
  medium: (c) => c.yellow,
  low: (c) => c.cyan,
};

const n = (x: number): string => x.toLocaleString('en-US');
const plural = (x: number, word: string): string => `${n(x)} ${word}${x === 1 ? '' : 's'}`;

function requestLines(i: Incident, c: ChalkInstance): string[] {
  const lines = [plural(i.count, 'request')];
  if (i.letThrough) lines.push(c.red(`${n(i.letThrough)} let through`));
  if (i.blocked) lines.push(`${n(i.blocked)} blocked`);
  if (i.unknownOutcome) lines.push(`${n(i.unknownOutcome)} status unknown`);
  return lines;
}

/** "a; b; c; … and 4 more": the shown items with their counts, and how many were left out. */
function counted(list: Counted[], other: number, show: number, r: ReportContext['redact']): string {
  const items = list.slice(0, show).map((x) => `${n(x.count)}× ${r.text(x.text)}`);
  const hidden = list.slice(show).reduce((sum, x) => sum + x.count, 0) + other;
  if (hidden > 0) items.push(`… and ${n(hidden)} more`);
  return items.join('; ');
}

function detailLines(i: Incident, ctx: ReportContext): string[] {
  const c = ctx.chalk;
  const r = ctx.redact;
  // Rows decided by What already name each action in their reasons.
  const whatDecided = i.row === 'key-compromised' || i.row === 'invalid-for-role';
  const first = i.evidence[0];
  const s = i.suppressed;
  return [
    s ? c.dim(`${c.bold('Suppressed')} until ${s.expires}: ${r.text(s.reason)} (${r.text(s.owner)}; ${r.text(s.at)})`) : '',
    `${c.bold('Cause:')}    ${i.cause}`,
    `${c.bold('Response:')} ${i.responses.join('; ')}`,
    `${c.bold('Why:')}      ${counted(i.reasons, i.otherReasons, 4, r)}`,
    severalKeys(i) ? `${c.bold('Keys:')}     ${counted(i.keys, i.otherKeys, 4, r)}` : '',
    whatDecided ? '' : `${c.bold('Actions:')}  ${counted(i.actions, i.otherActions, 3, r)}`,
    i.userAgents.length > 0 ? `${c.bold('Agents:')}   ${counted(i.userAgents, i.otherUserAgents, 3, r)}` : '',
    first ? `${c.bold('Evidence:')} ${r.text(first.file)}:${first.line}${i.count > 1 ? ` (first of ${n(i.count)})` : ''}` : '',
  ].filter(Boolean);
}

const severityLabel = (i: Incident, c: ChalkInstance): string =>
  i.suppressed ? c.dim(`${i.severity.toUpperCase()} (suppressed)`) : SEVERITY_STYLE[i.severity](c)(i.severity.toUpperCase());

/** Column widths for the table; key and IP are never narrower than their longest value. */
function columnWidths(incidents: Incident[], ctx: ReportContext): number[] {
  const keyWidth = Math.max(5, ...incidents.map((i) => ctx.redact.text(i.key).length)) + 2;
  const ipWidth = Math.max(11, ...incidents.map((i) => i.ip.length)) + 2;
  return [5, 25, keyWidth, ipWidth, 18, 30];
}

function incidentTable(incidents: Incident[], zone: string, widths: number[], ctx: ReportContext): string {
  const c = ctx.chalk;
  const table = new Table({
    head: ['#', 'Finding', 'Key', 'Source IP', 'Requests', `Seen (${zone})`].map((h) => c.bold(h)),
    colWidths: widths,
    wordWrap: true,
    style: { head: [], border: [] },
  });
  for (const i of incidents) {
    table.push([
      String(i.number),
      `${severityLabel(i, c)}\n${rowLabel(i.row)}`,
      ctx.redact.text(i.key),
      i.ip,
      requestLines(i, c).join('\n'),
      localSpan(i.firstSeen, i.lastSeen, zone, '\n→ '),
    ]);
    table.push([{ colSpan: 6, content: detailLines(i, ctx).join('\n'), wordWrap: true }]);
  }
  return table.toString() + '\n';
}

/** For terminals too narrow for the table: one block per incident, nothing cut off. */
function incidentBlocks(incidents: Incident[], zone: string, ctx: ReportContext): string {
  const c = ctx.chalk;
  return incidents
    .map((i) =>
      [
        `${c.bold(`#${i.number}`)} ${severityLabel(i, c)}  ${rowLabel(i.row)}`,
        `   Key:      ${ctx.redact.text(i.key)}`,
        `   Source:   ${i.ip}`,
        `   Requests: ${requestLines(i, c).join(', ')}`,
        `   Seen:     ${localSpan(i.firstSeen, i.lastSeen, zone)} (${zone})`,
        ...detailLines(i, ctx).map((l) => `   ${l}`),
      ].join('\n'),
    )
    .join('\n\n') + '\n';
}

const tableReporter: Reporter = {
  meta: { name: 'table', description: 'incidents and summary for a terminal (default)', summaryToStderr: false },
  render(report, ctx) {
    const s = report.summary;
    const c = ctx.chalk;
    if (report.incidents.length === 0) {
      return `${c.green(`No findings in ${plural(s.records.parsed, 'request')}.`)}\n\n${renderSummaryText(s, ctx)}`;
    }
    const open = report.incidents.filter((i) => i.suppressed === null).length;
    const suppressed = report.incidents.length - open;
    const title = c.bold(
      `${plural(open, 'incident')} from ${plural(s.findings.total, 'violating request')} (${n(s.findings.letThrough)} let through by the gateway)` +
        (suppressed ? `, and ${plural(suppressed, 'suppressed incident')} (${plural(s.findings.suppressed, 'request')})` : ''),
    );
    const widths = columnWidths(report.incidents, ctx);
    const tableWidth = widths.reduce((a, b) => a + b, 0) + widths.length + 1;
    const body =
      tableWidth <= ctx.width
        ? incidentTable(report.incidents, s.timezone, widths, ctx)
        : incidentBlocks(report.incidents, s.timezone, ctx);
    return `${title}\n${body}\n${renderSummaryText(s, ctx)}`;
  },
};

export default tableReporter;

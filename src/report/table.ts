import Table from 'cli-table3';
import { TZDate } from '@date-fns/tz';
import { format } from 'date-fns';
import type { ChalkInstance } from 'chalk';
import type { Incident } from '../aggregate/incidents.js';
import type { Severity } from '../model/finding.js';
import { renderSummaryText } from './summary.js';
import type { Reporter, ReportContext } from './types.js';

const SEVERITY_STYLE: Record<Severity, (c: ChalkInstance) => ChalkInstance> = {
  critical: (c) => c.red.bold,
  high: (c) => c.red,
  medium: (c) => c.yellow,
  low: (c) => c.cyan,
};

/** Times in the policy's zone, with the offset, so an analyst reads local time unambiguously. */
function localTime(ms: number, zone: string): string {
  return format(new TZDate(ms, zone), 'yyyy-MM-dd HH:mm:ss xxx');
}

function seen(i: Incident, zone: string): string {
  const first = localTime(i.firstSeen, zone);
  if (i.firstSeen === i.lastSeen) return first;
  const last = localTime(i.lastSeen, zone);
  // Same day: show only the time of the last request.
  return `${first}\n→ ${last.slice(0, 10) === first.slice(0, 10) ? last.slice(11) : last}`;
}

function requests(i: Incident, c: ChalkInstance): string {
  const lines = [`${i.count.toLocaleString('en-US')}`];
  if (i.letThrough) lines.push(c.red(`${i.letThrough.toLocaleString('en-US')} let through`));
  if (i.blocked) lines.push(`${i.blocked.toLocaleString('en-US')} blocked`);
  if (i.unknownOutcome) lines.push(`${i.unknownOutcome.toLocaleString('en-US')} status unknown`);
  return lines.join('\n');
}

function details(i: Incident, ctx: ReportContext): string {
  const c = ctx.chalk;
  const r = ctx.redact;
  const why = i.reasons.slice(0, 4).map((x) => `${x.count.toLocaleString('en-US')}× ${r.text(x.text)}`);
  if (i.reasons.length > 4 || i.otherReasons > 0) why.push(`… ${i.reasons.length - 4 + i.otherReasons > 0 ? 'and more' : ''}`.trim());
  const actions = i.actions.slice(0, 3).map((x) => `${x.count.toLocaleString('en-US')}× ${r.text(x.text)}`);
  if (i.actions.length > 3 || i.otherActions > 0) actions.push('…');
  const first = i.evidence[0];
  // Rows decided by What already name each action in their reasons.
  const whatDecided = i.row === 'key-compromised' || i.row === 'invalid-for-role';
  return [
    `${c.bold('Cause:')}    ${i.cause}`,
    `${c.bold('Response:')} ${i.responses.join('; ')}`,
    `${c.bold('Why:')}      ${why.join('; ')}`,
    whatDecided ? '' : `${c.bold('Actions:')}  ${actions.join('; ')}`,
    first ? `${c.bold('Evidence:')} ${r.text(first.file)}:${first.line}${i.count > 1 ? ' (first of ' + i.count.toLocaleString('en-US') + ')' : ''}` : '',
  ]
    .filter(Boolean)
    .join('\n');
}

const clamp = (n: number, lo: number, hi: number): number => Math.max(lo, Math.min(hi, n));

function incidentTable(incidents: Incident[], zone: string, ctx: ReportContext): string {
  const c = ctx.chalk;
  const r = ctx.redact;
  const keyWidth = clamp(Math.max(...incidents.map((i) => r.text(i.key).length)) + 2, 8, 30);
  const ipWidth = clamp(Math.max(...incidents.map((i) => i.ip.length)) + 2, 11, 41);
  const widths = [5, 26, keyWidth, ipWidth, 16, 28];
  // Give back what the terminal lacks from the widest flexible columns (key, IP) first.
  let excess = widths.reduce((a, b) => a + b, 0) + widths.length + 1 - ctx.width;
  for (const col of [2, 3]) {
    const give = Math.min(Math.max(excess, 0), widths[col]! - 12);
    widths[col]! -= give;
    excess -= give;
  }
  const table = new Table({
    head: ['#', 'Finding', 'Key', 'Source IP', 'Requests', `Seen (${zone})`].map((h) => c.bold(h)),
    colWidths: widths,
    wordWrap: true,
    style: { head: [], border: [] },
  });
  for (const i of incidents) {
    table.push([
      String(i.number),
      `${SEVERITY_STYLE[i.severity](c)(i.severity.toUpperCase())}\nrow ${i.rowNumber} ${i.row}`,
      r.text(i.key),
      i.ip,
      requests(i, c),
      seen(i, zone),
    ]);
    table.push([{ colSpan: 6, content: details(i, ctx), wordWrap: true }]);
  }
  return table.toString() + '\n';
}

/** The terminal view: incidents worst first, each with its cause, response and why; then the summary. */
const tableReporter: Reporter = {
  meta: { name: 'table', description: 'incidents and summary for a terminal (default)', summaryToStderr: false },
  render(report, ctx) {
    const s = report.summary;
    const c = ctx.chalk;
    const head =
      report.incidents.length === 0
        ? c.green(`No findings in ${s.records.parsed.toLocaleString('en-US')} requests.`) + '\n'
        : c.bold(
            `${report.incidents.length} incident${report.incidents.length === 1 ? '' : 's'} from ${s.findings.total.toLocaleString('en-US')} violating requests (${s.findings.letThrough.toLocaleString('en-US')} let through by the gateway)`,
          ) +
          '\n' +
          incidentTable(report.incidents, s.timezone, ctx);
    return `${head}\n${renderSummaryText(s, ctx)}`;
  },
};

export default tableReporter;

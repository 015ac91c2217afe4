/**
 * The triage report for a terminal: the key, its use, the activity strip, the onset, the blast
 * radius, sources and actions, the incidents, the response ladder, the context lines, and the
 * read summary. Long lists are cut with a count of the rest (the json output has them all).
 * Strings arrive masked from buildReport; incidents and summary are masked here as scan's
 * reporters do.
 */
import type { ChalkInstance } from 'chalk';
import type { Incident } from '../aggregate/incidents.js';
import { rowLabel } from '../judge/decision-table.js';
import type { Severity } from '../model/finding.js';
import { localSpan, localTime } from '../report/local-time.js';
import { renderSummaryText } from '../report/summary.js';
import type { ReportContext } from '../report/types.js';
import type { Tally } from './activity.js';
import type { RequestView, TriageReport } from './report.js';
import { bucketLabel, drawStrip } from './timeline.js';

/** Rows shown per list in the table; the json output has every one. */
export const TABLE_LIST_LIMIT = 15;

export interface TableOptions extends ReportContext {
  /** Unicode block characters for the activity strip; else plain ASCII. */
  unicode: boolean;
}

const n = (x: number): string => x.toLocaleString('en-US');
const plural = (x: number, word: string): string => `${n(x)} ${word}${x === 1 ? '' : 's'}`;

const SEVERITY_STYLE: Record<Severity, (c: ChalkInstance) => ChalkInstance> = {
  critical: (c) => c.red.bold,
  high: (c) => c.red,
  medium: (c) => c.yellow,
  low: (c) => c.cyan,
};

/** `506 succeeded, 4 blocked` (and the unknown ones when there are any). */
function outcome(t: Tally): string {
  const parts = [`${n(t.succeeded)} succeeded`, `${n(t.blocked)} blocked`];
  if (t.unknown > 0) parts.push(`${n(t.unknown)} with no status`);
  return parts.join(', ');
}

/** Pads plain cells into aligned columns; `right` columns are right-aligned. */
function columns(head: string[], rows: string[][], right: number[], c: ChalkInstance, indent = '  '): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    indent +
    cells
      .map((cell, i) => (i === cells.length - 1 && !right.includes(i) ? cell : right.includes(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [c.dim(line(head)), ...rows.map(line)];
}

function more(shown: number, total: number, other: Tally, what: string): string[] {
  const hidden = total - shown;
  const lines: string[] = [];
  if (hidden > 0) lines.push(`  … and ${plural(hidden, `more ${what}`)} (--output json lists them all)`);
  if (other.requests > 0) lines.push(`  … and ${plural(other.requests, 'request')} to ${what}s past the memory bound, counted together`);
  return lines;
}

const yesNo = (v: boolean | null, none: string): string => (v === null ? none : v ? 'yes' : 'NO');

function requestLine(v: RequestView, zone: string): string {
  return `${localTime(v.time, zone)}  ${v.method} ${v.path} from ${v.ip || '(no IP logged)'} → ${v.status || 'no status'}`;
}

function keySection(rep: TriageReport, ctx: TableOptions): string[] {
  const c = ctx.chalk;
  const k = rep.key;
  const how = `${k.matched.exact ? '' : 'start of '}${k.matched.field} ${k.matched.shown}`;
  const lines = [
    `${c.bold('Triage:')} ${c.bold(k.label)}  (${k.source === 'policy' ? 'policy key' : 'identity seen in the logs, not in the policy'}; matched by ${how})`,
  ];
  const known = [
    ...k.identities.aliases.map((x) => `alias ${x}`),
    ...k.identities.ids.map((x) => `id ${x}`),
    ...k.identities.hashes.map((x) => `hash ${x}`),
    ...k.identities.keys.map((x) => `key ${x}`),
  ];
  if (known.length > 0) lines.push(`  Known as:   ${known.join('; ')}`);
  if (k.source === 'policy') {
    lines.push(`  Owner:      ${k.owner || '(not in the policy)'}`);
    const rules = [
      `role ${k.role || '(none: any action)'}`,
      `from ${k.from.length > 0 ? k.from.join(', ') : '(anywhere)'}`,
      ...(k.hours ? [`hours ${k.hours}`] : []),
      ...(k.rate ? [`rate ${k.rate}`] : []),
      ...(k.quota ? [`quota ${k.quota}`] : []),
    ];
    lines.push(`  Policy:     ${rules.join('; ')}`);
    const zone = rep.period.timezone;
    if (k.revoked !== null) lines.push(`  Revoked:    ${localTime(k.revoked, zone)}`);
    if (k.expires !== null) lines.push(`  Expires:    ${localTime(k.expires, zone)}`);
  }
  return lines;
}

function useSection(rep: TriageReport, ctx: TableOptions): string[] {
  const c = ctx.chalk;
  const u = rep.use;
  const zone = rep.period.timezone;
  if (u.requests === 0) return [c.bold('Use'), '  No request of this key in the period scanned.'];
  return [
    c.bold('Use'),
    `  First use:  ${localTime(u.first!, zone)}`,
    `  Last use:   ${localTime(u.last!, zone)}`,
    `  Requests:   ${n(u.requests)}: ${outcome(u)} (status ≥ 400)`,
    `  Violations: ${u.violations === 0 ? c.green('none') : `${plural(u.violations, 'violating request')} in ${plural(u.incidents, 'incident')}, ${c.red(`${n(u.letThrough)} let through by the gateway`)}`}`,
  ];
}

function activitySection(rep: TriageReport, ctx: TableOptions): string[] {
  const c = ctx.chalk;
  const t = rep.activity;
  if (t.buckets.length === 0) return [];
  const zone = rep.period.timezone;
  const { strip, marks } = drawStrip(t, ctx.unicode);
  // Colour marks the violating buckets in the strip itself; the marks line says it without colour.
  const coloured = [...strip].map((ch, i) => (t.buckets[i]!.violations > 0 ? c.red(ch) : ch)).join('');
  const from = localTime(t.start, zone).slice(0, 16);
  const to = localTime(t.end, zone).slice(0, 16);
  return [
    `${c.bold('Activity')}  1 character = ${bucketLabel(t.bucketHours)}, ${from} to ${to} (${zone}); peak ${plural(t.peak, 'request')}, log scale`,
    `  |${coloured}|`,
    `  |${c.red(marks)}|  ! violations let through, ^ violations blocked`,
  ];
}

function onsetSection(rep: TriageReport, ctx: TableOptions): string[] {
  const c = ctx.chalk;
  const o = rep.onset;
  const zone = rep.period.timezone;
  const lines = [c.bold('Onset')];
  const v = o.firstViolation;
  if (v) {
    lines.push(`  First violation:    ${requestLine(v, zone)}`);
    lines.push(`                      ${v.rows.map(rowLabel).join(', ')}: ${v.reasons.join('; ')}`);
    lines.push(`                      ${v.file}:${v.line}`);
  } else lines.push(`  First violation:    ${c.green('none')}`);
  const nn = o.firstNewNetwork;
  if (nn) {
    const where = nn.insideFrom === null ? '' : nn.insideFrom ? ' (inside its from networks)' : c.red(' (outside its from networks)');
    const same = v && v.file === nn.request.file && v.line === nn.request.line;
    lines.push(`  First new network:  ${nn.network}${where}: ${same ? 'the same request' : requestLine(nn.request, zone)}`);
    if (!same) lines.push(`                      ${nn.request.file}:${nn.request.line}`);
  } else lines.push('  First new network:  none (one network all along)');
  lines.push(c.dim(`  (${o.definition})`));
  return lines;
}

function blastSection(rep: TriageReport, ctx: TableOptions): string[] {
  const c = ctx.chalk;
  const b = rep.blastRadius;
  if (!b.start) return [c.bold('Blast radius'), '  None: no violation and no new network outside the key\'s from networks.'];
  const zone = rep.period.timezone;
  const lines = [
    `${c.bold('Blast radius')}  from the ${b.start.by === 'first-violation' ? 'first violation' : 'first request from a new network'}, ${localTime(b.start.request.time, zone)}`,
    `  Requests:  ${n(b.total.requests)}: ${outcome(b.total)}; ${n(b.violations)} violating (${n(b.letThrough)} let through); from ${plural(b.sources, 'source')}`,
    `  Of those:  ${n(b.fromSuspectSources.requests)} from the ${plural(b.fromSuspectSources.sources, 'source')} that broke policy: ${outcome(b.fromSuspectSources)}`,
    `  APIs:      ${b.apis.map((a) => `${a.api} ${n(a.requests)} (${n(a.succeeded)} succeeded)`).join('; ')}${b.otherApis.requests > 0 ? `; others ${n(b.otherApis.requests)}` : ''}`,
  ];
  const shown = b.actions.slice(0, TABLE_LIST_LIMIT);
  lines.push(
    ...columns(
      ['Action', 'Requests', 'Succeeded', 'Blocked', 'Violating'],
      shown.map((a) => [`${a.method} ${a.path}`, n(a.requests), n(a.succeeded), n(a.blocked), n(a.violations)]),
      [1, 2, 3, 4],
      c,
    ),
    ...more(shown.length, b.actions.length, b.otherActions, 'action'),
  );
  return lines;
}

function sourcesSection(rep: TriageReport, ctx: TableOptions): string[] {
  const c = ctx.chalk;
  const zone = rep.period.timezone;
  const policy = rep.key.source === 'policy';
  const shown = rep.sources.slice(0, TABLE_LIST_LIMIT);
  return [
    `${c.bold('Sources')}  ${plural(rep.sources.length, 'IP')}, first seen first`,
    ...columns(
      ['IP', 'Network', 'First and last seen', 'Requests', 'Succeeded', 'Blocked', 'In from', 'Decision table'],
      shown.map((s) => [
        s.ip || '(none logged)',
        s.network || '-',
        localSpan(s.first, s.last, zone),
        n(s.requests),
        n(s.succeeded),
        n(s.blocked),
        yesNo(s.insideFrom, policy ? 'any' : 'n/a'),
        s.rows.length === 0 ? 'clean' : s.rows.map((r) => `${rowLabel(r.row)} (${n(r.count)})`).join(', '),
      ]),
      [3, 4, 5],
      c,
    ),
    ...more(shown.length, rep.sources.length, rep.otherSources, 'source'),
  ];
}

function clientsSection(rep: TriageReport, ctx: TableOptions): string[] {
  const c = ctx.chalk;
  const zone = rep.period.timezone;
  const shown = rep.clients.slice(0, TABLE_LIST_LIMIT);
  return [
    `${c.bold('Clients')}  ${plural(rep.clients.length, 'user agent')}, first seen first`,
    ...columns(
      ['User agent', 'First and last seen', 'Requests', 'Succeeded', 'Blocked', 'Violating'],
      shown.map((x) => [x.userAgent || '(none logged)', localSpan(x.first, x.last, zone), n(x.requests), n(x.succeeded), n(x.blocked), n(x.violations)]),
      [2, 3, 4, 5],
      c,
    ),
    ...more(shown.length, rep.clients.length, rep.otherClients, 'user agent'),
  ];
}

function actionsSection(rep: TriageReport, ctx: TableOptions): string[] {
  const c = ctx.chalk;
  const shown = rep.actions.slice(0, TABLE_LIST_LIMIT);
  const policy = rep.key.source === 'policy';
  return [
    `${c.bold('Actions')}  ${plural(rep.actions.length, 'method + path')}, those the role forbids first`,
    ...columns(
      ['Action', 'Requests', 'Succeeded', 'Blocked', 'Allowed by role', 'Violating'],
      shown.map((a) => [`${a.method} ${a.path}`, n(a.requests), n(a.succeeded), n(a.blocked), yesNo(a.allowed, policy ? 'yes' : 'n/a'), n(a.violations)]),
      [1, 2, 3, 5],
      c,
    ),
    ...more(shown.length, rep.actions.length, rep.otherActions, 'action'),
  ];
}

function incidentLine(i: Incident, zone: string, ctx: TableOptions): string {
  const c = ctx.chalk;
  const r = ctx.redact;
  const outcomeParts = [i.letThrough ? c.red(`${n(i.letThrough)} let through`) : '', i.blocked ? `${n(i.blocked)} blocked` : '', i.unknownOutcome ? `${n(i.unknownOutcome)} no status` : ''].filter(Boolean);
  return `  ${i.id}  ${SEVERITY_STYLE[i.severity](c)(i.severity.toUpperCase().padEnd(8))}  ${rowLabel(i.row).padEnd(23)}  ${r.text(i.ip || '-').padEnd(16)}  ${plural(i.count, 'request')} (${outcomeParts.join(', ')})  ${localSpan(i.firstSeen, i.lastSeen, zone)}`;
}

function incidentsSection(rep: TriageReport, ctx: TableOptions): string[] {
  const c = ctx.chalk;
  if (rep.incidents.length === 0) return [];
  return [
    `${c.bold('Incidents')}  ${plural(rep.incidents.length, 'incident')}, the same ids and counts apiguard scan reports for this key`,
    ...rep.incidents.map((i) => incidentLine(i, rep.period.timezone, ctx)),
  ];
}

function responseSection(rep: TriageReport, ctx: TableOptions): string[] {
  const c = ctx.chalk;
  const l = rep.ladder;
  const lines = [c.bold('Response')];
  if (l.steps.length === 0) lines.push('  No violation: the decision table calls for no response.');
  l.steps.forEach((s, i) => {
    lines.push(`  ${i + 1}. ${c.bold(s.response)}  (${s.rows.map(rowLabel).join(', ')}; ${plural(s.incidents.length, 'incident')})`);
    for (const step of s.steps) lines.push(`     ${step}`);
    for (const cmd of s.commands) lines.push(`       ${cmd.startsWith('#') ? c.dim(cmd) : cmd}`);
  });
  for (const note of l.notes) lines.push(c.dim(`  ${note}`));
  if (rep.tickets) {
    lines.push(`  Tickets:  wrote ${plural(rep.tickets.written, 'RT ticket')} to ${ctx.redact.text(rep.tickets.dir)}${rep.tickets.removed ? ` (removed ${n(rep.tickets.removed)} of an earlier run)` : ''}; send them with apiguard tickets push ${ctx.redact.text(rep.tickets.dir)} --rt-url URL`);
  } else if (rep.incidents.length > 0) {
    lines.push(`  Tickets:  --tickets DIR writes one RT ticket per incident (then apiguard tickets push DIR --rt-url URL)`);
  }
  return lines;
}

function contextSection(rep: TriageReport, ctx: TableOptions): string[] {
  const c = ctx.chalk;
  const x = rep.context;
  if (!x) return [];
  if (x.violations === 0) return [`${c.bold('Context')}  no violation to show the raw lines around`];
  const lines = [
    `${c.bold('Context')}  ${plural(x.lines, 'line')} before and after ${x.shown === x.violations ? `each of the ${plural(x.violations, 'violation')}` : `the first ${n(x.shown)} of ${plural(x.violations, 'violation')} (--context-max)`}; > marks a violation; keys masked`,
  ];
  for (const b of x.blocks) {
    lines.push(`  ${b.file}`);
    const width = String(b.lines[b.lines.length - 1]!.line).length;
    for (const l of b.lines) lines.push(`  ${l.violation ? c.red('>') : ' '} ${String(l.line).padStart(width)}  ${l.text}`);
  }
  for (const u of x.unavailable) lines.push(c.yellow(`  ${u.file}: not read again (${u.why})`));
  if (x.note) lines.push(c.yellow(`  Note: ${x.note}`));
  return lines;
}

export function renderTriageTable(rep: TriageReport, ctx: TableOptions): string {
  // A key with no request in the period has no activity, onset, sources or actions to show.
  const used = rep.use.requests > 0;
  const sections = [
    keySection(rep, ctx),
    useSection(rep, ctx),
    used ? activitySection(rep, ctx) : [],
    used ? onsetSection(rep, ctx) : [],
    used ? blastSection(rep, ctx) : [],
    used ? sourcesSection(rep, ctx) : [],
    used ? clientsSection(rep, ctx) : [],
    used ? actionsSection(rep, ctx) : [],
    incidentsSection(rep, ctx),
    responseSection(rep, ctx),
    contextSection(rep, ctx),
  ].filter((s) => s.length > 0);
  return sections.map((s) => s.join('\n')).join('\n\n') + '\n\n' + renderSummaryText(rep.summary, ctx);
}

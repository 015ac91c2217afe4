import type { Incident } from '../aggregate/incidents.js';
import { isoUtc } from '../normalise/time.js';
import type { Redactor } from './sanitize.js';
import type { ReportContext, Reporter, ScanReport } from './types.js';

export function incidentJson(i: Incident, r: Redactor): Record<string, unknown> {
  return {
    number: i.number,
    id: i.id,
    tenant: r.text(i.tenant),
    row: i.row,
    rowNumber: i.rowNumber,
    cause: i.cause,
    responses: i.responses,
    severity: i.severity,
    key: r.text(i.key),
    keys: i.keys.map((c) => ({ text: r.text(c.text), count: c.count })),
    otherKeys: i.otherKeys,
    ip: i.ip,
    firstSeen: isoUtc(i.firstSeen),
    lastSeen: isoUtc(i.lastSeen),
    count: i.count,
    blocked: i.blocked,
    letThrough: i.letThrough,
    unknownOutcome: i.unknownOutcome,
    reasons: i.reasons.map((c) => ({ text: r.text(c.text), count: c.count })),
    otherReasons: i.otherReasons,
    actions: i.actions.map((c) => ({ text: r.text(c.text), count: c.count })),
    otherActions: i.otherActions,
    userAgents: i.userAgents.map((c) => ({ text: r.text(c.text), count: c.count })),
    otherUserAgents: i.otherUserAgents,
    evidence: i.evidence.map((e) => ({ file: r.text(e.file), line: e.line })),
    suppressed: i.suppressed === null ? null : { ...i.suppressed, reason: r.text(i.suppressed.reason), owner: r.text(i.suppressed.owner), at: r.text(i.suppressed.at) },
  };
}

/**
 * `JSON.stringify(value, null, 2)` as it stands `depth` levels deep in a document so indented:
 * the value wrapped in `depth` arrays, so that JSON.stringify indents it itself, and cut out.
 */
function nested(value: unknown, depth: number): string {
  let wrapped: unknown = value;
  for (let d = 0; d < depth; d++) wrapped = [wrapped];
  const text = JSON.stringify(wrapped, null, 2);
  // Level k (0 = outermost) puts `[`, a newline and 2(k + 1) spaces before the value, and a newline, 2k spaces and `]` after it.
  const before = 2 * depth + depth * (depth + 1);
  const after = 2 * depth + depth * (depth - 1);
  return text.slice(before, text.length - after);
}

/**
 * One JSON document: {summary, incidents}, exactly as `JSON.stringify(…, null, 2)` lays it out,
 * made one incident at a time: the whole document of a big scan (an incident is ~2 kB) is never
 * held at once, nor its objects.
 */
function* jsonParts(report: ScanReport, ctx: ReportContext): Generator<string> {
  const r = ctx.redact;
  const summary = {
    ...report.summary,
    policy: report.summary.policy === null ? null : r.text(report.summary.policy),
    files: report.summary.files.map((f) => ({ ...f, file: r.text(f.file), error: r.text(f.error) })),
    ignoredFiles: report.summary.ignoredFiles.map((f) => r.text(f)),
    skipExamples: report.summary.skipExamples.map((e) => ({ ...e, file: r.text(e.file), detail: r.text(e.detail) })),
  };
  const incidents = report.incidents;
  yield `{\n  "summary": ${nested(summary, 1)},\n  "incidents": ${incidents.length === 0 ? '[]' : '['}`;
  for (let k = 0; k < incidents.length; k++) yield `${k === 0 ? '' : ','}\n    ${nested(incidentJson(incidents[k]!, r), 2)}`;
  yield `${incidents.length === 0 ? '' : '\n  ]'}\n}\n`;
}

const json: Reporter = {
  meta: { name: 'json', description: 'one JSON document {summary, incidents}', summaryToStderr: false },
  render: (report, ctx) => [...jsonParts(report, ctx)].join(''),
  renderParts: jsonParts,
};

export default json;

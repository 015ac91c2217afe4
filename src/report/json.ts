import type { Incident } from '../aggregate/incidents.js';
import { isoUtc } from '../normalise/time.js';
import type { Redactor } from './sanitize.js';
import type { Reporter } from './types.js';

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
    evidence: i.evidence.map((e) => ({ file: r.text(e.file), line: e.line })),
    suppressed: i.suppressed === null ? null : { ...i.suppressed, reason: r.text(i.suppressed.reason), owner: r.text(i.suppressed.owner), at: r.text(i.suppressed.at) },
  };
}

/** One JSON document: {summary, incidents}. */
const json: Reporter = {
  meta: { name: 'json', description: 'one JSON document {summary, incidents}', summaryToStderr: false },
  render(report, ctx) {
    const r = ctx.redact;
    const summary = {
      ...report.summary,
      policy: report.summary.policy === null ? null : r.text(report.summary.policy),
      files: report.summary.files.map((f) => ({ ...f, file: r.text(f.file), error: r.text(f.error) })),
      ignoredFiles: report.summary.ignoredFiles.map((f) => r.text(f)),
      skipExamples: report.summary.skipExamples.map((e) => ({ ...e, file: r.text(e.file), detail: r.text(e.detail) })),
    };
    return JSON.stringify({ summary, incidents: report.incidents.map((i) => incidentJson(i, r)) }, null, 2) + '\n';
  },
};

export default json;

import { isoUtc } from '../normalise/time.js';
import { ROW_BY_ID } from '../judge/decision-table.js';
import type { Reporter } from './types.js';

/** One line per violating request, streamed as it is judged; nothing else on stdout. */
const ndjson: Reporter = {
  meta: { name: 'ndjson', description: 'one JSON finding per violating request, streamed (summary on stderr)', summaryToStderr: true },
  finding(f, ctx) {
    const req = f.request;
    const raw = req.identity.key;
    const r = { text: (s: string) => ctx.redact.text(s, raw) };
    const row = ROW_BY_ID.get(f.row)!;
    return (
      JSON.stringify({
        file: r.text(req.file),
        line: req.line,
        time: isoUtc(req.time),
        row: f.row,
        cause: row.cause,
        responses: row.responses,
        severity: f.severity,
        outcome: f.outcome,
        key: r.text(f.keyLabel),
        ip: req.ip,
        method: r.text(req.method),
        path: r.text(req.path),
        status: req.status,
        userAgent: r.text(req.userAgent),
        requestId: r.text(req.requestId),
        reasons: f.reasons.map((x) => r.text(x)),
        api: r.text(req.api),
        tenant: r.text(req.tenant),
        suppressed: f.suppressed ? { ...f.suppressed, reason: r.text(f.suppressed.reason), owner: r.text(f.suppressed.owner), at: r.text(f.suppressed.at) } : null,
      }) + '\n'
    );
  },
  render() {
    return '';
  },
};

export default ndjson;

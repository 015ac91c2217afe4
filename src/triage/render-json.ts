/**
 * The triage report as one JSON document for machines (schema `apiguard.triage/1`, documented in
 * the README). Stable: times are ISO 8601 UTC, lists are sorted with total orders, nothing depends
 * on the terminal. Strings arrive masked from buildReport; incidents and summary are masked here
 * exactly as `scan --output json` masks them. No field ever holds a whole key: hashes and raw keys
 * appear masked, except the key's hash inside the printed Tyk calls (a hash is not a key).
 */
import json from '../report/json.js';
import { makeChalk } from '../report/colour.js';
import { isoUtc } from '../normalise/time.js';
import type { Redactor } from '../report/sanitize.js';
import type { RequestView, TriageReport } from './report.js';
import { TRIAGE_SCHEMA } from './report.js';
import { bucketLabel } from './timeline.js';

const iso = (ms: number | null): string | null => (ms === null || !Number.isFinite(ms) ? null : isoUtc(ms));

function request(v: RequestView | null): Record<string, unknown> | null {
  if (v === null) return null;
  return { time: isoUtc(v.time), ip: v.ip, method: v.method, path: v.path, status: v.status, api: v.api, file: v.file, line: v.line, rows: v.rows, reasons: v.reasons };
}

export function triageJson(rep: TriageReport, r: Redactor, version: string): Record<string, unknown> {
  const t = rep.activity;
  const scanJson = JSON.parse(json.render({ summary: rep.summary, incidents: rep.incidents }, { redact: r, chalk: makeChalk(0), width: 132 })) as { summary: unknown; incidents: unknown[] };
  return {
    schema: TRIAGE_SCHEMA,
    tool: { name: 'apiguard', version },
    key: { ...rep.key, revoked: iso(rep.key.revoked), expires: iso(rep.key.expires) },
    period: { ...rep.period, first: iso(rep.period.first), last: iso(rep.period.last), since: iso(rep.period.since), until: iso(rep.period.until) },
    use: { ...rep.use, first: iso(rep.use.first), last: iso(rep.use.last) },
    sources: rep.sources.map((x) => ({ ...x, first: isoUtc(x.first), last: isoUtc(x.last) })),
    otherSources: rep.otherSources,
    actions: rep.actions,
    otherActions: rep.otherActions,
    clients: rep.clients.map((x) => ({ ...x, first: isoUtc(x.first), last: isoUtc(x.last) })),
    otherClients: rep.otherClients,
    networks: rep.networks.map((x) => ({ ...x, first: isoUtc(x.first) })),
    activity: {
      bucketHours: t.bucketHours,
      bucket: bucketLabel(t.bucketHours),
      start: t.buckets.length ? isoUtc(t.start) : null,
      end: t.buckets.length ? isoUtc(t.end) : null,
      peak: t.peak,
      buckets: t.buckets.map((b) => ({ ...b, start: isoUtc(b.start) })),
    },
    onset: {
      firstViolation: request(rep.onset.firstViolation),
      firstNewNetwork: rep.onset.firstNewNetwork && { ...rep.onset.firstNewNetwork, request: request(rep.onset.firstNewNetwork.request) },
      definition: rep.onset.definition,
    },
    blastRadius: { ...rep.blastRadius, start: rep.blastRadius.start && { by: rep.blastRadius.start.by, request: request(rep.blastRadius.start.request) } },
    // Incidents and summary exactly as `scan --output json` writes them, masked the same way.
    incidents: scanJson.incidents,
    response: rep.ladder,
    tickets: rep.tickets && { ...rep.tickets, dir: r.text(rep.tickets.dir) },
    context: rep.context,
    summary: scanJson.summary,
  };
}

export function renderTriageJson(rep: TriageReport, r: Redactor, version: string): string {
  return JSON.stringify(triageJson(rep, r, version), null, 2) + '\n';
}

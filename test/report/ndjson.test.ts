import { describe, expect, it } from 'vitest';
import { Counters } from '../../src/aggregate/counters.js';
import { IncidentAggregator } from '../../src/aggregate/incidents.js';
import type { Finding } from '../../src/model/finding.js';
import type { ApiRequest, Identity } from '../../src/model/request.js';
import { makeChalk } from '../../src/report/colour.js';
import ndjson from '../../src/report/ndjson.js';
import { Redactor } from '../../src/report/sanitize.js';
import { buildSummary } from '../../src/report/summary.js';
import type { ReportContext } from '../../src/report/types.js';
import { request } from '../helpers/requests.js';

const SECRET = 'sk_live_ABCDEFGH12345678';
const MASKED = 'sk_l…5678';

const ctx = (secrets: string[] = [SECRET]): ReportContext => ({ chalk: makeChalk(0), redact: new Redactor(secrets), width: 120 });

function finding(over: Partial<Omit<ApiRequest, 'identity'>> & { identity?: Partial<Identity>; at?: string } = {}, f: Partial<Finding> = {}): Finding {
  return {
    request: request({
      at: '2026-11-20T03:00:41Z',
      ip: '203.0.113.9',
      method: 'DELETE',
      path: '/elastic/logs',
      status: 200,
      file: 'logs/gw.ndjson',
      line: 7,
      api: 'elastic',
      tenant: 'soc',
      userAgent: 'python-requests/2.31.0',
      requestId: 'req-7f3a',
      ...over,
    }),
    row: 'key-compromised',
    severity: 'critical',
    outcome: 'let-through',
    keyLabel: 'analyst-1',
    keyGroup: 'k:analyst-1',
    reasons: ['203.0.113.9 is not an analyst workstation', 'DELETE /elastic/logs not allowed for role analyst'],
    groups: ['not an analyst workstation', 'DELETE not allowed for role analyst'],
    ...f,
  };
}

const parseLine = (out: string): Record<string, unknown> => {
  expect(out.endsWith('\n')).toBe(true);
  expect(out.indexOf('\n')).toBe(out.length - 1);
  return JSON.parse(out) as Record<string, unknown>;
};

describe('ndjson reporter', () => {
  it('is named ndjson and sends the summary to stderr', () => {
    expect(ndjson.meta.name).toBe('ndjson');
    expect(ndjson.meta.summaryToStderr).toBe(true);
  });

  it('prints one line per finding with exactly the documented fields, in order', () => {
    const out = ndjson.finding!(finding(), ctx());
    const doc = parseLine(out);
    expect(Object.keys(doc)).toEqual([
      'file',
      'line',
      'time',
      'row',
      'cause',
      'responses',
      'severity',
      'outcome',
      'key',
      'ip',
      'method',
      'path',
      'status',
      'userAgent',
      'requestId',
      'reasons',
      'api',
      'tenant',
      'suppressed',
    ]);
    expect(doc).toEqual({
      file: 'logs/gw.ndjson',
      line: 7,
      time: '2026-11-20T03:00:41.000Z',
      row: 'key-compromised',
      cause: 'API key compromised',
      responses: ['Block API request', 'Revoke API key & create new API key'],
      severity: 'critical',
      outcome: 'let-through',
      key: 'analyst-1',
      ip: '203.0.113.9',
      method: 'DELETE',
      path: '/elastic/logs',
      status: 200,
      userAgent: 'python-requests/2.31.0',
      requestId: 'req-7f3a',
      reasons: ['203.0.113.9 is not an analyst workstation', 'DELETE /elastic/logs not allowed for role analyst'],
      api: 'elastic',
      tenant: 'soc',
      suppressed: null,
    });
  });

  it('prints the exact compact line', () => {
    const out = ndjson.finding!(
      finding({ status: 401, method: 'GET', path: '/x', api: '', tenant: '', line: 1, userAgent: '', requestId: '' }, { row: 'unauthenticated', severity: 'low', outcome: 'blocked', keyLabel: '(no key)', reasons: ['gateway answered 401'] }),
      ctx(),
    );
    expect(out).toBe(
      '{"file":"logs/gw.ndjson","line":1,"time":"2026-11-20T03:00:41.000Z","row":"unauthenticated","cause":"API request not authenticated",' +
        '"responses":["Block API request"],"severity":"low","outcome":"blocked","key":"(no key)","ip":"203.0.113.9","method":"GET","path":"/x",' +
        '"status":401,"userAgent":"","requestId":"","reasons":["gateway answered 401"],"api":"","tenant":"","suppressed":null}\n',
    );
  });

  it('carries each outcome and the row words of each row', () => {
    const unknown = parseLine(ndjson.finding!(finding({ status: 0 }, { row: 'when-violation', severity: 'medium', outcome: 'unknown' }), ctx()));
    expect([unknown.row, unknown.cause, unknown.responses, unknown.severity, unknown.outcome, unknown.status]).toEqual([
      'when-violation',
      'API request exceeds rate-limit/quota; Anomalous API requests',
      ['Block API request', 'Investigate API key'],
      'medium',
      'unknown',
      0,
    ]);
    const ww = parseLine(ndjson.finding!(finding({}, { row: 'wrong-workstation', severity: 'medium', outcome: 'blocked' }), ctx()));
    expect([ww.cause, ww.outcome]).toEqual(['Analyst using wrong workstation', 'blocked']);
  });

  it('renders nothing at the end: the summary goes to stderr', () => {
    const counters = new Counters();
    const aggregator = new IncidentAggregator();
    aggregator.add(finding());
    const incidents = aggregator.incidents();
    const summary = buildSummary({ version: '0.1.0', policy: null, timezone: 'UTC', counters, aggregator, incidents: incidents.length, first: 0, last: 0 });
    expect(ndjson.render({ summary, incidents }, ctx())).toBe('');
  });

  it('masks a known secret in the path and every other text field', () => {
    const out = ndjson.finding!(
      finding(
        { path: `/elastic/${SECRET}/_search`, file: `logs/${SECRET}.ndjson`, api: `api-${SECRET}`, tenant: `t-${SECRET}` },
        { reasons: [`GET /elastic/${SECRET}/_search not allowed`], keyLabel: `key ${SECRET}` },
      ),
      ctx(),
    );
    expect(out).not.toContain(SECRET);
    const doc = parseLine(out);
    expect(doc.path).toBe(`/elastic/${MASKED}/_search`);
    expect(doc.file).toBe(`logs/${MASKED}.ndjson`);
    expect(doc.reasons).toEqual([`GET /elastic/${MASKED}/_search not allowed`]);
    expect(doc.key).toBe(`key ${MASKED}`);
    expect(doc.api).toBe(`api-${MASKED}`);
    expect(doc.tenant).toBe(`t-${MASKED}`);
  });

  it("masks the request's own raw key when it shows up in the path, even if the policy does not know it", () => {
    const raw = 'rawkey0123456789abcdef';
    const out = ndjson.finding!(finding({ identity: { key: raw }, path: `/auth/${raw}` }), ctx([]));
    expect(out).not.toContain(raw);
    expect(parseLine(out).path).toBe('/auth/rawk…cdef');
  });

  it('prints a control character in a path as the visible text \\x1b', () => {
    const out = ndjson.finding!(finding({ path: '/elastic/\u001b[2J/logs', method: 'GE\u001bT' }), ctx());
    expect(out).not.toContain('\u001b');
    expect(out).not.toContain('\\u001b');
    expect(out).toContain('"path":"/elastic/\\\\x1b[2J/logs"');
    const doc = parseLine(out);
    expect(doc.path).toBe('/elastic/\\x1b[2J/logs');
    expect(doc.method).toBe('GE\\x1bT');
  });

  it('keeps a newline inside a field from breaking the one-line format', () => {
    const out = ndjson.finding!(finding({ path: '/a\nb', tenant: 'x\r\ny' }), ctx());
    const doc = parseLine(out);
    expect(doc.path).toBe('/a\\x0ab');
    expect(doc.tenant).toBe('x\\x0d\\x0ay');
  });

  it('carries the user agent and request id as logged, neutralised and with known secrets masked', () => {
    const doc = parseLine(ndjson.finding!(finding({ userAgent: 'curl/8.5\u001b[31m\n', requestId: `id-${SECRET}` }), ctx()));
    expect([doc.userAgent, doc.requestId]).toEqual(['curl/8.5\\x1b[31m\\x0a', `id-${MASKED}`]);
  });
});

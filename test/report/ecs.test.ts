import { isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import { Counters } from '../../src/aggregate/counters.js';
import { IncidentAggregator } from '../../src/aggregate/incidents.js';
import { Judge } from '../../src/judge/judge.js';
import type { Finding } from '../../src/model/finding.js';
import type { ApiRequest, Identity } from '../../src/model/request.js';
import { parsePolicy } from '../../src/policy/load.js';
import { makeChalk } from '../../src/report/colour.js';
import ecs from '../../src/report/ecs.js';
import { Redactor } from '../../src/report/sanitize.js';
import { buildSummary } from '../../src/report/summary.js';
import type { ReportContext, ScanReport } from '../../src/report/types.js';
import { request } from '../helpers/requests.js';

const SECRET = 'sk_live_ABCDEFGH12345678';
const MASKED = 'sk_l…5678';

const ctx = (secrets: string[] = [SECRET]): ReportContext => ({ chalk: makeChalk(0), redact: new Redactor(secrets), width: 120 });

type Req = Partial<Omit<ApiRequest, 'identity'>> & { identity?: Partial<Identity>; at?: string };

function finding(req: Req, f: Partial<Finding>): Finding {
  return {
    request: request({ at: '2026-11-20T03:00:41Z', ip: '203.0.113.9', method: 'GET', path: '/elastic/logs', file: 'logs/gw.ndjson', line: 1, ...req }),
    row: 'when-violation',
    severity: 'medium',
    outcome: 'unknown',
    keyLabel: 'analyst-1',
    keyGroup: 'policy:analyst-1',
    reasons: ['31st request in 1m, limit 30'],
    groups: ['over rate 30/1m'],
    ...f,
  };
}

/** The findings aggregated into incidents, with a summary, as the scan builds a report. */
function reportOf(findings: Finding[]): ScanReport {
  const counters = new Counters();
  const f = counters.startFile('logs/gw.ndjson');
  f.format = 'tyk-analytics';
  f.records = findings.length;
  f.parsed = findings.length;
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

/** As in test/report/json.test.ts, with the first key an inventory key: two incidents. */
function basic(evil: { path?: string; file?: string; reason?: string; key?: string } = {}): ScanReport {
  return reportOf([
    finding(
      { at: '2026-11-20T03:05:00Z', method: 'DELETE', path: '/elastic/logs', line: 3, status: 403 },
      { row: 'key-compromised', severity: 'critical', outcome: 'blocked', reasons: ['DELETE /elastic/logs not allowed for role analyst'], groups: ['DELETE not allowed for role analyst'] },
    ),
    finding(
      { at: '2026-11-20T03:00:41Z', method: 'DELETE', path: '/elastic/logs', line: 1, status: 200 },
      { row: 'key-compromised', severity: 'critical', outcome: 'let-through', reasons: ['DELETE /elastic/logs not allowed for role analyst'], groups: ['DELETE not allowed for role analyst'] },
    ),
    finding(
      { at: '2026-11-20T09:00:00Z', ip: '10.20.0.15', path: evil.path ?? '/elastic/logs/_search', file: evil.file ?? 'logs/gw.ndjson', line: 4, status: 0 },
      { keyLabel: evil.key ?? 'hash dead…f00d', keyGroup: 'h:deadbeefcafef00d', groups: [evil.reason ?? 'over rate 30/1m'] },
    ),
  ]);
}

/** Every kind of finding, every outcome, IPv6, a source not logged, a tenant, key guessing, a suppression. */
function wide(): ScanReport {
  return reportOf([
    ...Array.from({ length: 2 }, (_, i) =>
      finding(
        { at: `2026-11-20T02:0${i}:00Z`, ip: '198.51.100.7', method: 'POST', path: '/login', status: 401, line: 10 + i },
        { row: 'unauthenticated', severity: 'low', outcome: 'blocked', keyLabel: '(no key)', keyGroup: '-', groups: ['rejected for authentication', 'key guessing: 10+ failures within 10m'] },
      ),
    ),
    finding(
      { ip: '', status: 0, line: 20 },
      { row: 'unauthenticated', severity: 'low', outcome: 'unknown', keyLabel: 'bob', keyGroup: 'policy:bob', groups: ['used after revocation at 2026-11-18T12:00:00Z'] },
    ),
    finding(
      { ip: '2001:db8:dead::7', status: 200, line: 30, tenant: 'soc' },
      { row: 'wrong-workstation', severity: 'high', outcome: 'let-through', groups: ['source not in soc'] },
    ),
    finding(
      { ip: '2001:db8:dead::7', path: '/elastic/logs/_search', status: 403, line: 31, tenant: 'soc' },
      { row: 'wrong-workstation', severity: 'medium', outcome: 'blocked', groups: ['source not in soc'] },
    ),
    finding({ method: 'DELETE', status: 403, line: 40, userAgent: 'curl/8.5.0' }, { row: 'invalid-for-role', severity: 'high', outcome: 'blocked', groups: ['DELETE not allowed for role analyst'] }),
    finding({ status: 0, line: 50 }, { row: 'when-violation' }),
    finding(
      { status: 403, line: 60, path: '/elastic/logs' },
      { row: 'key-exposed', severity: 'high', outcome: 'blocked', keyLabel: `key ${MASKED}`, keyGroup: `k:${SECRET}`, groups: ['raw key in the log (query api_key)'] },
    ),
    // A second raw key nobody issued, from the same source: one incident that lists both keys.
    finding(
      { status: 403, line: 61, path: '/elastic/logs' },
      { row: 'key-exposed', severity: 'high', outcome: 'blocked', keyLabel: 'key gues…0001', keyGroup: 'k:guessed-key-0001', groups: ['raw key in the log (query api_key)'] },
    ),
    finding(
      { status: 200, line: 70 },
      { row: 'key-compromised', severity: 'critical', outcome: 'let-through', suppressed: { reason: 'pen test', owner: 'soc@corp.example', expires: '2026-12-31', at: 'supp.yaml:4' } },
    ),
  ]);
}

const lines = (out: string): string[] => {
  expect(out.endsWith('\n')).toBe(true);
  return out.slice(0, -1).split('\n');
};
const docs = (out: string): Record<string, any>[] => lines(out).map((l) => JSON.parse(l));

/**
 * The ECS type of every field the reporter writes (ECS 9.4 `ecs_flat.yml`; `apiguard.*` is ours),
 * and whether ECS expects an array there. `message` is match_only_text, `url.path` wildcard.
 */
type EcsType = 'keyword' | 'text' | 'wildcard' | 'long' | 'float' | 'date' | 'ip';
const FIELDS: Record<string, [EcsType, 'array' | 'one']> = {
  '@timestamp': ['date', 'one'],
  'ecs.version': ['keyword', 'one'],
  message: ['text', 'one'],
  'event.kind': ['keyword', 'one'],
  'event.category': ['keyword', 'array'],
  'event.type': ['keyword', 'array'],
  'event.action': ['keyword', 'one'],
  'event.outcome': ['keyword', 'one'],
  'event.severity': ['long', 'one'],
  'event.risk_score': ['float', 'one'],
  'event.risk_score_norm': ['float', 'one'],
  'event.id': ['keyword', 'one'],
  'event.start': ['date', 'one'],
  'event.end': ['date', 'one'],
  'event.duration': ['long', 'one'],
  'event.dataset': ['keyword', 'one'],
  'event.module': ['keyword', 'one'],
  'event.provider': ['keyword', 'one'],
  'rule.id': ['keyword', 'one'],
  'rule.name': ['keyword', 'one'],
  'rule.description': ['keyword', 'one'],
  'rule.category': ['keyword', 'one'],
  'rule.ruleset': ['keyword', 'one'],
  'rule.version': ['keyword', 'one'],
  'threat.framework': ['keyword', 'one'],
  'threat.tactic.id': ['keyword', 'array'],
  'threat.tactic.name': ['keyword', 'array'],
  'threat.tactic.reference': ['keyword', 'array'],
  'threat.technique.id': ['keyword', 'array'],
  'threat.technique.name': ['keyword', 'array'],
  'threat.technique.reference': ['keyword', 'array'],
  'threat.technique.subtechnique.id': ['keyword', 'array'],
  'threat.technique.subtechnique.name': ['keyword', 'array'],
  'threat.technique.subtechnique.reference': ['keyword', 'array'],
  'source.ip': ['ip', 'one'],
  'user.name': ['keyword', 'one'],
  'http.request.method': ['keyword', 'one'],
  'url.path': ['wildcard', 'one'],
  'user_agent.original': ['keyword', 'one'],
  'related.ip': ['ip', 'array'],
  'related.user': ['keyword', 'array'],
  'observer.vendor': ['keyword', 'one'],
  'observer.product': ['keyword', 'one'],
  'observer.type': ['keyword', 'one'],
  'observer.version': ['keyword', 'one'],
  'log.file.path': ['keyword', 'one'],
  'labels.severity': ['keyword', 'one'],
  'apiguard.incident.number': ['long', 'one'],
  'apiguard.incident.severity': ['keyword', 'one'],
  'apiguard.incident.row_number': ['long', 'one'],
  'apiguard.incident.key': ['keyword', 'one'],
  'apiguard.incident.keys': ['keyword', 'array'],
  'apiguard.incident.other_keys': ['long', 'one'],
  'apiguard.incident.tenant': ['keyword', 'one'],
  'apiguard.incident.count': ['long', 'one'],
  'apiguard.incident.let_through': ['long', 'one'],
  'apiguard.incident.blocked': ['long', 'one'],
  'apiguard.incident.unknown_outcome': ['long', 'one'],
  'apiguard.incident.first_line': ['long', 'one'],
  'apiguard.incident.reasons': ['keyword', 'array'],
  'apiguard.incident.other_reasons': ['long', 'one'],
  'apiguard.incident.actions': ['keyword', 'array'],
  'apiguard.incident.other_actions': ['long', 'one'],
  'apiguard.incident.user_agents': ['keyword', 'array'],
  'apiguard.incident.other_user_agents': ['long', 'one'],
  'apiguard.incident.responses': ['keyword', 'array'],
  'apiguard.incident.evidence': ['keyword', 'array'],
  'apiguard.incident.suppressed.reason': ['keyword', 'one'],
  'apiguard.incident.suppressed.owner': ['keyword', 'one'],
  'apiguard.incident.suppressed.expires': ['keyword', 'one'],
  'apiguard.incident.suppressed.at': ['keyword', 'one'],
};

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Why `v` is not a valid value of ECS type `t`, or '' when it is. */
function typeError(t: EcsType, v: unknown): string {
  switch (t) {
    case 'keyword':
      // ECS maps keywords with ignore_above 1024: longer values would not be searchable.
      return typeof v === 'string' && v.length > 0 && v.length <= 1024 ? '' : 'not a keyword string';
    case 'text':
    case 'wildcard':
      return typeof v === 'string' && v.length > 0 ? '' : 'not a non-empty string';
    case 'long':
      return Number.isSafeInteger(v) ? '' : 'not an integer';
    case 'float':
      return typeof v === 'number' && Number.isFinite(v) ? '' : 'not a number';
    case 'date':
      return typeof v === 'string' && ISO_UTC.test(v) && new Date(v).toISOString() === v ? '' : 'not an ISO 8601 UTC date';
    case 'ip':
      return typeof v === 'string' && isIP(v) !== 0 ? '' : 'not an IP address';
  }
}

/** Dotted field name → value, objects flattened, arrays kept as values (as Elasticsearch sees them). */
function flatten(doc: Record<string, unknown>, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [k, v] of Object.entries(doc)) {
    const name = prefix + k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) flatten(v as Record<string, unknown>, `${name}.`, out);
    else out[name] = v;
  }
  return out;
}

/** Every problem with a document's fields against the table: unknown fields, wrong shape, wrong type. */
function problems(doc: Record<string, unknown>): string[] {
  const found: string[] = [];
  for (const [name, value] of Object.entries(flatten(doc))) {
    const spec = FIELDS[name];
    if (!spec) {
      found.push(`${name}: not in the type table`);
      continue;
    }
    const [type, shape] = spec;
    if (name !== name.toLowerCase()) found.push(`${name}: ECS field names are lower case`);
    if (shape === 'array') {
      if (!Array.isArray(value) || value.length === 0) found.push(`${name}: expected a non-empty array`);
      else value.forEach((x, i) => typeError(type, x) && found.push(`${name}[${i}]: ${typeError(type, x)} (${JSON.stringify(x)})`));
    } else if (typeError(type, value)) found.push(`${name}: ${typeError(type, value)} (${JSON.stringify(value)})`);
  }
  return found;
}

describe('ecs reporter', () => {
  it('is named ecs, keeps the summary on stderr and renders once at the end', () => {
    expect(ecs.meta.name).toBe('ecs');
    expect(ecs.meta.summaryToStderr).toBe(true);
    expect(ecs.finding).toBeUndefined();
  });

  it('writes one JSON document per incident and line, in report order, and nothing for no incidents', () => {
    const r = wide();
    const out = ecs.render(r, ctx());
    const parsed = docs(out);
    expect(parsed).toHaveLength(r.incidents.length);
    expect(parsed.map((d) => d.event.id)).toEqual(r.incidents.map((i) => i.id));
    expect(parsed.map((d) => d.apiguard.incident.number)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(ecs.render({ summary: r.summary, incidents: [] }, ctx())).toBe('');
  });

  it('gives every field its ECS type, lower-case names, arrays only where ECS has them', () => {
    const seen = new Set<string>();
    for (const doc of docs(ecs.render(wide(), ctx()))) {
      expect(problems(doc)).toEqual([]);
      for (const name of Object.keys(flatten(doc))) seen.add(name);
    }
    // The report covers the whole table, so no row of it goes unchecked.
    expect([...seen].sort()).toEqual(Object.keys(FIELDS).sort());
  });

  it('the type check itself rejects wrong types and unknown fields', () => {
    expect(problems({ '@timestamp': '2026-11-20 03:05:00', event: { severity: 7.5, category: 'api' }, source: { ip: '10.0.0.300' }, Extra: 1 })).toEqual([
      '@timestamp: not an ISO 8601 UTC date ("2026-11-20 03:05:00")',
      'event.severity: not an integer (7.5)',
      'event.category: expected a non-empty array',
      'source.ip: not an IP address ("10.0.0.300")',
      'Extra: not in the type table',
    ]);
  });

  it('renders a key-compromised incident exactly', () => {
    const [first, second] = lines(ecs.render(basic(), ctx()));
    expect(JSON.parse(first!)).toEqual({
      '@timestamp': '2026-11-20T03:05:00.000Z',
      ecs: { version: '9.4.0' },
      message:
        'critical: API key compromised — analyst-1 from 203.0.113.9: 2 requests (1 let through, 1 blocked). ' +
        'Response: Block API request; Revoke API key & create new API key.',
      event: {
        kind: 'alert',
        category: ['api'],
        type: ['allowed'],
        action: 'key-compromised',
        outcome: 'success',
        severity: 99,
        risk_score: 99,
        risk_score_norm: 99,
        id: 'AG-b62008145ffbcacd', // SHA-256 of apiguard/incident/v1, policy:analyst-1, key-compromised, 203.0.113.9
        start: '2026-11-20T03:00:41.000Z',
        end: '2026-11-20T03:05:00.000Z',
        duration: 259_000_000_000,
        dataset: 'apiguard.finding',
        module: 'apiguard',
        provider: 'apiguard',
      },
      rule: {
        id: 'key-compromised',
        name: 'API key compromised',
        description:
          'Decision table row 3: Who valid, Where invalid, What invalid. Possible cause: API key compromised. ' +
          'Response: Block API request; Revoke API key & create new API key.',
        category: 'api-key-misuse',
        ruleset: 'apiguard',
        version: '1',
      },
      threat: {
        framework: 'MITRE ATT&CK',
        tactic: {
          id: ['TA0005', 'TA0008'],
          name: ['Defense Evasion', 'Lateral Movement'],
          reference: ['https://attack.mitre.org/tactics/TA0005/', 'https://attack.mitre.org/tactics/TA0008/'],
        },
        technique: {
          id: ['T1550'],
          name: ['Use Alternate Authentication Material'],
          reference: ['https://attack.mitre.org/techniques/T1550/'],
          subtechnique: { id: ['T1550.001'], name: ['Application Access Token'], reference: ['https://attack.mitre.org/techniques/T1550/001/'] },
        },
      },
      source: { ip: '203.0.113.9' },
      user: { name: 'analyst-1' },
      http: { request: { method: 'DELETE' } },
      url: { path: '/elastic/logs' },
      related: { ip: ['203.0.113.9'], user: ['analyst-1'] },
      observer: { vendor: 'apiguard', product: 'apiguard', type: 'log-analyzer', version: '0.1.0' },
      log: { file: { path: 'logs/gw.ndjson' } },
      labels: { severity: 'critical' },
      apiguard: {
        incident: {
          number: 1,
          severity: 'critical',
          row_number: 3,
          key: 'analyst-1',
          count: 2,
          let_through: 1,
          blocked: 1,
          unknown_outcome: 0,
          first_line: 3,
          reasons: ['DELETE not allowed for role analyst'],
          other_reasons: 0,
          actions: ['DELETE /elastic/logs'],
          other_actions: 0,
          responses: ['Block API request', 'Revoke API key & create new API key'],
          evidence: ['logs/gw.ndjson:3', 'logs/gw.ndjson:1'],
        },
      },
    });
    // The second: an unknown key (no user.name), no status logged, no ATT&CK change of shape.
    const d = JSON.parse(second!);
    expect(d.message).toBe(
      'medium: API request exceeds rate-limit/quota; Anomalous API requests — hash dead…f00d from 10.20.0.15: 1 request (0 let through, 0 blocked, 1 with no status). ' +
        'Response: Block API request; Investigate API key.',
    );
    expect([d.event.type, d.event.outcome, d.event.severity, d.event.duration, d.user, d.related]).toEqual([['info'], 'unknown', 47, 0, undefined, { ip: ['10.20.0.15'] }]);
    expect(d.apiguard.incident.key).toBe('hash dead…f00d');
  });

  it('has no event.created, so the same report gives the same bytes', () => {
    const out = ecs.render(wide(), ctx());
    expect(out).toBe(ecs.render(wide(), ctx()));
    expect(docs(out).every((d) => !('created' in d.event))).toBe(true);
  });

  it('maps each kind of finding to its ATT&CK technique; plain rejected requests to none', () => {
    const r = wide();
    const byIncident = docs(ecs.render(r, ctx())).map((d, n) => [
      r.incidents[n]!.row,
      r.incidents[n]!.key,
      d.threat?.framework ?? null,
      d.threat?.technique.id ?? null,
      d.threat?.technique.name ?? null,
      d.threat?.technique.subtechnique?.id ?? null,
      d.threat?.tactic.id ?? null,
      d.threat?.tactic.name ?? null,
    ]);
    const use = ['MITRE ATT&CK', ['T1550'], ['Use Alternate Authentication Material'], ['T1550.001'], ['TA0005', 'TA0008'], ['Defense Evasion', 'Lateral Movement']];
    expect(byIncident).toEqual([
      ['wrong-workstation', 'analyst-1', ...use],
      ['invalid-for-role', 'analyst-1', ...use],
      ['key-exposed', '2 different keys', 'MITRE ATT&CK', ['T1528'], ['Steal Application Access Token'], null, ['TA0006'], ['Credential Access']],
      ['when-violation', 'analyst-1', ...use],
      ['unauthenticated', '(no key)', 'MITRE ATT&CK', ['T1110'], ['Brute Force'], null, ['TA0006'], ['Credential Access']],
      ['unauthenticated', 'bob', null, null, null, null, null, null],
      ['key-compromised', 'analyst-1', ...use], // suppressed: listed last
    ]);
  });

  it('sets event.type, outcome and category from what the gateway did', () => {
    const r = wide();
    const got = docs(ecs.render(r, ctx())).map((d, n) => [r.incidents[n]!.row, r.incidents[n]!.blocked, r.incidents[n]!.letThrough, d.event.category, d.event.type, d.event.outcome]);
    expect(got).toEqual([
      ['wrong-workstation', 1, 1, ['api'], ['allowed'], 'success'], // one let through is enough
      ['invalid-for-role', 1, 0, ['api'], ['denied'], 'failure'],
      ['key-exposed', 2, 0, ['api'], ['denied'], 'failure'],
      ['when-violation', 0, 0, ['api'], ['info'], 'unknown'],
      ['unauthenticated', 2, 0, ['api', 'authentication'], ['denied', 'info'], 'failure'],
      ['unauthenticated', 0, 0, ['api', 'authentication'], ['info'], 'unknown'],
      ['key-compromised', 0, 1, ['api'], ['allowed'], 'success'],
    ]);
  });

  it('gives severity and risk score on the same 0–100 scale, and the rule words of each row', () => {
    const r = wide();
    const got = docs(ecs.render(r, ctx())).map((d) => [d.labels.severity, d.event.severity, d.event.risk_score_norm, d.rule.id, d.rule.category]);
    expect(got).toEqual([
      ['high', 73, 73, 'wrong-workstation', 'api-key-misuse'],
      ['high', 73, 73, 'invalid-for-role', 'api-key-misuse'],
      ['high', 73, 73, 'key-exposed', 'credential-exposure'],
      ['medium', 47, 47, 'when-violation', 'api-key-misuse'],
      ['low', 21, 21, 'unauthenticated', 'authentication'],
      ['low', 21, 21, 'unauthenticated', 'authentication'],
      ['critical', 99, 99, 'key-compromised', 'api-key-misuse'],
    ]);
    const [, , exposed, , guessing] = docs(ecs.render(r, ctx()));
    expect(exposed!.rule.description).toBe(
      'A raw API key is written in the clear in the log: whoever reads the logs can use it. Possible cause: API key exposed in logs. ' +
        'Response: Revoke API key & create new API key.',
    );
    expect(guessing!.rule.description).toBe('Decision table row 1: Who invalid. Possible cause: API request not authenticated. Response: Block API request.');
  });

  it('names method and path only when every request of the incident did the same', () => {
    const [ww, role] = docs(ecs.render(wide(), ctx()));
    expect([ww!.http, ww!.url]).toEqual([undefined, undefined]);
    expect(ww!.apiguard.incident.actions).toEqual(['GET /elastic/logs', 'GET /elastic/logs/_search']);
    expect([role!.http, role!.url]).toEqual([{ request: { method: 'DELETE' } }, { path: '/elastic/logs' }]);
  });

  it('leaves out source and related IPs when the log has no valid client IP', () => {
    const r = wide();
    const bob = docs(ecs.render(r, ctx()))[5]!;
    expect([bob.source, bob.related, bob.user]).toEqual([undefined, { user: ['bob'] }, { name: 'bob' }]);
    expect(bob.message).toBe(
      'low: API request not authenticated — bob from an unknown source: 1 request (0 let through, 0 blocked, 1 with no status). Response: Block API request.',
    );
    const bad = docs(ecs.render(reportOf([finding({ ip: 'not-an-ip' }, {})]), ctx()))[0]!;
    expect([bad.source, bad.related, bad.user]).toEqual([undefined, { user: ['analyst-1'] }, { name: 'analyst-1' }]);
    expect(bad.message).toContain('— analyst-1 from an unknown source:');
  });

  it('carries tenant, suppression and the evidence under apiguard.*', () => {
    const d = docs(ecs.render(wide(), ctx()));
    expect(d[0]!.apiguard.incident).toMatchObject({ tenant: 'soc', first_line: 30, evidence: ['logs/gw.ndjson:30', 'logs/gw.ndjson:31'] });
    expect(d[1]!.apiguard.incident.tenant).toBeUndefined();
    expect(d[6]!.apiguard.incident.suppressed).toEqual({ reason: 'pen test', owner: 'soc@corp.example', expires: '2026-12-31', at: 'supp.yaml:4' });
    expect(d[0]!.apiguard.incident.suppressed).toBeUndefined();
  });

  it('names the user only for inventory keys, as the judge decides them', () => {
    const policy = parsePolicy(
      [
        'version: 1',
        'networks: { soc: [10.20.0.0/24] }',
        'roles: { reader: { allow: [GET /**] } }',
        'keys:',
        '  - { name: alice, match: { alias: alice }, role: reader, from: [soc] }',
        '  - { name: bob, match: { alias: bob }, revoked: 2026-11-18T12:00:00Z }',
      ].join('\n'),
      'p.yaml',
    );
    const judge = new Judge(policy);
    const found = [
      judge.judge(request({ at: '2026-11-20T09:00:00Z', identity: { alias: 'alice' }, ip: '203.0.113.9' })), // row 2
      judge.judge(request({ at: '2026-11-20T09:01:00Z', identity: { alias: 'bob' } })), // row 1, revoked inventory key
      judge.judge(request({ at: '2026-11-20T09:02:00Z', identity: { hash: 'deadbeefcafef00d' } })), // row 1, unknown key
    ];
    const got = docs(ecs.render(reportOf(found.map((f) => f!)), ctx())).map((d) => [d.event.action, d.apiguard.incident.key, d.user?.name ?? null]);
    expect(got).toEqual([
      ['wrong-workstation', 'alice', 'alice'],
      ['unauthenticated', 'bob', 'bob'],
      ['unauthenticated', 'hash dead…f00d', null],
    ]);
  });

  it('gives user_agent.original only when every request that named a client named the same one', () => {
    const f = (line: number, userAgent: string, ip = '203.0.113.9') => finding({ line, userAgent, ip }, {});
    const out = docs(ecs.render(reportOf([f(1, 'curl/8.5.0'), f(2, ''), f(3, 'curl/8.5.0'), f(4, 'curl/8.5.0', '203.0.113.10'), f(5, 'soar/4.2', '203.0.113.10'), f(6, '', '203.0.113.11')]), ctx()));
    expect(out.map((d) => [d.source.ip, d.user_agent?.original ?? null, d.apiguard.incident.user_agents ?? null, d.apiguard.incident.other_user_agents ?? null])).toEqual([
      // (Sources in text order.)
      ['203.0.113.10', null, ['curl/8.5.0', 'soar/4.2'], 0],
      ['203.0.113.11', null, null, null],
      ['203.0.113.9', 'curl/8.5.0', ['curl/8.5.0'], 0],
    ]);
    for (const d of out) expect(problems(d as unknown as Record<string, unknown>)).toEqual([]);
  });

  it('lists the keys of an incident of keys nobody issued, and only there', () => {
    const policy = parsePolicy(['version: 1', 'keys:', '  - { name: alice, match: { alias: alice }, revoked: 2026-11-18T12:00:00Z }'].join('\n'), 'p.yaml');
    const judge = new Judge(policy);
    const found = [
      judge.judge(request({ at: '2026-11-20T09:00:00Z', identity: { alias: 'alice' } })),
      judge.judge(request({ at: '2026-11-20T09:01:00Z', identity: { hash: 'deadbeefcafef00d' } })),
      judge.judge(request({ at: '2026-11-20T09:02:00Z', identity: { hash: '0123456789abcdef' } })),
      judge.judge(request({ at: '2026-11-20T09:03:00Z', identity: { hash: 'deadbeefcafef00d' } })),
    ];
    const out = docs(ecs.render(reportOf(found.map((f) => f!)), ctx()));
    expect(out.map((d) => [d.apiguard.incident.key, d.apiguard.incident.keys ?? null, d.apiguard.incident.other_keys ?? null])).toEqual([
      ['2 different keys', ['hash dead…f00d', 'hash 0123…cdef'], 0],
      ['alice', null, null],
    ]);
    for (const d of out) expect(problems(d as unknown as Record<string, unknown>)).toEqual([]);
  });

  it('calls it Brute Force when the log-only key-guessing rule fired, not before', () => {
    const judge = new Judge(parsePolicy('version: 1\n', 'p.yaml'));
    const t0 = Date.parse('2026-11-20T09:00:00Z');
    const scanner = (n: number, ip: string): Finding[] =>
      Array.from({ length: n }, (_, i) => judge.judge(request({ time: t0 + i * 1000, ip, status: 401, authFailure: true }))!);
    const d = docs(ecs.render(reportOf([...scanner(10, '203.0.113.50'), ...scanner(9, '203.0.113.51')]), ctx()));
    expect(d.map((x) => [x.source.ip, x.apiguard.incident.count, x.threat?.technique.id ?? null])).toEqual([
      ['203.0.113.50', 10, ['T1110']],
      ['203.0.113.51', 9, null],
    ]);
  });

  it('masks a known secret in every field it could reach', () => {
    const out = ecs.render(basic({ path: `/elastic/${SECRET}/_search`, file: `logs/${SECRET}.ndjson`, reason: `over rate for ${SECRET}`, key: `key ${SECRET}` }), ctx());
    expect(out).not.toContain(SECRET);
    const d = docs(out)[1]!;
    expect(d.url.path).toBe(`/elastic/${MASKED}/_search`);
    expect(d.log.file.path).toBe(`logs/${MASKED}.ndjson`);
    expect(d.apiguard.incident.reasons).toEqual([`over rate for ${MASKED}`]);
    expect(d.apiguard.incident.actions).toEqual([`GET /elastic/${MASKED}/_search`]);
    expect(d.apiguard.incident.evidence).toEqual([`logs/${MASKED}.ndjson:4`]);
    expect(d.apiguard.incident.key).toBe(`key ${MASKED}`);
    expect(d.message).toContain(`— key ${MASKED} from 10.20.0.15:`);
  });

  it('prints control characters as visible escapes', () => {
    const r = basic({ path: '/elastic/\u001b[2J/_search', file: 'x\u0007.ndjson', reason: 'over\u202erate', key: 'bob\u001b[31m' });
    r.incidents[1]!.tenant = 't\u0000';
    const out = ecs.render(r, ctx());
    expect(out).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u202e]/);
    expect(out).not.toContain('\\u001b');
    const d = docs(out)[1]!;
    expect(d.url.path).toBe('/elastic/\\x1b[2J/_search');
    expect(d.log.file.path).toBe('x\\x07.ndjson');
    expect(d.apiguard.incident.reasons).toEqual(['over\\u202erate']);
    expect(d.apiguard.incident.key).toBe('bob\\x1b[31m');
    expect(d.apiguard.incident.tenant).toBe('t\\x00');
    expect(d.message).toContain('— bob\\x1b[31m from');
  });
});

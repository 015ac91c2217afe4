import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import ajvFormats from 'ajv-formats';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Counters } from '../../src/aggregate/counters.js';
import { IncidentAggregator } from '../../src/aggregate/incidents.js';
import type { Finding, Outcome, RowId, Severity } from '../../src/model/finding.js';
import { makeChalk } from '../../src/report/colour.js';
import { Redactor } from '../../src/report/sanitize.js';
import sarif, { artifactUri, SARIF_SCHEMA_URI } from '../../src/report/sarif.js';
import { buildSummary } from '../../src/report/summary.js';
import type { ReportContext, ScanReport } from '../../src/report/types.js';
import { request } from '../helpers/requests.js';

const SECRET = 'sk_live_ABCDEFGH12345678';
const MASKED = 'sk_l…5678';

const ctx = (secrets: string[] = [SECRET]): ReportContext => ({ chalk: makeChalk(0), redact: new Redactor(secrets), width: 120 });

/**
 * The official OASIS SARIF 2.1.0 schema (errata 01), vendored byte for byte: see
 * fixtures/schemas/README.md. It is a draft-04 schema, which Ajv 8 no longer implements; its only
 * draft-04-specific parts are the root `$schema` and `id` (draft-04's name for `$id`). Every
 * keyword it uses means the same in draft-07 — it has no boolean `exclusiveMinimum` /
 * `exclusiveMaximum`, the one change of meaning (asserted below) — so it is compiled by Ajv's
 * draft-07 class with those two root members left out, and `ajv-formats` for `uri`,
 * `uri-reference` and `date-time`.
 */
const SCHEMA_TEXT = readFileSync(new URL('../../fixtures/schemas/sarif-schema-2.1.0.json', import.meta.url), 'utf8');
const SCHEMA = JSON.parse(SCHEMA_TEXT) as Record<string, unknown>;
let validate: ValidateFunction;

beforeAll(() => {
  const { $schema: _draft, id: _id, ...schema } = SCHEMA;
  const ajv = new Ajv({ allErrors: true });
  ajvFormats.default(ajv);
  validate = ajv.compile(schema);
});

function expectValid(doc: unknown): void {
  const ok = validate(doc);
  expect(validate.errors ?? []).toEqual([]);
  expect(ok).toBe(true);
}

interface Spec {
  row: RowId;
  severity: Severity;
  outcome: Outcome;
  key: string;
  group: string;
  at: string;
  ip: string;
  file: string;
  line: number;
  why: string;
  tenant?: string;
  suppressed?: Finding['suppressed'];
}

const finding = (s: Spec): Finding => ({
  request: request({ at: s.at, ip: s.ip, file: s.file, line: s.line, tenant: s.tenant ?? '', method: 'GET', path: '/elastic/logs' }),
  row: s.row,
  severity: s.severity,
  outcome: s.outcome,
  keyLabel: s.key,
  keyGroup: s.group,
  reasons: [s.why],
  groups: [s.why],
  ...(s.suppressed ? { suppressed: s.suppressed } : {}),
});

const analyst1 = { row: 'key-compromised', severity: 'critical', key: 'analyst-1', group: 'k:analyst-1', ip: '203.0.113.9', file: 'logs/gw.ndjson', why: 'DELETE not allowed for role analyst' } as const;

/**
 * Four incidents, one per severity: two requests of a compromised key (two evidence lines), a raw
 * key read from standard input with a control character in its reason, a rate violation in a file
 * whose name needs percent-encoding, and a rejected request in an absolute path holding an ESC.
 */
function report(extra: Spec[] = []): ScanReport {
  const counters = new Counters();
  const aggregator = new IncidentAggregator();
  const specs: Spec[] = [
    { ...analyst1, outcome: 'let-through', at: '2026-11-20T03:00:41Z', line: 1 },
    { ...analyst1, outcome: 'blocked', at: '2026-11-20T03:05:00Z', line: 3 },
    {
      row: 'key-exposed',
      severity: 'high',
      outcome: 'let-through',
      key: SECRET,
      group: `k:${SECRET}`,
      at: '2026-11-20T04:00:00Z',
      ip: '198.51.100.7',
      file: '<stdin>',
      line: 7,
      why: `raw key ${SECRET} in the log (query \u001b[2J)`,
    },
    {
      row: 'when-violation',
      severity: 'medium',
      outcome: 'unknown',
      key: 'analyst-2',
      group: 'k:analyst-2',
      at: '2026-11-20T09:00:00Z',
      ip: '10.20.0.15',
      file: 'logs/gw 2026#1?.ndjson',
      line: 4,
      why: 'over rate 30/1m',
    },
    {
      row: 'unauthenticated',
      severity: 'low',
      outcome: 'blocked',
      key: '(no key)',
      group: 'none',
      at: '2026-11-20T10:00:00Z',
      ip: '192.0.2.50',
      file: '/var/log/apigw/\u001b[31maccess.log',
      line: 12,
      why: 'rejected by the gateway (401)',
      tenant: 'org-1',
    },
    ...extra,
  ];
  for (const s of specs) aggregator.add(finding(s));
  const incidents = aggregator.incidents();
  const summary = buildSummary({
    version: '0.1.0',
    policy: 'rules/demo-policy.yaml',
    timezone: 'Europe/Amsterdam',
    counters,
    aggregator,
    incidents: incidents.length,
    first: Date.parse('2026-11-20T03:00:41Z'),
    last: Date.parse('2026-11-20T10:00:00Z'),
  });
  return { summary, incidents };
}

function emptyReport(): ScanReport {
  const counters = new Counters();
  const aggregator = new IncidentAggregator();
  const summary = buildSummary({ version: '0.1.0', policy: null, timezone: 'UTC', counters, aggregator, incidents: 0, first: Infinity, last: -Infinity });
  return { summary, incidents: [] };
}

type Doc = { $schema: string; version: string; runs: Run[] };
type Run = { tool: { driver: Record<string, unknown> & { rules: Record<string, unknown>[] } }; automationDetails: unknown; results: Record<string, unknown>[] };

const render = (r: ScanReport = report(), c: ReportContext = ctx()): Doc => JSON.parse(sarif.render(r, c)) as Doc;

const loc = (uri: string, startLine: number) => ({ artifactLocation: { uri }, region: { startLine } });

describe('the vendored SARIF schema', () => {
  it('is the OASIS 2.1.0 errata 01 schema, draft-04 with no keyword whose meaning changed in draft-07', () => {
    expect(SCHEMA.id).toBe('https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json');
    expect(SCHEMA.$schema).toBe('http://json-schema.org/draft-04/schema#');
    expect(SCHEMA_TEXT.length).toBe(112768);
    expect(SCHEMA_TEXT).not.toContain('exclusiveMinimum');
    expect(SCHEMA_TEXT).not.toContain('exclusiveMaximum');
  });

  it('rejects what SARIF forbids, so a passing validation means something', () => {
    const good = render();
    expectValid(good);
    const noMessage = structuredClone(good);
    delete noMessage.runs[0]!.results[0]!.message;
    expect(validate(noMessage)).toBe(false);
    const rawStdin = structuredClone(good);
    (rawStdin.runs[0]!.results[1]!.locations as { physicalLocation: { artifactLocation: { uri: string } } }[])[0]!.physicalLocation.artifactLocation.uri = '<stdin>';
    expect(validate(rawStdin)).toBe(false);
    expect(validate.errors?.map((e) => [e.instancePath, e.message])).toEqual([
      ['/runs/0/results/1/locations/0/physicalLocation/artifactLocation/uri', 'must match format "uri-reference"'],
    ]);
    const badLevel = structuredClone(good);
    badLevel.runs[0]!.results[0]!.level = 'critical';
    expect(validate(badLevel)).toBe(false);
  });
});

describe('sarif reporter', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('is named sarif, sends the summary to stderr and does not stream', () => {
    expect(sarif.meta.name).toBe('sarif');
    expect(sarif.meta.summaryToStderr).toBe(true);
    expect(sarif.finding).toBeUndefined();
  });

  it('renders a SARIF 2.1.0 log that the official schema accepts', () => {
    const out = sarif.render(report(), ctx());
    expect(out.endsWith('}\n')).toBe(true);
    const doc = JSON.parse(out) as Doc;
    expectValid(doc);
    expect(doc.$schema).toBe(SARIF_SCHEMA_URI);
    expect(doc.$schema).toBe(SCHEMA.id);
    expect(doc.version).toBe('2.1.0');
    expect(doc.runs).toHaveLength(1);
    expect(doc.runs[0]!.automationDetails).toEqual({ id: 'apiguard/' });
    const { rules, ...driver } = doc.runs[0]!.tool.driver;
    expect(driver).toEqual({ name: 'apiguard', semanticVersion: '0.1.0' });
    expect(rules).toHaveLength(6);
  });

  it('has one rule per finding kind with the table row id, level and GitHub security-severity', () => {
    const rules = render().runs[0]!.tool.driver.rules;
    const tags = ['security', 'api-gateway', 'api-key'];
    expect(rules.map((r) => [r.id, r.name, r.shortDescription, r.help, r.defaultConfiguration, r.properties])).toEqual([
      ['unauthenticated', 'Unauthenticated', { text: 'API request not authenticated' }, { text: 'Response: Block API request.' }, { level: 'note' }, { tags, 'security-severity': '3.0' }],
      [
        'wrong-workstation',
        'WrongWorkstation',
        { text: 'Analyst using wrong workstation' },
        { text: 'Response: Block API request; Investigate API key.' },
        { level: 'warning' },
        { tags, 'security-severity': '5.5' },
      ],
      [
        'key-compromised',
        'KeyCompromised',
        { text: 'API key compromised' },
        { text: 'Response: Block API request; Revoke API key & create new API key.' },
        { level: 'error' },
        { tags, 'security-severity': '9.5' },
      ],
      [
        'invalid-for-role',
        'InvalidForRole',
        { text: 'API request invalid for given role' },
        { text: 'Response: Block API request; Investigate API key.' },
        { level: 'error' },
        { tags, 'security-severity': '8.0' },
      ],
      [
        'when-violation',
        'WhenViolation',
        { text: 'API request exceeds rate-limit/quota; Anomalous API requests' },
        { text: 'Response: Block API request; Investigate API key.' },
        { level: 'warning' },
        { tags, 'security-severity': '5.5' },
      ],
      [
        'key-exposed',
        'KeyExposed',
        { text: 'API key exposed in logs' },
        { text: 'Response: Revoke API key & create new API key.' },
        { level: 'error' },
        { tags, 'security-severity': '8.0' },
      ],
    ]);
    expect(rules[2]!.fullDescription).toEqual({
      text:
        'Decision table row 3: Who (key) valid, Where (source IP) invalid, What (method + path) invalid, When (time, rate) not looked at. ' +
        'Possible cause: API key compromised. Severity critical, one step worse for requests the gateway let through (status below 400).',
    });
    expect((rules[5]!.fullDescription as { text: string }).text).toMatch(/^Not a row of the decision table: a raw API key was written in the clear in the logs/);
  });

  it('gives one result per incident, worst first, with its location, key, fingerprint and properties', () => {
    const r = report();
    const results = render(r).runs[0]!.results;
    expect(results).toHaveLength(4);
    expect(r.incidents[0]!.id).toBe('AG-9354a93d411bf1c0');
    expect(results[0]).toEqual({
      ruleId: 'key-compromised',
      ruleIndex: 2,
      level: 'error',
      message: {
        text: 'API key compromised: key analyst-1 from 203.0.113.9, 2 requests (1 let through by the gateway, 1 blocked). Why: 2× DELETE not allowed for role analyst.',
      },
      locations: [{ physicalLocation: loc('logs/gw.ndjson', 1), logicalLocations: [{ name: 'analyst-1', kind: 'apiKey' }] }],
      relatedLocations: [{ id: 1, physicalLocation: loc('logs/gw.ndjson', 3) }],
      partialFingerprints: { 'apiguardFinding/v1': 'AG-9354a93d411bf1c0' },
      properties: {
        id: 'AG-9354a93d411bf1c0',
        severity: 'critical',
        firstSeen: '2026-11-20T03:00:41.000Z',
        lastSeen: '2026-11-20T03:05:00.000Z',
        count: 2,
        letThrough: 1,
        blocked: 1,
        unknownOutcome: 0,
        tenant: '',
      },
    });
    expect(results[1]).toEqual({
      ruleId: 'key-exposed',
      ruleIndex: 5,
      level: 'error',
      message: { text: `API key exposed in logs: key ${MASKED} from 198.51.100.7, 1 request (1 let through by the gateway, 0 blocked). Why: 1× raw key ${MASKED} in the log (query \\x1b[2J).` },
      locations: [{ physicalLocation: loc('%3Cstdin%3E', 7), logicalLocations: [{ name: MASKED, kind: 'apiKey' }] }],
      partialFingerprints: { 'apiguardFinding/v1': r.incidents[1]!.id },
      properties: {
        id: r.incidents[1]!.id,
        severity: 'high',
        firstSeen: '2026-11-20T04:00:00.000Z',
        lastSeen: '2026-11-20T04:00:00.000Z',
        count: 1,
        letThrough: 1,
        blocked: 0,
        unknownOutcome: 0,
        tenant: '',
      },
    });
    expect(results.map((x) => [x.ruleId, x.ruleIndex, x.level])).toEqual([
      ['key-compromised', 2, 'error'],
      ['key-exposed', 5, 'error'],
      ['when-violation', 4, 'warning'],
      ['unauthenticated', 0, 'note'],
    ]);
    expect(results[2]!.message).toEqual({
      text:
        'API request exceeds rate-limit/quota; Anomalous API requests: key analyst-2 from 10.20.0.15, 1 request ' +
        '(0 let through by the gateway, 0 blocked, 1 with unknown status). Why: 1× over rate 30/1m.',
    });
    expect(results[2]!.locations).toEqual([{ physicalLocation: loc('logs/gw%202026%231%3F.ndjson', 4), logicalLocations: [{ name: 'analyst-2', kind: 'apiKey' }] }]);
    expect(results[3]!.locations).toEqual([
      { physicalLocation: loc('file:///var/log/apigw/%5Cx1b%5B31maccess.log', 12), logicalLocations: [{ name: '(no key)', kind: 'apiKey' }] },
    ]);
    expect((results[3]!.properties as { tenant: string }).tenant).toBe('org-1');
    // Incidents without further evidence have no relatedLocations at all.
    expect(results.map((x) => 'relatedLocations' in x)).toEqual([true, false, false, false]);
  });

  it('uses the incident ids as fingerprints, one per result, all distinct', () => {
    const r = report();
    const results = render(r).runs[0]!.results;
    expect(results.map((x) => x.partialFingerprints)).toEqual(r.incidents.map((i) => ({ 'apiguardFinding/v1': i.id })));
    expect(new Set(r.incidents.map((i) => i.id)).size).toBe(4);
    for (const i of r.incidents) expect(i.id).toMatch(/^AG-[0-9a-f]{16}$/);
  });

  it('never prints the raw key or a raw control character, and decodes file URIs back to the redacted names', () => {
    const out = sarif.render(report(), ctx());
    expect(out).not.toContain(SECRET);
    expect(out).not.toContain('\u001b');
    expect(out).not.toContain('\\u001b');
    const results = (JSON.parse(out) as Doc).runs[0]!.results;
    const uris = results.map((x) => (x.locations as { physicalLocation: { artifactLocation: { uri: string } } }[])[0]!.physicalLocation.artifactLocation.uri);
    expect(uris.map((u) => decodeURIComponent(u))).toEqual(['logs/gw.ndjson', '<stdin>', 'logs/gw 2026#1?.ndjson', 'file:///var/log/apigw/\\x1b[31maccess.log']);
  });

  it('leaves the key alone when the redactor does not know it (it only masks what it is told)', () => {
    const results = render(report(), ctx([])).runs[0]!.results;
    expect((results[1]!.locations as { logicalLocations: unknown }[])[0]!.logicalLocations).toEqual([{ name: SECRET, kind: 'apiKey' }]);
  });

  it('says how many keys a source tried when they were keys nobody issued', () => {
    const guess = { row: 'unauthenticated', severity: 'low', outcome: 'blocked', ip: '198.51.100.66', file: 'logs/gw.ndjson', why: 'key not in the inventory' } as const;
    const r = report([
      { ...guess, key: 'key 0001…0001', group: 'k:0001-guess-0001', at: '2026-11-20T06:00:00Z', line: 30 },
      { ...guess, key: 'key 0002…0002', group: 'k:0002-guess-0002', at: '2026-11-20T06:00:01Z', line: 31 },
    ]);
    const doc = render(r);
    expectValid(doc);
    const got = doc.runs[0]!.results.find((x) => (x.message as { text: string }).text.includes('198.51.100.66'))!;
    expect((got.message as { text: string }).text).toBe(
      'API request not authenticated: 2 different keys from 198.51.100.66, 2 requests (0 let through by the gateway, 2 blocked). Why: 2× key not in the inventory.',
    );
  });

  it('is valid with empty results when there are no incidents, and still lists every rule', () => {
    const doc = render(emptyReport());
    expectValid(doc);
    expect(doc.runs[0]!.results).toEqual([]);
    expect(doc.runs[0]!.tool.driver.rules.map((r) => r.id)).toEqual([
      'unauthenticated',
      'wrong-workstation',
      'key-compromised',
      'invalid-for-role',
      'when-violation',
      'key-exposed',
    ]);
  });

  it('is deterministic: the same bytes whatever the clock says', () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2030-01-01T00:00:00Z'));
    const a = sarif.render(report(), ctx());
    vi.setSystemTime(new Date('2031-06-15T12:34:56Z'));
    const b = sarif.render(report(), ctx());
    expect(a).toBe(b);
    expect(a).not.toContain('2030-');
    expect(a).not.toContain('2031-');
  });

  it('marks a suppressed incident with an accepted external suppression, redacted', () => {
    const suppressed = { reason: `known scanner ${SECRET}`, owner: 'soc@example.org', expires: '2027-01-01', at: 'apiguard-suppressions.yaml:3' };
    const r = report([{ ...analyst1, ip: '203.0.113.10', outcome: 'blocked', at: '2026-11-20T05:00:00Z', line: 9, suppressed }]);
    const doc = render(r);
    expectValid(doc);
    const results = doc.runs[0]!.results;
    // Open incidents first, then the suppressed one.
    expect(results.map((x) => 'suppressions' in x)).toEqual([false, false, false, false, true]);
    expect(results[4]!.suppressions).toEqual([
      {
        kind: 'external',
        status: 'accepted',
        justification: `known scanner ${MASKED}`,
        properties: { owner: 'soc@example.org', expires: '2027-01-01', at: 'apiguard-suppressions.yaml:3' },
      },
    ]);
  });
});

describe('artifactUri', () => {
  it('keeps a plain relative path as it is', () => {
    expect(artifactUri('logs/2026-11-20/gw.ndjson.gz')).toBe('logs/2026-11-20/gw.ndjson.gz');
  });

  it('percent-encodes what a URI reference cannot hold, segment by segment', () => {
    expect(artifactUri('a b/c%d#e?f.log')).toBe('a%20b/c%25d%23e%3Ff.log');
    expect(artifactUri('a:b.log')).toBe('a%3Ab.log');
    expect(artifactUri(`logs/${MASKED}.log`)).toBe('logs/sk_l%E2%80%A65678.log');
    expect(artifactUri('<stdin>')).toBe('%3Cstdin%3E');
  });

  it('makes an absolute path a file URI', () => {
    expect(artifactUri('/var/log/gw.log')).toBe('file:///var/log/gw.log');
  });

  it('shows a lone surrogate as an escape instead of throwing', () => {
    expect(artifactUri('x\ud800.log')).toBe('x%5Cud800.log');
  });
});

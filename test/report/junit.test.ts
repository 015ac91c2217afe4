import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Counters } from '../../src/aggregate/counters.js';
import { IncidentAggregator } from '../../src/aggregate/incidents.js';
import type { Finding, Outcome, RowId, Severity } from '../../src/model/finding.js';
import { makeChalk } from '../../src/report/colour.js';
import junit, { xmlAttr, xmlChars, xmlText } from '../../src/report/junit.js';
import { Redactor } from '../../src/report/sanitize.js';
import { buildSummary } from '../../src/report/summary.js';
import type { ReportContext, ScanReport } from '../../src/report/types.js';
import { request } from '../helpers/requests.js';

const SECRET = 'sk_live_ABCDEFGH12345678';
const MASKED = 'sk_l…5678';
/** Every character XML gives a meaning to, in a file name. */
const SPECIAL_FILE = `logs/<a&b>"it's".ndjson`;

const ctx = (secrets: string[] = [SECRET]): ReportContext => ({ chalk: makeChalk(0), redact: new Redactor(secrets), width: 120 });

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
  path?: string;
  tenant?: string;
  userAgent?: string;
  suppressed?: Finding['suppressed'];
}

const finding = (s: Spec): Finding => ({
  request: request({ at: s.at, ip: s.ip, file: s.file, line: s.line, tenant: s.tenant ?? '', method: 'GET', path: s.path ?? '/elastic/logs', userAgent: s.userAgent ?? '' }),
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

/** Three incidents in three kinds; the other three kinds have none. */
function report(opts: { policy?: string | null; extra?: Spec[] } = {}): ScanReport {
  const counters = new Counters();
  const aggregator = new IncidentAggregator();
  const specs: Spec[] = [
    { ...analyst1, outcome: 'let-through', at: '2026-11-20T03:00:41Z', line: 1, path: '/elastic/logs' },
    { ...analyst1, outcome: 'blocked', at: '2026-11-20T03:05:00Z', line: 3, path: '/elastic/_security' },
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
      file: SPECIAL_FILE,
      line: 4,
      why: 'over rate 30/1m',
      tenant: 'org-1',
    },
    ...(opts.extra ?? []),
  ];
  for (const s of specs) aggregator.add(finding(s));
  const incidents = aggregator.incidents();
  const policy = opts.policy === undefined ? 'rules/demo-policy.yaml' : opts.policy;
  const summary = buildSummary({
    version: '0.1.0',
    policy,
    timezone: 'Europe/Amsterdam',
    counters,
    aggregator,
    incidents: incidents.length,
    first: Date.parse('2026-11-20T03:00:41Z'),
    last: Date.parse('2026-11-20T09:00:00Z'),
  });
  return { summary, incidents };
}

function emptyReport(policy: string | null): ScanReport {
  const counters = new Counters();
  const aggregator = new IncidentAggregator();
  const summary = buildSummary({ version: '0.1.0', policy, timezone: 'UTC', counters, aggregator, incidents: 0, first: Infinity, last: -Infinity });
  return { summary, incidents: [] };
}

type Attrs = Record<string, string>;
interface OutcomeElement extends Attrs {
  '#text': string;
}
interface Testcase extends Attrs {
  classname: string;
  name: string;
}
type ParsedCase = Testcase & { failure?: OutcomeElement | ''; skipped?: OutcomeElement | '' };
type ParsedSuite = Attrs & { testcase: ParsedCase[] };
type Parsed = { '?xml': Attrs; testsuites: Attrs & { testsuite: ParsedSuite[] } };

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  textNodeName: '#text',
  alwaysCreateTextNode: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  isArray: (name) => name === 'testsuite' || name === 'testcase',
});

function parse(xml: string): Parsed {
  expect(XMLValidator.validate(xml)).toBe(true);
  return parser.parse(xml) as Parsed;
}

const counts = (x: Attrs) => [x.tests, x.failures, x.errors, x.skipped].map(Number);
const attrsOf = (x: ParsedCase): Attrs => Object.fromEntries(Object.entries(x).filter(([k, v]) => k !== '#text' && typeof v === 'string'));

describe('xml escaping', () => {
  it('escapes the five XML specials in attributes and &, <, > in text', () => {
    expect(xmlAttr(`<a&b>"it's"`)).toBe('&lt;a&amp;b&gt;&quot;it&apos;s&quot;');
    expect(xmlText(`<a&b>"it's" ]]>`)).toBe(`&lt;a&amp;b&gt;"it's" ]]&gt;`);
  });

  it('keeps line breaks in text, but as references in attributes (a parser would make them spaces)', () => {
    expect(xmlText('a\nb\r')).toBe('a\nb&#13;');
    expect(xmlAttr('a\tb\nc\rd')).toBe('a&#9;b&#10;c&#13;d');
  });

  it('turns characters XML 1.0 forbids into visible escapes', () => {
    expect(xmlChars('a\u0000b\u001bc\u0008d')).toBe('a\\u0000b\\u001bc\\u0008d');
    expect(xmlChars('x\ufffey\uffffz')).toBe('x\\ufffey\\uffffz');
    expect(xmlChars('lone \ud800 and \udc00')).toBe('lone \\ud800 and \\udc00');
    // Allowed: tab, line breaks, a supplementary character as a proper surrogate pair, U+FFFD.
    expect(xmlChars('\t\n\r😀\ufffd')).toBe('\t\n\r😀\ufffd');
  });
});

describe('junit reporter', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('is named junit, sends the summary to stderr and does not stream', () => {
    expect(junit.meta.name).toBe('junit');
    expect(junit.meta.summaryToStderr).toBe(true);
    expect(junit.finding).toBeUndefined();
  });

  it('renders one suite per finding kind with exact counts, and a passing case for a kind without incidents', () => {
    const out = junit.render(report(), ctx());
    expect(out.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites ')).toBe(true);
    expect(out.endsWith('</testsuites>\n')).toBe(true);
    const doc = parse(out);
    expect([doc['?xml'].version, doc['?xml'].encoding]).toEqual(['1.0', 'UTF-8']);
    const root = doc.testsuites;
    expect(root.name).toBe('apiguard');
    expect(counts(root)).toEqual([6, 3, 0, 0]);
    const suites = root.testsuite;
    expect(suites.map((s) => [s.name, ...counts(s)])).toEqual([
      ['row 1 unauthenticated', 1, 0, 0, 0],
      ['row 2 wrong-workstation', 1, 0, 0, 0],
      ['row 3 key-compromised', 1, 1, 0, 0],
      ['row 4 invalid-for-role', 1, 0, 0, 0],
      ['row 5 when-violation', 1, 1, 0, 0],
      ['key-exposed', 1, 1, 0, 0],
    ]);
    expect(suites.map((s) => s.testcase.map(attrsOf))).toEqual([
      [{ classname: 'unauthenticated', name: 'no findings' }],
      [{ classname: 'wrong-workstation', name: 'no findings' }],
      [{ classname: 'key-compromised', name: 'analyst-1 from 203.0.113.9' }],
      [{ classname: 'invalid-for-role', name: 'no findings' }],
      [{ classname: 'when-violation', name: 'analyst-2 from 10.20.0.15 (tenant org-1)' }],
      [{ classname: 'key-exposed', name: `${MASKED} from 198.51.100.7` }],
    ]);
    // Passing cases have no outcome element; failing ones exactly one failure.
    expect(suites.map((s) => s.testcase.map((c) => [c.failure !== undefined, c.skipped !== undefined]))).toEqual([
      [[false, false]],
      [[false, false]],
      [[true, false]],
      [[false, false]],
      [[true, false]],
      [[true, false]],
    ]);
  });

  it('fails an incident with its severity as type, and lists cause, response, reasons, actions and evidence', () => {
    const doc = parse(junit.render(report(), ctx()));
    const failure = doc.testsuites.testsuite[2]!.testcase[0]!.failure as OutcomeElement;
    expect(failure.type).toBe('critical');
    expect(failure.message).toBe('critical: API key compromised (2 requests, 1 let through)');
    expect(failure['#text']).toBe(
      [
        'Cause: API key compromised',
        'Response: Block API request; Revoke API key & create new API key',
        'Severity: critical',
        'Incident: AG-9354a93d411bf1c0',
        'Key: analyst-1',
        'Source IP: 203.0.113.9',
        'Requests: 2 (1 let through, 1 blocked)',
        'Seen: 2026-11-20T03:00:41.000Z to 2026-11-20T03:05:00.000Z',
        'Why:',
        '  2× DELETE not allowed for role analyst',
        'Actions:',
        '  1× GET /elastic/_security',
        '  1× GET /elastic/logs',
        'Evidence:',
        '  logs/gw.ndjson:1',
        '  logs/gw.ndjson:3',
      ].join('\n'),
    );
    const exposed = doc.testsuites.testsuite[5]!.testcase[0]!.failure as OutcomeElement;
    expect(exposed.type).toBe('high');
    expect(exposed['#text']).toContain(`\nWhy:\n  1× raw key ${MASKED} in the log (query \\x1b[2J)\n`);
    expect(exposed['#text']).toContain('\nEvidence:\n  <stdin>:7');
  });

  it('round-trips XML-special characters in a path through a real parser', () => {
    const out = junit.render(report(), ctx());
    // Not one raw special from the name in the document: they are all escaped.
    expect(out).not.toContain(SPECIAL_FILE);
    expect(out).toContain('logs/&lt;a&amp;b&gt;"it\'s".ndjson:4');
    const failure = parse(out).testsuites.testsuite[4]!.testcase[0]!.failure as OutcomeElement;
    expect(failure.type).toBe('medium');
    expect(failure['#text'].split('\n').slice(-2)).toEqual(['Evidence:', `  ${SPECIAL_FILE}:4`]);
    expect(failure['#text']).toContain('\nTenant: org-1\n');
    expect(failure['#text']).toContain('\nRequests: 1 (0 let through, 0 blocked, 1 status unknown)\n');
  });

  it('round-trips XML-special characters in attributes too', () => {
    const r = report();
    r.incidents[2]!.key = `<x&y>"q'`;
    const doc = parse(junit.render(r, ctx()));
    expect(doc.testsuites.testsuite[4]!.testcase[0]!.name).toBe(`<x&y>"q' from 10.20.0.15 (tenant org-1)`);
  });

  it('prints no raw control character and no raw key anywhere', () => {
    const r = report();
    r.incidents[0]!.key = 'bob\u001b[31m';
    r.incidents[0]!.evidence[0]!.file = 'x\u0007.ndjson';
    const out = junit.render(r, ctx());
    // eslint-disable-next-line no-control-regex
    expect(out).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/);
    expect(out).not.toContain(SECRET);
    const doc = parse(out);
    const tc = doc.testsuites.testsuite[2]!.testcase[0]!;
    expect(tc.name).toBe('bob\\x1b[31m from 203.0.113.9');
    expect((tc.failure as OutcomeElement)['#text']).toContain('\n  x\\x07.ndjson:1\n');
  });

  it('skips the What rows as "not checked" when there was no key inventory', () => {
    const doc = parse(junit.render(emptyReport(null), ctx()));
    expect(counts(doc.testsuites)).toEqual([6, 0, 0, 2]);
    const suites = doc.testsuites.testsuite;
    expect(suites.map((s) => [s.name, ...counts(s), s.testcase[0]!.name])).toEqual([
      ['row 1 unauthenticated', 1, 0, 0, 0, 'no findings'],
      ['row 2 wrong-workstation', 1, 0, 0, 0, 'no findings'],
      ['row 3 key-compromised', 1, 0, 0, 1, 'not checked'],
      ['row 4 invalid-for-role', 1, 0, 0, 1, 'not checked'],
      ['row 5 when-violation', 1, 0, 0, 0, 'no findings'],
      ['key-exposed', 1, 0, 0, 0, 'no findings'],
    ]);
    // An empty element: the parser gives it an empty text node.
    expect(suites[2]!.testcase[0]!.skipped).toEqual({ '#text': '', message: "not checked: What needs a policy (the actions each key's role allows)" });
  });

  it('passes every kind when a scan with a policy finds nothing', () => {
    const doc = parse(junit.render(emptyReport('apiguard.yaml'), ctx()));
    expect(counts(doc.testsuites)).toEqual([6, 0, 0, 0]);
    expect(doc.testsuites.testsuite.map((s) => s.testcase.map((c) => c.name))).toEqual([
      ['no findings'],
      ['no findings'],
      ['no findings'],
      ['no findings'],
      ['no findings'],
      ['no findings'],
    ]);
  });

  it('skips a suppressed incident, with why in its message, next to the open ones', () => {
    const suppressed = { reason: `known scanner ${SECRET}`, owner: 'soc@example.org', expires: '2027-01-01', at: 'apiguard-suppressions.yaml:3' };
    const r = report({ extra: [{ ...analyst1, ip: '203.0.113.10', outcome: 'blocked', at: '2026-11-20T05:00:00Z', line: 9, suppressed }] });
    const out = junit.render(r, ctx());
    expect(out).not.toContain(SECRET);
    const doc = parse(out);
    expect(counts(doc.testsuites)).toEqual([7, 3, 0, 1]);
    const suite = doc.testsuites.testsuite[2]!;
    expect([suite.name, ...counts(suite)]).toEqual(['row 3 key-compromised', 2, 1, 0, 1]);
    expect(suite.testcase.map((c) => [c.name, c.failure !== undefined, c.skipped !== undefined])).toEqual([
      ['analyst-1 from 203.0.113.9', true, false],
      ['analyst-1 from 203.0.113.10', false, true],
    ]);
    const skipped = suite.testcase[1]!.skipped as OutcomeElement;
    expect(skipped.message).toBe(`suppressed until 2027-01-01: known scanner ${MASKED} (soc@example.org; apiguard-suppressions.yaml:3)`);
    expect(skipped['#text']).toContain('\nEvidence:\n  logs/gw.ndjson:9');
  });

  it('says how many requests the evidence is the first of', () => {
    const extra: Spec[] = Array.from({ length: 6 }, (_, n) => ({ ...analyst1, ip: '203.0.113.77', outcome: 'blocked', at: `2026-11-20T06:0${n}:00Z`, line: 20 + n }));
    const doc = parse(junit.render(report({ extra }), ctx()));
    const tc = doc.testsuites.testsuite[2]!.testcase.find((c) => c.name === 'analyst-1 from 203.0.113.77')!;
    expect((tc.failure as OutcomeElement)['#text'].split('\n').slice(-6)).toEqual([
      'Evidence (first 5 of 6 requests):',
      '  logs/gw.ndjson:20',
      '  logs/gw.ndjson:21',
      '  logs/gw.ndjson:22',
      '  logs/gw.ndjson:23',
      '  logs/gw.ndjson:24',
    ]);
  });

  it('lists the user agents after the actions, only when the log has them', () => {
    const extra: Spec[] = [1, 2, 3].map((n) => ({ ...analyst1, ip: '203.0.113.44', outcome: 'blocked', at: `2026-11-20T06:00:0${n}Z`, line: 40 + n, userAgent: n === 2 ? 'curl/8.5.0' : 'soar/4.2' }));
    const doc = parse(junit.render(report({ extra }), ctx()));
    const suite = doc.testsuites.testsuite[2]!;
    const text = (c: (typeof suite.testcase)[number]) => (c.failure as OutcomeElement)['#text'];
    expect(text(suite.testcase.find((c) => c.name === 'analyst-1 from 203.0.113.44')!)).toContain('\nActions:\n  3× GET /elastic/logs\nUser agents:\n  2× soar/4.2\n  1× curl/8.5.0\nEvidence');
    expect(text(suite.testcase.find((c) => c.name === 'analyst-1 from 203.0.113.9')!)).not.toContain('User agents:');
  });

  it('lists the keys of a source that tried keys nobody issued', () => {
    const guess = { row: 'unauthenticated', severity: 'low', outcome: 'blocked', ip: '198.51.100.66', file: 'logs/gw.ndjson', why: 'key not in the inventory' } as const;
    const extra: Spec[] = [
      { ...guess, key: 'key 0001…0001', group: 'k:0001-guess-0001', at: '2026-11-20T06:00:00Z', line: 30 },
      { ...guess, key: 'key 0002…0002', group: 'k:0002-guess-0002', at: '2026-11-20T06:00:01Z', line: 31 },
      { ...guess, key: 'key 0001…0001', group: 'k:0001-guess-0001', at: '2026-11-20T06:00:02Z', line: 32 },
    ];
    const doc = parse(junit.render(report({ extra }), ctx()));
    const tc = doc.testsuites.testsuite[0]!.testcase.find((c) => c.name === '2 different keys from 198.51.100.66')!;
    const text = (tc.failure as OutcomeElement)['#text'];
    expect(text).toContain('\nKeys:\n  2× key 0001…0001\n  1× key 0002…0002\nActions:\n');
    // An incident of one key lists none.
    const other = doc.testsuites.testsuite[2]!.testcase[0]!;
    expect((other.failure as OutcomeElement)['#text']).not.toContain('Keys:');
  });

  it('is deterministic: the same bytes whatever the clock says, and no time attributes', () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2030-01-01T00:00:00Z'));
    const a = junit.render(report(), ctx());
    vi.setSystemTime(new Date('2031-06-15T12:34:56Z'));
    const b = junit.render(report(), ctx());
    expect(a).toBe(b);
    expect(a).not.toMatch(/\b(time|timestamp)="/);
  });
});

import { describe, expect, it } from 'vitest';
import { MAX_OPEN } from '../../src/pipeline/merge.js';
import { Counters } from '../../src/aggregate/counters.js';
import { IncidentAggregator } from '../../src/aggregate/incidents.js';
import type { Finding, Outcome, RowId, Severity } from '../../src/model/finding.js';
import { skip } from '../../src/model/skip.js';
import { makeChalk } from '../../src/report/colour.js';
import { Redactor } from '../../src/report/sanitize.js';
import { buildSummary, renderSummaryText } from '../../src/report/summary.js';
import type { ReportContext } from '../../src/report/types.js';
import { request } from '../helpers/requests.js';

function finding(row: RowId, severity: Severity, outcome: Outcome, at: string, ip = '10.20.0.15', key = 'analyst-1'): Finding {
  return {
    request: request({ at, ip }),
    row,
    severity,
    outcome,
    keyLabel: key,
    keyGroup: `k:${key}`,
    reasons: ['r'],
    groups: ['r'],
  };
}

const ctx = (level: 0 | 1 = 0, secrets: string[] = []): ReportContext => ({ chalk: makeChalk(level), redact: new Redactor(secrets), width: 120 });

/** Two files, three skips (two reasons), four findings in three incidents, two let through. */
function filled(): { counters: Counters; aggregator: IncidentAggregator } {
  const counters = new Counters();
  const a = counters.startFile('logs/a.ndjson');
  a.format = 'tyk-analytics';
  a.records = 1_200;
  a.parsed = 1_198;
  counters.skip(a, 17, skip('missing-ip'));
  counters.skip(a, 40, skip('bad-json', 'Unexpected token'));
  const b = counters.startFile('logs/b.ndjson.gz');
  b.format = 'tyk-analytics';
  b.gzip = true;
  b.records = 10;
  b.parsed = 9;
  counters.skip(b, 3, skip('bad-json', 'Unexpected end of JSON input'));
  const aggregator = new IncidentAggregator();
  aggregator.add(finding('key-compromised', 'critical', 'let-through', '2026-11-20T03:00:41Z', '203.0.113.9'));
  aggregator.add(finding('key-compromised', 'critical', 'blocked', '2026-11-20T03:01:00Z', '203.0.113.9'));
  aggregator.add(finding('when-violation', 'medium', 'let-through', '2026-11-20T09:00:00Z'));
  aggregator.add(finding('unauthenticated', 'low', 'blocked', '2026-11-20T10:00:00Z', '198.51.100.4', '(no key)'));
  return { counters, aggregator };
}

const base = {
  version: '0.1.0',
  policy: 'rules/demo-policy.yaml' as string | null,
  timezone: 'Europe/Amsterdam',
  incidents: 3,
  first: Date.parse('2026-11-20T00:00:00Z'),
  last: Date.parse('2026-11-20T23:59:59.5Z'),
};

describe('buildSummary', () => {
  it('collects counters and aggregator counts into the summary', () => {
    const { counters, aggregator } = filled();
    const s = buildSummary({ ...base, counters, aggregator });
    expect(s).toEqual({
      tool: { name: 'apiguard', version: '0.1.0' },
      policy: 'rules/demo-policy.yaml',
      checks: { mode: 'policy', ran: ['Who, Where, What and When against the policy'], needPolicy: [] },
      timezone: 'Europe/Amsterdam',
      files: [
        { file: 'logs/a.ndjson', format: 'tyk-analytics', framing: '', gzip: false, records: 1_200, parsed: 1_198, skipped: 2, error: '' },
        { file: 'logs/b.ndjson.gz', format: 'tyk-analytics', framing: '', gzip: true, records: 10, parsed: 9, skipped: 1, error: '' },
      ],
      ignoredFiles: [],
      period: { since: null, until: null },
      records: { read: 1_210, parsed: 1_207, skipped: 3, late: 0, ahead: 0, unchecked: { where: 0, what: 0 }, outsidePeriod: 0 },
      skipped: [
        { reason: 'bad-json', description: 'not valid JSON', count: 2 },
        { reason: 'missing-ip', description: 'no client IP', count: 1 },
      ],
      skipExamples: [
        { file: 'logs/a.ndjson', line: 17, reason: 'missing-ip', detail: '' },
        { file: 'logs/a.ndjson', line: 40, reason: 'bad-json', detail: 'Unexpected token' },
        { file: 'logs/b.ndjson.gz', line: 3, reason: 'bad-json', detail: 'Unexpected end of JSON input' },
      ],
      findings: {
        total: 4,
        letThrough: 2,
        suppressed: 0,
        byRow: { unauthenticated: 1, 'wrong-workstation': 0, 'key-compromised': 2, 'invalid-for-role': 0, 'when-violation': 1, 'key-exposed': 0 },
        bySeverity: { low: 1, medium: 1, high: 0, critical: 2 },
      },
      incidents: 3,
      suppressions: null,
      baseline: null,
      timeRange: { first: '2026-11-20T00:00:00.000Z', last: '2026-11-20T23:59:59.500Z' },
    });
  });

  it('lists byRow in table order and bySeverity from low to critical', () => {
    const { counters, aggregator } = filled();
    const s = buildSummary({ ...base, counters, aggregator });
    expect(Object.keys(s.findings.byRow)).toEqual(['unauthenticated', 'wrong-workstation', 'key-compromised', 'invalid-for-role', 'when-violation', 'key-exposed']);
    expect(Object.keys(s.findings.bySeverity)).toEqual(['low', 'medium', 'high', 'critical']);
  });

  it('carries late records and a null policy', () => {
    const { counters, aggregator } = filled();
    counters.late = 7;
    const s = buildSummary({ ...base, policy: null, counters, aggregator });
    expect(s.records.late).toBe(7);
    expect(s.policy).toBeNull();
  });

  it('gives a null time range when no request was parsed', () => {
    const s = buildSummary({ ...base, counters: new Counters(), aggregator: new IncidentAggregator(), incidents: 0, first: Infinity, last: -Infinity });
    expect(s.timeRange).toEqual({ first: null, last: null });
    expect(s.records).toEqual({ read: 0, parsed: 0, skipped: 0, late: 0, ahead: 0, unchecked: { where: 0, what: 0 }, outsidePeriod: 0 });
    expect(s.findings).toEqual({
      total: 0,
      letThrough: 0,
      suppressed: 0,
      byRow: { unauthenticated: 0, 'wrong-workstation': 0, 'key-compromised': 0, 'invalid-for-role': 0, 'when-violation': 0, 'key-exposed': 0 },
      bySeverity: { low: 0, medium: 0, high: 0, critical: 0 },
    });
    expect(s.files).toEqual([]);
    expect(s.skipped).toEqual([]);
  });
});

describe('renderSummaryText', () => {
  it('prints every part of the summary, exactly', () => {
    const { counters, aggregator } = filled();
    const text = renderSummaryText(buildSummary({ ...base, counters, aggregator }), ctx());
    expect(text).toBe(
      [
        'Summary',
        '  Policy:    rules/demo-policy.yaml',
        '  Files:     2 files',
        '    logs/a.ndjson: tyk-analytics, 1,200 read, 1,198 parsed, 2 skipped',
        '    logs/b.ndjson.gz: tyk-analytics, 10 read, 9 parsed, 1 skipped, gzip',
        '  Records:   1,210 read, 1,207 parsed, 3 skipped',
        '    2 bad-json (not valid JSON)',
        '    1 missing-ip (no client IP)',
        '  Period:    2026-11-20 01:00:00 +01:00 to 2026-11-21 00:59:59 +01:00 (Europe/Amsterdam)',
        '  Findings:  4 violating requests in 3 incidents; 2 let through by the gateway',
        '    row 1 unauthenticated          1  API request not authenticated',
        '    row 2 wrong-workstation        0  Analyst using wrong workstation',
        '    row 3 key-compromised          2  API key compromised',
        '    row 4 invalid-for-role         0  API request invalid for given role',
        '    row 5 when-violation           1  API request exceeds rate-limit/quota; Anomalous API requests',
        '',
      ].join('\n'),
    );
  });

  it('prints no Late line when no record was late', () => {
    const { counters, aggregator } = filled();
    const text = renderSummaryText(buildSummary({ ...base, counters, aggregator }), ctx());
    expect(text).not.toContain('Late:');
  });

  it('prints the Late line after the skip reasons when records were late', () => {
    const { counters, aggregator } = filled();
    counters.late = 1;
    const lines = renderSummaryText(buildSummary({ ...base, counters, aggregator }), ctx()).split('\n');
    expect(lines[7]).toBe('    1 missing-ip (no client IP)');
    expect(lines[8]).toBe(
      '  Late:      1 record arrived after later ones were judged (beyond --reorder-window); their rate/quota counts are approximate',
    );
    // Two files are merged by time as they are read: no hint to merge them.
    expect(lines[9]).toMatch(/^ {2}Period: /);

    counters.late = 2_500;
    const text = renderSummaryText(buildSummary({ ...base, counters, aggregator }), ctx());
    expect(text).toContain('  Late:      2,500 records arrived after later ones were judged');
  });

  it(`names merging only when more files were read than are merged at once (${MAX_OPEN})`, () => {
    const text = (files: number): string => {
      const counters = new Counters();
      for (let i = 0; i < files; i++) {
        const f = counters.startFile(`logs/node-${i}.ndjson`);
        f.format = 'tyk-analytics';
        f.records = f.parsed = 10;
      }
      counters.late = 3;
      return renderSummaryText(buildSummary({ ...base, counters, aggregator: new IncidentAggregator() }), ctx());
    };
    expect(text(1)).toContain('  Late:      3 records arrived after later ones were judged');
    expect(text(1)).not.toContain('merge');
    expect(text(MAX_OPEN)).not.toContain('merge');
    expect(text(MAX_OPEN + 1)).toContain(`\n             files are merged by time ${MAX_OPEN} at a time: merge more logs of the same hours first (README: Time order)\n`);
  });

  it('says which checks ran and which need a policy when there is none, and how to draft one', () => {
    const { counters, aggregator } = filled();
    const summary = buildSummary({ ...base, policy: null, counters, aggregator });
    expect(summary.checks.mode).toBe('log-only');
    const lines = renderSummaryText(summary, ctx()).split('\n');
    expect(lines[1]).toBe('  Policy:    none found (--policy, APIGUARD_POLICY, apiguard.yaml here or above)');
    expect(lines[2]).toBe('  Checks:    without a key inventory, only what the logs alone show:');
    expect(lines.filter((l) => l.startsWith('    ran:     '))).toHaveLength(3);
    expect(lines.filter((l) => l.startsWith('    skipped: '))).toEqual([
      '    skipped: Who: the key inventory (unknown, revoked and expired keys) (needs a policy)',
      '    skipped: Where: the networks each key may be used from (needs a policy)',
      "    skipped: What: the actions each key's role allows (needs a policy)",
      '    skipped: When: working hours, days, rate limits and quotas (needs a policy)',
    ]);
    expect(lines).toContain('    Draft a policy from these logs: apiguard init logs/a.ndjson logs/b.ndjson.gz > apiguard.yaml');
  });

  it('a policy without keys is log-only too', () => {
    const { counters, aggregator } = filled();
    expect(buildSummary({ ...base, inventory: false, counters, aggregator }).checks.mode).toBe('log-only');
  });

  it('uses the singular for one of each', () => {
    const counters = new Counters();
    const f = counters.startFile('one.ndjson');
    f.format = 'tyk-analytics';
    f.records = 1;
    f.parsed = 1;
    const aggregator = new IncidentAggregator();
    aggregator.add(finding('invalid-for-role', 'high', 'let-through', '2026-11-20T08:00:00Z'));
    const text = renderSummaryText(buildSummary({ ...base, counters, aggregator, incidents: 1 }), ctx());
    expect(text).toContain('\n  Files:     1 file\n');
    expect(text).toContain('\n    one.ndjson: tyk-analytics, 1 read, 1 parsed\n');
    expect(text).toContain('\n  Findings:  1 violating request in 1 incident; 1 let through by the gateway\n');
  });

  it('prints zero findings, a file with no format and its error, and no Period without a time range', () => {
    const counters = new Counters();
    const f = counters.startFile('broken.gz');
    f.gzip = true;
    f.records = 0;
    f.error = 'truncated gzip stream after line 0';
    const text = renderSummaryText(
      buildSummary({ ...base, counters, aggregator: new IncidentAggregator(), incidents: 0, first: Infinity, last: -Infinity }),
      ctx(),
    );
    expect(text).toBe(
      [
        'Summary',
        '  Policy:    rules/demo-policy.yaml',
        '  Files:     1 file',
        '    broken.gz: no format, 0 read, 0 parsed, gzip — truncated gzip stream after line 0',
        '  Records:   0 read, 0 parsed, 0 skipped',
        '  Findings:  0 violating requests in 0 incidents; 0 let through by the gateway',
        '    row 1 unauthenticated          0  API request not authenticated',
        '    row 2 wrong-workstation        0  Analyst using wrong workstation',
        '    row 3 key-compromised          0  API key compromised',
        '    row 4 invalid-for-role         0  API request invalid for given role',
        '    row 5 when-violation           0  API request exceeds rate-limit/quota; Anomalous API requests',
        '',
      ].join('\n'),
    );
  });

  it('masks secrets and escapes control characters in file names, errors and the policy path', () => {
    const counters = new Counters();
    const f = counters.startFile('logs/sk_live_ABCDEFGH12345678/\u001b[2Jx.ndjson');
    f.records = 1;
    f.parsed = 1;
    f.error = 'cannot read sk_live_ABCDEFGH12345678';
    const text = renderSummaryText(
      buildSummary({ ...base, policy: 'p\u001b.yaml', counters, aggregator: new IncidentAggregator(), incidents: 0 }),
      ctx(0, ['sk_live_ABCDEFGH12345678']),
    );
    expect(text).not.toContain('sk_live_ABCDEFGH12345678');
    expect(text).not.toContain('\u001b');
    expect(text).toContain('  Policy:    p\\x1b.yaml\n');
    expect(text).toContain('    logs/sk_l…5678/\\x1b[2Jx.ndjson: no format, 1 read, 1 parsed — cannot read sk_l…5678\n');
  });

  it('colours only with a colour chalk', () => {
    const { counters, aggregator } = filled();
    const s = buildSummary({ ...base, policy: null, counters, aggregator });
    // eslint-disable-next-line no-control-regex
    expect(renderSummaryText(s, ctx(0))).not.toMatch(/\u001b\[/);
    expect(renderSummaryText(s, ctx(1))).toContain('\u001b[1mSummary\u001b[22m');
  });
});

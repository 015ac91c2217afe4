import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { scan } from '../../src/pipeline/scan.js';
import { parsePolicy } from '../../src/policy/load.js';
import type { Source } from '../../src/read/sources.js';
import { collect } from '../../src/triage/collect.js';
import { policyIdentities } from '../../src/triage/resolve.js';
import { tykRecord } from '../helpers/tyk-record.js';

const RAW_OPS = 'sk_live_0p5K3y4ccess9999';

const POLICY = parsePolicy(
  `
version: 1
roles:
  reader: { allow: [GET /**] }
keys:
  - name: alice
    match: { hash: "9f2c4e6a8b0d1f35", alias: alice }
    role: reader
    from: [10.20.0.0/24]
    rate: 2/1m
  - name: ops
    match: { key: "${RAW_OPS}" }
`,
  'p.yaml',
);

const record = (over: Record<string, unknown>): string => tykRecord({ api_name: 'Elastic', ...over });

const LINES = [
  record({ timestamp: '2026-11-19T09:00:00Z' }),
  record({ timestamp: '2026-11-19T09:00:10Z' }),
  record({ timestamp: '2026-11-19T09:00:20Z' }), // third in a minute: over rate 2/1m
  record({ timestamp: '2026-11-19T10:00:00Z', ip_address: '203.0.113.99', method: 'DELETE', original_path: '/elastic/logs' }),
  record({ timestamp: '2026-11-19T10:01:00Z', api_key: RAW_OPS, alias: '' }), // ops, with hash_keys off: its raw key is in the log
  record({ timestamp: '2026-11-19T10:02:00Z', api_key: 'deadbeefcafef00d', alias: '' }),
  record({ timestamp: '2026-11-19T10:03:00Z', api_key: 'deadbeefcafe0000', alias: '' }),
  record({ timestamp: '2026-11-19T11:00:00Z' }),
];
const source = (lines = LINES): Source => ({ name: 'log.ndjson', open: () => Readable.from([Buffer.from(lines.join('\n') + '\n')]) });
const alice = policyIdentities(POLICY).find((k) => k.entry.name === 'alice')!;
const ops = policyIdentities(POLICY).find((k) => k.entry.name === 'ops')!;

describe('collect', () => {
  it("gathers a policy key's requests, judged as scan judges them: the same incidents, ids and counts", async () => {
    const r = await collect({ sources: [source()], policy: POLICY, target: { kind: 'policy', key: alice }, reorderWindowMs: 300_000 });
    expect(r.tracks).toHaveLength(1);
    const t = r.tracks[0]!;
    expect(t.activity.use.requests).toBe(5);
    expect(t.violations.map((v) => v.line)).toEqual([3, 4]);
    const scanned = await scan({ sources: [source()], policy: POLICY, reorderWindowMs: 300_000 });
    const fromScan = scanned.aggregator.incidents().filter((i) => i.key === 'alice');
    expect(t.aggregator.incidents().map(({ number: _n, ...i }) => i)).toEqual(fromScan.map(({ number: _n, ...i }) => i));
    expect(fromScan.map((i) => i.row)).toEqual(['key-compromised', 'when-violation']);
    // The period scanned is every key's, not only alice's.
    expect([r.first, r.last]).toEqual([Date.parse('2026-11-19T09:00:00Z'), Date.parse('2026-11-19T11:00:00Z')]);
  });

  it("a raw-key policy key: its own requests, its exposure in the log, and the raw key remembered for masking", async () => {
    const r = await collect({ sources: [source()], policy: POLICY, target: { kind: 'policy', key: ops }, reorderWindowMs: 300_000 });
    const t = r.tracks[0]!;
    expect(t.activity.use.requests).toBe(1);
    expect(t.aggregator.incidents().map((i) => i.row)).toEqual(['key-exposed']);
    expect(r.rawKeys).toEqual([RAW_OPS]);
  });

  it('a key only the logs know: every logged identity that fits a prefix is tracked apart; the exact one is marked', async () => {
    const r = await collect({ sources: [source()], policy: POLICY, target: { kind: 'logs', typed: 'deadbeefcafe' }, reorderWindowMs: 300_000 });
    expect(r.tracks.map((t) => [t.label, t.match?.exact, t.activity.use.requests])).toEqual([
      ['hash dead…f00d', false, 1],
      ['hash dead…0000', false, 1],
    ]);
    const exact = await collect({ sources: [source()], policy: POLICY, target: { kind: 'logs', typed: 'deadbeefcafef00d' }, reorderWindowMs: 300_000 });
    expect(exact.tracks.map((t) => [t.label, t.match?.exact])).toEqual([['hash dead…f00d', true]]);
    expect(exact.tracks[0]!.aggregator.incidents().map((i) => [i.row, i.key])).toEqual([['unauthenticated', 'hash dead…f00d']]);
  });

  it('identities a policy key claims are never candidates from the logs', async () => {
    const r = await collect({ sources: [source()], policy: POLICY, target: { kind: 'logs', typed: '9f2c' }, reorderWindowMs: 300_000 });
    expect(r.tracks).toEqual([]);
  });

  it('--since/--until cut the period as scan does; requests outside are counted, not judged', async () => {
    const r = await collect({
      sources: [source()],
      policy: POLICY,
      target: { kind: 'policy', key: alice },
      reorderWindowMs: 300_000,
      since: Date.parse('2026-11-19T09:00:15Z'),
      until: Date.parse('2026-11-19T11:00:00Z'),
    });
    expect(r.outsidePeriod).toBe(3);
    const t = r.tracks[0]!;
    expect(t.activity.use.requests).toBe(2);
    // Without the two earlier requests the third is no longer over the rate.
    expect(t.aggregator.incidents().map((i) => i.row)).toEqual(['key-compromised']);
  });
});

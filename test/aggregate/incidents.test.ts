import { describe, expect, it } from 'vitest';
import { IncidentAggregator, MAX_SOURCES, OTHER_SOURCES, incidentGroup, severalKeys } from '../../src/aggregate/incidents.js';
import type { Finding, Outcome, RowId, Severity } from '../../src/model/finding.js';
import type { ApiRequest } from '../../src/model/request.js';
import { request } from '../helpers/requests.js';

const ROW_SEVERITY: Record<RowId, Severity> = {
  unauthenticated: 'low',
  'wrong-workstation': 'medium',
  'key-compromised': 'critical',
  'invalid-for-role': 'high',
  'when-violation': 'medium',
  'key-exposed': 'high',
};

interface F {
  row?: RowId;
  severity?: Severity;
  outcome?: Outcome;
  key?: string;
  group?: string;
  groups?: string[];
  req?: Partial<Omit<ApiRequest, 'identity'>> & { at?: string };
}

/** A hand-made finding: key "analyst-1" (group "k:analyst-1") on row 4 from 10.20.0.15 unless told. */
function finding(o: F = {}): Finding {
  const row = o.row ?? 'invalid-for-role';
  const key = o.key ?? 'analyst-1';
  const groups = o.groups ?? ['DELETE not allowed'];
  return {
    request: request(o.req ?? {}),
    row,
    severity: o.severity ?? ROW_SEVERITY[row],
    outcome: o.outcome ?? 'blocked',
    keyLabel: key,
    keyGroup: o.group ?? `k:${key}`,
    reasons: groups.map((g) => `${g} (detail)`),
    groups,
  };
}

const ms = (iso: string): number => Date.parse(iso);

describe('IncidentAggregator grouping', () => {
  it('groups findings of the same key, row and IP into one incident', () => {
    const agg = new IncidentAggregator();
    agg.add(finding({ req: { line: 1 } }));
    agg.add(finding({ req: { line: 2 } }));
    agg.add(finding({ req: { line: 3 } }));
    const list = agg.incidents();
    expect(list).toHaveLength(1);
    expect(list[0]!.count).toBe(3);
  });

  it('splits the same key and row from two IPs into two incidents', () => {
    const agg = new IncidentAggregator();
    agg.add(finding({ req: { ip: '10.20.0.15' } }));
    agg.add(finding({ req: { ip: '10.20.0.16' } }));
    agg.add(finding({ req: { ip: '10.20.0.15' } }));
    const list = agg.incidents();
    expect(list.map((i) => [i.ip, i.count])).toEqual([
      ['10.20.0.15', 2],
      ['10.20.0.16', 1],
    ]);
  });

  it('splits the same key and IP on two rows into two incidents', () => {
    const agg = new IncidentAggregator();
    agg.add(finding({ row: 'when-violation', groups: ['over rate 30/1m'] }));
    agg.add(finding({ row: 'wrong-workstation', groups: ['10.20.0.15 not in analyst workstations'] }));
    agg.add(finding({ row: 'when-violation', groups: ['over rate 30/1m'] }));
    const list = agg.incidents();
    expect(list.map((i) => [i.row, i.rowNumber, i.count])).toEqual([
      ['wrong-workstation', 2, 1],
      ['when-violation', 5, 2],
    ]);
  });

  it('splits two keys on the same row and IP, grouping by keyGroup and showing keyLabel', () => {
    const agg = new IncidentAggregator();
    agg.add(finding({ key: 'analyst-1' }));
    agg.add(finding({ key: 'analyst-2' }));
    expect(agg.incidents().map((i) => [i.key, i.count])).toEqual([
      ['analyst-1', 1],
      ['analyst-2', 1],
    ]);
  });

  it('groups by keyGroup even when labels differ, keeping the first label', () => {
    const agg = new IncidentAggregator();
    agg.add(finding({ key: 'key dead…f00d', group: 'k:deadbeefcafef00d' }));
    agg.add(finding({ key: 'key dead…f00d (alias bob)', group: 'k:deadbeefcafef00d' }));
    const list = agg.incidents();
    expect(list).toHaveLength(1);
    expect(list[0]!.key).toBe('key dead…f00d');
    expect(list[0]!.count).toBe(2);
  });

  it('fills an incident with the row words from the decision table', () => {
    const agg = new IncidentAggregator();
    agg.add(finding({ row: 'key-compromised', req: { ip: '203.0.113.9', at: '2026-11-20T03:00:41Z', file: 'gw.ndjson', line: 42, method: 'DELETE', path: '/elastic/logs' } }));
    expect(agg.incidents()).toEqual([
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
        keys: [{ text: 'analyst-1', count: 1 }],
        otherKeys: 0,
        unissued: false,
        ip: '203.0.113.9',
        firstSeen: ms('2026-11-20T03:00:41Z'),
        lastSeen: ms('2026-11-20T03:00:41Z'),
        count: 1,
        blocked: 1,
        letThrough: 0,
        unknownOutcome: 0,
        reasons: [{ text: 'DELETE not allowed', count: 1 }],
        otherReasons: 0,
        actions: [{ text: 'DELETE /elastic/logs', count: 1 }],
        otherActions: 0,
        userAgents: [],
        otherUserAgents: 0,
        evidence: [{ file: 'gw.ndjson', line: 42 }],
        suppressed: null,
      },
    ]);
  });
});

describe('IncidentAggregator counts', () => {
  it('counts blocked, let-through and unknown outcomes per incident', () => {
    const agg = new IncidentAggregator();
    const outcomes: Outcome[] = ['blocked', 'let-through', 'let-through', 'unknown', 'let-through', 'blocked'];
    for (const outcome of outcomes) agg.add(finding({ outcome }));
    const [i] = agg.incidents();
    expect([i!.count, i!.blocked, i!.letThrough, i!.unknownOutcome]).toEqual([6, 2, 3, 1]);
  });

  it('takes first and last seen from the earliest and latest request, not arrival order', () => {
    const agg = new IncidentAggregator();
    agg.add(finding({ req: { at: '2026-11-20T10:00:00Z' } }));
    agg.add(finding({ req: { at: '2026-11-20T08:30:00Z' } }));
    agg.add(finding({ req: { at: '2026-11-20T12:15:00Z' } }));
    agg.add(finding({ req: { at: '2026-11-20T09:00:00Z' } }));
    const [i] = agg.incidents();
    expect(i!.firstSeen).toBe(ms('2026-11-20T08:30:00Z'));
    expect(i!.lastSeen).toBe(ms('2026-11-20T12:15:00Z'));
  });

  it('gives an incident the highest severity of its findings, whatever the order', () => {
    const agg = new IncidentAggregator();
    agg.add(finding({ severity: 'low' }));
    agg.add(finding({ severity: 'high' }));
    agg.add(finding({ severity: 'medium' }));
    expect(agg.incidents()[0]!.severity).toBe('high');

    const agg2 = new IncidentAggregator();
    agg2.add(finding({ severity: 'critical' }));
    agg2.add(finding({ severity: 'low' }));
    expect(agg2.incidents()[0]!.severity).toBe('critical');
  });

  it('groups reasons with counts, most frequent first, then by text', () => {
    const agg = new IncidentAggregator();
    agg.add(finding({ groups: ['b reason', 'a reason'] }));
    agg.add(finding({ groups: ['c reason'] }));
    agg.add(finding({ groups: ['c reason', 'b reason'] }));
    agg.add(finding({ groups: ['d reason'] }));
    agg.add(finding({ groups: ['c reason'] }));
    const [i] = agg.incidents();
    expect(i!.reasons).toEqual([
      { text: 'c reason', count: 3 },
      { text: 'b reason', count: 2 },
      { text: 'a reason', count: 1 },
      { text: 'd reason', count: 1 },
    ]);
    expect(i!.otherReasons).toBe(0);
  });

  it('groups actions as "METHOD path" with counts', () => {
    const agg = new IncidentAggregator();
    agg.add(finding({ req: { method: 'POST', path: '/b' } }));
    agg.add(finding({ req: { method: 'GET', path: '/b' } }));
    agg.add(finding({ req: { method: 'POST', path: '/b' } }));
    agg.add(finding({ req: { method: 'DELETE', path: '/a' } }));
    expect(agg.incidents()[0]!.actions).toEqual([
      { text: 'POST /b', count: 2 },
      { text: 'DELETE /a', count: 1 },
      { text: 'GET /b', count: 1 },
    ]);
  });

  it('keeps at most 20 distinct reasons and counts the rest in otherReasons', () => {
    const agg = new IncidentAggregator();
    const texts = Array.from({ length: 25 }, (_, k) => `reason ${String(k).padStart(2, '0')}`);
    for (const t of texts) agg.add(finding({ groups: [t] }));
    // An already-kept reason still counts up after the cap; a new one goes to other.
    agg.add(finding({ groups: ['reason 07'] }));
    agg.add(finding({ groups: ['reason 24'] }));
    const [i] = agg.incidents();
    expect(i!.reasons).toHaveLength(20);
    expect(i!.reasons[0]).toEqual({ text: 'reason 07', count: 2 });
    expect(i!.reasons.slice(1).map((r) => r.text)).toEqual(texts.slice(0, 20).filter((t) => t !== 'reason 07'));
    expect(i!.reasons.slice(1).every((r) => r.count === 1)).toBe(true);
    expect(i!.otherReasons).toBe(6);
    expect(i!.count).toBe(27);
  });

  it('keeps at most 20 distinct actions and counts the rest in otherActions', () => {
    const agg = new IncidentAggregator();
    for (let k = 0; k < 23; k++) agg.add(finding({ req: { path: `/p/${String(k).padStart(2, '0')}` } }));
    agg.add(finding({ req: { path: '/p/00' } }));
    const [i] = agg.incidents();
    expect(i!.actions).toHaveLength(20);
    expect(i!.actions[0]).toEqual({ text: 'GET /p/00', count: 2 });
    expect(i!.actions.at(-1)).toEqual({ text: 'GET /p/19', count: 1 });
    expect(i!.otherActions).toBe(3);
  });

  it('counts the user agents of its requests, most frequent first, 20 at most, none for a log without them', () => {
    const agg = new IncidentAggregator();
    for (const ua of ['soar-worker/4.2', 'curl/8.5.0', 'soar-worker/4.2', '', 'soar-worker/4.2']) agg.add(finding({ req: { userAgent: ua } }));
    for (let n = 0; n < 25; n++) agg.add(finding({ req: { ip: '10.20.0.99', userAgent: `bot/${n}` } }));
    agg.add(finding({ req: { ip: '10.20.0.98', userAgent: '' } }));
    const list = agg.incidents();
    expect(list.map((i) => [i.ip, i.userAgents.length, i.otherUserAgents])).toEqual([
      ['10.20.0.15', 2, 0],
      ['10.20.0.98', 0, 0],
      ['10.20.0.99', 20, 5],
    ]);
    expect(list[0]!.userAgents).toEqual([
      { text: 'soar-worker/4.2', count: 3 },
      { text: 'curl/8.5.0', count: 1 },
    ]);
  });

  it('keeps the first 5 evidence locations, in arrival order', () => {
    const agg = new IncidentAggregator();
    for (let line = 1; line <= 8; line++) agg.add(finding({ req: { file: line <= 2 ? 'a.ndjson' : 'b.ndjson', line: line * 10 } }));
    const [i] = agg.incidents();
    expect(i!.evidence).toEqual([
      { file: 'a.ndjson', line: 10 },
      { file: 'a.ndjson', line: 20 },
      { file: 'b.ndjson', line: 30 },
      { file: 'b.ndjson', line: 40 },
      { file: 'b.ndjson', line: 50 },
    ]);
    expect(i!.count).toBe(8);
  });

  it('counts findings, let-through, per row and per severity across incidents', () => {
    const agg = new IncidentAggregator();
    expect([...agg.byRow]).toEqual([
      ['unauthenticated', 0],
      ['wrong-workstation', 0],
      ['key-compromised', 0],
      ['invalid-for-role', 0],
      ['when-violation', 0],
      ['key-exposed', 0],
    ]);
    expect([...agg.bySeverity]).toEqual([
      ['low', 0],
      ['medium', 0],
      ['high', 0],
      ['critical', 0],
    ]);
    expect(agg.findings).toBe(0);
    expect(agg.letThrough).toBe(0);

    agg.add(finding({ row: 'unauthenticated', outcome: 'blocked', req: { ip: '198.51.100.1' } }));
    agg.add(finding({ row: 'unauthenticated', outcome: 'let-through', req: { ip: '198.51.100.2' } }));
    agg.add(finding({ row: 'key-compromised', outcome: 'let-through' }));
    agg.add(finding({ row: 'when-violation', outcome: 'unknown' }));
    agg.add(finding({ row: 'when-violation', outcome: 'let-through', severity: 'high' }));
    agg.add(finding({ row: 'when-violation', outcome: 'blocked', key: 'analyst-2' }));

    expect(agg.findings).toBe(6);
    expect(agg.letThrough).toBe(3);
    expect(Object.fromEntries(agg.byRow)).toEqual({
      unauthenticated: 2,
      'wrong-workstation': 0,
      'key-compromised': 1,
      'invalid-for-role': 0,
      'when-violation': 3,
      'key-exposed': 0,
    });
    // Per finding, not per incident: the 'high' when-violation counts as high once.
    expect(Object.fromEntries(agg.bySeverity)).toEqual({ low: 2, medium: 2, high: 1, critical: 1 });
    expect(agg.incidents()).toHaveLength(5);
  });
});

describe('IncidentAggregator.incidents order', () => {
  it('sorts by severity (worst first), then table row, then key, then IP; numbers from 1', () => {
    const agg = new IncidentAggregator();
    // Added in scrambled order.
    agg.add(finding({ row: 'unauthenticated', key: '(no key)', req: { ip: '198.51.100.7' } }));
    agg.add(finding({ row: 'when-violation', key: 'b-key' }));
    agg.add(finding({ row: 'wrong-workstation', key: 'z-key' }));
    agg.add(finding({ row: 'invalid-for-role', key: 'a-key' }));
    agg.add(finding({ row: 'when-violation', key: 'a-key', req: { ip: '10.0.0.9' } }));
    agg.add(finding({ row: 'when-violation', key: 'a-key', req: { ip: '10.0.0.10' } }));
    agg.add(finding({ row: 'key-compromised', key: 'z-key' }));
    agg.add(finding({ row: 'wrong-workstation', key: 'a-key' }));
    const list = agg.incidents();
    expect(list.map((i) => [i.number, i.severity, i.rowNumber, i.key, i.ip])).toEqual([
      [1, 'critical', 3, 'z-key', '10.20.0.15'],
      [2, 'high', 4, 'a-key', '10.20.0.15'],
      // medium: row 2 before row 5
      [3, 'medium', 2, 'a-key', '10.20.0.15'],
      [4, 'medium', 2, 'z-key', '10.20.0.15'],
      // same row and key: IP compared as text ('10.0.0.10' < '10.0.0.9')
      [5, 'medium', 5, 'a-key', '10.0.0.10'],
      [6, 'medium', 5, 'a-key', '10.0.0.9'],
      [7, 'medium', 5, 'b-key', '10.20.0.15'],
      [8, 'low', 1, '(no key)', '198.51.100.7'],
    ]);
  });

  it('ranks an incident by its raised severity, ahead of a lower row', () => {
    const agg = new IncidentAggregator();
    agg.add(finding({ row: 'invalid-for-role', key: 'a' }));
    agg.add(finding({ row: 'when-violation', key: 'b', severity: 'medium' }));
    agg.add(finding({ row: 'when-violation', key: 'b', severity: 'critical' }));
    expect(agg.incidents().map((i) => [i.number, i.row, i.severity])).toEqual([
      [1, 'when-violation', 'critical'],
      [2, 'invalid-for-role', 'high'],
    ]);
  });

  it('breaks a tie on key label and IP by first seen', () => {
    const agg = new IncidentAggregator();
    // Two distinct keys that print the same label.
    agg.add(finding({ key: 'key ab…yz', group: 'k:ab111111yz', req: { at: '2026-11-20T11:00:00Z', line: 1 } }));
    agg.add(finding({ key: 'key ab…yz', group: 'k:ab222222yz', req: { at: '2026-11-20T09:00:00Z', line: 2 } }));
    agg.add(finding({ key: 'key ab…yz', group: 'k:ab111111yz', req: { at: '2026-11-20T12:00:00Z', line: 3 } }));
    const list = agg.incidents();
    expect(list.map((i) => [i.number, i.firstSeen, i.count, i.evidence[0]!.line])).toEqual([
      [1, ms('2026-11-20T09:00:00Z'), 1, 2],
      [2, ms('2026-11-20T11:00:00Z'), 2, 1],
    ]);
  });

  it('returns no incidents when nothing was added', () => {
    expect(new IncidentAggregator().incidents()).toEqual([]);
  });
});

describe('incident ids', () => {
  it('are stable, and differ by key, row, source and tenant', () => {
    const idOf = (o: F) => {
      const agg = new IncidentAggregator();
      agg.add(finding(o));
      return agg.incidents()[0]!.id;
    };
    const base = idOf({ row: 'key-compromised', req: { ip: '203.0.113.9' } });
    expect(base).toMatch(/^AG-[0-9a-f]{16}$/);
    expect(idOf({ row: 'key-compromised', req: { ip: '203.0.113.9', at: '2027-01-01T00:00:00Z', line: 99 } })).toBe(base);
    expect(idOf({ row: 'wrong-workstation', req: { ip: '203.0.113.9' } })).not.toBe(base);
    expect(idOf({ row: 'key-compromised', req: { ip: '203.0.113.10' } })).not.toBe(base);
    expect(idOf({ row: 'key-compromised', key: 'analyst-2', req: { ip: '203.0.113.9' } })).not.toBe(base);
  });

  it('keep the incidents of different tenants apart', () => {
    const agg = new IncidentAggregator();
    agg.add(finding({ req: { tenant: 'org-a' } }));
    agg.add(finding({ req: { tenant: 'org-b' } }));
    const list = agg.incidents();
    expect(list.map((i) => i.tenant)).toEqual(['org-a', 'org-b']);
    expect(list[0]!.id).not.toBe(list[1]!.id);
  });
});

describe('keys nobody issued: one incident per source, not per key tried', () => {
  const unknown = (raw: string, o: F = {}): Finding =>
    finding({ row: 'unauthenticated', groups: ['key not in the inventory'], key: `key ${raw.slice(0, 4)}…${raw.slice(-4)}`, group: `k:${raw}`, ...o });

  it('groups row 1 findings of unknown keys by source and counts the keys', () => {
    const agg = new IncidentAggregator();
    for (let n = 0; n < 5; n++) agg.add(unknown(`guess-${n}-0000000000`, { req: { ip: '198.51.100.7', line: n + 1 } }));
    agg.add(unknown('guess-0-0000000000', { req: { ip: '198.51.100.7', line: 6 } }));
    agg.add(unknown('guess-9-0000000000', { req: { ip: '198.51.100.8', line: 7 } }));
    const list = agg.incidents();
    expect(list.map((i) => [i.ip, i.key, i.count, i.unissued])).toEqual([
      ['198.51.100.7', '5 different keys', 6, true],
      ['198.51.100.8', 'key gues…0000', 1, true],
    ]);
    // All five share a mask: the list shows what the masks show; the label counts identities.
    expect(list[0]!.keys).toEqual([{ text: 'key gues…0000', count: 6 }]);
    expect([severalKeys(list[0]!), severalKeys(list[1]!)]).toEqual([true, false]);
    expect(list[0]!.evidence.map((e) => e.line)).toEqual([1, 2, 3, 4, 5]);
  });

  it('keeps 20 key labels and says "more than 20" beyond, however many keys were tried', () => {
    const agg = new IncidentAggregator();
    for (let n = 0; n < 10_000; n++) {
      const raw = `${String(n).padStart(4, '0')}-guessed-key-${String(n).padStart(5, '0')}`;
      agg.add(unknown(raw, { req: { ip: '198.51.100.7' } }));
    }
    const list = agg.incidents();
    expect(list).toHaveLength(1);
    const [i] = list;
    expect(i!.key).toBe('more than 20 different keys');
    expect(i!.count).toBe(10_000);
    expect(i!.keys).toHaveLength(20);
    expect(i!.keys[0]).toEqual({ text: 'key 0000…0000', count: 1 });
    expect(i!.otherKeys).toBe(10_000 - 20);
  });

  it('gives the source incident one id whichever keys were tried', () => {
    const idOf = (raw: string) => {
      const agg = new IncidentAggregator();
      agg.add(unknown(raw, { req: { ip: '198.51.100.7' } }));
      return agg.incidents()[0]!.id;
    };
    expect(idOf('first-guess-00000')).toBe(idOf('other-guess-11111'));
    const agg = new IncidentAggregator();
    agg.add(unknown('first-guess-00000', { req: { ip: '198.51.100.9' } }));
    expect(agg.incidents()[0]!.id).not.toBe(idOf('first-guess-00000'));
  });

  it('groups raw keys in the log that the inventory does not name by source too', () => {
    const agg = new IncidentAggregator();
    agg.add(unknown('leaked-one-aaaaaaa', { row: 'key-exposed', groups: ['raw key in the log (query)'] }));
    agg.add(unknown('leaked-two-bbbbbbb', { row: 'key-exposed', groups: ['raw key in the log (query)'] }));
    // A raw key the inventory names stays the key's own incident.
    agg.add(finding({ row: 'key-exposed', key: 'analyst-1', group: 'policy:analyst-1', groups: ['raw key in the log (query)'] }));
    expect(agg.incidents().map((i) => [i.row, i.key, i.count, i.keys.length])).toEqual([
      ['key-exposed', '2 different keys', 2, 2],
      ['key-exposed', 'analyst-1', 1, 1],
    ]);
  });

  it(`gives at most ${MAX_SOURCES.toLocaleString('en-US')} sources of keys nobody issued, or of no key, incidents of their own; the rest one from "${OTHER_SOURCES}"`, () => {
    const agg = new IncidentAggregator();
    const v6 = (n: number) => `2001:db8:dead:beef::${n.toString(16)}`;
    for (let n = 0; n < MAX_SOURCES + 5; n++) {
      agg.add(unknown(`guess-${n}-0000000000`, { req: { ip: v6(n), line: n + 1 } }));
      agg.add(finding({ row: 'unauthenticated', key: '(no key)', group: '-', groups: ['no API key'], req: { ip: v6(n) } }));
    }
    // A source seen before the bound keeps its incident after it.
    agg.add(unknown('guess-again-0000000000', { req: { ip: v6(7) } }));
    const list = agg.incidents();
    const of = (row: string, key: (k: string) => boolean) => list.filter((i) => i.row === row && key(i.key));
    expect(of('unauthenticated', (k) => k !== '(no key)')).toHaveLength(MAX_SOURCES + 1);
    expect(of('unauthenticated', (k) => k === '(no key)')).toHaveLength(MAX_SOURCES + 1);
    const others = list.filter((i) => i.ip === OTHER_SOURCES);
    expect(others.map((i) => [i.key, i.count, i.evidence.map((e) => e.line)])).toEqual([
      ['(no key)', 5, [1, 1, 1, 1, 1]],
      ['5 different keys', 5, [10_001, 10_002, 10_003, 10_004, 10_005]],
    ]);
    expect(list.find((i) => i.ip === v6(7) && i.unissued)!.count).toBe(2);
  });

  it(`gives an inventory key at most ${MAX_SOURCES.toLocaleString('en-US')} sources of its own too, per key: a stolen key used from a botnet`, () => {
    const agg = new IncidentAggregator();
    const v6 = (n: number) => `2001:db8:bad:5eed::${n.toString(16)}`;
    const stolen = (n: number, row: 'wrong-workstation' | 'key-compromised', tenant = '') =>
      finding({ row, key: 'analyst-1', group: 'policy:analyst-1', req: { ip: v6(n), line: n + 1, tenant } });
    for (let n = 0; n < MAX_SOURCES + 3; n++) agg.add(stolen(n, 'wrong-workstation'));
    // Past the bound: a source seen before keeps its incident, in any row; a new one joins the rest.
    agg.add(stolen(9, 'key-compromised'));
    agg.add(stolen(MAX_SOURCES + 7, 'key-compromised'));
    agg.add(stolen(MAX_SOURCES + 8, 'wrong-workstation', 'tenant-b'));
    // Another key has its own bound.
    agg.add(finding({ row: 'wrong-workstation', key: 'analyst-2', group: 'policy:analyst-2', req: { ip: v6(MAX_SOURCES + 20) } }));
    const list = agg.incidents();
    expect(list.filter((i) => i.key === 'analyst-1' && i.ip !== OTHER_SOURCES)).toHaveLength(MAX_SOURCES + 1);
    expect(list.find((i) => i.row === 'key-compromised' && i.ip === v6(9))!.count).toBe(1);
    expect(
      list.filter((i) => i.ip === OTHER_SOURCES).map((i) => [i.key, i.row, i.tenant, i.count, i.evidence.map((e) => e.line)]),
    ).toEqual([
      ['analyst-1', 'key-compromised', '', 1, [MAX_SOURCES + 8]],
      ['analyst-1', 'wrong-workstation', '', 3, [10_001, 10_002, 10_003]],
      ['analyst-1', 'wrong-workstation', 'tenant-b', 1, [MAX_SOURCES + 9]],
    ]);
    expect(list.find((i) => i.key === 'analyst-2')!.ip).toBe(v6(MAX_SOURCES + 20));
  });

  it('keeps a revoked inventory key, requests without a key, and other rows per key', () => {
    const agg = new IncidentAggregator();
    agg.add(finding({ row: 'unauthenticated', key: 'analyst-1', group: 'policy:analyst-1', groups: ['used after revocation'] }));
    agg.add(finding({ row: 'unauthenticated', key: 'analyst-2', group: 'policy:analyst-2', groups: ['used after revocation'] }));
    agg.add(finding({ row: 'unauthenticated', key: '(no key)', group: '-', groups: ['no API key'] }));
    agg.add(unknown('guess-1-0000000000'));
    // Without an inventory, keys the gateway accepted are identities: their findings stay per key.
    agg.add(finding({ row: 'wrong-workstation', key: 'key aaaa…1111', group: 'k:aaaa-1111' }));
    agg.add(finding({ row: 'wrong-workstation', key: 'key bbbb…2222', group: 'k:bbbb-2222' }));
    const list = agg.incidents();
    expect(list.map((i) => [i.row, i.key, i.unissued])).toEqual([
      ['wrong-workstation', 'key aaaa…1111', false],
      ['wrong-workstation', 'key bbbb…2222', false],
      ['unauthenticated', '(no key)', false],
      ['unauthenticated', 'analyst-1', false],
      ['unauthenticated', 'analyst-2', false],
      ['unauthenticated', 'key gues…0000', true],
    ]);
    expect(incidentGroup({ row: 'unauthenticated', keyGroup: 'k:x' })).toBe(incidentGroup({ row: 'key-exposed', keyGroup: 'h:y' }));
    expect(incidentGroup({ row: 'when-violation', keyGroup: 'k:x' })).toBe('k:x');
  });
});

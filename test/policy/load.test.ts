import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { PolicyError, type PolicyProblem } from '../../src/model/errors.js';
import type { Identity } from '../../src/model/request.js';
import { loadPolicy, parsePolicy } from '../../src/policy/load.js';
import type { KeyEntry, Policy } from '../../src/policy/policy.js';

const DEMO = fileURLToPath(new URL('../../rules/demo-policy.yaml', import.meta.url));

/** YAML text from lines: line n of the file is argument n. */
const yaml = (...lines: string[]): string => `${lines.join('\n')}\n`;

/** Lines 1–11 of the policies below; line 12 starts the first key. */
const BASE = [
  'version: 1', // 1
  'timezone: Europe/Amsterdam', // 2
  'networks:', // 3
  '  office: [10.20.0.0/24]', // 4
  '  vpn: ["2001:db8:42::/48", 10.99.0.0/16]', // 5
  'roles:', // 6
  '  reader:', // 7
  '    allow: [GET /**]', // 8
  '  writer:', // 9
  '    allow: [POST /**]', // 10
  'keys:', // 11
];

/** BASE plus one key `k` (lines 12–13) whose extra fields start on line 14. */
const withKey = (...fields: string[]): string => yaml(...BASE, '  - name: k', '    match: {alias: k}', ...fields);

const identity = (p: Partial<Identity>): Identity => ({ key: '', hash: '', id: '', alias: '', ...p });

/** The problems of a policy that must not load; fails when it loads. */
function problemsOf(text: string, file = 'p.yaml'): PolicyProblem[] {
  try {
    parsePolicy(text, file);
  } catch (e) {
    expect(e).toBeInstanceOf(PolicyError);
    expect((e as PolicyError).exitCode).toBe(2);
    expect((e as PolicyError).file).toBe(file);
    return (e as PolicyError).problems;
  }
  return expect.fail('expected a PolicyError, but the policy loaded');
}

/** The error of a policy that must not load. */
function errorOf(text: string): PolicyError {
  try {
    parsePolicy(text, 'p.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(PolicyError);
    return e as PolicyError;
  }
  return expect.fail('expected a PolicyError, but the policy loaded');
}

function keyOf(policy: Policy, name: string): KeyEntry {
  const k = policy.keys.find((e) => e.name === name);
  if (!k) throw new Error(`no key ${name}`);
  return k;
}

describe('the demo policy', () => {
  const policy = loadPolicy(DEMO);

  it('loads with its five keys in file order', () => {
    expect(policy.file).toBe(DEMO);
    expect(policy.timezone).toBe('Europe/Amsterdam');
    expect(policy.hasInventory).toBe(true);
    expect(policy.keys.map((k) => k.name)).toEqual([
      'soar-playbooks',
      'soar-enrichment',
      'analyst-alice',
      'analyst-bob',
      'admin-carol',
    ]);
    expect(policy.keys.map((k) => k.index)).toEqual([0, 1, 2, 3, 4]);
    expect(policy.secrets).toEqual([]);
  });

  it.each([
    [{ hash: '3f9a1c0d7be24e51' }, 'soar-playbooks'],
    [{ hash: 'a1b2c3d4e5f60718' }, 'soar-enrichment'],
    [{ hash: '9f2c4e6a8b0d1f35' }, 'analyst-alice'],
    [{ hash: '5d7e9f1a3c5b7d92' }, 'analyst-bob'],
    [{ hash: 'c0ffee1234abcd56' }, 'admin-carol'],
    [{ alias: 'soar-playbooks' }, 'soar-playbooks'],
    [{ alias: 'soar-enrichment' }, 'soar-enrichment'],
    [{ alias: 'alice' }, 'analyst-alice'],
    [{ alias: 'bob' }, 'analyst-bob'],
    [{ alias: 'carol' }, 'admin-carol'],
    // the hash is the stronger evidence
    [{ hash: '9f2c4e6a8b0d1f35', alias: 'bob' }, 'analyst-alice'],
    // an unknown hash falls back to the alias
    [{ hash: 'ffffffffffffffff', alias: 'bob' }, 'analyst-bob'],
    // a logged "no key" hash falls back to the alias
    [{ hash: '00000000', alias: 'carol' }, 'admin-carol'],
    // raw keys and hashes share one index
    [{ key: 'c0ffee1234abcd56' }, 'admin-carol'],
  ])('Inventory.lookup(%j) → %s', (id, name) => {
    expect(policy.inventory.lookup(identity(id))?.name).toBe(name);
  });

  it.each([
    [{}],
    [{ hash: '00000000' }],
    [{ hash: 'ffffffffffffffff' }],
    [{ alias: 'analyst-alice' }], // a key's name is not its alias
    [{ alias: 'Alice' }], // aliases are case-sensitive
    [{ id: 'alice' }], // an id is not an alias
  ])('Inventory.lookup(%j) finds nothing', (id) => {
    expect(policy.inventory.lookup(identity(id))).toBeUndefined();
  });

  it('compiles rates and quotas', () => {
    expect(keyOf(policy, 'soar-playbooks').rate).toEqual({ limit: 60, windowMs: 60_000, label: '60/1m', windowLabel: '1m' });
    expect(keyOf(policy, 'soar-enrichment').rate).toEqual({ limit: 4, windowMs: 60_000, label: '4/1m', windowLabel: '1m' });
    expect(keyOf(policy, 'analyst-alice').rate).toMatchObject({ limit: 30, windowMs: 60_000 });
    expect(keyOf(policy, 'analyst-bob').rate).toBeNull();
    expect(keyOf(policy, 'admin-carol').rate).toMatchObject({ limit: 20, windowMs: 60_000 });

    const quota = keyOf(policy, 'soar-enrichment').quota;
    expect(quota?.limit).toBe(250);
    expect(quota?.label).toBe('250/1d');
    expect(quota?.clock.zone).toBe('Europe/Amsterdam');
    for (const name of ['soar-playbooks', 'analyst-alice', 'analyst-bob', 'admin-carol']) {
      expect(keyOf(policy, name).quota).toBeNull();
    }
  });

  it('compiles schedules: minutes since local midnight and a weekday mask', () => {
    const weekdays = (1 << 1) | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 5);
    expect(weekdays).toBe(62);
    for (const name of ['analyst-alice', 'analyst-bob']) {
      const s = keyOf(policy, name).schedule;
      expect(s).toMatchObject({ startMinute: 420, endMinute: 1140, dayMask: weekdays, hoursLabel: '07:00-19:00' });
      expect(s?.clock.zone).toBe('Europe/Amsterdam');
    }
    expect(keyOf(policy, 'admin-carol').schedule).toMatchObject({ startMinute: 480, endMinute: 1080, dayMask: weekdays });
    expect(keyOf(policy, 'soar-playbooks').schedule).toBeNull();
    expect(keyOf(policy, 'soar-enrichment').schedule).toBeNull();
  });

  it('compiles revoked and expires instants', () => {
    const bob = keyOf(policy, 'analyst-bob');
    expect(bob.revokedAt).toBe(Date.parse('2026-11-18T12:00:00Z'));
    expect(bob.expiresAt).toBe(Infinity);
    const carol = keyOf(policy, 'admin-carol');
    // a date is local midnight in the key's zone: CET is UTC+1 in December
    expect(carol.expiresAt).toBe(Date.parse('2026-12-30T23:00:00Z'));
    expect(carol.revokedAt).toBe(Infinity);
    for (const name of ['soar-playbooks', 'soar-enrichment', 'analyst-alice']) {
      expect(keyOf(policy, name).revokedAt).toBe(Infinity);
      expect(keyOf(policy, name).expiresAt).toBe(Infinity);
    }
  });

  it('links roles and owners', () => {
    expect(policy.keys.map((k) => [k.roleName, k.role?.name, k.owner])).toEqual([
      ['soar-automation', 'soar-automation', 'soar-team@corp.example'],
      ['enrichment', 'enrichment', 'soar-team@corp.example'],
      ['analyst-readonly', 'analyst-readonly', 'alice@corp.example'],
      ['analyst-readonly', 'analyst-readonly', 'bob@corp.example'],
      ['platform-admin', 'platform-admin', 'carol@corp.example'],
    ]);
    const alice = keyOf(policy, 'analyst-alice').role!;
    expect(alice.check('GET', '/elastic/logs-*/_doc/1')).toBe('');
    expect(alice.check('GET', '/elastic/_security/api_key')).toBe(
      'GET /elastic/_security/api_key is denied for analyst-readonly (deny: GET /elastic/_security/**)',
    );
    expect(keyOf(policy, 'soar-enrichment').role!.check('GET', '/virustotal/api/v3/urls/x')).toBe(
      'GET /virustotal/api/v3/urls/x is not allowed for enrichment',
    );
    expect(keyOf(policy, 'admin-carol').role!.check('DELETE', '/anything/at/all')).toBe('');
  });

  it('resolves network names in from, IPv4 and IPv6', () => {
    const alice = keyOf(policy, 'analyst-alice').from!;
    expect(alice.labels).toEqual(['soc-workstations', 'vpn']);
    expect(alice.contains('10.20.0.255')).toBe(true);
    expect(alice.contains('10.99.200.1')).toBe(true);
    expect(alice.contains('2001:db8:20::7')).toBe(true);
    expect(alice.contains('2001:db8:42:ffff::1')).toBe(true);
    expect(alice.contains('10.20.1.0')).toBe(false);
    expect(alice.contains('10.10.5.1')).toBe(false);
    expect(alice.contains('2001:db8:21::7')).toBe(false);

    const soar = keyOf(policy, 'soar-playbooks').from!;
    expect(soar.contains('10.10.5.0')).toBe(true);
    expect(soar.contains('10.10.5.15')).toBe(true);
    expect(soar.contains('10.10.5.16')).toBe(false);

    const carol = keyOf(policy, 'admin-carol').from!;
    expect(carol.contains('10.30.1.10')).toBe(true);
    expect(carol.contains('10.30.1.11')).toBe(true);
    expect(carol.contains('10.30.1.12')).toBe(false);
  });
});

describe('parsePolicy: accepted forms', () => {
  it('a minimal policy: UTC, no inventory', () => {
    const p = parsePolicy(yaml('version: 1'), 'min.yaml');
    expect(p).toMatchObject({ file: 'min.yaml', timezone: 'UTC', hasInventory: false, keys: [], secrets: [] });
  });

  it('a policy without keys: has no inventory; keys: [] is an (empty) inventory', () => {
    expect(parsePolicy(yaml('version: 1', 'roles:', '  r: {allow: [GET /**]}'), 'p.yaml').hasInventory).toBe(false);
    const empty = parsePolicy(yaml('version: 1', 'keys: []'), 'p.yaml');
    expect(empty.hasInventory).toBe(true);
    expect(empty.keys).toEqual([]);
  });

  it('a key with only name and match restricts nothing', () => {
    const k = parsePolicy(withKey(), 'p.yaml').keys[0]!;
    expect(k).toMatchObject({
      name: 'k',
      owner: '',
      roleName: '',
      role: null,
      from: null,
      schedule: null,
      rate: null,
      quota: null,
      revokedAt: Infinity,
      expiresAt: Infinity,
      index: 0,
    });
  });

  it.each([
    ['"07:00-19:00"', 420, 1140],
    ['"22:00-06:00"', 1320, 360], // wraps midnight
    ['"18:00-24:00"', 1080, 1440], // 24:00 as an end
    ['"00:00-24:00"', 0, 1440],
    ['"7:30-9:15"', 450, 555],
    ['"07:00 - 19:00"', 420, 1140],
    ['"23:59-00:00"', 1439, 0],
  ])('hours %s → %i..%i, every day', (hours, start, end) => {
    const s = parsePolicy(withKey(`    hours: ${hours}`), 'p.yaml').keys[0]!.schedule;
    expect(s).toMatchObject({ startMinute: start, endMinute: end, dayMask: 0x7f });
    expect(s?.clock.zone).toBe('Europe/Amsterdam');
  });

  const bits = (...days: number[]): number => days.reduce((m, d) => m | (1 << d), 0);
  it.each([
    ['[mon-fri]', bits(1, 2, 3, 4, 5)],
    ['mon-fri', bits(1, 2, 3, 4, 5)],
    ['[mon, tue, wed, thu, fri]', bits(1, 2, 3, 4, 5)],
    ['monday', bits(1)],
    ['Monday', bits(1)],
    ['[sat, sun]', bits(6, 0)],
    ['[saturday, sunday]', bits(6, 0)],
    ['fri-mon', bits(5, 6, 0, 1)], // wraps the week
    ['[sun-sat]', 0x7f],
    ['monday-friday', bits(1, 2, 3, 4, 5)],
    ['"mon,wed, fri"', bits(1, 3, 5)],
    ['[mon, mon]', bits(1)],
    ['[wed-wed]', bits(3)],
  ])('days %s → mask %i, any time of day', (days, mask) => {
    const s = parsePolicy(withKey(`    days: ${days}`), 'p.yaml').keys[0]!.schedule;
    expect(s).toMatchObject({ dayMask: mask, startMinute: 0, endMinute: 1440 });
  });

  it.each([
    ['30/1m', 30, 60_000, '1m'],
    ['30/m', 30, 60_000, '1m'],
    ['4/1s', 4, 1_000, '1s'],
    ['100 / 10s', 100, 10_000, '10s'],
    ['5/2h', 5, 7_200_000, '2h'],
    ['1/15m', 1, 900_000, '15m'],
  ])('rate %s → limit %i per %i ms', (rate, limit, windowMs, windowLabel) => {
    expect(parsePolicy(withKey(`    rate: ${rate}`), 'p.yaml').keys[0]!.rate).toMatchObject({ limit, windowMs, windowLabel });
  });

  it.each([
    ['20/1d', 20],
    ['20/d', 20],
    ['500 / 1d', 500],
  ])('quota %s → %i a day in the key zone', (quota, limit) => {
    const q = parsePolicy(withKey(`    quota: ${quota}`, '    timezone: Asia/Kolkata'), 'p.yaml').keys[0]!.quota;
    expect(q?.limit).toBe(limit);
    expect(q?.clock.zone).toBe('Asia/Kolkata');
  });

  it.each([
    // field value, zone, expected instant
    ['2026-11-18T12:00:00Z', 'Europe/Amsterdam', '2026-11-18T12:00:00Z'],
    ['2026-11-18T12:00:00.250Z', 'Europe/Amsterdam', '2026-11-18T12:00:00.250Z'],
    ['2026-11-18T12:00:00+02:00', 'Europe/Amsterdam', '2026-11-18T10:00:00Z'],
    ['2026-11-18T12:00-05:00', 'Europe/Amsterdam', '2026-11-18T17:00:00Z'],
    ['2026-12-31', 'Europe/Amsterdam', '2026-12-30T23:00:00Z'],
    ['2026-07-01', 'Europe/Amsterdam', '2026-06-30T22:00:00Z'],
    ['2026-03-29', 'Europe/Amsterdam', '2026-03-28T23:00:00Z'], // DST starts later that day
    ['2026-03-30', 'Europe/Amsterdam', '2026-03-29T22:00:00Z'],
    ['2026-10-25', 'Europe/Amsterdam', '2026-10-24T22:00:00Z'], // DST ends later that day
    ['2026-10-26', 'Europe/Amsterdam', '2026-10-25T23:00:00Z'],
    ['2026-07-04', 'America/New_York', '2026-07-04T04:00:00Z'],
    ['2026-01-01', 'Asia/Kathmandu', '2025-12-31T18:15:00Z'],
    ['2026-01-01', 'UTC', '2026-01-01T00:00:00Z'],
  ])('expires/revoked %s in %s = %s', (value, zone, iso) => {
    const k = parsePolicy(withKey(`    timezone: ${zone}`, `    expires: ${value}`, `    revoked: ${value}`), 'p.yaml').keys[0]!;
    expect(k.expiresAt).toBe(Date.parse(iso));
    expect(k.revokedAt).toBe(Date.parse(iso));
  });

  it('a date uses the policy time zone when the key has none, UTC when neither has one', () => {
    expect(parsePolicy(withKey('    expires: 2026-12-31'), 'p.yaml').keys[0]!.expiresAt).toBe(Date.parse('2026-12-30T23:00:00Z'));
    const utc = parsePolicy(yaml('version: 1', 'keys:', '  - name: k', '    match: {alias: k}', '    expires: 2026-12-31'), 'p.yaml');
    expect(utc.timezone).toBe('UTC');
    expect(utc.keys[0]!.expiresAt).toBe(Date.parse('2026-12-31T00:00:00Z'));
  });

  it('from accepts network names, CIDRs and single addresses together', () => {
    const from = parsePolicy(withKey('    from: [office, 192.168.7.0/24, 10.1.1.1, "2001:db8:99::/64"]'), 'p.yaml').keys[0]!.from!;
    expect(from.labels).toEqual(['office', '192.168.7.0/24', '10.1.1.1', '2001:db8:99::/64']);
    expect(from.contains('10.20.0.9')).toBe(true);
    expect(from.contains('192.168.7.200')).toBe(true);
    expect(from.contains('10.1.1.1')).toBe(true);
    expect(from.contains('2001:db8:99::1')).toBe(true);
    expect(from.contains('10.1.1.2')).toBe(false);
    expect(from.contains('10.99.0.1')).toBe(false); // vpn is not listed
    expect(from.contains('2001:db8:42::1')).toBe(false);
  });

  it('a single from name without a list', () => {
    const from = parsePolicy(withKey('    from: vpn'), 'p.yaml').keys[0]!.from!;
    expect(from.labels).toEqual(['vpn']);
    expect(from.contains('10.99.3.4')).toBe(true);
    expect(from.contains('2001:db8:42::1')).toBe(true);
    expect(from.contains('10.20.0.1')).toBe(false);
  });

  it('indexes every match attribute; raw keys are listed as secrets', () => {
    const p = parsePolicy(
      yaml(
        'version: 1',
        'keys:',
        '  - name: a',
        '    match: {hash: "aaaa1111", alias: [alpha, al], id: "id-a"}',
        '  - name: b',
        '    match: {key: "sk_live_b_0123456789", id: 42}',
      ),
      'p.yaml',
    );
    expect(p.secrets).toEqual(['sk_live_b_0123456789']);
    const find = (id: Partial<Identity>) => p.inventory.lookup(identity(id))?.name;
    expect(find({ hash: 'aaaa1111' })).toBe('a');
    expect(find({ alias: 'alpha' })).toBe('a');
    expect(find({ alias: 'al' })).toBe('a');
    expect(find({ id: 'id-a' })).toBe('a');
    expect(find({ key: 'sk_live_b_0123456789' })).toBe('b');
    expect(find({ id: '42' })).toBe('b');
    // strongest evidence first: key/hash, then id, then alias
    expect(find({ key: 'sk_live_b_0123456789', alias: 'alpha' })).toBe('b');
    expect(find({ id: '42', alias: 'alpha' })).toBe('b');
    expect(find({ hash: 'aaaa1111', id: '42' })).toBe('a');
    expect(find({ id: 'id-b', alias: 'nobody' })).toBeUndefined();
  });

  it('the same value may be an alias of one key and the id of another (separate indexes)', () => {
    const p = parsePolicy(
      yaml('version: 1', 'keys:', '  - name: a', '    match: {alias: x}', '  - name: b', '    match: {id: x}'),
      'p.yaml',
    );
    expect(p.inventory.lookup(identity({ alias: 'x' }))?.name).toBe('a');
    expect(p.inventory.lookup(identity({ id: 'x' }))?.name).toBe('b');
  });
});

describe('parsePolicy: problems carry the line and say what is wrong', () => {
  it('a YAML syntax error (bad indentation) at its line', () => {
    const problems = problemsOf(
      yaml(
        'version: 1', // 1
        'roles:', // 2
        '  r:', // 3
        '    allow: [GET /**]', // 4
        '   deny: []', // 5
        'keys: []', // 6
      ),
    );
    expect(problems[0]).toEqual({ line: 5, message: expect.stringMatching(/^YAML: .*same column/) });
  });

  it('a YAML syntax error (stray closing brace) at its line', () => {
    const problems = problemsOf(yaml('version: 1', 'roles:', '  r: {allow: [GET /**]}}', 'keys: []'));
    expect(problems[0]).toEqual({ line: 3, message: expect.stringMatching(/^YAML: .*flow-map-end/) });
  });

  it('a duplicate YAML key at the line of its second occurrence', () => {
    expect(problemsOf(yaml('version: 1', 'timezone: UTC', 'version: 1'))).toEqual([
      { line: 3, message: expect.stringMatching(/^YAML: Map keys must be unique/) },
    ]);
    expect(problemsOf(withKey('    rate: 1/1m', '    rate: 2/1m'))).toEqual([
      { line: 15, message: expect.stringMatching(/^YAML: Map keys must be unique/) },
    ]);
  });

  it('a duplicate raw key field inside match does not echo the key values', () => {
    const err = errorOf(yaml(...BASE, '  - name: k', '    match: {key: sk_live_AAAA1111, key: sk_live_BBBB2222}'));
    expect(err.problems).toEqual([{ line: 13, message: expect.stringMatching(/^YAML: Map keys must be unique/) }]);
    expect(err.message).not.toContain('sk_live_AAAA1111');
    expect(err.message).not.toContain('sk_live_BBBB2222');
  });

  it.each([
    [yaml('timezone: UTC'), 1, 'version: version must be 1 (got null)'],
    [yaml('version: 2'), 1, 'version: version must be 1 (got 2)'],
    [yaml('timezone: UTC', 'version: "1"'), 2, 'version: version must be 1 (got "1")'],
    [yaml('version: 1', 'timezone: Europe/Amstredam'), 2, `timezone: 'Europe/Amstredam' is not an IANA time zone (e.g. Europe/Amsterdam, UTC)`],
    [yaml('version: 1', 'timezone: 5'), 2, `timezone: '5' is not an IANA time zone (e.g. Europe/Amsterdam, UTC)`],
    [
      yaml('version: 1', 'key: []'),
      2,
      `key: unknown field 'key' (allowed: version, timezone, networks, roles, keys, description)`,
    ],
    [yaml('version: 1', 'keys: {a: 1}'), 2, 'keys: expected a list of keys'],
    [yaml('version: 1', 'networks: [10.0.0.0/8]'), 2, 'networks: expected a mapping of network name → list of CIDRs'],
    [yaml('version: 1', 'roles: [r]'), 2, 'roles: expected a mapping of role name → {allow, deny}'],
  ])('top level %#: line %i, %s', (text, line, message) => {
    expect(problemsOf(text)).toEqual([{ line, message }]);
  });

  it('a typo `key:` followed by a block list is reported at the `key:` line', () => {
    const problems = problemsOf(
      yaml(
        'version: 1', // 1
        'key:', // 2
        '  - name: k', // 3
        '    match: {alias: k}', // 4
      ),
    );
    expect(problems).toEqual([
      { line: 2, message: `key: unknown field 'key' (allowed: version, timezone, networks, roles, keys, description)` },
    ]);
  });

  it('a document that is not a mapping', () => {
    expect(problemsOf('')).toEqual([{ line: 1, message: 'a policy is a YAML mapping with version: 1' }]);
    expect(problemsOf(yaml('- version: 1'))).toEqual([{ line: 1, message: 'a policy is a YAML mapping with version: 1' }]);
  });

  it.each([
    ['    hour: "07:00-19:00"', `keys[0].hour: unknown field 'hour' (allowed: name, match, owner, role, from, hours, days, rate, quota, revoked, expires, timezone, description)`],
    ['    role: admin', `keys[0].role: unknown role 'admin' (roles: reader, writer)`],
    ['    from: [office, lab]', `keys[0].from[1]: 'lab' is neither a network name (office, vpn) nor a CIDR`],
    ['    from: lab', `keys[0].from: 'lab' is neither a network name (office, vpn) nor a CIDR`],
    ['    from: []', 'keys[0].from: from is empty: list the networks the key may be used from, or leave it out'],
    ['    rate: 30/1x', `keys[0].rate: '30/1x' is not a rate like 30/1m (N requests per window; units s, m, h; N ≥ 1)`],
    ['    rate: 0/1m', `keys[0].rate: '0/1m' is not a rate like 30/1m (N requests per window; units s, m, h; N ≥ 1)`],
    ['    rate: abc', `keys[0].rate: 'abc' is not a rate like 30/1m (N requests per window; units s, m, h; N ≥ 1)`],
    ['    rate: 30/0m', `keys[0].rate: '30/0m' is not a rate like 30/1m (N requests per window; units s, m, h; N ≥ 1)`],
    ['    rate: 30', `keys[0].rate: '30' is not a rate like 30/1m (N requests per window; units s, m, h; N ≥ 1)`],
    ['    rate: 30/1d', `keys[0].rate: '30/1d' is not a rate like 30/1m (N requests per window; units s, m, h; N ≥ 1)`],
    ['    quota: 20/1h', `keys[0].quota: '20/1h' is not a quota like 20/1d (N requests per calendar day; N ≥ 1)`],
    ['    quota: 20/2d', `keys[0].quota: '20/2d' is not a quota like 20/1d (N requests per calendar day; N ≥ 1)`],
    ['    quota: 0/1d', `keys[0].quota: '0/1d' is not a quota like 20/1d (N requests per calendar day; N ≥ 1)`],
    ['    hours: "25:00-26:00"', `keys[0].hours: '25:00-26:00' is not a window like 07:00-19:00 (start inclusive, end exclusive; 22:00-06:00 wraps midnight)`],
    ['    hours: "07:00-07:00"', `keys[0].hours: '07:00-07:00' is not a window like 07:00-19:00 (start inclusive, end exclusive; 22:00-06:00 wraps midnight)`],
    ['    hours: 7-19', `keys[0].hours: '7-19' is not a window like 07:00-19:00 (start inclusive, end exclusive; 22:00-06:00 wraps midnight)`],
    ['    hours: "24:00-06:00"', `keys[0].hours: '24:00-06:00' is not a window like 07:00-19:00 (start inclusive, end exclusive; 22:00-06:00 wraps midnight)`],
    ['    hours: "07:60-19:00"', `keys[0].hours: '07:60-19:00' is not a window like 07:00-19:00 (start inclusive, end exclusive; 22:00-06:00 wraps midnight)`],
    ['    hours: "07:00-24:01"', `keys[0].hours: '07:00-24:01' is not a window like 07:00-19:00 (start inclusive, end exclusive; 22:00-06:00 wraps midnight)`],
    ['    days: [mon, funday]', `keys[0].days[1]: 'funday' is not a day (sun, mon, tue, wed, thu, fri, sat)`],
    ['    days: funday', `keys[0].days: 'funday' is not a day (sun, mon, tue, wed, thu, fri, sat)`],
    ['    days: mon-funday', `keys[0].days: 'mon-funday' is not a day range like mon-fri`],
    ['    days: []', 'keys[0].days: days is empty: list the days the key may be used, e.g. [mon, tue, wed, thu, fri]'],
    ['    revoked: 2026-11-17T12:00:00', `keys[0].revoked: '2026-11-17T12:00:00' is not a timestamp with a zone (e.g. 2026-11-17T12:00:00Z) or a date (2026-11-17)`],
    ['    revoked: yesterday', `keys[0].revoked: 'yesterday' is not a timestamp with a zone (e.g. 2026-11-17T12:00:00Z) or a date (2026-11-17)`],
    ['    expires: 2026-13-01', `keys[0].expires: '2026-13-01' is not a date`],
    ['    expires: 2026-12-31 12:00Z', `keys[0].expires: '2026-12-31 12:00Z' is not a timestamp with a zone (e.g. 2026-11-17T12:00:00Z) or a date (2026-11-17)`],
    ['    timezone: Mars/Base', `keys[0].timezone: 'Mars/Base' is not an IANA time zone`],
  ])('key field %s → line 14: %s', (field, message) => {
    expect(problemsOf(withKey(field))).toEqual([{ line: 14, message }]);
  });

  it('a bad days entry in a block list is reported at its own line', () => {
    const problems = problemsOf(
      withKey(
        '    days:', // 14
        '      - mon', // 15
        '      - funday', // 16
      ),
    );
    expect(problems).toEqual([{ line: 16, message: `keys[0].days[1]: 'funday' is not a day (sun, mon, tue, wed, thu, fri, sat)` }]);
  });

  it('an unknown role lists the known roles, or says none are defined', () => {
    const none = yaml('version: 1', 'keys:', '  - name: k', '    match: {alias: k}', '    role: reader');
    expect(problemsOf(none)).toEqual([{ line: 5, message: `keys[0].role: unknown role 'reader' (roles: none defined)` }]);
  });

  it('an unknown network lists the known networks, or says none are defined', () => {
    const none = yaml('version: 1', 'keys:', '  - name: k', '    match: {alias: k}', '    from: [office]');
    expect(problemsOf(none)).toEqual([{ line: 5, message: `keys[0].from[0]: 'office' is neither a network name (none defined) nor a CIDR` }]);
  });

  it('a CIDR with host bits set in from says so and names the network', () => {
    const [problem, ...rest] = problemsOf(withKey('    from: [10.20.1.0/16]'));
    expect(rest).toEqual([]);
    expect(problem!.line).toBe(14);
    expect(problem!.message).toContain('host bits');
    expect(problem!.message).toContain('10.20.0.0/16');
  });

  it('bad networks: each CIDR at its own line, all reported', () => {
    const problems = problemsOf(
      yaml(
        'version: 1', // 1
        'networks:', // 2
        '  a: [10.20.0.0/33]', // 3
        '  b:', // 4
        '    - 10.20.0.0/24', // 5
        '    - 10.20.300.0/24', // 6
        '  c: not-an-ip', // 7
        '  d: [10.20.1.0/16]', // 8
        '  e: ["2001:db8::1/64"]', // 9
        '  f: []', // 10
        '  g: [10.0.0.0/8, "2001:db8:42:1::/48"]', // 11
      ),
    );
    expect(problems).toEqual([
      { line: 3, message: `networks.a[0]: '10.20.0.0/33' has a bad prefix length (0–32)` },
      { line: 6, message: `networks.b[1]: '10.20.300.0/24' is not an IP address or CIDR` },
      { line: 7, message: `networks.c: 'not-an-ip' is not an IP address or CIDR` },
      { line: 8, message: `networks.d[0]: '10.20.1.0/16' has host bits set; the network is 10.20.0.0/16` },
      { line: 9, message: `networks.e[0]: '2001:db8::1/64' has host bits set; the network is 2001:db8::/64` },
      { line: 10, message: 'networks.f: a network needs at least one CIDR or IP' },
      { line: 11, message: `networks.g[1]: '2001:db8:42:1::/48' has host bits set; the network is 2001:db8:42::/48` },
    ]);
  });

  it('bad role patterns: each at its own line, with what is wrong', () => {
    const problems = problemsOf(
      yaml(
        'version: 1', // 1
        'roles:', // 2
        '  r:', // 3
        '    allow:', // 4
        '      - GET /ok', // 5
        '      - /no-method', // 6
        '      - get /x', // 7
        '      - GET x', // 8
        '      - GET /a**', // 9
        '      - GET /a?b', // 10
        '      - GET /a/../b', // 11
        '    deny: [GET /b//c]', // 12
        '  s:', // 13
        '    deny: [GET /x]', // 14
        '  t:', // 15
        '    allwo: [GET /x]', // 16
        '  u: GET /**', // 17
      ),
    );
    expect(problems).toEqual([
      { line: 6, message: `roles.r.allow[1]: '/no-method' is not "METHOD /path" (e.g. "GET /api/**")` },
      { line: 7, message: `roles.r.allow[2]: 'get /x': 'get' is not an upper-case HTTP method or *` },
      { line: 8, message: `roles.r.allow[3]: 'GET x': the path must start with /` },
      { line: 9, message: `roles.r.allow[4]: 'GET /a**': ** must be a whole segment` },
      { line: 10, message: `roles.r.allow[5]: 'GET /a?b': query strings and fragments are not part of the path` },
      { line: 11, message: `roles.r.allow[6]: 'GET /a/../b': dot segments cannot be matched (paths are normalised)` },
      { line: 12, message: `roles.r.deny[0]: 'GET /b//c': empty path segment (//)` },
      { line: 13, message: 'roles.s: a role needs an allow list (e.g. allow: [GET /**])' },
      { line: 15, message: 'roles.t: a role needs an allow list (e.g. allow: [GET /**])' },
      { line: 16, message: `roles.t.allwo: unknown field 'allwo' (allowed: allow, deny, description)` },
      { line: 17, message: 'roles.u: expected {allow: [...], deny: [...]}' },
    ]);
  });

  it('a missing match is reported at the key entry', () => {
    const problems = problemsOf(yaml(...BASE, '  - name: k', '    owner: someone'));
    expect(problems).toEqual([{ line: 12, message: 'keys[0].match: every key needs match: {hash, alias, id or key} as the logs show it' }]);
  });

  it('match: {} is refused', () => {
    const problems = problemsOf(yaml(...BASE, '  - name: k', '    match: {}'));
    expect(problems).toEqual([{ line: 13, message: 'keys[0].match: match needs at least one of hash, alias, id, key' }]);
  });

  it.each([
    ['{hash: "00000000"}', 'hash', '00000000'],
    ['{hash: ""}', 'hash', ''],
    ['{alias: ""}', 'alias', ''],
    ['{key: "00000000"}', 'key', '00000000'],
  ])('match: %s means "no key" and is refused', (match, attr, value) => {
    const problems = problemsOf(yaml(...BASE, '  - name: k', `    match: ${match}`));
    expect(problems).toEqual([
      { line: 13, message: `keys[0].match.${attr}: '${value}' means "no key" in gateway logs and cannot identify a key` },
      { line: 13, message: 'keys[0].match: match needs at least one of hash, alias, id, key' },
    ]);
  });

  it('an unquoted hash 00000000 is refused too (not read as the number 0)', () => {
    const problems = problemsOf(yaml(...BASE, '  - name: k', '    match: {hash: 00000000}'));
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.every((p) => p.line === 13)).toBe(true);
  });

  it('an unquoted hash that looks like a number is kept as written, or refused', () => {
    const text = yaml(...BASE, '  - name: k', '    match: {hash: 0123456789012345}');
    let policy: Policy;
    try {
      policy = parsePolicy(text, 'p.yaml');
    } catch (e) {
      expect(e).toBeInstanceOf(PolicyError);
      expect((e as PolicyError).problems[0]!.line).toBe(13);
      return;
    }
    expect(policy.inventory.lookup(identity({ hash: '0123456789012345' }))?.name).toBe('k');
  });

  it('an unknown match field is refused', () => {
    const problems = problemsOf(yaml(...BASE, '  - name: k', '    match: {alias: k, hsah: abc}'));
    expect(problems).toEqual([{ line: 13, message: `keys[0].match.hsah: unknown field 'hsah' (allowed: hash, alias, id, key)` }]);
  });

  it('a key without a name', () => {
    const problems = problemsOf(yaml(...BASE, '  - match: {alias: k}', '    name: "  "'));
    expect(problems).toEqual([{ line: 13, message: 'keys[0].name: every key needs a name (how reports name it)' }]);
  });

  it('a key entry that is not a mapping', () => {
    const problems = problemsOf(yaml(...BASE, '  - just-a-name'));
    expect(problems).toEqual([{ line: 12, message: 'keys[0]: expected a key entry with name and match' }]);
  });

  it('a duplicate key name, at the second one', () => {
    const problems = problemsOf(withKey('  - name: k', '    match: {alias: k2}'));
    expect(problems).toEqual([{ line: 14, message: `keys[1].name: duplicate key name 'k'` }]);
  });

  it.each([
    ['hash', '"1111222233334444"', '1111222233334444'],
    ['alias', 'shared', 'shared'],
    ['id', 'AKIA-1', 'AKIA-1'],
  ])('the same %s on two keys names the other key', (attr, written, value) => {
    const problems = problemsOf(
      yaml(...BASE, '  - name: first', `    match: {${attr}: ${written}}`, '  - name: second', `    match: {${attr}: ${written}}`),
    );
    expect(problems).toEqual([{ line: 15, message: `keys[1].match.${attr}: '${value}' already identifies key 'first'` }]);
  });

  it('a duplicated raw key value is never echoed', () => {
    const secret = 'sk_live_7Hq2Zp9XvWmK4r';
    const err = errorOf(yaml(...BASE, '  - name: first', `    match: {key: "${secret}"}`, '  - name: second', `    match: {key: "${secret}"}`));
    expect(err.problems).toEqual([{ line: 15, message: `keys[1].match.key: the same raw key already identifies key 'first'` }]);
    expect(err.message).not.toContain(secret);
    expect(JSON.stringify(err.problems)).not.toContain(secret);
  });

  it('a raw key value reused as another key\'s hash is never echoed either', () => {
    const secret = 'sk_live_7Hq2Zp9XvWmK4r';
    const err = errorOf(yaml(...BASE, '  - name: first', `    match: {key: "${secret}"}`, '  - name: second', `    match: {hash: "${secret}"}`));
    expect(err.problems.map((p) => p.line)).toEqual([15]);
    expect(err.problems[0]!.message).toContain("'first'");
    expect(err.message).not.toContain(secret);
  });

  it('several problems in one file are all reported, sorted by line', () => {
    const err = errorOf(
      yaml(
        'version: 2', // 1
        'keys:', // 2
        '  - name: k', // 3
        '    match: {alias: k}', // 4
        '    role: ghost', // 5
        '    rate: fast', // 6
        'networks:', // 7
        '  office: [10.20.1.0/24, 10.20.0.0/33]', // 8
        'roles:', // 9
        '  r: {allow: [get /x]}', // 10
        'extra: true', // 11
      ),
    );
    expect(err.problems).toEqual([
      { line: 1, message: 'version: version must be 1 (got 2)' },
      { line: 5, message: `keys[0].role: unknown role 'ghost' (roles: r)` },
      { line: 6, message: `keys[0].rate: 'fast' is not a rate like 30/1m (N requests per window; units s, m, h; N ≥ 1)` },
      { line: 8, message: `networks.office[1]: '10.20.0.0/33' has a bad prefix length (0–32)` },
      { line: 10, message: `roles.r.allow[0]: 'get /x': 'get' is not an upper-case HTTP method or *` },
      { line: 11, message: `extra: unknown field 'extra' (allowed: version, timezone, networks, roles, keys, description)` },
    ]);
    expect(err.exitCode).toBe(2);
    expect(err.message.split('\n')).toEqual(err.problems.map((p) => `p.yaml:${p.line}: ${p.message}`));
  });

  it('invalid calendar dates are refused, not rolled over into the next month', () => {
    const problems = problemsOf(withKey('    expires: 2026-02-30', '    revoked: 2026-02-31T12:00:00Z'));
    expect(problems).toEqual([
      { line: 14, message: expect.stringContaining("'2026-02-30'") },
      { line: 15, message: expect.stringContaining("'2026-02-31T12:00:00Z'") },
    ]);
  });
});

describe('loadPolicy', () => {
  const dir = mkdtempSync(join(tmpdir(), 'apiguard-policy-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a missing file is a PolicyError saying "not found"', () => {
    const file = join(dir, 'missing.yaml');
    let err: unknown;
    try {
      loadPolicy(file);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PolicyError);
    expect((err as PolicyError).exitCode).toBe(2);
    expect((err as PolicyError).problems).toEqual([{ line: 0, message: 'policy file not found' }]);
    expect((err as PolicyError).message).toBe(`${file}: policy file not found`);
  });

  it('a directory cannot be read', () => {
    let err: unknown;
    try {
      loadPolicy(dir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PolicyError);
    expect((err as PolicyError).problems).toEqual([{ line: 0, message: expect.stringMatching(/^cannot read policy: /) }]);
  });

  it('reports problems with the file name and line', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, yaml('version: 1', 'timezone: Nowhere/Atall'));
    expect(() => loadPolicy(file)).toThrow(`${file}:2: timezone: 'Nowhere/Atall' is not an IANA time zone (e.g. Europe/Amsterdam, UTC)`);
  });

  it('loads a good file', () => {
    const file = join(dir, 'good.yaml');
    writeFileSync(file, withKey('    rate: 10/1s'));
    const p = loadPolicy(file);
    expect(p.file).toBe(file);
    expect(p.keys.map((k) => [k.name, k.rate?.limit, k.rate?.windowMs])).toEqual([['k', 10, 1000]]);
  });
});

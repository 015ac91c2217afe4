import { describe, expect, it } from 'vitest';
import { draftPolicy, hourWindow, hoursText, rateLimit, yamlQuote, yamlScalar, type Draft } from '../../src/init/draft.js';
import { TrafficLearner } from '../../src/init/learn.js';
import { Judge } from '../../src/judge/judge.js';
import type { Finding } from '../../src/model/finding.js';
import type { ApiRequest } from '../../src/model/request.js';
import { maskSecret } from '../../src/normalise/identity.js';
import { parsePolicy } from '../../src/policy/load.js';
import { compilePattern } from '../../src/policy/patterns.js';
import type { Policy } from '../../src/policy/policy.js';
import { ZoneClock } from '../../src/policy/zone.js';
import { parse as parseYaml } from 'yaml';
import { request } from '../helpers/requests.js';

interface Options {
  zone?: string;
  prefix4?: number;
  prefix6?: number;
  margin?: number;
}

function draftOf(reqs: ApiRequest[], o: Options = {}): Draft {
  const learner = new TrafficLearner({ clock: new ZoneClock(o.zone ?? 'UTC'), prefix4: o.prefix4 ?? 24, prefix6: o.prefix6 ?? 64 });
  for (const r of reqs) learner.add(structuredClone(r));
  return draftPolicy(learner.finish(), { margin: o.margin ?? 2, files: [{ file: 'test.ndjson', parsed: reqs.length, skipped: 0, error: '' }] });
}

const policyOf = (d: Draft): Policy => parsePolicy(d.text, 'draft.yaml');

/** Judges the requests in time order with the drafted policy, as a scan would. */
function judge(d: Draft, reqs: ApiRequest[]): Finding[] {
  const j = new Judge(policyOf(d));
  return [...reqs]
    .sort((a, b) => a.time - b.time)
    .map((r) => j.judge(structuredClone(r)))
    .filter((f): f is Finding => f !== null);
}

/** The YAML of the draft as data, comments aside. */
const dataOf = (d: Draft): { keys: Record<string, unknown>[]; networks?: Record<string, string[]>; roles?: Record<string, { allow: string[] }> } =>
  parseYaml(d.text) as never;
const keyNamed = (d: Draft, name: string): Record<string, unknown> => {
  const k = dataOf(d).keys.find((e) => e.name === name);
  expect(k, `key ${name} in\n${d.text}`).toBeDefined();
  return k!;
};
const outlierBlock = (d: Draft): string => d.text.slice(d.text.indexOf('# Outliers left out (apiguard scan will report them):'));

const base = Date.parse('2026-11-19T00:00:00Z');
const MIN = 60_000;
const HOUR = 3_600_000;

/** `n` requests of one key, one every `everyMs` from `from`, cycling through `paths`. */
function traffic(n: number, o: { alias?: string; hash?: string; key?: string; id?: string; ip?: string | ((i: number) => string); from?: number; everyMs?: number; paths?: string[]; method?: string }): ApiRequest[] {
  return Array.from({ length: n }, (_, i) =>
    request({
      time: (o.from ?? base) + i * (o.everyMs ?? 10 * MIN),
      identity: { alias: o.alias ?? '', hash: o.hash ?? '', key: o.key ?? '', id: o.id ?? '' },
      ip: typeof o.ip === 'function' ? o.ip(i) : (o.ip ?? '10.1.1.5'),
      method: o.method ?? 'GET',
      path: (o.paths ?? ['/api/items'])[i % (o.paths ?? ['/api/items']).length]!,
      line: i + 1,
    }),
  );
}

describe('hours: the smallest circular window of whole hours', () => {
  const active = (...hours: number[]): boolean[] => Array.from({ length: 24 }, (_, h) => hours.includes(h));
  const window = (...hours: number[]): string | null => {
    const w = hourWindow(active(...hours));
    return w && hoursText(w);
  };

  it('wraps midnight: {22, 23, 0, 1} → 22:00-02:00', () => {
    expect(window(22, 23, 0, 1)).toBe('22:00-02:00');
  });

  it('covers idle hours inside the working day, and only those', () => {
    expect(window(8, 9, 12, 17)).toBe('08:00-18:00');
    expect(window(11)).toBe('11:00-12:00');
    expect(window(0)).toBe('00:00-01:00');
  });

  it('ends at 24:00 when the last active hour is 23', () => {
    expect(window(8, 15, 23)).toBe('08:00-24:00');
    // ... but {8, 23} is covered by 23:00-09:00 (10 h), smaller than 08:00-24:00 (16 h).
    expect(window(8, 23)).toBe('23:00-09:00');
    expect(window(23)).toBe('23:00-24:00');
  });

  it('picks the complement of the longest idle run, whichever side of midnight', () => {
    // idle 3–8 (6 h) and 11–23 (13 h): the window is 00:00-11:00, not 09:00-03:00.
    expect(window(0, 1, 2, 9, 10)).toBe('00:00-11:00');
    // idle 2–13 (12 h) and 15–21 (7 h): 14 and 22–1 → 14:00-02:00 wraps.
    expect(window(14, 22, 23, 0, 1)).toBe('14:00-02:00');
  });

  it('prefers, between equally small windows, one that does not cross midnight', () => {
    // idle 1–11 and 13–23, 11 h each: 00:00-13:00 rather than 12:00-01:00.
    expect(window(0, 12)).toBe('00:00-13:00');
    expect(window(5, 17)).toBe('05:00-18:00');
  });

  it('is none when all 24 hours were active', () => {
    expect(hourWindow(active(...Array.from({ length: 24 }, (_, h) => h)))).toBeNull();
  });

  it('writes hours into the draft in the policy zone, and leaves them out when all 24 were active', () => {
    // 21:00–00:59 UTC is 22:00–01:59 in Amsterdam in November.
    const night = [21, 22, 23, 24].flatMap((h) => traffic(3, { alias: 'night', from: base + h * HOUR, everyMs: 15 * MIN }));
    const d = draftOf(night, { zone: 'Europe/Amsterdam' });
    expect(d.text).toContain('timezone: Europe/Amsterdam');
    expect(keyNamed(d, 'night').hours).toBe('22:00-02:00');
    expect(policyOf(d).keys[0]!.schedule!.hoursLabel).toBe('22:00-02:00');

    const allDay = traffic(48, { alias: 'always', everyMs: 30 * MIN });
    const d2 = draftOf(allDay);
    expect(keyNamed(d2, 'always').hours).toBeUndefined();
    expect(d2.text).toContain('# hours: none drafted: active in all 24 local hours');
  });
});

describe('days', () => {
  it('lists the local weekdays seen, and says how few days of data there were', () => {
    // Thu 2026-11-19 and Fri 2026-11-20, 10:00 UTC
    const d = draftOf([...traffic(3, { alias: 'a' , from: base + 10 * HOUR }), ...traffic(2, { alias: 'a', from: base + 34 * HOUR })]);
    expect(keyNamed(d, 'a').days).toEqual(['thu', 'fri']);
    expect(d.text).toMatch(/days: \[thu, fri\] +# requests per local weekday: thu 3, fri 2; only 2 days of data seen \(thu,fri\)/);
  });

  it('counts weekdays in the policy zone: 23:30 UTC Sunday is Monday in Amsterdam', () => {
    const sunday = Date.parse('2026-11-22T23:30:00Z');
    expect(keyNamed(draftOf(traffic(1, { alias: 'a', from: sunday }), { zone: 'Europe/Amsterdam' }), 'a').days).toEqual(['mon']);
    expect(keyNamed(draftOf(traffic(1, { alias: 'a', from: sunday })), 'a').days).toEqual(['sun']);
  });

  it('leaves days out when all 7 were seen', () => {
    const d = draftOf(traffic(14, { alias: 'a', everyMs: 12 * HOUR }));
    expect(keyNamed(d, 'a').days).toBeUndefined();
    expect(d.text).toContain('# days: none drafted: active on all 7 weekdays');
  });
});

describe('networks and outliers', () => {
  const split = (main: number, other: number): Draft =>
    draftOf([...traffic(main, { alias: 'k', ip: '10.1.1.5' }), ...traffic(other, { alias: 'k', ip: '198.51.100.9', from: base + 5 * MIN })]);

  it('leaves out a network with fewer than 5% of the key\'s requests, and lists it at the end', () => {
    const d = split(96, 4);
    expect(dataOf(d).networks!['k-net']).toEqual(['10.1.1.0/24']);
    expect(outlierBlock(d)).toMatch(/#   k from 198\.51\.100\.0\/24: 4 requests, .* – .*, 4\.0% of the key's requests; 198\.51\.100\.9 ×4/);
  });

  it('keeps a network with exactly 5%', () => {
    const d = split(95, 5);
    expect(dataOf(d).networks!['k-net']).toEqual(['10.1.1.0/24', '198.51.100.0/24']);
    expect(outlierBlock(d)).toContain('#   none');
  });

  it('keeps the only network, however few its requests', () => {
    expect(dataOf(draftOf(traffic(1, { alias: 'k' }))).networks!['k-net']).toEqual(['10.1.1.0/24']);
  });

  it('keeps every network when none has 5% (used from many places alike)', () => {
    const d = draftOf(traffic(25, { alias: 'k', ip: (i) => `10.${i}.0.1` }));
    expect(dataOf(d).networks!['k-net']).toHaveLength(25);
    expect(outlierBlock(d)).toContain('#   none');
  });

  it('comments each CIDR with the IPs seen and their counts', () => {
    const d = draftOf([...traffic(3, { alias: 'k', ip: '10.1.1.5' }), ...traffic(2, { alias: 'k', ip: '10.1.1.7', from: base + 1 })]);
    expect(d.text).toMatch(/- 10\.1\.1\.0\/24 +# 10\.1\.1\.5 ×3, 10\.1\.1\.7 ×2; 2026-11-19; 100\.0% of its requests/);
  });

  it('generalises with the prefix flags, IPv4 and IPv6 apart', () => {
    const reqs = [...traffic(10, { alias: 'k', ip: (i) => `10.20.${i}.1` }), ...traffic(10, { alias: 'k', ip: (i) => `2001:db8:42:${i}::1` })];
    expect(dataOf(draftOf(reqs, { prefix4: 16, prefix6: 48 })).networks!['k-net']).toEqual(['10.20.0.0/16', '2001:db8:42::/48']);
    const fine = dataOf(draftOf(reqs)).networks!['k-net']!;
    expect(fine).toHaveLength(20);
    expect(fine).toContain('10.20.9.0/24');
    expect(fine).toContain('2001:db8:42:9::/64');
  });

  it('drops actions seen only from an outlier network, and learns hours only from the kept ones', () => {
    const d = draftOf([
      ...traffic(40, { alias: 'k', from: base + 9 * HOUR, everyMs: MIN }),
      request({ time: base + 3 * HOUR, identity: { alias: 'k' }, ip: '198.51.100.9', method: 'DELETE', path: '/api/everything' }),
    ]);
    expect(dataOf(d).roles!['k-role']!.allow).toEqual(['GET /api/items']);
    expect(keyNamed(d, 'k').hours).toBe('09:00-10:00');
  });
});

describe('roles', () => {
  it('generalises ids, then folds more than 5 names at one position', () => {
    const domains = ['a.example', 'b.example', 'c.example', 'd.example', 'e.example', 'f.example'];
    const d = draftOf(
      traffic(33, {
        alias: 'k',
        paths: [
          '/vt/files/44d88612fea8a8f36de82e1278abb02f',
          '/vt/files/275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f',
          '/vt/ip_addresses/192.0.2.24',
          '/rt/ticket/4211',
          '/rt/ticket/4211/comment',
          ...domains.map((x) => `/vt/domains/${x}`),
        ],
      }),
    );
    expect(dataOf(d).roles!['k-role']!.allow).toEqual(['GET /rt/ticket/*', 'GET /rt/ticket/*/comment', 'GET /vt/domains/*', 'GET /vt/files/*', 'GET /vt/ip_addresses/*']);
    expect(d.text).toMatch(/- "GET \/vt\/domains\/\*" +# 18 requests, 6 distinct paths/);
    expect(d.text).toMatch(/- "GET \/rt\/ticket\/\*" +# 3 requests, 1 distinct path\n/);
  });

  it('keeps 5 names as 5 actions: a reviewer sees each', () => {
    const d = draftOf(traffic(5, { alias: 'k', paths: ['/d/a.example', '/d/b.example', '/d/c.example', '/d/d.example', '/d/e.example'] }));
    expect(dataOf(d).roles!['k-role']!.allow).toHaveLength(5);
  });

  it('shares one role between keys with the same actions, named after the first key', () => {
    const d = draftOf([...traffic(3, { alias: 'zed' }), ...traffic(3, { alias: 'amy', ip: '10.9.9.9' }), ...traffic(3, { alias: 'bob', method: 'POST' })]);
    expect(Object.keys(dataOf(d).roles!)).toEqual(['amy-role', 'bob-role']);
    expect(d.text).toMatch(/amy-role: +# used by: amy, zed/);
    expect(keyNamed(d, 'zed').role).toBe('amy-role');
    expect(d.roles).toBe(2);
  });

  it('writes patterns that compile and match every path they were learned from', () => {
    const paths = [
      '/',
      '/api/',
      '/api/v1/users/3f2504e0-4f89-11d3-9a0c-0305e82c3301/keys',
      '/api/v1/users/alice@corp.example',
      '/elastic/logs-*/_search',
      '/elastic/.kibana/_doc/AbCdEfGhIjKlMnOp1234',
      '/odd/a**b/c',
      '/odd/with%20space',
      '/odd/with space',
      '/x/%2F',
      '/unicode/ünï',
      ...Array.from({ length: 8 }, (_, i) => `/many/name-${'abcdefgh'[i]}/x`),
    ];
    const reqs = paths.flatMap((path, i) => ['GET', 'POST', 'M-SEARCH'].map((method, j) => request({ time: base + (i * 3 + j) * MIN, identity: { alias: 'k' }, method, path })));
    const d = draftOf(reqs);
    const policy = policyOf(d);
    const role = policy.keys[0]!.role!;
    for (const pattern of role.allow) expect(typeof compilePattern(pattern.text)).not.toBe('string');
    for (const r of reqs) expect(role.check(r.method, r.path), `${r.method} ${r.path}`).toBe('');
  });
});

describe('rate', () => {
  it('is ceil(peak × margin) per 1m, with the peak and when it was in a comment', () => {
    const burst = traffic(7, { alias: 'k', everyMs: 5_000, from: base + 10 * HOUR });
    const d = draftOf([...traffic(20, { alias: 'k' }), ...burst]);
    expect(keyNamed(d, 'k').rate).toBe('14/1m');
    expect(d.text).toContain('# observed peak 7 requests in 1m at 2026-11-19T10:00:30Z; limit = peak × 2');
    expect(keyNamed(draftOf(burst, { margin: 1.5 }), 'k').rate).toBe('11/1m');
  });

  it('does not round a product that is whole up by floating-point noise', () => {
    expect(rateLimit(10, 1.1)).toBe(11);
    expect(rateLimit(3, 1)).toBe(3);
    expect(rateLimit(1, 1.01)).toBe(2);
  });
});

describe('identities and match', () => {
  it('matches by hash, alias and id as logged; names after the alias, else a masked value', () => {
    const d = draftOf([...traffic(2, { hash: 'deadbeefcafef00d' }), ...traffic(2, { hash: '9f2c4e6a8b0d1f35', alias: 'alice' }), ...traffic(2, { id: 'key-id-1' })]);
    expect(dataOf(d).keys.map((k) => k.name)).toEqual(['alice', 'key-dead-f00d', 'key-ke-1']);
    expect(keyNamed(d, 'key-dead-f00d').match).toEqual({ hash: 'deadbeefcafef00d' });
    expect(keyNamed(d, 'alice').match).toEqual({ hash: '9f2c4e6a8b0d1f35', alias: 'alice' });
    expect(keyNamed(d, 'key-ke-1').match).toEqual({ id: 'key-id-1' });
    expect(d.text).toContain('# review: no alias was logged with this key; make sure it is one you issued.');
  });

  it('quotes values YAML would misread, so they match exactly as logged', () => {
    const d = draftOf([...traffic(1, { hash: '12345678' }), ...traffic(1, { hash: '0123456789abcdef', ip: '10.2.2.2' }), ...traffic(1, { alias: 'true' }), ...traffic(1, { alias: '1e3' })]);
    const p = policyOf(d);
    expect(p.inventory.lookup({ key: '', hash: '12345678', id: '', alias: '' })).toBeDefined();
    expect(p.inventory.lookup({ key: '', hash: '0123456789abcdef', id: '', alias: '' })).toBeDefined();
    expect(p.inventory.lookup({ key: '', hash: '', id: '', alias: 'true' })!.name).toBe('true');
    expect(p.inventory.lookup({ key: '', hash: '', id: '', alias: '1e3' })!.name).toBe('1e3');
    expect(d.text).toContain('- name: "true"');
  });

  it('keeps hostile aliases on one line: escapes in values, sanitised names, neutralised comments', () => {
    const hostile = 'ops\nkeys: []\u202e #x';
    const d = draftOf(traffic(2, { alias: hostile }));
    expect(d.text).not.toContain('\u202e');
    expect(d.text.split('\n').filter((l) => l.startsWith('keys:'))).toEqual(['keys:']);
    const p = policyOf(d);
    expect(p.inventory.lookup({ key: '', hash: '', id: '', alias: hostile })!.name).toBe('ops-keys-x');
  });

  it('gives keys with the same alias unique names, and leaves the shared alias out of both', () => {
    const d = draftOf([...traffic(2, { hash: 'aaaaaaaaaaaaaaaa', alias: 'ops' }), ...traffic(2, { hash: 'bbbbbbbbbbbbbbbb', alias: 'ops', from: base + 1 })]);
    expect(dataOf(d).keys.map((k) => [k.name, k.match])).toEqual([
      ['ops', { hash: 'aaaaaaaaaaaaaaaa' }],
      ['ops-2', { hash: 'bbbbbbbbbbbbbbbb' }],
    ]);
    expect(d.text).toContain('# left out, also logged with other keys: alias ops');
  });

  it('gives an alias to the identity it names, not to a hash that was also logged with it', () => {
    const reqs = [...traffic(2, { alias: 'ops' }), ...traffic(2, { hash: 'aaaaaaaaaaaaaaaa', alias: 'ops', from: base + 1 })];
    const d = draftOf(reqs);
    expect(policyOf(d).inventory.lookup({ key: '', hash: '', id: '', alias: 'ops' })!.name).toBe('ops');
    expect(judge(d, reqs)).toEqual([]);
  });
});

describe('an identity logged only as a raw key', () => {
  const raw = 'Correct-Horse-Battery-Staple'; // no digit: not id-like, so only redaction keeps it out of patterns
  const reqs = [...traffic(6, { key: raw, paths: [`/api/keys/${raw}/usage`] }), ...traffic(20, { alias: 'ok', ip: '10.3.3.3', paths: [`/api/keys/${raw}`, '/api/other'] })];
  const d = draftOf(reqs);

  it('is never printed whole anywhere, not even in another key\'s paths', () => {
    expect(d.text).not.toContain(raw);
    expect(d.text).toContain(maskSecret(raw));
  });

  it('gets a commented-out entry that says how to add the raw key, and is listed at the end', () => {
    const name = `key-${maskSecret(raw).replace('…', '-')}`;
    expect(d.text).toContain(`  # - name: ${name}`);
    expect(d.text).toContain(`logged only with its raw key (${maskSecret(raw)})`);
    expect(d.text).toContain('add it by hand under match.key, or turn on key hashing');
    expect(outlierBlock(d)).toContain(`#   ${name}: 6 requests`);
    expect(dataOf(d).keys.map((k) => k.name)).toEqual(['ok']);
    expect(d).toMatchObject({ keys: 1, commentedKeys: 1 });
  });

  it('is reported by the scan as unauthenticated, as the outlier block says, and nothing else is', () => {
    const findings = judge(d, reqs);
    expect(findings).toHaveLength(6);
    expect(findings.every((f) => f.row === 'unauthenticated' && f.keyLabel.includes(maskSecret(raw)))).toBe(true);
  });

  it('writes keys: [] when no entry is in force, so the scan still has an inventory', () => {
    const only = draftOf(traffic(3, { key: raw }));
    expect(only.text).toMatch(/^keys: \[\]/m);
    expect(policyOf(only).hasInventory).toBe(true);
    expect(judge(only, traffic(3, { key: raw }))).toHaveLength(3);
  });
});

describe('the draft as a whole', () => {
  // A mixed day: a night-shift key with an outlier, an IPv6 key by id, no-key noise, a raw-key-only key.
  const reqs: ApiRequest[] = [
    ...traffic(60, { hash: 'c0ffee1234abcd56', alias: 'night ops', from: base + 21 * HOUR, everyMs: 4 * MIN, paths: ['/fw/rules', '/fw/rules/17', '/fw/apply'] }),
    ...traffic(2, { hash: 'c0ffee1234abcd56', alias: 'night ops', ip: '192.0.2.66', from: base + 12 * HOUR, method: 'DELETE', paths: ['/fw/rules'] }),
    ...traffic(30, { id: 'AKIAEXAMPLE', ip: (i) => `2001:db8:7::${i + 1}`, from: base + 8 * HOUR, everyMs: 7 * MIN, method: 'POST', paths: ['/siem/search'] }),
    ...traffic(5, { ip: '203.0.113.50', from: base + 3 * HOUR, everyMs: 3_000 }).map((r) => ({ ...r, status: 401 })),
    ...traffic(4, { key: 'raw-key-value-123456', ip: '10.4.4.4', from: base + 15 * HOUR }),
  ];

  it('is accepted by parsePolicy', () => {
    expect(() => policyOf(draftOf(reqs, { zone: 'Europe/Amsterdam' }))).not.toThrow();
  });

  it('is deterministic: the same bytes for the same traffic, whatever the order within the reorder window', () => {
    const a = draftOf(reqs, { zone: 'Europe/Amsterdam' }).text;
    expect(draftOf(reqs, { zone: 'Europe/Amsterdam' }).text).toBe(a);
    const nearlySorted = [...reqs].sort((x, y) => x.time - y.time);
    for (let i = 0; i + 1 < nearlySorted.length; i += 2) [nearlySorted[i], nearlySorted[i + 1]] = [nearlySorted[i + 1]!, nearlySorted[i]!];
    expect(draftOf(nearlySorted, { zone: 'Europe/Amsterdam' }).text).toBe(a);
  });

  it('carries no current time: every time in it is one of the traffic', () => {
    const text = draftOf(reqs).text;
    const times = (text.match(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z/g) ?? []).map((t) => Date.parse(t));
    expect(times.length).toBeGreaterThan(5);
    const first = Math.min(...reqs.map((r) => r.time));
    const last = Math.max(...reqs.map((r) => r.time));
    for (const t of times) expect(t >= first && t <= last).toBe(true);
  });

  it('says in its header how many requests from which files over what period, and that every line needs review', () => {
    const text = draftOf(reqs, { zone: 'Europe/Amsterdam' }).text;
    expect(text).toMatch(/^# apiguard policy DRAFT, learned by `apiguard init` from 101 requests in 1 file:\n#   test\.ndjson: 101 requests\n/);
    expect(text).toContain('# Period: 2026-11-19T04:00:00+01:00 to 2026-11-20T01:56:00+01:00 (Europe/Amsterdam), 2 local days.');
    expect(text).toContain('Every line must be reviewed before use');
  });

  it('round-trips: judging the same traffic finds only what the outlier block lists', () => {
    const d = draftOf(reqs, { zone: 'Europe/Amsterdam' });
    const block = outlierBlock(d);
    expect(block).toMatch(/#   night-ops from 192\.0\.2\.0\/24: 2 requests, /);
    expect(block).toMatch(/#   from 203\.0\.113\.50: 5 requests, .*, statuses 401 ×5/);
    expect(block).toMatch(/#   key-raw-3456: 4 requests/);
    expect(keyNamed(d, 'night-ops').hours).toBe('22:00-02:00');
    expect(keyNamed(d, 'key-AK-LE').from).toEqual(['key-AK-LE-net']);

    const byWhat = new Map<string, number>();
    for (const f of judge(d, reqs)) {
      const what = `${f.row} ${f.row === 'unauthenticated' ? f.keyLabel : f.keyLabel + ' ' + f.request.ip}`;
      byWhat.set(what, (byWhat.get(what) ?? 0) + 1);
    }
    expect(Object.fromEntries(byWhat)).toEqual({
      'key-compromised night-ops 192.0.2.66': 2,
      'unauthenticated (no key)': 5,
      [`unauthenticated key ${maskSecret('raw-key-value-123456')}`]: 4,
    });
  });
});

describe('YAML scalars', () => {
  it('writes plain only what YAML reads back as the same string', () => {
    expect(yamlScalar('soar-playbooks-net')).toBe('soar-playbooks-net');
    expect(yamlScalar('10.10.5.0/24')).toBe('10.10.5.0/24');
    for (const s of ['true', 'null', '123', '1e3', '0x1F', '2001:db8::/64', '-', '.inf', '~']) expect(parseYaml(`v: ${yamlScalar(s)}`)).toEqual({ v: s });
  });

  it('escapes characters that hide or reorder text, and reads back the same', () => {
    const s = 'a\u202eb\u200bc\u0085d\ne"f\\';
    const q = yamlQuote(s);
    expect(q).toMatch(/^"[\x20-\x7e]*"$/);
    expect(parseYaml(`v: ${q}`)).toEqual({ v: s });
  });
});

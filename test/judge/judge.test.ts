import { describe, expect, it } from 'vitest';
import { Judge } from '../../src/judge/judge.js';
import type { Finding } from '../../src/model/finding.js';
import type { ApiRequest } from '../../src/model/request.js';
import { parsePolicy } from '../../src/policy/load.js';
import { request } from '../helpers/requests.js';

const POLICY = `
version: 1
timezone: Europe/Amsterdam
networks:
  soc: [10.20.0.0/24, "2001:db8:20::/64"]
roles:
  reader:
    allow: [GET /**, POST /elastic/*/_search]
    deny: [GET /elastic/_security/**]
keys:
  - name: alice
    match: { hash: "9f2c4e6a8b0d1f35", alias: alice, id: k-alice, key: "alice-raw-secret-key-0001" }
    role: reader
    from: [soc]
    hours: "07:00-19:00"
    days: [mon-fri]
    rate: 3/1m
    quota: 5/1d
  - name: bob
    match: { alias: bob }
    role: reader
    from: [soc]
    revoked: 2026-11-18T12:00:00Z
  - name: carol
    match: { alias: carol }
    expires: 2026-12-31T00:00:00Z
`;

const alice = { hash: '9f2c4e6a8b0d1f35' };
/** The policy without the named fields of the keys, to test one check alone. */
const withoutLines = (text: string, ...fields: string[]): string =>
  text.split('\n').filter((l) => !fields.some((f) => l.trimStart().startsWith(`${f}:`))).join('\n');
const newJudge = (text = POLICY): Judge => new Judge(parsePolicy(text, 'p.yaml'));
const judgeOne = (req: ApiRequest, text = POLICY): Finding | null => newJudge(text).judge(req);

describe('Who', () => {
  it.each([
    ['no key at all', {}, 'the request carried no API key'],
    ['the no-key hash 00000000', { hash: '00000000' }, 'the request carried no API key'],
    ['an unknown hash, masked', { hash: 'deadbeefcafef00d' }, 'hash dead…f00d is not in the key inventory'],
    ['an unknown raw key, masked', { key: 'sk_live_abcdefghijklmnop' }, 'key sk_l…mnop is not in the key inventory'],
  ])('%s is row 1', (_name, identity, reason) => {
    const f = judgeOne(request({ identity }));
    expect(f?.row).toBe('unauthenticated');
    expect(f?.reasons).toEqual([reason]);
    expect(f?.keyLabel).not.toContain('deadbeefcafef00d');
  });

  it('matches a key by any of hash, alias, id and raw key', () => {
    for (const identity of [{ hash: '9f2c4e6a8b0d1f35' }, { alias: 'alice' }, { id: 'k-alice' }, { key: 'alice-raw-secret-key-0001' }]) {
      expect(judgeOne(request({ identity }))).toBeNull();
    }
  });

  it('is invalid at the revocation instant and after, valid just before', () => {
    const at = (iso: string) => judgeOne(request({ identity: { alias: 'bob' }, at: iso }));
    expect(at('2026-11-18T11:59:59.999Z')).toBeNull();
    expect(at('2026-11-18T12:00:00.000Z')?.reasons).toEqual(['bob was revoked at 2026-11-18T12:00:00.000Z']);
    expect(at('2026-11-19T08:00:00Z')?.row).toBe('unauthenticated');
  });

  it('is invalid at the expiry instant', () => {
    const at = (iso: string) => judgeOne(request({ identity: { alias: 'carol' }, at: iso }));
    expect(at('2026-12-30T23:59:59.999Z')).toBeNull();
    expect(at('2026-12-31T00:00:00Z')?.reasons).toEqual(['carol expired at 2026-12-31T00:00:00.000Z']);
  });

  it('outranks every other check', () => {
    const f = judgeOne(request({ identity: { alias: 'bob' }, ip: '203.0.113.9', path: '/elastic/_security/user', at: '2026-11-21T03:00:00Z' }));
    expect(f?.row).toBe('unauthenticated');
    expect(f?.reasons).toHaveLength(1);
  });

  it('without an inventory, the format\'s auth-failure signal is what makes a request unauthenticated', () => {
    const noKeys = 'version: 1\n';
    expect(judgeOne(request({ status: 401, authFailure: true }), noKeys)?.row).toBe('unauthenticated');
    expect(judgeOne(request({ status: 403 }), noKeys)).toBeNull();
    expect(judgeOne(request({ status: 200, identity: { hash: 'whatever1' } }), noKeys)).toBeNull();
  });
});

describe('Where', () => {
  it.each([
    ['10.20.0.0', true],
    ['10.20.0.255', true],
    ['10.20.1.0', false],
    ['10.19.255.255', false],
    ['2001:db8:20::1', true],
    ['2001:db8:20:0:ffff:ffff:ffff:ffff', true],
    ['2001:db8:21::1', false],
  ])('%s inside soc: %s', (ip, inside) => {
    const f = judgeOne(request({ identity: alice, ip }));
    if (inside) expect(f).toBeNull();
    else {
      expect(f?.row).toBe('wrong-workstation');
      expect(f?.reasons).toEqual([`${ip} is not in soc`]);
    }
  });

  it('a valid key from the wrong place doing a forbidden thing is row 3, critical', () => {
    const f = judgeOne(request({ identity: alice, ip: '203.0.113.9', path: '/elastic/_security/user', status: 403 }));
    expect(f?.row).toBe('key-compromised');
    expect(f?.severity).toBe('critical');
    expect(f?.reasons).toEqual([
      '203.0.113.9 is not in soc',
      'GET /elastic/_security/user is denied for reader (deny: GET /elastic/_security/**)',
    ]);
  });

  it('rows 2 and 3 do not look at When', () => {
    // Saturday 03:00 local, outside hours: still row 2, and only the Where reason.
    const f = judgeOne(request({ identity: alice, ip: '203.0.113.9', at: '2026-11-21T02:00:00Z' }));
    expect(f?.row).toBe('wrong-workstation');
    expect(f?.reasons).toEqual(['203.0.113.9 is not in soc']);
  });
});

describe('What', () => {
  it('deny wins over allow', () => {
    const f = judgeOne(request({ identity: alice, path: '/elastic/_security/user' }));
    expect(f?.row).toBe('invalid-for-role');
    expect(f?.reasons).toEqual(['GET /elastic/_security/user is denied for reader (deny: GET /elastic/_security/**)']);
  });

  it('an action no allow pattern covers is invalid', () => {
    const f = judgeOne(request({ identity: alice, method: 'DELETE', path: '/elastic/logs' }));
    expect(f?.reasons).toEqual(['DELETE /elastic/logs is not allowed for reader']);
  });

  it('a key without a role may do anything', () => {
    expect(judgeOne(request({ identity: { alias: 'carol' }, method: 'DELETE', path: '/anything' }))).toBeNull();
  });
});

describe('When: hours and days, in the policy zone, across DST', () => {
  it.each([
    // Thursday 2026-11-19, CET (UTC+1)
    ['2026-11-19T05:59:59Z', false, 'Thu 06:59 Europe/Amsterdam is outside mon-fri 07:00-19:00'],
    ['2026-11-19T06:00:00Z', true, ''], // 07:00 local: start inclusive
    ['2026-11-19T17:59:59Z', true, ''],
    ['2026-11-19T18:00:00Z', false, 'Thu 19:00 Europe/Amsterdam is outside mon-fri 07:00-19:00'], // end exclusive
    ['2026-11-21T10:00:00Z', false, 'Sat 11:00 Europe/Amsterdam is outside mon-fri 07:00-19:00'],
    // Summer time (CEST, UTC+2): 05:30Z is 07:30 local, inside; in winter it would be 06:30, outside.
    ['2026-03-30T05:30:00Z', true, ''],
    ['2026-03-27T05:30:00Z', false, 'Fri 06:30 Europe/Amsterdam is outside mon-fri 07:00-19:00'],
  ])('%s inside: %s', (at, inside, reason) => {
    const f = judgeOne(request({ identity: alice, at }));
    if (inside) expect(f).toBeNull();
    else {
      expect(f?.row).toBe('when-violation');
      expect(f?.reasons).toEqual([reason]);
    }
  });

  it('a window that wraps midnight', () => {
    const text = POLICY.replace('hours: "07:00-19:00"', 'hours: "22:00-06:00"').replace('days: [mon-fri]', 'days: [mon-sun]');
    expect(judgeOne(request({ identity: alice, at: '2026-11-19T21:30:00Z' }), text)).toBeNull(); // 22:30
    expect(judgeOne(request({ identity: alice, at: '2026-11-19T04:59:00Z' }), text)).toBeNull(); // 05:59
    expect(judgeOne(request({ identity: alice, at: '2026-11-19T05:00:00Z' }), text)?.row).toBe('when-violation'); // 06:00
  });
});

describe('When: sliding rate window', () => {
  const burst = (offsetsMs: number[], identity = alice) => {
    const judge = newJudge(withoutLines(POLICY, 'quota'));
    const base = Date.parse('2026-11-19T09:00:00Z');
    return offsetsMs.map((o, i) => judge.judge(request({ identity, time: base + o, line: i + 1 })));
  };

  it('flags every request beyond the limit in the window that ends at it', () => {
    const out = burst([0, 1000, 2000, 3000, 4000]);
    expect(out.map((f) => f?.row ?? null)).toEqual([null, null, null, 'when-violation', 'when-violation']);
    expect(out[3]?.reasons).toEqual(['4th request in 1m, limit 3']);
    expect(out[4]?.reasons).toEqual(['5th request in 1m, limit 3']);
  });

  it('the window is (t - 1m, t]: a request exactly one window earlier no longer counts', () => {
    const out = burst([0, 1, 2, 60_000, 60_000]);
    expect(out[3]).toBeNull(); // (0, 60000] holds 1, 2 and itself
    expect(out[4]?.reasons).toEqual(['4th request in 1m, limit 3']); // not the 5th: the one at 0 is out
  });

  it('slides: after a quiet minute the key is fine again', () => {
    const out = burst([0, 1000, 2000, 3000, 63_001, 63_002]);
    expect(out.map((f) => f?.row ?? null)).toEqual([null, null, null, 'when-violation', null, null]);
  });

  it('same-timestamp requests count in arrival order', () => {
    const out = burst([0, 0, 0, 0]);
    expect(out.map((f) => f?.row ?? null)).toEqual([null, null, null, 'when-violation']);
  });

  it('requests that fail Where or What still count towards the rate', () => {
    const judge = newJudge();
    const base = Date.parse('2026-11-19T09:00:00Z');
    judge.judge(request({ identity: alice, time: base, ip: '203.0.113.9' }));
    judge.judge(request({ identity: alice, time: base + 1, path: '/elastic/_security/user' }));
    judge.judge(request({ identity: alice, time: base + 2 }));
    expect(judge.judge(request({ identity: alice, time: base + 3 }))?.reasons).toEqual(['4th request in 1m, limit 3']);
  });
});

describe('When: daily quota in the policy zone', () => {
  it('flags every request beyond the quota, and resets at local midnight', () => {
    const judge = newJudge();
    // Thursday 2026-11-19 local; spaced 2 minutes apart so the rate never trips.
    const start = Date.parse('2026-11-19T09:00:00Z');
    const out = [0, 1, 2, 3, 4, 5, 6].map((i) => judge.judge(request({ identity: alice, time: start + i * 120_000 })));
    expect(out.map((f) => f?.row ?? null)).toEqual([null, null, null, null, null, 'when-violation', 'when-violation']);
    expect(out[5]?.reasons).toEqual(['6th request on 2026-11-19 (Europe/Amsterdam), quota 5/1d']);
  });

  it('the quota day boundary is local midnight, not UTC midnight', () => {
    const text = withoutLines(POLICY, 'hours', 'days').replace('quota: 5/1d', 'quota: 2/1d');
    const judge = newJudge(text);
    const at = (iso: string) => judge.judge(request({ identity: alice, at: iso }));
    expect(at('2026-11-19T22:50:00Z')).toBeNull(); // 23:50 local, 1st of the 19th
    expect(at('2026-11-19T22:55:00Z')).toBeNull(); // 2nd
    expect(at('2026-11-19T22:59:59Z')?.reasons).toEqual(['3rd request on 2026-11-19 (Europe/Amsterdam), quota 2/1d']);
    expect(at('2026-11-19T23:00:00Z')).toBeNull(); // 00:00 local on the 20th: new day (UTC is still the 19th)
  });
});

describe('severity and outcome', () => {
  it.each([
    [200, 'let-through', 'high'],
    [302, 'let-through', 'high'],
    [403, 'blocked', 'medium'],
    [429, 'blocked', 'medium'],
    [0, 'unknown', 'medium'],
  ])('status %i is %s, wrong-workstation severity %s', (status, outcome, severity) => {
    const f = judgeOne(request({ identity: alice, ip: '203.0.113.9', status }));
    expect(f?.outcome).toBe(outcome);
    expect(f?.severity).toBe(severity);
  });

  it('critical stays critical when let through', () => {
    expect(judgeOne(request({ identity: alice, ip: '203.0.113.9', path: '/elastic/_security/x', status: 200 }))?.severity).toBe('critical');
  });

  it('names known keys by policy name', () => {
    expect(judgeOne(request({ identity: alice, ip: '203.0.113.9' }))?.keyLabel).toBe('alice');
  });
});

describe('prejudge and finish', () => {
  it('Who, Where and What judged in arrival order, the rest in time order: the findings of judging in time order', () => {
    // A mix of every row, exposures and late-revoked keys, arriving out of time order.
    const base = Date.parse('2026-11-19T09:00:00Z');
    let seed = 5;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return Math.floor((seed / 2 ** 31) * n); // the high bits: an LCG's low bits repeat in short cycles
    };
    const identities = [alice, { alias: 'bob' }, { alias: 'carol' }, { hash: 'deadbeefcafef00d' }, {}];
    const ips = ['10.20.0.15', '203.0.113.9', '2001:db8:20::7', '2001:db8:99::1', ''];
    const paths = ['/elastic/logs/_search', '/elastic/_security/user', '/virustotal/api/v3/files', ''];
    const reqs = Array.from({ length: 400 }, (_, i) =>
      request({
        identity: identities[rand(identities.length)]!,
        ip: ips[rand(ips.length)]!,
        method: rand(3) === 0 ? 'POST' : 'GET',
        path: paths[rand(paths.length)]!,
        time: base + rand(40) * 20_000,
        line: i + 1,
        ...(rand(10) === 0 ? { exposedIn: 'query api_key', exposedKey: 'sk_live_abcdefghijklmnop' } : {}),
      }),
    );
    const inOrder = [...reqs].sort((a, b) => a.time - b.time || a.line - b.line);
    const summary = (f: Finding | null) => (f ? `${f.request.line} ${f.row} ${f.severity} ${f.keyLabel} ${f.reasons.join('; ')}` : null);

    const one = newJudge();
    const expected = inOrder.map((r) => [summary(one.judge({ ...r })), summary(r.exposedKey ? one.exposure({ ...r }) : null)]);

    const split = newJudge();
    const pre = new Map(reqs.map((r) => [r.line, split.prejudge(r)]));
    const got = inOrder.map((r) => {
      const p = pre.get(r.line)!;
      return [summary(split.finish(() => r, p, r.time)), summary(split.mayExpose(() => r, p) ? split.exposure(r) : null)];
    });
    expect(got).toEqual(expected);
    expect(split.unchecked).toEqual(one.unchecked);
    expect(expected.flat().filter((d) => d !== null).length).toBeGreaterThan(100); // the mix does make findings
    expect(new Set(expected.map(([d]) => d?.split(' ')[1]))).toEqual(new Set([undefined, 'unauthenticated', 'wrong-workstation', 'key-compromised', 'invalid-for-role', 'when-violation']));
  });

  it('a request valid on Who, Where and What and without a raw key is prejudged to just its key entry', () => {
    const judge = newJudge();
    const req = request({ identity: alice, at: '2026-11-19T09:00:00Z' });
    const clean = judge.prejudge(req);
    expect(clean).toBe(judge.policy.inventory.lookup(req.identity));
    expect(clean).toBeDefined();
    const exposed = judge.prejudge(request({ identity: alice, at: '2026-11-19T09:00:00Z', exposedIn: 'query api_key', exposedKey: 'x-secret-0001' }));
    expect(judge.mayExpose(() => request(), exposed)).toBe(true);
    expect(judge.mayExpose(() => request(), clean)).toBe(false);
  });

  it('finishes a clean prejudged request without reading it, and reads it for a finding', () => {
    const judge = newJudge();
    const clean = request({ identity: alice, at: '2026-11-19T09:00:00Z' });
    let reads = 0;
    const pre = judge.prejudge(clean);
    expect(judge.finish(() => (reads++, clean), pre, clean.time)).toBeNull();
    expect(judge.mayExpose(() => (reads++, clean), pre)).toBe(false);
    expect(reads).toBe(0);

    const stranger = request({ identity: { key: 'not-in-the-policy-0001', hash: '', id: '', alias: '' }, at: '2026-11-19T09:00:01Z' });
    const finding = judge.finish(() => (reads++, stranger), judge.prejudge(stranger), stranger.time);
    expect(finding?.row).toBe('unauthenticated');
    expect(finding?.request).toBe(stranger);
    expect(reads).toBeGreaterThan(0);
  });
});

describe('Judge: no raw key in a finding', () => {
  it("masks the request's raw key wherever the record repeats it: path, user agent, request id", () => {
    const raw = 'sk_live_guessed0123456789';
    const f = judgeOne(request({ identity: { key: raw }, path: `/auth/${raw}`, userAgent: `client key=${raw}`, requestId: `${raw}-1`, exposedIn: 'query api_key', exposedKey: raw }))!;
    expect(f.row).toBe('unauthenticated');
    const shown = JSON.stringify([f.request.path, f.request.userAgent, f.request.requestId, f.keyLabel, f.reasons]);
    expect(shown).not.toContain(raw);
    expect([f.request.userAgent, f.request.requestId]).toEqual(['client key=sk_l…6789', 'sk_l…6789-1']);
  });
});

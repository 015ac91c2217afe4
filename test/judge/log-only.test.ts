import { describe, expect, it } from 'vitest';
import { Judge } from '../../src/judge/judge.js';
import { LogOnlyChecks, networkOf } from '../../src/judge/log-only.js';
import { parsePolicy } from '../../src/policy/load.js';
import { request } from '../helpers/requests.js';

const T0 = Date.parse('2026-11-19T09:00:00Z');
const MIN = 60_000;
const key = { hash: 'a1b2c3d4e5f60718' };

describe('without a key inventory the Judge uses the log-only checks', () => {
  it.each([['version: 1\n'], ['version: 1\nnetworks: {office: [10.0.0.0/8]}\n']])('policy %j', (text) => {
    const judge = new Judge(parsePolicy(text, 'p.yaml'));
    expect(judge.judge(request({ status: 401, authFailure: true }))?.row).toBe('unauthenticated');
    expect(judge.judge(request({ status: 403 }))).toBeNull(); // a 403 the format does not call an auth failure
  });
});

describe('Who: authentication failures and key guessing', () => {
  it('each rejected request is row 1; from the 10th within 10m, key guessing is named', () => {
    const checks = new LogOnlyChecks();
    const out = Array.from({ length: 11 }, (_, i) =>
      checks.judge(request({ time: T0 + i * 30_000, ip: '203.0.113.50', status: 401, authFailure: true })).who,
    );
    expect(out.every((v) => !v.valid)).toBe(true);
    expect(out[8]!.reasons).toEqual(['the gateway rejected the request for authentication (status 401)']);
    expect(out[9]!.reasons[1]).toBe('key guessing: 10 or more authentication failures from 203.0.113.50 within 10m (threshold 10)');
    expect(out[10]!.groups).toEqual(['rejected for authentication', 'key guessing: 10+ failures within 10m']);
  });

  it('failures spread over more than the window are not guessing, nor are other sources\' failures', () => {
    const checks = new LogOnlyChecks();
    for (let i = 0; i < 9; i++) checks.judge(request({ time: T0 + i * MIN, ip: '198.51.100.1', authFailure: true, status: 401 }));
    // the 10th from another source, and the 10th from the first source after the first ones aged out
    expect(checks.judge(request({ time: T0 + 9 * MIN, ip: '198.51.100.2', authFailure: true, status: 401 })).who.reasons).toHaveLength(1);
    expect(checks.judge(request({ time: T0 + 10 * MIN, ip: '198.51.100.1', authFailure: true, status: 401 })).who.reasons).toHaveLength(1);
  });
});

describe('Where: more than one network within 30 minutes', () => {
  it('groups IPv4 by /24 and IPv6 by /64', () => {
    expect(networkOf('10.10.5.77')).toBe('10.10.5.0/24');
    expect(networkOf('2001:db8:dead:1:2:3:4:5')).toBe('2001:db8:dead:1::/64');
  });

  it('reports the other network, never the main one', () => {
    const checks = new LogOnlyChecks();
    for (let i = 0; i < 5; i++) expect(checks.judge(request({ identity: key, time: T0 + i * MIN, ip: '10.10.5.2' })).where.valid).toBe(true);
    const odd = checks.judge(request({ identity: key, time: T0 + 10 * MIN, ip: '203.0.113.99' })).where;
    expect(odd.valid).toBe(false);
    expect(odd.reasons[0]).toBe(
      "possible key sharing or theft: used from 203.0.113.0/24 within 30m of 10.10.5.0/24 (the key's main network is 10.10.5.0/24, 5 requests so far; rule: more than one /24 or /64 within 30m)",
    );
    // the main network stays clean while the odd one is in the window
    expect(checks.judge(request({ identity: key, time: T0 + 11 * MIN, ip: '10.10.5.3' })).where.valid).toBe(true);
  });

  it('a move that takes longer than the window is not reported', () => {
    const checks = new LogOnlyChecks();
    checks.judge(request({ identity: key, time: T0, ip: '10.20.0.15' }));
    checks.judge(request({ identity: key, time: T0 + 1, ip: '10.20.0.15' }));
    expect(checks.judge(request({ identity: key, time: T0 + 30 * MIN + 1, ip: '192.168.1.20' })).where.valid).toBe(true);
  });

  it('requests without any identity are not tracked as a key', () => {
    const checks = new LogOnlyChecks();
    checks.judge(request({ time: T0, ip: '10.10.5.2' }));
    expect(checks.judge(request({ time: T0 + 1, ip: '203.0.113.9' })).where.valid).toBe(true);
  });
});

describe('When: bursts and hourly volume against the key\'s own median', () => {
  it('a burst over 10× the median per active minute, once 30 active minutes are known', () => {
    const checks = new LogOnlyChecks();
    // 40 quiet minutes, one request each
    for (let m = 0; m < 40; m++) expect(checks.judge(request({ identity: key, time: T0 + m * MIN })).when.valid).toBe(true);
    const start = T0 + 41 * MIN;
    const out = Array.from({ length: 12 }, (_, i) => checks.judge(request({ identity: key, time: start + i * 1000 })).when);
    expect(out.slice(0, 10).every((v) => v.valid)).toBe(true); // 10 is not more than max(10, 10 × 1)
    expect(out[10]!.reasons).toEqual(["burst: 11th request within 1m, over 10× the key's median of 1 per active minute (rule: more than 10)"]);
    expect(out[11]!.valid).toBe(false);
  });

  it('no burst is judged before 30 active minutes of history', () => {
    const checks = new LogOnlyChecks();
    for (let m = 0; m < 5; m++) checks.judge(request({ identity: key, time: T0 + m * MIN }));
    const out = Array.from({ length: 30 }, (_, i) => checks.judge(request({ identity: key, time: T0 + 6 * MIN + i * 100 })).when);
    expect(out.every((v) => v.valid)).toBe(true);
  });

  it('an hour over 5× the median per active hour, at least 20, after 6 active hours', () => {
    const checks = new LogOnlyChecks();
    const H = 3_600_000;
    // 8 hours with 4 requests each, 10 minutes apart (no bursts)
    for (let h = 0; h < 8; h++) for (let i = 0; i < 4; i++) checks.judge(request({ identity: key, time: T0 + h * H + i * 10 * MIN }));
    // hour 9: 21 requests, 2.5 minutes apart: median 4, limit max(20, 5 × 4) = 20
    const out = Array.from({ length: 21 }, (_, i) => checks.judge(request({ identity: key, time: T0 + 9 * H + i * 150_000 })).when);
    expect(out.slice(0, 20).every((v) => v.valid)).toBe(true);
    expect(out[20]!.reasons).toEqual(["volume: 21st request this hour (UTC), over 5× the key's median of 4 per active hour (rule: more than 20)"]);
  });
});

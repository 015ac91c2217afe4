import { describe, expect, it } from 'vitest';
import type { Finding, RowId } from '../../src/model/finding.js';
import { parsePolicy } from '../../src/policy/load.js';
import { Activity, networkOfIp, type Seen } from '../../src/triage/activity.js';
import { BlastRadius } from '../../src/triage/blast.js';
import { Onset } from '../../src/triage/onset.js';
import { request } from '../helpers/requests.js';

const POLICY = parsePolicy(
  `
version: 1
roles:
  reader: { allow: [GET /**] }
keys:
  - name: fenced
    match: { alias: fenced }
    role: reader
    from: [10.20.0.0/24, "2001:db8:42::/48"]
  - name: open
    match: { alias: open }
`,
  'p.yaml',
);
const FENCED = POLICY.keys[0]!;
const OPEN = POLICY.keys[1]!;

let minute = 0;
/** A request one minute after the previous one; `row` makes it a violation. */
function seen(ip: string, row?: RowId, over: Parameters<typeof request>[0] = {}): Seen {
  const req = request({ time: Date.parse('2026-11-19T09:00:00Z') + minute++ * 60_000, ip, ...over });
  return { req, findings: row ? [{ row, reasons: [`broke ${row}`] } as Finding] : [] };
}

describe('networks', () => {
  it('are /24 for IPv4 and /64 for IPv6', () => {
    expect(networkOfIp('10.20.0.15')).toBe('10.20.0.0/24');
    expect(networkOfIp('2001:db8:42::1a')).toBe('2001:db8:42::/64');
    expect(networkOfIp('')).toBe('');
  });
});

describe('onset', () => {
  it('the first violation is the first request with a finding', () => {
    const o = new Onset(FENCED);
    o.add(seen('10.20.0.15'));
    o.add(seen('10.20.0.15', 'invalid-for-role', { path: '/forbidden', line: 7 }));
    o.add(seen('10.20.0.15', 'when-violation'));
    expect(o.firstViolation).toMatchObject({ path: '/forbidden', line: 7, rows: ['invalid-for-role'], reasons: ['broke invalid-for-role'] });
  });

  it("the key's first network starts its history: it is not new", () => {
    const o = new Onset(FENCED);
    expect(o.add(seen('198.51.100.7'))).toBeNull();
    expect(o.firstNewNetwork).toBeNull();
    expect(o.networks.get('198.51.100.0/24')).toMatchObject({ isNew: false, insideFrom: false, requests: 1 });
  });

  it('another address in a known /24 is not a new network; the next /24 is', () => {
    const o = new Onset(FENCED);
    o.add(seen('10.20.0.15'));
    expect(o.add(seen('10.20.0.99'))).toBeNull();
    const event = o.add(seen('203.0.113.99', undefined, { line: 42 }));
    expect(event).toMatchObject({ network: '203.0.113.0/24', insideFrom: false, request: { ip: '203.0.113.99', line: 42 } });
    expect(o.firstNewNetwork).toBe(event);
    expect(o.add(seen('203.0.113.5'))).toBeNull();
    expect(o.networks.get('203.0.113.0/24')!.requests).toBe(2);
  });

  it('says whether a new network is inside the key\'s from; the first foreign one is kept apart', () => {
    const o = new Onset(FENCED);
    o.add(seen('10.20.0.15'));
    o.add(seen('2001:db8:42::1a')); // the VPN: new, but allowed
    o.add(seen('192.168.1.20')); // home: new and outside
    expect(o.firstNewNetwork).toMatchObject({ network: '2001:db8:42::/64', insideFrom: true });
    expect(o.firstForeignNetwork).toMatchObject({ network: '192.168.1.0/24', insideFrom: false });
  });

  it('a key without from: every new network counts as foreign, insideFrom unknown', () => {
    const o = new Onset(OPEN);
    o.add(seen('10.20.0.15'));
    o.add(seen('10.30.0.15'));
    expect(o.firstForeignNetwork).toMatchObject({ network: '10.30.0.0/24', insideFrom: null });
  });

  it('requests without a client IP are no network', () => {
    const o = new Onset(null);
    expect(o.add(seen(''))).toBeNull();
    expect(o.networks.size).toBe(0);
  });
});

describe('blast radius', () => {
  it('starts at the first violation and counts everything from then on', () => {
    const b = new BlastRadius();
    b.add(seen('10.20.0.15'), false);
    b.add(seen('10.20.0.15', undefined, { path: '/before' }), false);
    expect(b.start).toBeNull();
    b.add(seen('203.0.113.99', 'key-compromised', { api: 'Elastic', path: '/elastic/_security/user', status: 200 }), false);
    b.add(seen('203.0.113.99', 'key-compromised', { api: 'OPNsense', method: 'POST', path: '/opnsense/api/core/firmware/update', status: 403 }), false);
    b.add(seen('10.20.0.15', undefined, { api: 'Elastic', path: '/elastic/logs/_search', status: 200 }), false);
    expect(b.start).toMatchObject({ by: 'first-violation', request: { path: '/elastic/_security/user' } });
    expect(b.total).toEqual({ requests: 3, succeeded: 2, blocked: 1, unknown: 0 });
    expect([b.violations, b.letThrough]).toEqual([2, 1]);
    expect(Object.fromEntries(b.apis)).toEqual({
      Elastic: { requests: 2, succeeded: 2, blocked: 0, unknown: 0 },
      OPNsense: { requests: 1, succeeded: 0, blocked: 1, unknown: 0 },
    });
    expect([...b.actions.keys()]).toEqual(['GET /elastic/_security/user', 'POST /opnsense/api/core/firmware/update', 'GET /elastic/logs/_search']);
    expect(b.actions.has('GET /before')).toBe(false);
    // What the sources that broke policy did, apart from the key's ordinary traffic.
    expect(b.fromSuspects).toEqual({ requests: 2, succeeded: 1, blocked: 1, unknown: 0 });
    expect([...b.suspects]).toEqual(['203.0.113.99']);
  });

  it('starts earlier, at a new network outside from, when the stolen key broke no rule at first', () => {
    const b = new BlastRadius();
    b.add(seen('10.20.0.15'), false);
    b.add(seen('203.0.113.99', undefined, { path: '/quiet-first-use' }), true);
    b.add(seen('203.0.113.99', 'when-violation'), false);
    expect(b.start).toMatchObject({ by: 'first-new-network', request: { path: '/quiet-first-use' } });
    expect(b.total.requests).toBe(2);
    expect(b.fromSuspects.requests).toBe(2);
  });

  it('names an API by the first path segment when the log has no API name', () => {
    const b = new BlastRadius();
    b.add(seen('1.2.3.4', 'unauthenticated', { api: '', path: '/rt/REST/2.0/ticket/1' }), false);
    expect([...b.apis.keys()]).toEqual(['/rt/…']);
  });
});

describe('activity', () => {
  it('counts use, sources and actions, with from and role verdicts per source and action', () => {
    const a = new Activity(FENCED);
    a.add(seen('10.20.0.15', undefined, { status: 200 }));
    a.add(seen('10.20.0.15', undefined, { status: 429 }));
    a.add(seen('203.0.113.99', 'key-compromised', { method: 'DELETE', path: '/elastic/x', status: 200 }));
    a.add(seen('203.0.113.99', 'key-compromised', { method: 'DELETE', path: '/elastic/x', status: 0 }));
    expect(a.use).toEqual({ requests: 4, succeeded: 2, blocked: 1, unknown: 1 });
    expect([a.violations, a.letThrough]).toEqual([2, 1]);
    expect(a.sources.get('10.20.0.15')).toMatchObject({ insideFrom: true, requests: 2, violations: 0 });
    const attacker = a.sources.get('203.0.113.99')!;
    expect(attacker).toMatchObject({ network: '203.0.113.0/24', insideFrom: false, violations: 2, letThrough: 1 });
    expect([...attacker.rows]).toEqual([['key-compromised', 2]]);
    expect(a.actions.get('DELETE /elastic/x')).toMatchObject({ allowed: false, requests: 2, violations: 2 });
    expect(a.actions.get('GET /elastic/logs/_search')).toMatchObject({ allowed: true });
  });

  it('a key without role may do anything; without a policy key nothing is known', () => {
    const open = new Activity(OPEN);
    open.add(seen('1.2.3.4', undefined, { method: 'DELETE' }));
    expect([...open.actions.values()][0]!.allowed).toBe(true);
    expect([...open.sources.values()][0]!.insideFrom).toBeNull();
    const none = new Activity(null);
    none.add(seen('1.2.3.4'));
    expect([...none.actions.values()][0]!.allowed).toBeNull();
  });
});

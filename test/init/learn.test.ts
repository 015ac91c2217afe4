import { describe, expect, it } from 'vitest';
import {
  ActionTree,
  PeakCounter,
  TrafficLearner,
  generaliseSegment,
  hashPath,
  networkOf,
  pathSegments,
  type ActionLeaf,
  type IdentityStats,
} from '../../src/init/learn.js';
import { ZoneClock } from '../../src/policy/zone.js';
import { request } from '../helpers/requests.js';

const at = (iso: string): number => Date.parse(iso);
const leaf = (path: string) => ({ requests: 1, paths: new Set([hashPath(path)]) });
const actionsOf = (leaves: ActionLeaf[]): string[] => leaves.map((l) => `${l.method} /${l.segments.join('/')}`).sort();

function treeOf(actions: string[], fold?: number): ActionTree {
  const tree = new ActionTree();
  for (const a of actions) {
    const [method, path] = a.split(' ') as [string, string];
    tree.add(method, pathSegments(path).map(generaliseSegment), 'net', leaf(path));
  }
  if (fold !== undefined) tree.fold(fold);
  return tree;
}

describe('generaliseSegment: what looks like an id becomes *', () => {
  it.each([
    ['12345', 'digits'],
    ['0', 'a single digit'],
    ['3f2504e0-4f89-11d3-9a0c-0305e82c3301', 'a UUID'],
    ['3F2504E0-4F89-11D3-9A0C-0305E82C3301', 'an upper-case UUID'],
    ['deadbeef', 'hex of 8'],
    ['44d88612fea8a8f36de82e1278abb02f', 'an md5'],
    ['aGVsbG8gd29ybGQ1234', 'a base64 token of 16+ with a digit'],
    ['dGVzdC10b2tlbl9fMQ==', 'a padded base64 token'],
    ['abc_DEF-ghi_JKL-1', 'a url-safe token of 16+ with a digit'],
    ['192.0.2.24', 'an IPv4 address'],
    ['2001:db8::1', 'an IPv6 address'],
    ['alice@corp.example', 'an e-mail address'],
    ['alice%40corp.example', 'a percent-encoded e-mail address'],
  ])('%s (%s)', (segment) => {
    expect(generaliseSegment(segment)).toBe('*');
  });

  it.each([
    ['_search', 'a word'],
    ['deadbee', 'hex of only 7'],
    ['logs-endpoint-default', 'a long name without a digit'],
    ['logs-windows.sysmon-default', 'a dotted name'],
    ['login-micros0ft-support.example', 'a domain name (left to the many-values rule)'],
    ['2.0', 'a version'],
    ['v3', 'a short token with a digit'],
    ['logs-*', 'a literal star inside a segment'],
    ['', 'the empty segment of a trailing slash'],
  ])('%s stays (%s)', (segment) => {
    expect(generaliseSegment(segment)).toBe(segment);
  });

  it('makes * of what a pattern cannot hold literally: **, whitespace, ? and #', () => {
    for (const s of ['**', 'a**b', 'two words', 'tab\there', 'what%3F?', 'x#y']) expect(generaliseSegment(s)).toBe('*');
  });
});

describe('pathSegments', () => {
  it('splits a normalised path, keeping a trailing slash as an empty last segment', () => {
    expect(pathSegments('/a/b')).toEqual(['a', 'b']);
    expect(pathSegments('/')).toEqual(['']);
    expect(pathSegments('/a/')).toEqual(['a', '']);
  });
});

describe('ActionTree.fold: more than N distinct values under one parent become *', () => {
  const users = (n: number, method = 'GET', parent = '/api/users'): string[] =>
    Array.from({ length: n }, (_, i) => `${method} ${parent}/user-${'abcdefgh'[i]}/profile`);

  it('folds 6 distinct values at one position, and merges what is below them', () => {
    const tree = treeOf(users(6), 5);
    const leaves = tree.leaves();
    expect(actionsOf(leaves)).toEqual(['GET /api/users/*/profile']);
    expect(leaves[0]!.ends.get('net')!.requests).toBe(6);
    expect(leaves[0]!.ends.get('net')!.paths.size).toBe(6);
  });

  it('keeps 5 distinct values as they are', () => {
    expect(actionsOf(treeOf(users(5), 5).leaves())).toHaveLength(5);
  });

  it('counts per method: 3 GET and 3 POST values do not fold', () => {
    expect(actionsOf(treeOf([...users(3, 'GET'), ...users(3, 'POST')], 5).leaves())).toHaveLength(6);
  });

  it('counts per parent prefix: 3 values under each of two parents do not fold', () => {
    const tree = treeOf([...users(3, 'GET', '/a'), ...users(3, 'GET', '/b')], 5);
    expect(actionsOf(tree.leaves())).toHaveLength(6);
  });

  it('counts a * from an id as one of the values', () => {
    const tree = treeOf([...users(5), 'GET /api/users/12345/profile'], 5);
    expect(actionsOf(tree.leaves())).toEqual(['GET /api/users/*/profile']);
  });

  it('never folds the empty segment of a trailing slash: * does not match it', () => {
    const tree = treeOf(['GET /x/', 'GET /x/a', 'GET /x/b', 'GET /x/c', 'GET /x/d', 'GET /x/e', 'GET /x/f'], 5);
    expect(actionsOf(tree.leaves())).toEqual(['GET /x/', 'GET /x/*']);
  });

  it('folds again below a fold when the merged values are many', () => {
    const paths = Array.from({ length: 6 }, (_, i) => `GET /t/tenant-${'abcdef'[i]}/item-${'ghijkl'[i]}`);
    expect(actionsOf(treeOf(paths, 5).leaves())).toEqual(['GET /t/*/*']);
  });

  it('bounds memory while learning: a position with very many names is folded early', () => {
    const tree = new ActionTree(64);
    for (let i = 0; i < 1000; i++) tree.add('GET', ['people', `name-${String.fromCharCode(97 + (i % 26))}${Math.floor(i / 26)}x`], 'net', leaf(`/p/${i}`));
    const leaves = tree.leaves();
    expect(leaves.length).toBeLessThanOrEqual(65);
    expect(leaves.reduce((n, l) => n + l.ends.get('net')!.requests, 0)).toBe(1000);
  });
});

describe('PeakCounter: most requests in any window (t − 60 s, t]', () => {
  const peakOf = (times: number[], hold = 300_000): PeakCounter => {
    const p = new PeakCounter(60_000, hold);
    for (const t of times) p.add(t);
    p.finish();
    return p;
  };

  it('excludes the request exactly 60 s before, includes the one 59.999 s before', () => {
    expect(peakOf([0, 30_000, 60_000]).peak).toBe(2);
    expect(peakOf([1, 30_000, 60_000]).peak).toBe(3);
  });

  it('reports the time of the first window that reached the peak', () => {
    const p = peakOf([0, 1000, 2000, 500_000, 501_000, 502_000]);
    expect(p.peak).toBe(3);
    expect(p.peakAt).toBe(2000);
  });

  it('counts requests of the same millisecond together', () => {
    expect(peakOf([5000, 5000, 5000]).peak).toBe(3);
  });

  it('gives the same peak for nearly sorted input as for sorted input', () => {
    const sorted = Array.from({ length: 200 }, (_, i) => i * 7_000 + (i % 9 === 0 ? 0 : 3_000));
    const shuffled = [...sorted];
    for (let i = 0; i + 5 < shuffled.length; i += 5) shuffled.splice(i, 5, ...shuffled.slice(i, i + 5).reverse());
    const a = peakOf(sorted);
    const b = peakOf(shuffled);
    expect(b.peak).toBe(a.peak);
    expect(b.peakAt).toBe(a.peakAt);
  });

  it('finds a burst spread over a long, steady stream', () => {
    const steady = Array.from({ length: 5000 }, (_, i) => i * 30_000);
    const burst = Array.from({ length: 12 }, (_, i) => 40_000_000 + i * 2_000);
    const p = peakOf([...steady, ...burst].sort((x, y) => x - y));
    expect(p.peak).toBe(14); // the burst plus the two steady requests inside its window
  });
});

describe('networkOf', () => {
  it('generalises IPv4 to /24 and IPv6 to /64 by default, as the flags ask otherwise', () => {
    expect(networkOf('10.20.0.15', 24, 64).cidr).toBe('10.20.0.0/24');
    expect(networkOf('2001:db8:42::1a', 24, 64).cidr).toBe('2001:db8:42::/64');
    expect(networkOf('10.20.0.15', 16, 64).cidr).toBe('10.20.0.0/16');
    expect(networkOf('10.20.0.15', 32, 64).cidr).toBe('10.20.0.15/32');
    expect(networkOf('255.255.255.255', 1, 64).cidr).toBe('128.0.0.0/1');
    expect(networkOf('10.20.0.15', 0, 64).cidr).toBe('0.0.0.0/0');
    expect(networkOf('2001:db8:42:7::1', 24, 48).cidr).toBe('2001:db8:42::/48');
    expect(networkOf('2001:db8:42:7::1', 24, 128).cidr).toBe('2001:db8:42:7::1/128');
  });

  it('treats an IPv4-mapped IPv6 address as its IPv4 address', () => {
    expect(networkOf('::ffff:10.20.0.15', 24, 64)).toMatchObject({ cidr: '10.20.0.0/24', family: 4 });
  });

  it('gives no network for a source that is not an IP', () => {
    expect(networkOf('unknown', 24, 64)).toMatchObject({ cidr: '', family: 0 });
  });
});

describe('TrafficLearner', () => {
  const learn = (reqs: ReturnType<typeof request>[], zone = 'UTC') => {
    const l = new TrafficLearner({ clock: new ZoneClock(zone), prefix4: 24, prefix6: 64 });
    for (const r of reqs) l.add(r);
    return l.finish();
  };
  const only = (ids: IdentityStats[]): IdentityStats => {
    expect(ids).toHaveLength(1);
    return ids[0]!;
  };

  it('groups by identityGroup: one hash with two aliases is one identity, with both shapes', () => {
    const t = learn([
      request({ identity: { hash: 'aaaaaaaaaaaaaaaa', alias: 'x' } }),
      request({ identity: { hash: 'aaaaaaaaaaaaaaaa', alias: 'y' } }),
      request({ identity: { hash: 'aaaaaaaaaaaaaaaa', alias: 'y' } }),
    ]);
    const id = only(t.identities);
    expect(id).toMatchObject({ kind: 'hash', value: 'aaaaaaaaaaaaaaaa', requests: 3 });
    expect([...id.shapes.values()].map((s) => [s.alias, s.requests])).toEqual([
      ['x', 1],
      ['y', 2],
    ]);
  });

  it('keeps requests without any key apart, per source IP with statuses', () => {
    const t = learn([
      request({ identity: { hash: '00000000' }, ip: '203.0.113.50', status: 401 }),
      request({ identity: {}, ip: '203.0.113.50', status: 401 }),
      request({ identity: { alias: '-' }, ip: '203.0.113.51', status: 200 }),
    ]);
    expect(t.identities).toHaveLength(0);
    expect(t.noKey.get('203.0.113.50')).toMatchObject({ requests: 2, statuses: new Map([[401, 2]]) });
    expect(t.noKey.get('203.0.113.51')!.requests).toBe(1);
    expect(t.requests).toBe(3);
  });

  it('counts hours and weekdays in the policy zone, per network', () => {
    // 23:30Z on Thursday is 00:30 on Friday in Amsterdam (UTC+1 in November).
    const t = learn([request({ identity: { alias: 'a' }, at: '2026-11-19T23:30:00Z' })], 'Europe/Amsterdam');
    const net = only(t.identities).networks.get('10.20.0.0/24')!;
    expect(net.hours[0]).toBe(1);
    expect(net.weekdays[5]).toBe(1);
    expect(net.hours.reduce((a, b) => a + b)).toBe(1);
  });

  it('keeps IPs with their counts per network, and first and last times', () => {
    const t = learn([
      request({ identity: { alias: 'a' }, ip: '10.1.2.3', at: '2026-11-19T10:00:00Z' }),
      request({ identity: { alias: 'a' }, ip: '10.1.2.4', at: '2026-11-19T09:00:00Z' }),
      request({ identity: { alias: 'a' }, ip: '::ffff:10.1.2.3', at: '2026-11-19T11:00:00Z' }),
    ]);
    const net = only(t.identities).networks.get('10.1.2.0/24')!;
    expect(net.requests).toBe(3);
    expect(net.first).toBe(at('2026-11-19T09:00:00Z'));
    expect(net.last).toBe(at('2026-11-19T11:00:00Z'));
    expect(net.ips.get('10.1.2.4')).toBe(1);
  });

  it('counts every request towards the peak, from any network', () => {
    const reqs = [0, 1, 2, 3].map((s) => request({ identity: { alias: 'a' }, ip: s < 2 ? '10.0.0.1' : '192.0.2.1', at: `2026-11-19T10:00:0${s}Z` }));
    expect(only(learn(reqs).identities).peak.peak).toBe(4);
  });

  it('never puts a raw key that sits in its own path into an action', () => {
    const raw = 'Sup3r-Secret_raw_key';
    const t = learn([request({ identity: { key: raw }, path: `/keys/prefix-${raw}/info` })]);
    const actions = actionsOf(only(t.identities).actions.leaves());
    expect(actions).toEqual(['GET /keys/*/info']);
    expect(t.secrets).toEqual([raw]);
  });

  it('keeps a raw key exposed elsewhere in a record out of actions too, and remembers it for the draft', () => {
    const raw = 'exposed-in-the-query-string';
    const t = learn([request({ identity: { hash: 'aaaaaaaaaaaaaaaa' }, exposedKey: raw, path: `/lookup/${raw}` })]);
    expect(actionsOf(only(t.identities).actions.leaves())).toEqual(['GET /lookup/*']);
    expect(t.secrets).toEqual([raw]);
  });
});

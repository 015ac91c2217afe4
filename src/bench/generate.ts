/**
 * The benchmark workload (`npm run bench`, test/bench/generate.test.ts): a policy and the same Tyk
 * analytics records written twice, as tyk-pump NDJSON and as CSV-pump CSV (42 columns, pump ≥ 1.16).
 *
 * Deterministic: one seeded PRNG (mulberry32), no clock, no Math.random; the same options give the
 * same bytes. Time zones are computed with Intl here, independently of src/, so the planted
 * violations check apiguard rather than agree with it by construction.
 *
 * The traffic: a SOC's API gateway at ~12 requests/s (1,000,000 records ≈ 23 hours, from Friday
 * 2026-11-20 06:00 Europe/Amsterdam on), 553 keys of automation, analysts on shifts, admins and
 * labs; timestamps are request start times logged in completion order, so they increase with up
 * to 3 s of jitter (the request's latency). Among the ordinary requests, every kind of violation
 * of the decision table is planted at ~1% of the records per row (PLAN), and the generator keeps
 * the ordinary traffic clean: it simulates each key's rate windows, daily quota counts and
 * schedule, so the findings apiguard must report are exactly `expectedByRow`.
 */
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

// ------------------------------------------------------------------------------------ constants

export const DEFAULT_SEED = 0x61706967;
/** Mean completed requests per second (exponential gaps). */
export const RECORDS_PER_SECOND = 12;
/** Completion time of the first record: Friday 06:00 in Amsterdam (CET, no DST change for months). */
export const PERIOD_START = Date.UTC(2026, 10, 20, 5, 0, 0);
/** A record's timestamp is its start: completion minus latency, which stays below this. */
export const MAX_LATENCY_MS = 3000;
/** A sanity limit: 50M records are ~48 days of traffic and ~85 GB of files. */
export const MAX_RECORDS = 50_000_000;
const POLICY_ZONE = 'Europe/Amsterdam';
const US_ZONE = 'America/New_York';
const ORG = '5e9d9544a1dcd60001d0ed20';
const HOST = 'gw.corp.example';
const NO_KEY = '00000000';
const DAY_MS = 86_400_000;
/** A slot is a candidate for a planted violation with this probability; a kind behind its plan is planted (chosen by how far behind). */
const VIOLATION_SLOT_P = 0.08;
/** A planted rate burst completes within this span; with MAX_LATENCY_MS it stays inside the shortest rate window (10 s). */
const BURST_SPAN_MS = 3000;

export type TableRow = 'unauthenticated' | 'wrong-workstation' | 'key-compromised' | 'invalid-for-role' | 'when-violation';
export const TABLE_ROWS: readonly TableRow[] = ['unauthenticated', 'wrong-workstation', 'key-compromised', 'invalid-for-role', 'when-violation'];

export type PlantKind =
  | 'unknown-key'
  | 'no-key'
  | 'revoked-key'
  | 'wrong-network'
  | 'compromised'
  | 'forbidden-action'
  | 'out-of-hours'
  | 'over-rate'
  | 'over-quota';

/** The table row each planted kind must be reported as. */
export const KIND_ROW: Readonly<Record<PlantKind, TableRow>> = {
  'unknown-key': 'unauthenticated',
  'no-key': 'unauthenticated',
  'revoked-key': 'unauthenticated',
  'wrong-network': 'wrong-workstation',
  compromised: 'key-compromised',
  'forbidden-action': 'invalid-for-role',
  'out-of-hours': 'when-violation',
  'over-rate': 'when-violation',
  'over-quota': 'when-violation',
};

/**
 * Planned findings per record, by kind: 1% per table row. Row 1 is an unknown key, no key or a
 * revoked key; row 2 a wrong network with an allowed action; row 3 a wrong network with a
 * forbidden action; row 4 a forbidden action; row 5 out of hours, over rate (the requests beyond
 * the limit of a burst) or over quota.
 */
export const PLAN: Readonly<Record<PlantKind, number>> = {
  'unknown-key': 0.004,
  'no-key': 0.004,
  'revoked-key': 0.002,
  'wrong-network': 0.01,
  compromised: 0.01,
  'forbidden-action': 0.01,
  'out-of-hours': 0.0034,
  'over-rate': 0.0033,
  'over-quota': 0.0033,
};
const KINDS = Object.keys(PLAN) as PlantKind[];

/** The 42 columns of the CSV pump ≥ 1.16 (tyk-pump pumps/csv.go, analytics.GetFieldNames). */
export const CSV_HEADER: readonly string[] = [
  'Method', 'Host', 'Path', 'RawPath', 'ContentLength', 'UserAgent', 'Day', 'Month', 'Year', 'Hour', 'ResponseCode', 'APIKey',
  'TimeStamp', 'APIVersion', 'APIName', 'APIID', 'OrgID', 'OauthID', 'RequestTime', 'RawRequest', 'RawResponse', 'IPAddress',
  'GeoData.Country.ISOCode', 'GeoData.City.GeoNameID', 'GeoData.City.Names', 'GeoData.Location.Latitude', 'GeoData.Location.Longitude',
  'GeoData.Location.TimeZone', 'NetworkStats.OpenConnections', 'NetworkStats.ClosedConnection', 'NetworkStats.BytesIn',
  'NetworkStats.BytesOut', 'Latency.Total', 'Latency.Upstream', 'Latency.Gateway', 'Tags', 'Alias', 'TrackPath', 'ExpireAt',
  'ApiSchema', 'OriginalPath', 'ListenPath',
];
const MONTH_NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

// ------------------------------------------------------------------------------------ PRNG

export class Random {
  private a: number;
  constructor(seed: number) {
    this.a = seed >>> 0;
  }
  /** mulberry32: uniform in [0, 1). */
  next(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    let t = this.a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [lo, hi], both inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  hex(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += '0123456789abcdef'[Math.floor(this.next() * 16)];
    return s;
  }
}

// ------------------------------------------------------------------------------------ time zones

const QUARTER_HOUR = 15 * 60_000;

/** UTC offsets of one IANA zone from Intl, cached per quarter hour (offsets change on quarter hours). */
class Zone {
  private readonly fmt: Intl.DateTimeFormat;
  private readonly cache = new Map<number, number>();
  constructor(readonly name: string) {
    this.fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }
  offsetMs(t: number): number {
    const bucket = Math.floor(t / QUARTER_HOUR);
    let off = this.cache.get(bucket);
    if (off === undefined) {
      const at = bucket * QUARTER_HOUR;
      const parts = this.fmt.formatToParts(new Date(at));
      const v = (type: string): number => Number(parts.find((p) => p.type === type)!.value);
      off = Date.UTC(v('year'), v('month') - 1, v('day'), v('hour'), v('minute'), v('second')) - at;
      if (this.cache.size > 100_000) this.cache.clear();
      this.cache.set(bucket, off);
    }
    return off;
  }
  /** Local calendar day number, minute of the day and weekday (0 = Sunday). */
  local(t: number): { day: number; minute: number; weekday: number } {
    const local = t + this.offsetMs(t);
    const day = Math.floor(local / DAY_MS);
    return { day, minute: Math.floor((local - day * DAY_MS) / 60_000), weekday: (((day + 4) % 7) + 7) % 7 };
  }
}

// ------------------------------------------------------------------------------------ networks

interface Cidr {
  text: string;
  v: 4 | 6;
  /** IPv4: the first address as a number. */
  base4: number;
  /** IPv6: the eight groups of the first address. */
  groups: number[];
  bits: number;
}

function parseCidr(text: string): Cidr {
  const [addr, len] = text.split('/') as [string, string | undefined];
  if (addr.includes(':')) {
    const [head, tail] = addr.split('::') as [string, string | undefined];
    const h = head === '' ? [] : head.split(':').map((g) => parseInt(g, 16));
    const t = tail === undefined || tail === '' ? [] : tail.split(':').map((g) => parseInt(g, 16));
    const groups = [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
    return { text, v: 6, base4: 0, groups, bits: len === undefined ? 128 : Number(len) };
  }
  const base4 = addr.split('.').reduce((n, o) => n * 256 + Number(o), 0);
  return { text, v: 4, base4, groups: [], bits: len === undefined ? 32 : Number(len) };
}

function ipv4Text(n: number): string {
  return `${Math.floor(n / 16777216) % 256}.${Math.floor(n / 65536) % 256}.${Math.floor(n / 256) % 256}.${n % 256}`;
}

/** RFC 5952 text: lower case, no leading zeros, the longest run of two or more zero groups as `::`. */
export function ipv6Text(groups: readonly number[]): string {
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number): string => groups.slice(from, to).map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLen, 8)}`;
}

/** A random host address inside the CIDR (IPv6: subnet bits up to /64 random, then one random low group). */
function addressIn(c: Cidr, r: Random): string {
  if (c.v === 4) {
    if (c.bits >= 31) return ipv4Text(c.base4);
    const size = 2 ** (32 - c.bits);
    return ipv4Text(c.base4 + r.int(1, size - 2));
  }
  if (c.bits === 128) return ipv6Text(c.groups);
  const g = c.groups.slice();
  for (let i = 0; i < 4; i++) {
    const fixed = Math.max(0, Math.min(16, c.bits - 16 * i));
    if (fixed < 16) g[i] = g[i]! | r.int(1, 2 ** (16 - fixed) - 1);
  }
  g[7] = r.int(1, 0xffff);
  return ipv6Text(g);
}

/** Named networks of the policy: pairwise disjoint, so an address drawn from one is in no other. */
const NETWORKS: readonly (readonly [string, readonly string[]])[] = [
  ['soar-servers', ['10.10.5.0/28', '2001:db8:10:5::/64']],
  ['soar-workers-dc2', ['10.11.5.0/27', '2001:db8:11:5::/64']],
  ['siem-ingest', ['10.12.0.0/24']],
  ['edr-servers', ['10.13.0.0/26']],
  ['firewall-automation', ['10.14.2.0/28']],
  ['ticketing-servers', ['10.15.0.16/28']],
  ['intel-servers', ['10.16.1.0/27', '2001:db8:16:1::/64']],
  ['backup-servers', ['10.17.0.0/28']],
  ['soc-floor-1', ['10.20.1.0/24', '2001:db8:20:1::/64']],
  ['soc-floor-2', ['10.20.2.0/24', '2001:db8:20:2::/64']],
  ['soc-floor-3', ['10.20.3.0/24', '2001:db8:20:3::/64']],
  ['soc-floor-4', ['10.20.4.0/24', '2001:db8:20:4::/64']],
  ['soc-us', ['10.21.0.0/24', '2001:db8:21::/64']],
  ['ir-team', ['10.22.0.0/24', '2001:db8:22::/64']],
  ['threat-intel-team', ['10.23.0.0/25']],
  ['admin-jump-hosts', ['10.30.1.10', '10.30.1.11', '2001:db8:30:1::10']],
  ['admin-jump-hosts-us', ['10.31.1.10', '10.31.1.11']],
  ['lab', ['10.40.0.0/22', '2001:db8:40::/48']],
  ['dev-ci', ['10.50.8.0/24']],
  ['k8s-pods', ['10.60.0.0/16', '2001:db8:60::/48']],
  ['vpn-eu', ['10.99.0.0/16', '2001:db8:42::/48']],
  ['vpn-us', ['10.98.0.0/16', '2001:db8:43::/48']],
  ['dr-site', ['172.16.20.0/24', '2001:db8:172:20::/64']],
  ['cloud-functions', ['172.31.0.0/20']],
  ['partner-mssp', ['192.0.2.0/27']],
];
const NETWORK_CIDRS = new Map(NETWORKS.map(([name, cidrs]) => [name, cidrs.map(parseCidr)]));

/** Outside every policy network: where stolen keys and scanners come from. */
const ATTACKER_IPS = ['203.0.113.99', '198.51.100.23', '203.0.113.7', '2001:db8:dead::7', '198.51.100.201', '2001:db8:dead:beef::1', '203.0.113.250', '198.51.100.66'];
const SCANNER_IPS = ['203.0.113.50', '198.51.100.7', '203.0.113.51', '198.51.100.8', '203.0.113.140', '2001:db8:bad::1', '198.51.100.77', '203.0.113.3'];

// ------------------------------------------------------------------------------------ APIs and actions

interface Api {
  listen: string;
  name: string;
  id: string;
}
const APIS: readonly Api[] = [
  { listen: '/opnsense/', name: 'OPNsense', id: '7c1e4a0b9d2f4e6a8b3c5d7e9f1a2b3c' },
  { listen: '/carbonblack/', name: 'Carbon Black', id: 'b2d4f6a8c0e24b6d8f1a3c5e7a9b1d3f' },
  { listen: '/virustotal/', name: 'VirusTotal', id: 'e5a7c9b1d3f54a7c9e1b3d5f7a9c1e3b' },
  { listen: '/elastic/', name: 'Elastic', id: '3a5c7e9b1d2f4a6c8e0b2d4f6a8c0e1d' },
  { listen: '/rt/', name: 'RT', id: '9d1f3b5a7c9e4b1d3f5a7c9e1b3d5f7a' },
  { listen: '/misp/', name: 'MISP', id: '4b6d8f0a2c4e4f6a8c0e2a4c6e8a0c2e' },
  { listen: '/thehive/', name: 'TheHive', id: '6f8a0c2e4a6c4e8a0c2e4a6c8e0a2c4e' },
];

/**
 * Names a role pattern can tell apart (the siem-connector role denies indices `.alerts-*`): each template using
 * one is expanded into one action per name, so whether a role allows it is known exactly.
 */
const NAMED: Readonly<Record<string, readonly string[]>> = {
  index: ['logs-endpoint.events.process-default', '.alerts-security.alerts-default', 'filebeat-8.15.1', 'winlogbeat-8.15.1', 'logs-system.auth-default', 'packetbeat-8.15.1', 'logs-zeek.conn-default', 'logs-o365.audit-default'],
  alias: ['soar_blocklist', 'ioc_ips', 'tor_exit_nodes', 'quarantine_hosts', 'phishing_senders'],
  user: ['alice', 'bob', 'carol', 'svc-soar', 'svc-backup', 'mallory', 'dave', 'erin'],
};

/** Opaque values (hashes, numbers, addresses, ids) for the other variable segments: no pattern tells them apart. */
interface Vocabulary {
  sha256: string[];
  domain: string[];
  urlid: string[];
  guid: string[];
  caseid: string[];
}

function vocabulary(r: Random): Vocabulary {
  const many = (n: number, f: () => string): string[] => Array.from({ length: n }, f);
  const domains = ['login-micros0ft-support', 'cdn-update-check', 'invoice-portal', 'secure-docsign', 'mail-relay-07', 'pastebin-mirror', 'vpn-gateway-sso', 'okta-verify-session', 'drive-share-files', 'payroll-update'];
  return {
    sha256: many(4000, () => r.hex(64)),
    domain: many(400, () => `${r.pick(domains)}-${r.int(1, 999)}.example`),
    urlid: many(400, () => r.hex(64)),
    guid: many(2000, () => `${r.hex(8)}-0000-${r.hex(4)}-01da-${r.hex(12)}`),
    caseid: many(500, () => `~${r.int(4_000_000, 99_000_000)}`),
  };
}

interface Action {
  method: string;
  api: Api;
  /** Literal parts and placeholder names, alternating (literal first). */
  parts: string[];
  /** The path with every opaque placeholder filled by a fixed example (for classifying against roles). */
  example: string;
  weight: number;
}

const EXAMPLE: Record<string, string> = {
  sha256: '275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f',
  ip: '192.0.2.24',
  domain: 'invoice-portal-7.example',
  urlid: '0f6b2c1d',
  n: '4211',
  guid: '00000001-0000-1a2c-01da-3f2b1c0a9e8f',
  sensor: '117',
  caseid: '~40964168',
};

/** [method, path template, relative frequency]. */
const CATALOG: readonly (readonly [string, string, number])[] = [
  ['GET', '/opnsense/api/core/firmware/status', 1],
  ['POST', '/opnsense/api/core/firmware/update', 0.2],
  ['GET', '/opnsense/api/core/backup/download/this', 0.2],
  ['GET', '/opnsense/api/firewall/alias_util/list/{alias}', 2],
  ['POST', '/opnsense/api/firewall/alias_util/add/{alias}', 3],
  ['POST', '/opnsense/api/firewall/alias_util/delete/{alias}', 1],
  ['POST', '/opnsense/api/firewall/alias_util/flush/{alias}', 0.2],
  ['POST', '/opnsense/api/firewall/filter/apply', 1],
  ['GET', '/opnsense/api/firewall/filter/searchRule', 1],
  ['GET', '/opnsense/api/diagnostics/interface/getArp', 0.5],
  ['GET', '/carbonblack/api/v1/process', 3],
  ['GET', '/carbonblack/api/v1/process/{guid}/1', 4],
  ['GET', '/carbonblack/api/v1/sensor/{sensor}', 2],
  ['PUT', '/carbonblack/api/v1/sensor/{sensor}', 0.5],
  ['DELETE', '/carbonblack/api/v1/sensor/{sensor}', 0.1],
  ['GET', '/carbonblack/api/v1/alert', 2],
  ['POST', '/carbonblack/api/v1/banning/blacklist', 0.5],
  ['GET', '/carbonblack/api/v1/user/{user}', 0.2],
  ['GET', '/virustotal/api/v3/files/{sha256}', 8],
  ['GET', '/virustotal/api/v3/ip_addresses/{ip}', 5],
  ['GET', '/virustotal/api/v3/domains/{domain}', 4],
  ['GET', '/virustotal/api/v3/urls/{urlid}', 2],
  ['POST', '/virustotal/api/v3/files', 0.3],
  ['GET', '/virustotal/api/v3/intelligence/search', 0.2],
  ['GET', '/elastic/{index}/_search', 6],
  ['POST', '/elastic/{index}/_search', 10],
  ['POST', '/elastic/{index}/_doc', 6],
  ['POST', '/elastic/_bulk', 3],
  ['GET', '/elastic/_cat/indices', 1],
  ['GET', '/elastic/{index}/_mapping', 1],
  ['GET', '/elastic/_cluster/health', 2],
  ['GET', '/elastic/_security/user/{user}', 0.2],
  ['GET', '/elastic/_security/api_key', 0.2],
  ['DELETE', '/elastic/{index}', 0.1],
  ['GET', '/rt/REST/2.0/ticket/{n}', 4],
  ['POST', '/rt/REST/2.0/ticket', 1.5],
  ['PUT', '/rt/REST/2.0/ticket/{n}', 1.5],
  ['POST', '/rt/REST/2.0/ticket/{n}/comment', 2],
  ['GET', '/rt/REST/2.0/tickets', 1],
  ['GET', '/rt/REST/2.0/user/{user}', 0.3],
  ['GET', '/misp/events/view/{n}', 2],
  ['POST', '/misp/attributes/restSearch', 3],
  ['POST', '/misp/events/add', 0.5],
  ['GET', '/misp/admin/users/index', 0.2],
  ['GET', '/thehive/api/v1/case/{caseid}', 2],
  ['POST', '/thehive/api/v1/case', 0.5],
  ['PATCH', '/thehive/api/v1/case/{caseid}', 1],
  ['DELETE', '/thehive/api/v1/case/{caseid}', 0.1],
  ['POST', '/thehive/api/v1/alert', 2],
  ['POST', '/thehive/api/v1/query', 2],
];

/** One action per combination of named values; opaque placeholders stay for fillPath. */
function compileActions([method, template, weight]: readonly [string, string, number]): Action[] {
  const api = APIS.find((a) => template.startsWith(a.listen));
  if (!api) throw new Error(`bench: no API for ${template}`);
  const named = /\{(index|alias|user)\}/.exec(template);
  if (named) {
    const values = NAMED[named[1]!]!;
    return values.flatMap((v) => compileActions([method, template.replace(named[0], v), weight / values.length]));
  }
  const parts = template.split(/\{(\w+)\}/);
  const example = parts.map((p, i) => (i % 2 === 1 ? EXAMPLE[p]! : p)).join('');
  return [{ method, api, parts, example, weight }];
}
const ACTIONS: readonly Action[] = CATALOG.flatMap(compileActions);

function fillPath(a: Action, r: Random, v: Vocabulary): string {
  if (a.parts.length === 1) return a.parts[0]!;
  let s = '';
  for (let i = 0; i < a.parts.length; i++) {
    const p = a.parts[i]!;
    if (i % 2 === 0) {
      s += p;
      continue;
    }
    switch (p) {
      case 'sha256': s += r.pick(v.sha256); break;
      case 'ip': s += `${r.int(1, 223)}.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}`; break;
      case 'domain': s += r.pick(v.domain); break;
      case 'urlid': s += r.pick(v.urlid); break;
      case 'n': s += String(r.int(1000, 99_999)); break;
      case 'guid': s += r.pick(v.guid); break;
      case 'sensor': s += String(r.int(1, 5000)); break;
      case 'caseid': s += r.pick(v.caseid); break;
      default: throw new Error(`bench: unknown placeholder {${p}}`);
    }
  }
  return s;
}

// ------------------------------------------------------------------------------------ roles

interface RoleSpec {
  description: string;
  allow: readonly string[];
  deny?: readonly string[];
}

const ROLES: Readonly<Record<string, RoleSpec>> = {
  'soar-automation': {
    description: 'Playbooks - enrich, contain, ticket. Nothing else.',
    allow: [
      'GET /virustotal/api/v3/**',
      'GET /carbonblack/api/v1/process',
      'GET /carbonblack/api/v1/process/**',
      'PUT /carbonblack/api/v1/sensor/*',
      'POST /opnsense/api/firewall/alias_util/add/*',
      'POST /opnsense/api/firewall/alias_util/delete/*',
      'POST /opnsense/api/firewall/filter/apply',
      'GET|POST /elastic/*/_search',
      'POST /rt/REST/2.0/ticket',
      'GET|PUT /rt/REST/2.0/ticket/*',
      'POST /rt/REST/2.0/ticket/*/comment',
      'POST /thehive/api/v1/alert',
      'POST /misp/attributes/restSearch',
    ],
    deny: ['GET /virustotal/api/v3/intelligence/**'],
  },
  enrichment: {
    description: 'Reputation look-ups only.',
    allow: ['GET /virustotal/api/v3/files/*', 'GET /virustotal/api/v3/ip_addresses/*', 'GET /virustotal/api/v3/domains/*', 'GET /virustotal/api/v3/urls/*', 'POST /misp/attributes/restSearch'],
  },
  'analyst-readonly': {
    description: 'Read everything an analyst needs, change nothing but ticket comments.',
    allow: ['GET /**', 'GET|POST /elastic/*/_search', 'POST /rt/REST/2.0/ticket/*/comment', 'POST /thehive/api/v1/query'],
    deny: ['GET /elastic/_security/**', 'GET /opnsense/api/core/backup/**', 'GET /misp/admin/**', 'GET /virustotal/api/v3/intelligence/**', 'GET /carbonblack/api/v1/user/**'],
  },
  'analyst-responder': {
    description: 'Readonly plus containment and case work.',
    allow: [
      'GET /**',
      'GET|POST /elastic/*/_search',
      'POST /rt/REST/2.0/ticket',
      'PUT /rt/REST/2.0/ticket/*',
      'POST /rt/REST/2.0/ticket/*/comment',
      'PUT /carbonblack/api/v1/sensor/*',
      'POST /carbonblack/api/v1/banning/**',
      'POST /opnsense/api/firewall/alias_util/*/*',
      'POST /thehive/api/v1/**',
      'PATCH /thehive/api/v1/case/*',
    ],
    deny: ['GET /elastic/_security/**', 'GET /opnsense/api/core/backup/**', 'POST /opnsense/api/firewall/alias_util/flush/*', 'GET /misp/admin/**', 'GET /carbonblack/api/v1/user/**'],
  },
  'threat-hunter': {
    description: 'Hunts across the SIEM, the EDR and threat intel; changes nothing.',
    allow: ['GET /elastic/**', 'POST /elastic/*/_search', 'GET /carbonblack/api/v1/**', 'GET /virustotal/api/v3/**', 'GET|POST /misp/**'],
    deny: ['GET /elastic/_security/**', 'GET|POST /misp/admin/**', 'GET /carbonblack/api/v1/user/**'],
  },
  auditor: {
    description: 'Reads tickets, cases and audit searches.',
    allow: ['GET /rt/REST/2.0/**', 'GET /thehive/api/v1/case/*', 'GET /elastic/*/_search', 'GET /elastic/_cat/indices'],
    deny: ['GET /rt/REST/2.0/user/**'],
  },
  'ticket-bot': {
    description: 'Opens and updates tickets and alerts.',
    allow: ['POST /rt/REST/2.0/ticket', 'GET|PUT /rt/REST/2.0/ticket/*', 'POST /rt/REST/2.0/ticket/*/comment', 'POST /thehive/api/v1/alert', 'GET /thehive/api/v1/case/*'],
  },
  'siem-connector': {
    description: 'Ships events into the SIEM.',
    allow: ['POST /elastic/*/_doc', 'POST /elastic/_bulk', 'GET /elastic/_cluster/health', 'GET|POST /elastic/*/_search'],
    deny: ['POST /elastic/.alerts-*/**'],
  },
  'firewall-automation': {
    description: 'Maintains block lists on the firewall.',
    allow: ['GET /opnsense/api/firewall/**', 'POST /opnsense/api/firewall/alias_util/add/*', 'POST /opnsense/api/firewall/alias_util/delete/*', 'POST /opnsense/api/firewall/filter/apply', 'GET /opnsense/api/diagnostics/interface/*'],
    deny: ['GET /opnsense/api/firewall/filter/download*'],
  },
  'edr-automation': {
    description: 'EDR look-ups, isolation and bans.',
    allow: ['GET /carbonblack/api/v1/**', 'PUT /carbonblack/api/v1/sensor/*', 'POST /carbonblack/api/v1/banning/blacklist'],
    deny: ['GET /carbonblack/api/v1/user/**'],
  },
  'intel-sync': {
    description: 'Synchronises threat intel.',
    allow: ['GET|POST /misp/**', 'GET /virustotal/api/v3/**'],
    deny: ['* /misp/admin/**', 'GET /virustotal/api/v3/intelligence/**'],
  },
  'platform-admin': {
    description: 'Administers the gateway upstreams.',
    allow: ['* /**'],
  },
  'firewall-admin': {
    description: 'Administers the firewall; reads the rest.',
    allow: ['* /opnsense/**', 'GET /**'],
    deny: ['POST /opnsense/api/core/firmware/**', 'GET /elastic/_security/**'],
  },
};

/** `*` matches one segment or part of one, `**` any number of segments (README "Patterns"); an independent matcher. */
function segmentMatches(pattern: string, segment: string): boolean {
  if (pattern === '*') return segment.length > 0;
  if (!pattern.includes('*')) return pattern === segment;
  const pieces = pattern.split('*');
  let pos = 0;
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i]!;
    if (i === 0) {
      if (!segment.startsWith(piece)) return false;
      pos = piece.length;
    } else if (i === pieces.length - 1) {
      return segment.length - piece.length >= pos && segment.endsWith(piece);
    } else {
      const at = segment.indexOf(piece, pos);
      if (at < 0) return false;
      pos = at + piece.length;
    }
  }
  return true;
}

function segmentsMatch(ps: readonly string[], i: number, xs: readonly string[], j: number): boolean {
  if (i === ps.length) return j === xs.length;
  const p = ps[i]!;
  if (p === '**') {
    for (let k = j; k <= xs.length; k++) if (segmentsMatch(ps, i + 1, xs, k)) return true;
    return false;
  }
  return j < xs.length && segmentMatches(p, xs[j]!) && segmentsMatch(ps, i + 1, xs, j + 1);
}

interface Pattern {
  /** null: any method. */
  methods: readonly string[] | null;
  segments: readonly string[];
}

function compile(pattern: string): Pattern {
  const [m, p] = pattern.split(' ') as [string, string];
  return { methods: m === '*' ? null : m.split('|'), segments: p.split('/').slice(1) };
}

function matches(p: Pattern, method: string, segments: readonly string[]): boolean {
  return (p.methods === null || p.methods.includes(method)) && segmentsMatch(p.segments, 0, segments, 0);
}

export function patternMatches(pattern: string, method: string, path: string): boolean {
  return matches(compile(pattern), method, path.split('/').slice(1));
}

interface CompiledRole {
  allow: Pattern[];
  deny: Pattern[];
}
const COMPILED_ROLES = new Map(Object.entries(ROLES).map(([name, r]) => [name, { allow: r.allow.map(compile), deny: (r.deny ?? []).map(compile) }]));

function roleAllows(role: CompiledRole, method: string, path: string): boolean {
  const segments = path.split('/').slice(1);
  return role.allow.some((p) => matches(p, method, segments)) && !role.deny.some((p) => matches(p, method, segments));
}

// ------------------------------------------------------------------------------------ keys

interface Schedule {
  zone: Zone;
  start: number;
  end: number;
  /** Bit d = weekday d (0 = Sunday). */
  dayMask: number;
}

interface Key {
  name: string;
  hash: string;
  owner: string;
  role: string | null;
  /** The role's patterns, compiled by the generator's own matcher; null: any action. */
  matcher: CompiledRole | null;
  from: string[] | null;
  hours?: string;
  days?: string;
  timezone?: string;
  rate?: string;
  quota?: number;
  revoked?: string;
  expires?: string;
  /** Relative share of the ordinary traffic (0: never used in ordinary traffic). */
  weight: number;
  ips: string[];
  /** Internal addresses outside the key's networks (another floor, a lab): wrong-workstation sources. */
  wrongIps: string[];
  userAgents: string[];
  schedule: Schedule | null;
  rateLimit: number;
  rateWindowMs: number;
  revokedAt: number;
  allowed: Action[];
  allowedCum: number[];
  forbidden: Action[];
  /** Sorted request times (valid Who) from `head` on, for the rate simulation. */
  times: number[];
  head: number;
  /** Requests per local quota day. */
  quotaDays: Map<number, number>;
}

const UA = {
  soar: ['soar-worker/4.2', 'soar-worker/4.2 (playbook-runner)'],
  python: ['python-requests/2.31.0', 'python-requests/2.32.3'],
  go: ['Go-http-client/1.1', 'Go-http-client/2.0'],
  connector: ['elastic-connector/8.15.1', 'fluent-bit/3.1.9'],
  browser: [
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0',
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  ],
  tools: ['curl/8.5.0', 'PostmanRuntime/7.42.0', 'HTTPie/3.2.4'],
  scanner: ['Mozilla/5.0 zgrab/0.x', 'python-requests/2.28.1', 'Mozilla/5.0 (compatible; Nuclei - Open-source project (github.com/projectdiscovery/nuclei))'],
};

const UNKNOWN_KEY_UA = [...UA.python, ...UA.tools];

const DAY_BITS: Record<string, number> = { 'mon-fri': 0b0111110, 'sat-sun': 0b1000001, every: 0x7f };

interface KeyClass {
  prefix: string;
  count: number;
  owner: string;
  roles: readonly string[];
  from: readonly (readonly string[])[] | null;
  rate?: readonly string[];
  weight: number;
  ua: readonly string[];
  shifts?: readonly (readonly [string, string])[];
  timezone?: string;
  quota?: readonly number[];
  revoked?: boolean;
  expires?: string;
}

const EU_FLOORS = [['soc-floor-1', 'vpn-eu'], ['soc-floor-2', 'vpn-eu'], ['soc-floor-3', 'vpn-eu'], ['soc-floor-4', 'vpn-eu']] as const;
const SHIFTS = [
  ['07:00-19:00', 'mon-fri'],
  ['06:00-14:00', 'every'],
  ['14:00-22:00', 'every'],
  ['22:00-06:00', 'every'],
  ['08:00-18:00', 'mon-fri'],
  ['09:00-17:00', 'sat-sun'],
] as const;

const KEY_CLASSES: readonly KeyClass[] = [
  { prefix: 'soar-worker', count: 48, owner: 'soar-team@corp.example', roles: ['soar-automation'], from: [['soar-servers'], ['soar-servers', 'soar-workers-dc2']], rate: ['300/1m', '600/1m'], weight: 3, ua: UA.soar },
  { prefix: 'enrich', count: 24, owner: 'soar-team@corp.example', roles: ['enrichment'], from: [['soar-servers']], rate: ['20/1m', '12/10s'], weight: 0.5, ua: UA.python },
  { prefix: 'vt-quota', count: 12, owner: 'intel@corp.example', roles: ['enrichment'], from: [['soar-servers', 'intel-servers']], quota: [200, 500, 1000], weight: 1, ua: UA.python },
  { prefix: 'vt-trial', count: 1, owner: 'intel@corp.example', roles: ['enrichment'], from: [['intel-servers']], quota: [25], weight: 0.3, ua: UA.tools },
  { prefix: 'siem-connector', count: 16, owner: 'siem@corp.example', roles: ['siem-connector'], from: [['siem-ingest', 'k8s-pods']], rate: ['1200/1m'], weight: 4, ua: UA.connector },
  { prefix: 'fw-auto', count: 12, owner: 'netsec@corp.example', roles: ['firewall-automation'], from: [['firewall-automation']], rate: ['10/10s'], weight: 0.5, ua: UA.go },
  { prefix: 'edr-auto', count: 12, owner: 'edr@corp.example', roles: ['edr-automation'], from: [['edr-servers']], rate: ['30/1m'], weight: 0.8, ua: UA.go },
  { prefix: 'ticket-bot', count: 16, owner: 'soar-team@corp.example', roles: ['ticket-bot'], from: [['ticketing-servers', 'soar-servers']], rate: ['20/1m'], weight: 0.6, ua: UA.python },
  { prefix: 'intel-sync', count: 12, owner: 'intel@corp.example', roles: ['intel-sync'], from: [['intel-servers']], rate: ['600/1h'], weight: 0.5, ua: UA.python },
  { prefix: 'analyst', count: 240, owner: 'soc.eu@corp.example', roles: ['analyst-readonly', 'analyst-readonly', 'analyst-responder', 'threat-hunter', 'auditor'], from: EU_FLOORS, rate: ['30/1m', '60/1m'], weight: 0.3, ua: [...UA.browser, ...UA.tools], shifts: SHIFTS },
  { prefix: 'analyst-us', count: 60, owner: 'soc.us@corp.example', roles: ['analyst-readonly', 'analyst-responder', 'threat-hunter'], from: [['soc-us', 'vpn-us']], rate: ['30/1m'], weight: 0.3, ua: UA.browser, shifts: [['08:00-17:00', 'mon-fri'], ['16:00-24:00', 'every'], ['00:00-08:00', 'every']], timezone: US_ZONE },
  { prefix: 'ir', count: 20, owner: 'ir@corp.example', roles: ['analyst-responder'], from: [['ir-team', 'vpn-eu']], rate: ['120/1m'], weight: 0.4, ua: [...UA.tools, ...UA.python] },
  { prefix: 'admin', count: 12, owner: 'platform@corp.example', roles: ['platform-admin'], from: [['admin-jump-hosts']], rate: ['20/1m'], weight: 0.2, ua: UA.tools, shifts: [['08:00-18:00', 'mon-fri']], expires: '2027-12-31' },
  { prefix: 'fw-admin', count: 12, owner: 'netsec@corp.example', roles: ['firewall-admin'], from: [['admin-jump-hosts', 'admin-jump-hosts-us']], rate: ['20/1m'], weight: 0.2, ua: UA.tools, shifts: [['07:00-20:00', 'mon-fri']] },
  { prefix: 'lab', count: 16, owner: 'lab@corp.example', roles: [], from: [['lab', 'dev-ci']], rate: ['60/1m'], weight: 0.2, ua: [...UA.python, ...UA.tools] },
  { prefix: 'partner', count: 8, owner: 'mssp@partner.example', roles: ['analyst-readonly'], from: [['partner-mssp']], rate: ['30/1m'], weight: 0.3, ua: UA.browser, shifts: [['00:00-24:00', 'mon-fri']] },
  { prefix: 'dr', count: 8, owner: 'soar-team@corp.example', roles: ['soar-automation'], from: [['dr-site']], rate: ['300/1m'], weight: 0.1, ua: UA.soar },
  { prefix: 'cloud-fn', count: 8, owner: 'cloud@corp.example', roles: ['siem-connector'], from: [['cloud-functions']], rate: ['600/1m'], weight: 0.5, ua: UA.go },
  { prefix: 'legacy', count: 6, owner: 'soc.eu@corp.example', roles: ['analyst-readonly'], from: null, rate: ['30/1m'], weight: 0.1, ua: UA.tools },
  { prefix: 'revoked', count: 10, owner: 'soc.eu@corp.example', roles: ['analyst-readonly'], from: [['soc-floor-1', 'vpn-eu']], weight: 0, ua: UA.browser, revoked: true },
];

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000 };

function parseHours(text: string): [number, number] {
  const [a, b] = text.split('-') as [string, string];
  const min = (s: string): number => Number(s.slice(0, 2)) * 60 + Number(s.slice(3, 5));
  return [min(a), min(b)];
}

function inSchedule(s: Schedule, t: number): boolean {
  const l = s.zone.local(t);
  const inHours = s.start < s.end ? l.minute >= s.start && l.minute < s.end : l.minute >= s.start || l.minute < s.end;
  return inHours && (s.dayMask & (1 << l.weekday)) !== 0;
}

function buildKeys(r: Random, zones: Map<string, Zone>): Key[] {
  const keys: Key[] = [];
  const hashes = new Set<string>();
  const zoneOf = (name: string): Zone => {
    let z = zones.get(name);
    if (!z) zones.set(name, (z = new Zone(name)));
    return z;
  };
  const networkNames = NETWORKS.map(([n]) => n);
  for (const c of KEY_CLASSES) {
    for (let i = 1; i <= c.count; i++) {
      const name = c.count === 1 ? c.prefix : `${c.prefix}-${String(i).padStart(c.count >= 100 ? 3 : 2, '0')}`;
      let hash = r.hex(16);
      while (hashes.has(hash)) hash = r.hex(16);
      hashes.add(hash);
      const role = c.roles.length ? r.pick(c.roles) : null;
      const from = c.from ? [...r.pick(c.from)] : null;
      const inside = from ?? networkNames.filter((n) => n.startsWith('soc-floor') || n === 'vpn-eu');
      const ips = Array.from({ length: r.int(2, 5) }, () => addressIn(r.pick(NETWORK_CIDRS.get(r.pick(inside))!), r));
      const outside = networkNames.filter((n) => !(from ?? []).includes(n));
      const wrongIps = Array.from({ length: r.int(1, 2) }, () => addressIn(r.pick(NETWORK_CIDRS.get(r.pick(outside))!), r));
      const shift = c.shifts ? r.pick(c.shifts) : undefined;
      const zone = c.timezone ?? POLICY_ZONE;
      let schedule: Schedule | null = null;
      if (shift) {
        const [start, end] = parseHours(shift[0]);
        schedule = { zone: zoneOf(zone), start, end: end === 0 ? 1440 : end, dayMask: DAY_BITS[shift[1]]! };
      }
      const rate = c.rate ? r.pick(c.rate) : undefined;
      const rm = rate ? /^(\d+)\/(\d+)([smh])$/.exec(rate)! : null;
      const revokedAt = c.revoked ? PERIOD_START - r.int(2, 20) * DAY_MS - r.int(0, 86_399) * 1000 : Infinity;
      const allowed = role ? ACTIONS.filter((a) => roleAllows(COMPILED_ROLES.get(role)!, a.method, a.example)) : [...ACTIONS];
      const forbidden = role ? ACTIONS.filter((a) => !roleAllows(COMPILED_ROLES.get(role)!, a.method, a.example)) : [];
      let cum = 0;
      keys.push({
        name,
        hash,
        owner: c.owner,
        role,
        matcher: role ? COMPILED_ROLES.get(role)! : null,
        from,
        hours: shift ? shift[0] : undefined,
        days: shift ? (shift[1] === 'every' ? undefined : shift[1]) : undefined,
        timezone: c.timezone,
        rate,
        quota: c.quota ? r.pick(c.quota) : undefined,
        revoked: Number.isFinite(revokedAt) ? new Date(revokedAt).toISOString().replace('.000Z', 'Z') : undefined,
        expires: c.expires,
        weight: c.weight * (0.4 + 1.2 * r.next()),
        ips,
        wrongIps,
        userAgents: [r.pick(c.ua), r.pick(c.ua)],
        schedule,
        rateLimit: rm ? Number(rm[1]) : Infinity,
        rateWindowMs: rm ? Number(rm[2]) * UNIT_MS[rm[3]!]! : 0,
        revokedAt,
        allowed,
        allowedCum: allowed.map((a) => (cum += a.weight)),
        forbidden,
        times: [],
        head: 0,
        quotaDays: new Map(),
      });
    }
  }
  for (const k of keys) {
    if (k.allowed.length === 0) throw new Error(`bench: role ${k.role} allows no catalogued action`);
    if (k.role !== 'platform-admin' && k.role !== null && k.forbidden.length === 0) throw new Error(`bench: role ${k.role} forbids no catalogued action`);
  }
  return keys;
}

// ------------------------------------------------------------------------------------ policy text

const q = (s: string): string => JSON.stringify(s);

function policyYaml(keys: readonly Key[], seed: number): string {
  const out: string[] = [
    '# apiguard benchmark policy: generated by src/bench/generate.ts (seed 0x' + seed.toString(16) + '); do not edit.',
    '# A SOC gateway in front of its security stack: automation, analysts on shifts (EU and US), admins, labs.',
    'version: 1',
    `timezone: ${POLICY_ZONE}`,
    '',
    'networks:',
  ];
  for (const [name, cidrs] of NETWORKS) out.push(`  ${name}: [${cidrs.map(q).join(', ')}]`);
  out.push('', 'roles:');
  for (const [name, role] of Object.entries(ROLES)) {
    out.push(`  ${name}:`, `    description: ${q(role.description)}`, '    allow:');
    for (const p of role.allow) out.push(`      - ${q(p)}`);
    if (role.deny?.length) {
      out.push('    deny:');
      for (const p of role.deny) out.push(`      - ${q(p)}`);
    }
  }
  out.push('', 'keys:');
  for (const k of keys) {
    out.push(`  - name: ${k.name}`, `    match: { hash: ${q(k.hash)}, alias: ${k.name} }`, `    owner: ${k.owner}`);
    if (k.role) out.push(`    role: ${k.role}`);
    if (k.from) out.push(`    from: [${k.from.join(', ')}]`);
    if (k.hours) out.push(`    hours: ${q(k.hours)}`);
    if (k.days) out.push(`    days: [${k.days}]`);
    if (k.timezone) out.push(`    timezone: ${k.timezone}`);
    if (k.rate) out.push(`    rate: ${k.rate}`);
    if (k.quota) out.push(`    quota: ${k.quota}/1d`);
    if (k.revoked) out.push(`    revoked: ${k.revoked}`);
    if (k.expires) out.push(`    expires: ${k.expires}`);
  }
  return out.join('\n') + '\n';
}

// ------------------------------------------------------------------------------------ rate and quota simulation

/** Index of the first time > t in keys' sorted times (from head). */
function upperBound(times: number[], from: number, t: number): number {
  let lo = from;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Requests of the key with time in (lo, hi]. */
function countIn(k: Key, lo: number, hi: number): number {
  return upperBound(k.times, k.head, hi) - upperBound(k.times, k.head, lo);
}

/**
 * Whether one more request at `t` keeps every rate window of the key within its limit, judged in
 * time order. Requests already written can be up to MAX_LATENCY_MS later than `t`, so each window
 * ending in [t, t + MAX_LATENCY_MS] must stay within the limit too.
 */
function rateAllows(k: Key, t: number): boolean {
  if (k.rateWindowMs === 0) return true;
  return countIn(k, t - k.rateWindowMs, t + MAX_LATENCY_MS) + 1 <= k.rateLimit;
}

function recordTime(k: Key, t: number, now: number): void {
  if (k.rateWindowMs === 0) return;
  const times = k.times;
  let pos = times.length;
  while (pos > k.head && times[pos - 1]! > t) pos--;
  times.splice(pos, 0, t);
  // Nothing written from now on is older than now - MAX_LATENCY_MS: windows before that are closed.
  const horizon = now - MAX_LATENCY_MS - k.rateWindowMs;
  while (k.head < times.length && times[k.head]! <= horizon) k.head++;
  if (k.head > 256 && k.head * 2 > times.length) {
    times.splice(0, k.head);
    k.head = 0;
  }
}

// ------------------------------------------------------------------------------------ output

/** Copies text into a 4 MiB buffer and writes it out when full. Everything written is ASCII (latin1 copies it as is). */
class Sink {
  private readonly fd: number;
  private readonly buf = Buffer.allocUnsafe(4 << 20);
  private pos = 0;
  bytes = 0;
  constructor(readonly file: string) {
    this.fd = openSync(file, 'w');
  }
  write(s: string): void {
    if (this.pos + s.length > this.buf.length) this.flush();
    if (s.length > this.buf.length) {
      this.bytes += writeSync(this.fd, s, null, 'latin1');
      return;
    }
    this.pos += this.buf.write(s, this.pos, 'latin1');
  }
  flush(): void {
    let off = 0;
    while (off < this.pos) off += writeSync(this.fd, this.buf, off, this.pos - off);
    this.bytes += this.pos;
    this.pos = 0;
  }
  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/** Go encoding/csv: quote a cell holding a quote, comma, CR or LF, or starting with a space. */
function csvCell(s: string): string {
  if (s === '') return s;
  if (/[",\r\n]/.test(s) || s.charCodeAt(0) === 32 || s.charCodeAt(0) === 9) return `"${s.replace(/"/g, '""')}"`;
  return s;
}

/** The nine fraction digits Go prints, trailing zeros dropped ('' when all are zero). */
function fraction(ms3: string, sub6: string): string {
  return (ms3 + sub6).replace(/0+$/, '');
}

interface Emitted {
  t: number;
  sub: string;
  hash: string;
  alias: string;
  ip: string;
  method: string;
  path: string;
  api: Api;
  status: number;
  ua: string;
  /** Completion minus start, in ms. */
  latency: number;
  /** The gateway answered itself (auth, quota, rate): no upstream time. */
  gateway: boolean;
}

class Writer {
  readonly ndjson: Sink | null;
  readonly csv: Sink | null;
  private readonly amsterdam: Zone;
  constructor(ndjsonFile: string | null, csvFile: string | null, private readonly r: Random, zones: Map<string, Zone>) {
    this.ndjson = ndjsonFile ? new Sink(ndjsonFile) : null;
    this.csv = csvFile ? new Sink(csvFile) : null;
    this.csv?.write(CSV_HEADER.join(',') + '\n');
    this.amsterdam = zones.get(POLICY_ZONE)!;
  }

  /**
   * One record, as tyk-pump's JSON and as its CSV pump. The CSV pump host runs in Europe/Amsterdam:
   * TimeStamp and ExpireAt are Go's time.Time.String() there (`2026-11-20 06:12:03.481269113 +0100 CET`),
   * and Day/Month/Year/Hour are local too (as fixtures/tyk); the JSON sink writes UTC (RFC 3339, nanoseconds).
   */
  write(e: Emitted): void {
    const r = this.r;
    const gw = e.gateway ? e.latency : Math.min(e.latency, r.int(1, 9));
    const up = e.latency - gw;
    const total = e.latency;
    const contentLength = e.method === 'GET' || e.method === 'DELETE' ? 0 : r.int(80, 4000);
    const stripped = '/' + e.path.slice(e.api.listen.length);
    const tags = `key-${e.hash}","org-${ORG}","api-${e.api.id}`;
    const iso = new Date(e.t).toISOString();
    const frac = fraction(iso.slice(20, 23), e.sub);
    const dot = frac ? '.' + frac : '';
    if (this.ndjson) {
      // Field order and layout of tyk-pump's JSON encoding of an AnalyticsRecord (as fixtures/demo);
      // every string here is plain ASCII without quotes or backslashes except the user agent and path.
      const exp = new Date(e.t + 7 * DAY_MS).toISOString();
      const hour = Number(iso.slice(11, 13));
      const day = Number(iso.slice(8, 10));
      const month = Number(iso.slice(5, 7));
      const path = JSON.stringify(stripped);
      this.ndjson.write(
        `{"method":"${e.method}","host":"${HOST}","path":${path},"raw_path":${path},"original_path":${JSON.stringify(e.path)},` +
          `"listen_path":"${e.api.listen}","content_length":${contentLength},"user_agent":${JSON.stringify(e.ua)},"day":${day},` +
          `"month":${month},"year":${iso.slice(0, 4)},"hour":${hour},"response_code":${e.status},"api_key":"${e.hash}",` +
          `"timestamp":"${iso.slice(0, 19)}${dot}Z","api_version":"Non Versioned","api_name":"${e.api.name}","api_id":"${e.api.id}",` +
          `"org_id":"${ORG}","oauth_id":"","request_time":${total},"raw_request":"","raw_response":"","ip_address":"${e.ip}",` +
          `"geo":{"country":{"iso_code":""},"city":{"geoname_id":0,"names":null},"location":{"latitude":0,"longitude":0,"time_zone":""}},` +
          `"network":{"open_connections":0,"closed_connections":0,"bytes_in":0,"bytes_out":0},` +
          `"latency":{"total":${total},"upstream":${up},"gateway":${gw}},"tags":["${tags}"],"alias":"${e.alias}","track_path":false,` +
          `"expireAt":"${exp.slice(0, 19)}${dot}Z","api_schema":""}\n`,
      );
    }
    if (this.csv) {
      const off = this.amsterdam.offsetMs(e.t);
      const local = new Date(e.t + off).toISOString();
      const localExp = new Date(e.t + 7 * DAY_MS + this.amsterdam.offsetMs(e.t + 7 * DAY_MS)).toISOString();
      const zone = off === 7_200_000 ? '+0200 CEST' : '+0100 CET';
      const zoneExp = this.amsterdam.offsetMs(e.t + 7 * DAY_MS) === 7_200_000 ? '+0200 CEST' : '+0100 CET';
      this.csv.write(
        `${e.method},${HOST},${csvCell(stripped)},${csvCell(stripped)},${contentLength},${csvCell(e.ua)},${Number(local.slice(8, 10))},` +
          `${MONTH_NAMES[Number(local.slice(5, 7)) - 1]},${local.slice(0, 4)},${Number(local.slice(11, 13))},${e.status},${e.hash},` +
          `${local.slice(0, 10)} ${local.slice(11, 19)}${dot} ${zone},Non Versioned,${e.api.name},${e.api.id},${ORG},,${total},,,${e.ip},` +
          `,0,,0,0,,0,0,0,0,${total},${up},${gw},key-${e.hash};org-${ORG};api-${e.api.id},${e.alias},false,` +
          `${localExp.slice(0, 10)} ${localExp.slice(11, 19)}${dot} ${zoneExp},,${csvCell(e.path)},${e.api.listen}\n`,
      );
    }
  }

  close(): void {
    this.ndjson?.close();
    this.csv?.close();
  }
}

// ------------------------------------------------------------------------------------ the workload

export interface WorkloadOptions {
  /** Directory to write into (created when missing). */
  dir: string;
  records: number;
  seed?: number;
  /** Which log files to write; default both. */
  ndjson?: boolean;
  csv?: boolean;
}

export interface PolicyStats {
  keys: number;
  networks: number;
  ipv4Cidrs: number;
  ipv6Cidrs: number;
  roles: number;
  allowPatterns: number;
  denyPatterns: number;
  scheduledKeys: number;
  rateKeys: number;
  quotaKeys: number;
  revokedKeys: number;
}

export interface Workload {
  dir: string;
  seed: number;
  records: number;
  policyFile: string;
  ndjsonFile: string | null;
  csvFile: string | null;
  bytes: { ndjson: number; csv: number };
  /** Findings planted, by kind; over-rate counts the requests beyond the limit. */
  planted: Record<PlantKind, number>;
  /** The findings apiguard must report per table row (and nothing else). */
  expectedByRow: Record<TableRow, number>;
  /** First and last record time (epoch ms) and the largest step back in time between consecutive records. */
  first: number;
  last: number;
  maxBackstepMs: number;
  policy: PolicyStats;
}

export function generateWorkload(opts: WorkloadOptions): Workload {
  const N = opts.records;
  if (!Number.isInteger(N) || N < 1 || N > MAX_RECORDS) throw new Error(`bench: records must be an integer from 1 to ${MAX_RECORDS}`);
  const seed = (opts.seed ?? DEFAULT_SEED) >>> 0;
  mkdirSync(opts.dir, { recursive: true });
  const r = new Random(seed);
  const zones = new Map<string, Zone>([[POLICY_ZONE, new Zone(POLICY_ZONE)]]);
  const vocab = vocabulary(r);
  const keys = buildKeys(r, zones);
  const policyFile = join(opts.dir, 'policy.yaml');
  writeFileSync(policyFile, policyYaml(keys, seed));

  const unknownHashes: string[] = [];
  const known = new Set(keys.map((k) => k.hash));
  while (unknownHashes.length < 48) {
    const h = r.hex(16);
    if (!known.has(h)) unknownHashes.push(h);
  }
  const unknownIps = unknownHashes.map(() => (r.chance(0.5) ? r.pick(ATTACKER_IPS) : addressIn(r.pick(NETWORK_CIDRS.get(r.pick(['lab', 'dev-ci', 'k8s-pods', 'soc-floor-2']))!), r)));

  const ordinaryKeys = keys.filter((k) => k.weight > 0);
  const ordinaryCum: number[] = [];
  let totalWeight = 0;
  for (const k of ordinaryKeys) ordinaryCum.push((totalWeight += k.weight));
  const quotaKeys = keys.filter((k) => k.quota !== undefined);
  const plain = keys.filter((k) => k.quota === undefined && !Number.isFinite(k.revokedAt));
  const candidates = {
    wrongNetwork: plain.filter((k) => k.from !== null),
    compromised: plain.filter((k) => k.from !== null && k.forbidden.length > 0).filter((_, i) => i % 9 === 0),
    forbidden: plain.filter((k) => k.forbidden.length > 0),
    hours: plain.filter((k) => k.schedule !== null),
    burst: plain.filter((k) => k.schedule === null && k.rateLimit <= 60 && k.rateWindowMs >= 10_000),
    revoked: keys.filter((k) => Number.isFinite(k.revokedAt)),
  };
  for (const [name, list] of Object.entries(candidates)) if (list.length === 0) throw new Error(`bench: no ${name} candidates`);

  const ndjsonFile = opts.ndjson === false ? null : join(opts.dir, 'tyk-analytics.ndjson');
  const csvFile = opts.csv === false ? null : join(opts.dir, 'tyk-csv-pump.csv');
  const writer = new Writer(ndjsonFile, csvFile, r, zones);
  const amsterdam = zones.get(POLICY_ZONE)!;

  const planted = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<PlantKind, number>;
  let emitted = 0;
  let completion = PERIOD_START;
  let first = Infinity;
  let last = -Infinity;
  let prevT = -Infinity;
  let maxBackstep = 0;

  const sub6 = (): string => String(r.int(0, 999_999)).padStart(6, '0');
  /** A request completing now: its latency, and its start time (what Tyk logs), below MAX_LATENCY_MS earlier. */
  type Timing = { t: number; latency: number };
  const timing = (gateway: boolean): Timing => {
    const latency = gateway ? r.int(0, 2) : r.chance(0.01) ? r.int(700, MAX_LATENCY_MS - 1) : r.int(8, 700);
    return { t: Math.floor(completion) - latency, latency };
  };
  /** An action the key's role allows, with its variable segments filled. */
  const allowedAction = (k: Key): { action: Action; path: string } => {
    const x = r.next() * k.allowedCum[k.allowedCum.length - 1]!;
    let lo = 0;
    let hi = k.allowedCum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (k.allowedCum[mid]! > x) hi = mid;
      else lo = mid + 1;
    }
    const action = k.allowed[lo]!;
    return { action, path: fillPath(action, r, vocab) };
  };
  const forbiddenAction = (k: Key): { action: Action; path: string } => {
    const action = r.pick(k.forbidden);
    return { action, path: fillPath(action, r, vocab) };
  };
  const okStatus = (method: string): number => {
    const x = r.next();
    if (x < 0.02) return 404;
    if (x < 0.025) return r.pick([500, 502, 503]);
    if (method === 'POST') return r.chance(0.3) ? 201 : 200;
    if (method === 'DELETE') return 204;
    return 200;
  };
  const quotaCount = (k: Key, t: number): number => k.quotaDays.get(amsterdam.local(t).day) ?? 0;
  const countQuota = (k: Key, t: number): void => {
    const day = amsterdam.local(t).day;
    k.quotaDays.set(day, (k.quotaDays.get(day) ?? 0) + 1);
    for (const d of k.quotaDays.keys()) if (d < day - 2) k.quotaDays.delete(d);
  };
  const eligible = (k: Key, t: number): boolean =>
    (k.schedule === null || inSchedule(k.schedule, t)) && (k.quota === undefined || quotaCount(k, t) < k.quota) && rateAllows(k, t);

  // Positional, one object shape: spreading objects here made each record several times slower.
  const emit = (when: Timing, hash: string, alias: string, ip: string, method: string, path: string, api: Api, status: number, ua: string, gateway: boolean, validWho: Key | null): void => {
    const e: Emitted = { t: when.t, sub: sub6(), hash, alias, ip, method, path, api, status, ua, latency: when.latency, gateway };
    writer.write(e);
    if (validWho) {
      recordTime(validWho, e.t, Math.floor(completion));
      if (validWho.quota !== undefined) countQuota(validWho, e.t);
    }
    emitted++;
    if (e.t < first) first = e.t;
    if (e.t > last) last = e.t;
    if (prevT - e.t > maxBackstep) maxBackstep = prevT - e.t;
    prevT = e.t;
  };
  /** A request of a valid key (it counts towards the key's rate and quota). */
  const emitFor = (k: Key, when: Timing, a: { action: Action; path: string }, ip: string, status: number): void => {
    const gateway = status === 429 || (status === 403 && k.quota !== undefined);
    emit(when, k.hash, k.name, ip, a.action.method, a.path, a.action.api, status, r.pick(k.userAgents), gateway, k);
  };
  const ordinary = (when: Timing, only?: Key): void => {
    let k = only;
    for (let attempt = 0; k === undefined && attempt < 64; attempt++) {
      const x = r.next() * totalWeight;
      let lo = 0;
      let hi = ordinaryCum.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (ordinaryCum[mid]! > x) hi = mid;
        else lo = mid + 1;
      }
      const c = ordinaryKeys[lo]!;
      if (eligible(c, when.t)) k = c;
    }
    if (k === undefined) {
      const start = r.int(0, ordinaryKeys.length - 1);
      for (let i = 0; i < ordinaryKeys.length && k === undefined; i++) {
        const c = ordinaryKeys[(start + i) % ordinaryKeys.length]!;
        if (eligible(c, when.t)) k = c;
      }
    }
    if (k === undefined) throw new Error(`bench: no key may send a request at ${new Date(when.t).toISOString()}`);
    const a = allowedAction(k);
    emitFor(k, when, a, r.pick(k.ips), okStatus(a.action.method));
  };
  /** A random candidate passing `ok`, or undefined after a few tries. */
  const choose = (list: readonly Key[], ok: (k: Key) => boolean): Key | undefined => {
    for (let attempt = 0; attempt < 24; attempt++) {
      const k = r.pick(list);
      if (ok(k)) return k;
    }
    return undefined;
  };

  /** Plants one violation of `kind` completing now; false when no key fits now (nothing or an ordinary request was written). */
  const plant = (kind: PlantKind): boolean => {
    switch (kind) {
      case 'unknown-key': {
        const i = r.int(0, unknownHashes.length - 1);
        const action = r.pick(ACTIONS);
        const path = fillPath(action, r, vocab);
        emit(timing(true), unknownHashes[i]!, '', unknownIps[i]!, action.method, path, action.api, 403, r.pick(UNKNOWN_KEY_UA), true, null);
        return true;
      }
      case 'no-key': {
        const action = r.pick(ACTIONS);
        const path = fillPath(action, r, vocab);
        emit(timing(true), NO_KEY, '', r.pick(SCANNER_IPS), action.method, path, action.api, 401, r.pick(UA.scanner), true, null);
        return true;
      }
      case 'revoked-key': {
        // Revoked in the inventory but not yet deleted at the gateway: let through. An invalid Who counts towards nothing.
        const k = r.pick(candidates.revoked);
        const a = allowedAction(k);
        emit(timing(false), k.hash, k.name, r.pick(k.ips), a.action.method, a.path, a.action.api, 200, r.pick(k.userAgents), false, null);
        return true;
      }
      case 'wrong-network': {
        const when = timing(false);
        const k = choose(candidates.wrongNetwork, (c) => rateAllows(c, when.t));
        if (!k) return false;
        const a = allowedAction(k);
        emitFor(k, when, a, r.pick(k.wrongIps), okStatus(a.action.method));
        return true;
      }
      case 'compromised': {
        const when = timing(false);
        const k = choose(candidates.compromised, (c) => rateAllows(c, when.t));
        if (!k) return false;
        emitFor(k, when, forbiddenAction(k), r.pick(ATTACKER_IPS), r.chance(0.3) ? 403 : 200);
        return true;
      }
      case 'forbidden-action': {
        const when = timing(false);
        const k = choose(candidates.forbidden, (c) => rateAllows(c, when.t));
        if (!k) return false;
        emitFor(k, when, forbiddenAction(k), r.pick(k.ips), r.chance(0.3) ? 403 : 200);
        return true;
      }
      case 'out-of-hours': {
        const when = timing(false);
        const k = choose(candidates.hours, (c) => !inSchedule(c.schedule!, when.t) && rateAllows(c, when.t));
        if (!k) return false;
        const a = allowedAction(k);
        emitFor(k, when, a, r.pick(k.ips), okStatus(a.action.method));
        return true;
      }
      case 'over-rate': {
        // A burst of limit + extra requests completing within 3 s, by a key with no request within
        // reach of its window (≥ 10 s): exactly `extra` of them are over the limit in any time order.
        const extra = r.int(2, 12);
        const now = Math.floor(completion);
        const k = choose(candidates.burst, (c) => emitted + c.rateLimit + extra <= N && countIn(c, now - MAX_LATENCY_MS - c.rateWindowMs, now + BURST_SPAN_MS + MAX_LATENCY_MS) === 0);
        if (!k) return false;
        const m = k.rateLimit + extra;
        const step = BURST_SPAN_MS / 1.5 / m;
        for (let j = 0; j < m; j++) {
          const a = allowedAction(k);
          const status = j >= k.rateLimit && r.chance(0.5) ? 429 : okStatus(a.action.method);
          emitFor(k, timing(status === 429), a, r.pick(k.ips), status);
          completion += step * (0.5 + r.next());
        }
        planted['over-rate'] += extra;
        return true;
      }
      case 'over-quota': {
        const when = timing(false);
        const exhausted = quotaKeys.filter((c) => quotaCount(c, when.t) >= c.quota!);
        if (exhausted.length === 0) {
          // Bring the fullest key to its quota with ordinary requests first.
          let fullest = quotaKeys[0]!;
          for (const c of quotaKeys) if (quotaCount(c, when.t) > quotaCount(fullest, when.t)) fullest = c;
          ordinary(when, fullest);
          return false;
        }
        const k = r.pick(exhausted);
        emitFor(k, when, allowedAction(k), r.pick(k.ips), r.chance(0.7) ? 403 : 200);
        return true;
      }
    }
  };

  while (emitted < N) {
    completion += -Math.log(1 - r.next()) * (1000 / RECORDS_PER_SECOND);
    let kind: PlantKind | null = null;
    if (r.chance(VIOLATION_SLOT_P)) {
      let total = 0;
      const deficits = KINDS.map((k) => {
        const d = Math.max(0, PLAN[k] * (emitted + 1) - planted[k]);
        total += d;
        return d;
      });
      if (total > 0) {
        let x = r.next() * total;
        for (let i = 0; i < KINDS.length; i++) {
          x -= deficits[i]!;
          if (x < 0 || i === KINDS.length - 1) {
            kind = KINDS[i]!;
            break;
          }
        }
      }
    }
    const before = emitted;
    if (kind !== null && plant(kind)) {
      if (kind !== 'over-rate') planted[kind]++;
    } else if (emitted === before) {
      ordinary(timing(false));
    }
  }
  writer.close();

  const expectedByRow = Object.fromEntries(TABLE_ROWS.map((row) => [row, 0])) as Record<TableRow, number>;
  for (const k of KINDS) expectedByRow[KIND_ROW[k]] += planted[k];
  const patterns = Object.values(ROLES);
  const cidrs = NETWORKS.flatMap(([, c]) => c.map(parseCidr));
  const workload: Workload = {
    dir: opts.dir,
    seed,
    records: N,
    policyFile,
    ndjsonFile,
    csvFile,
    bytes: { ndjson: writer.ndjson?.bytes ?? 0, csv: writer.csv?.bytes ?? 0 },
    planted,
    expectedByRow,
    first,
    last,
    maxBackstepMs: maxBackstep,
    policy: {
      keys: keys.length,
      networks: NETWORKS.length,
      ipv4Cidrs: cidrs.filter((c) => c.v === 4).length,
      ipv6Cidrs: cidrs.filter((c) => c.v === 6).length,
      roles: patterns.length,
      allowPatterns: patterns.reduce((n, p) => n + p.allow.length, 0),
      denyPatterns: patterns.reduce((n, p) => n + (p.deny?.length ?? 0), 0),
      scheduledKeys: keys.filter((k) => k.schedule !== null).length,
      rateKeys: keys.filter((k) => k.rate !== undefined).length,
      quotaKeys: quotaKeys.length,
      revokedKeys: candidates.revoked.length,
    },
  };
  writeFileSync(join(opts.dir, 'workload.json'), JSON.stringify(workload, null, 2) + '\n');
  return workload;
}

/**
 * `apiguard init`, stage 1: per-identity statistics from the requests of the logs, from which
 * draft.ts writes a policy. Memory holds counts, not requests: per identity its networks (with the
 * IPs, hours and weekdays seen in each), a tree of its actions, its status codes, and the
 * timestamps of one rate window (plus the reorder slack) for the peak.
 */
import type { ApiRequest, Identity } from '../model/request.js';
import { identityGroup, isNoKey } from '../normalise/identity.js';
import { formatIpv4, formatIpv6, parseIp, parseIpv4, parseIpv6 } from '../normalise/ip.js';
import type { ZoneClock } from '../policy/zone.js';

/** The window the drafted `rate` is measured in. */
export const RATE_WINDOW_MS = 60_000;
/** IPs remembered per network for the comments; further requests are only counted. */
const MAX_IPS_PER_NETWORK = 256;
/** Identity combinations remembered per identity (usually one or two). */
const MAX_SHAPES = 256;
/** Distinct paths remembered per action and network, for "N distinct paths" comments. */
export const MAX_DISTINCT_PATHS = 4096;
/**
 * Distinct values at one path position before learning folds them into `*` already. The draft
 * folds at more than 5 (over its kept networks); this bound only keeps memory flat for paths full
 * of names (e.g. one per user), where the draft would fold anyway.
 */
const EAGER_FOLD = 64;

export type IdentityKind = 'key' | 'hash' | 'id' | 'alias';

export interface LearnOptions {
  /** The policy's zone: hours and weekdays are counted in it. */
  clock: ZoneClock;
  /** Networks are generalised to this prefix length: IPv4 0–32, IPv6 0–128. */
  prefix4: number;
  prefix6: number;
  /** How far out of time order requests may arrive and still count exactly towards the peak (as scan's --reorder-window). */
  reorderWindowMs?: number;
}

/** One generalised network of one identity. */
export interface NetworkStats {
  /** `10.10.5.0/24`, `2001:db8:42::/64`; '' for a source that is not an IP (it cannot go in `from`). */
  cidr: string;
  family: 4 | 6 | 0;
  /** Network address, for numeric ordering. */
  start: bigint;
  requests: number;
  first: number;
  last: number;
  /** Requests per source IP, for the first MAX_IPS_PER_NETWORK IPs. */
  ips: Map<string, number>;
  /** Requests from IPs beyond those. */
  otherIpRequests: number;
  /** Requests per local hour 0–23 and per local weekday 0 (Sunday)–6. */
  hours: number[];
  weekdays: number[];
}

/** Requests of one action (method + path position) from one network. */
export interface LeafStats {
  requests: number;
  /** Hashes of the distinct normalised paths, at most MAX_DISTINCT_PATHS. */
  paths: Set<number>;
}

/** How one identity was logged together: hash, id and alias of its requests (raw key aside). */
export interface IdentityShape {
  hash: string;
  id: string;
  alias: string;
  requests: number;
}

export interface IdentityStats {
  /** identityGroup(): internal, holds a raw key for kind 'key'; never printed. */
  group: string;
  kind: IdentityKind;
  /** The grouping value: a raw key for kind 'key' (secret: never printed). */
  value: string;
  requests: number;
  first: number;
  last: number;
  shapes: Map<string, IdentityShape>;
  /** Requests whose identity combination was beyond MAX_SHAPES. */
  otherShapeRequests: number;
  statuses: Map<number, number>;
  /** Local calendar days (ZoneClock day numbers) with at least one request. */
  days: Set<number>;
  networks: Map<string, NetworkStats>;
  actions: ActionTree;
  peak: PeakCounter;
}

/** Traffic without any key, per source IP. */
export interface SourceStats {
  requests: number;
  first: number;
  last: number;
  statuses: Map<number, number>;
}

export interface LearnedTraffic {
  /**
   * Raw keys seen (logged as the identity, or exposed elsewhere in a record), at most
   * MAX_SECRETS: a draft must never print one whole. Internal.
   */
  secrets: string[];
  /** In order of first appearance. */
  identities: IdentityStats[];
  /** Requests carrying no key at all, per source IP (at most MAX_NO_KEY_IPS). */
  noKey: Map<string, SourceStats>;
  /** No-key requests from IPs beyond those. */
  noKeyOther: SourceStats;
  requests: number;
  first: number;
  last: number;
  clock: ZoneClock;
  prefix4: number;
  prefix6: number;
}

const MAX_NO_KEY_IPS = 1024;
const MAX_SECRETS = 4096;
/** Shorter values would mask ordinary text (as the scan's Redactor). */
const MIN_SECRET_LENGTH = 6;

// ---------------------------------------------------------------------------------------------
// Paths

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HEX = /^[0-9a-f]{8,}$/i;
const TOKEN = /^[A-Za-z0-9+_=-]{16,}$/;
const EMAIL = /^[^@\s]+(?:@|%40)[^@\s]+\.[^@\s.]+$/i;
/** What a pattern segment cannot hold literally: `**` means "any segments", whitespace splits the pattern, ?# are refused. */
const UNWRITABLE = /\*\*|[\s?#]/;

/**
 * First generalisation step, one path segment at a time: a segment that looks like an id
 * (digits, UUID, hex of 8+, a token of 16+ with a digit, an IP address, an e-mail address)
 * becomes `*`, as does one that cannot be written in a pattern. Names (including domain names)
 * stay: only many distinct names at one position make it `*` (see ActionTree.fold).
 */
export function generaliseSegment(segment: string): string {
  if (segment === '' || segment === '*') return segment;
  if (/^\d+$/.test(segment) || UUID.test(segment) || HEX.test(segment)) return '*';
  if (TOKEN.test(segment) && /\d/.test(segment)) return '*';
  if (parseIpv4(segment) >= 0 || parseIpv6(segment) !== null) return '*';
  if (EMAIL.test(segment)) return '*';
  if (UNWRITABLE.test(segment)) return '*';
  return segment;
}

/** Segments of a normalised path (`/a/b` → [a, b]; `/` → ['']; `/a/` → [a, '']). */
export function pathSegments(path: string): string[] {
  return (path.startsWith('/') ? path.slice(1) : path).split('/');
}

/** A 53-bit string hash (cyrb53): distinct-path counts without keeping the paths. */
export function hashPath(s: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

export function mergeLeaf(into: LeafStats, from: LeafStats): void {
  into.requests += from.requests;
  for (const h of from.paths) {
    if (into.paths.size >= MAX_DISTINCT_PATHS) break;
    into.paths.add(h);
  }
}

/** One path position of one method: its distinct values below, and the requests that end here. */
class PathNode {
  readonly children = new Map<string, PathNode>();
  /** Set once this position was folded: every later value joins `*`. */
  wild = false;
  /** Requests whose path ends here, per network key. */
  readonly ends = new Map<string, LeafStats>();

  child(segment: string): PathNode {
    const key = this.wild && segment !== '' ? '*' : segment;
    let node = this.children.get(key);
    if (!node) this.children.set(key, (node = new PathNode()));
    return node;
  }

  /** Distinct non-empty values at the position below this node (a trailing '' cannot become `*`). */
  valueCount(): number {
    return this.children.size - (this.children.has('') ? 1 : 0);
  }

  mergeFrom(other: PathNode): void {
    for (const [net, leaf] of other.ends) {
      const mine = this.ends.get(net);
      if (mine) mergeLeaf(mine, leaf);
      else this.ends.set(net, { requests: leaf.requests, paths: new Set(leaf.paths) });
    }
    if (other.wild && !this.wild) this.foldChildren();
    for (const [segment, node] of other.children) {
      const key = this.wild && segment !== '' ? '*' : segment;
      const mine = this.children.get(key);
      if (mine) mine.mergeFrom(node);
      else this.children.set(key, node);
    }
  }

  /** Folds every non-empty value below this node into one `*`. */
  foldChildren(): void {
    const star = new PathNode();
    for (const [segment, node] of [...this.children]) {
      if (segment === '') continue;
      this.children.delete(segment);
      star.mergeFrom(node);
    }
    this.children.set('*', star);
    this.wild = true;
  }
}

/** One action as the tree holds it: method, path pattern segments, requests per network. */
export interface ActionLeaf {
  method: string;
  segments: string[];
  ends: Map<string, LeafStats>;
}

/**
 * The actions of one identity: per method, a tree of path segments (after generaliseSegment), so
 * that "more than N distinct values under the same parent" is a property of one node.
 */
export class ActionTree {
  private readonly roots = new Map<string, PathNode>();

  constructor(private readonly eagerFold = Infinity) {}

  add(method: string, segments: readonly string[], network: string, stats: LeafStats): void {
    let root = this.roots.get(method);
    if (!root) this.roots.set(method, (root = new PathNode()));
    let node = root;
    for (const segment of segments) {
      const parent = node;
      node = parent.child(segment);
      if (parent.valueCount() > this.eagerFold) {
        parent.foldChildren();
        node = parent.child(segment);
      }
    }
    const leaf = node.ends.get(network);
    if (leaf) mergeLeaf(leaf, stats);
    else node.ends.set(network, { requests: stats.requests, paths: new Set(stats.paths) });
  }

  /** Folds, top-down, every position with more than `limit` distinct values into `*`. */
  fold(limit: number): void {
    const visit = (node: PathNode): void => {
      if (node.valueCount() > limit) node.foldChildren();
      for (const child of node.children.values()) visit(child);
    };
    for (const root of this.roots.values()) visit(root);
  }

  leaves(): ActionLeaf[] {
    const out: ActionLeaf[] = [];
    const walk = (method: string, node: PathNode, segments: string[]): void => {
      if (node.ends.size > 0) out.push({ method, segments, ends: node.ends });
      for (const [segment, child] of node.children) walk(method, child, [...segments, segment]);
    };
    for (const [method, root] of this.roots) walk(method, root, []);
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// Rate peak

/**
 * The most requests in any window (t − 60 s, t], t a request time, as the scan counts them.
 * Input is only nearly in time order, so a request's window is counted once the newest time seen
 * is `holdMs` past it (the scan's reorder window); a request later than that is counted against
 * what is still held, as the scan does. Holds the timestamps of 60 s + holdMs.
 */
export class PeakCounter {
  /** Sorted times; [0, pending) are counted, [pending, end) wait for their window to be complete. */
  private times: number[] = [];
  private pending = 0;
  peak = 0;
  /** Time of the first request at which the peak was reached. */
  peakAt = NaN;

  constructor(
    private readonly windowMs: number,
    private readonly holdMs: number,
  ) {}

  add(t: number): void {
    const times = this.times;
    let pos = times.length;
    while (pos > 0 && times[pos - 1]! > t) pos--;
    times.splice(pos, 0, t);
    if (pos < this.pending) {
      // Later than the hold: count its own window now, against what is held.
      this.pending++;
      this.count(pos);
    }
    const newest = times[times.length - 1]!;
    while (this.pending < times.length && times[this.pending]! <= newest - this.holdMs) this.count(this.pending++);
    this.trim();
  }

  /** Counts the remaining windows: call once at the end. */
  finish(): void {
    while (this.pending < this.times.length) this.count(this.pending++);
  }

  private count(i: number): void {
    const times = this.times;
    const t = times[i]!;
    // Requests at the same millisecond all fall in this window, as they do for the last of them in the scan.
    let hi = i;
    while (hi + 1 < times.length && times[hi + 1] === t) hi++;
    // First index inside (t − window, t]: binary search, the window may hold thousands.
    let lo = 0;
    let up = i;
    while (lo < up) {
      const mid = (lo + up) >>> 1;
      if (times[mid]! > t - this.windowMs) up = mid;
      else lo = mid + 1;
    }
    const n = hi - lo + 1;
    if (n > this.peak || (n === this.peak && t < this.peakAt)) {
      this.peak = n;
      this.peakAt = t;
    }
  }

  /** Drops times no pending window can reach any more. */
  private trim(): void {
    const times = this.times;
    const oldestNeeded = this.pending < times.length ? times[this.pending]! - this.windowMs : times[times.length - 1]! - this.windowMs - this.holdMs;
    let drop = 0;
    while (drop < this.pending && times[drop]! <= oldestNeeded) drop++;
    if (drop > 1024 || (drop > 0 && drop * 2 > times.length)) {
      times.splice(0, drop);
      this.pending -= drop;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Networks

export function networkOf(ip: string, prefix4: number, prefix6: number): { cidr: string; family: 4 | 6 | 0; start: bigint } {
  const parsed = parseIp(ip);
  if (!parsed) return { cidr: '', family: 0, start: -1n };
  if (parsed.v === 4) {
    const mask = prefix4 === 0 ? 0 : (0xffffffff << (32 - prefix4)) >>> 0;
    const start = (parsed.n & mask) >>> 0;
    return { cidr: `${formatIpv4(start)}/${prefix4}`, family: 4, start: BigInt(start) };
  }
  const all = (1n << 128n) - 1n;
  const mask = prefix6 === 0 ? 0n : (all << BigInt(128 - prefix6)) & all;
  const start = parsed.n & mask;
  return { cidr: `${formatIpv6(start)}/${prefix6}`, family: 6, start };
}

function bump<K>(map: Map<K, number>, key: K, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

const KIND: Record<string, IdentityKind> = { k: 'key', h: 'hash', i: 'id', a: 'alias' };

/** Hash, id and alias as logged together; no-key placeholders count as absent. */
function shapeOf(identity: Identity): { hash: string; id: string; alias: string } {
  return {
    hash: isNoKey(identity.hash) ? '' : identity.hash,
    id: isNoKey(identity.id) ? '' : identity.id,
    alias: isNoKey(identity.alias) ? '' : identity.alias,
  };
}

/** Accumulates LearnedTraffic from requests, in any order (nearly time-ordered for an exact peak). */
export class TrafficLearner {
  private readonly identities = new Map<string, IdentityStats>();
  private readonly noKey = new Map<string, SourceStats>();
  private readonly noKeyOther: SourceStats = { requests: 0, first: Infinity, last: -Infinity, statuses: new Map() };
  private readonly secrets = new Set<string>();
  private requests = 0;
  private first = Infinity;
  private last = -Infinity;
  private readonly holdMs: number;

  constructor(private readonly opts: LearnOptions) {
    this.holdMs = opts.reorderWindowMs ?? 300_000;
  }

  add(req: ApiRequest): void {
    this.requests++;
    if (req.time < this.first) this.first = req.time;
    if (req.time > this.last) this.last = req.time;
    const group = identityGroup(req.identity);
    if (group === '-') return this.addNoKey(req);

    let id = this.identities.get(group);
    if (!id) {
      id = {
        group,
        kind: KIND[group[0]!]!,
        value: group.slice(2),
        requests: 0,
        first: Infinity,
        last: -Infinity,
        shapes: new Map(),
        otherShapeRequests: 0,
        statuses: new Map(),
        days: new Set(),
        networks: new Map(),
        actions: new ActionTree(EAGER_FOLD),
        peak: new PeakCounter(RATE_WINDOW_MS, this.holdMs),
      };
      this.identities.set(group, id);
    }
    id.requests++;
    if (req.time < id.first) id.first = req.time;
    if (req.time > id.last) id.last = req.time;
    bump(id.statuses, req.status);
    id.peak.add(req.time);

    const shape = shapeOf(req.identity);
    const shapeKey = `${shape.hash}\u0000${shape.id}\u0000${shape.alias}`;
    const known = id.shapes.get(shapeKey);
    if (known) known.requests++;
    else if (id.shapes.size < MAX_SHAPES) id.shapes.set(shapeKey, { ...shape, requests: 1 });
    else id.otherShapeRequests++;

    const where = networkOf(req.ip, this.opts.prefix4, this.opts.prefix6);
    let net = id.networks.get(where.cidr);
    if (!net) {
      net = { ...where, requests: 0, first: Infinity, last: -Infinity, ips: new Map(), otherIpRequests: 0, hours: new Array<number>(24).fill(0), weekdays: new Array<number>(7).fill(0) };
      id.networks.set(where.cidr, net);
    }
    net.requests++;
    if (req.time < net.first) net.first = req.time;
    if (req.time > net.last) net.last = req.time;
    if (net.ips.has(req.ip) || net.ips.size < MAX_IPS_PER_NETWORK) bump(net.ips, req.ip);
    else net.otherIpRequests++;
    const local = this.opts.clock.local(req.time);
    id.days.add(local.day);
    net.hours[Math.floor(local.minute / 60)]!++;
    net.weekdays[local.weekday]!++;

    // A raw key in its own path (e.g. /keys/<key>) must not end up in a pattern.
    const secret = id.kind === 'key' ? this.secret(id.value) : '';
    const exposed = this.secret(req.exposedKey ?? '');
    const hides = (s: string): boolean => (secret !== '' && s.includes(secret)) || (exposed !== '' && s.includes(exposed));
    const segments = pathSegments(req.path).map((s) => (hides(s) ? '*' : generaliseSegment(s)));
    id.actions.add(req.method, segments, where.cidr, { requests: 1, paths: new Set([hashPath(req.path)]) });
  }

  /** Remembers a raw key for the draft to keep out of its text; '' when too short to mask. */
  private secret(value: string): string {
    if (value.length < MIN_SECRET_LENGTH) return '';
    if (this.secrets.size < MAX_SECRETS) this.secrets.add(value);
    return value;
  }

  private addNoKey(req: ApiRequest): void {
    this.secret(req.exposedKey ?? '');
    let source = this.noKey.get(req.ip);
    if (!source) {
      if (this.noKey.size < MAX_NO_KEY_IPS) this.noKey.set(req.ip, (source = { requests: 0, first: Infinity, last: -Infinity, statuses: new Map() }));
      else source = this.noKeyOther;
    }
    source.requests++;
    if (req.time < source.first) source.first = req.time;
    if (req.time > source.last) source.last = req.time;
    bump(source.statuses, req.status);
  }

  finish(): LearnedTraffic {
    for (const id of this.identities.values()) id.peak.finish();
    return {
      secrets: [...this.secrets],
      identities: [...this.identities.values()],
      noKey: this.noKey,
      noKeyOther: this.noKeyOther,
      requests: this.requests,
      first: this.first,
      last: this.last,
      clock: this.opts.clock,
      prefix4: this.opts.prefix4,
      prefix6: this.opts.prefix6,
    };
  }
}

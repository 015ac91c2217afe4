/**
 * `apiguard learn`: folds requests into a baseline State (see state.ts). Memory is bounded per
 * key: a few times each cap of the state, pruned as it fills, whatever the length of the input.
 */
import { FOLD_ABOVE } from '../init/draft.js';
import { generaliseSegment, pathSegments } from '../init/learn.js';
import { networkOf } from '../judge/log-only.js';
import type { ApiRequest } from '../model/request.js';
import { identityGroup, isNoKey } from '../normalise/identity.js';
import {
  DAY_MS,
  HOUR_MS,
  STATE_CAPS,
  STATE_VERSION,
  fingerprintGroup,
  hourLabel,
  isoTime,
  parseHourLabel,
  type KeyBaseline,
  type State,
} from './state.js';

/** The learner holds up to this many times a cap before pruning down to the cap. */
const SLACK = 4;
/** Distinct aliases counted per key (usually one). */
const MAX_ALIASES = 16;
/** Distinct days remembered per key (over eleven years). */
const MAX_DAYS = 4096;
/** Shorter raw keys would hide ordinary path segments that merely contain them (as init). */
const MIN_SECRET_LENGTH = 6;

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

// ---------------------------------------------------------------------------------------------
// Actions

/**
 * Bounds on one action's text, so that the state stays small whatever a log holds: a longer
 * segment is data, not a name (→ `*`); segments deeper than MAX_DEPTH become one final `**`
 * ("anything deeper"; a request segment `**` is already `*`, so it cannot be confused).
 */
const MAX_SEGMENT_LENGTH = 64;
const MAX_DEPTH = 16;
const MAX_METHOD_LENGTH = 32;

/** The method as an action names it: never empty, never with whitespace (it separates method and path). */
function methodOf(method: string): string {
  return method === '' ? '-' : method.slice(0, MAX_METHOD_LENGTH).replace(/\s/g, '_');
}

/**
 * The action of a request as the baseline knows it: `METHOD /path` with each path segment
 * generalised as `apiguard init` does (ids, hashes, numbers, UUIDs, addresses → `*`), any
 * segment holding the request's raw key → `*`, within the bounds above. Null when the log has no
 * path.
 */
export function actionOf(req: ApiRequest): string | null {
  if (req.path === '') return null;
  const secrets = [req.identity.key, req.exposedKey ?? ''].filter((s) => !isNoKey(s));
  const hides = (segment: string): boolean =>
    secrets.some((k) => segment === k || (k.length >= MIN_SECRET_LENGTH && segment.includes(k)));
  const all = pathSegments(req.path);
  const segments = all.slice(0, MAX_DEPTH).map((s) => (hides(s) || s.length > MAX_SEGMENT_LENGTH ? '*' : generaliseSegment(s)));
  if (all.length > MAX_DEPTH) segments.push('**');
  return `${methodOf(req.method)} /${segments.join('/')}`;
}

/** Splits an action into its method and path segments. */
export function splitAction(action: string): { method: string; segments: string[] } {
  const space = action.indexOf(' ');
  return { method: action.slice(0, space), segments: pathSegments(action.slice(space + 1)) };
}

interface FoldNode {
  children: Map<string, FoldNode>;
  /** Requests whose action ends here. */
  requests: number;
}

const foldNode = (): FoldNode => ({ children: new Map(), requests: 0 });

function mergeInto(into: FoldNode, from: FoldNode): void {
  into.requests += from.requests;
  for (const [segment, child] of from.children) {
    const mine = into.children.get(segment);
    if (mine) mergeInto(mine, child);
    else into.children.set(segment, child);
  }
}

/**
 * Folds, top-down, every path position (per method and parent) with more than FOLD_ABOVE distinct
 * values into `*`, as `apiguard init` drafts a role; a position that already holds `*` was folded
 * before (in an earlier learning) and takes every value. A trailing empty segment is never folded.
 */
export function foldActions(actions: Map<string, number>): Map<string, number> {
  const roots = new Map<string, FoldNode>();
  for (const [action, requests] of actions) {
    const { method, segments } = splitAction(action);
    let node: FoldNode | undefined = roots.get(method);
    if (!node) roots.set(method, (node = foldNode()));
    for (const segment of segments) {
      let child: FoldNode | undefined = node.children.get(segment);
      if (!child) node.children.set(segment, (child = foldNode()));
      node = child;
    }
    node.requests += requests;
  }
  const visit = (node: FoldNode): void => {
    const values = node.children.size - (node.children.has('') ? 1 : 0);
    if (node.children.has('*') ? values > 1 : values > FOLD_ABOVE) {
      const star = foldNode();
      for (const [segment, child] of [...node.children]) {
        if (segment === '') continue;
        node.children.delete(segment);
        mergeInto(star, child);
      }
      node.children.set('*', star);
    }
    for (const child of node.children.values()) visit(child);
  };
  const out = new Map<string, number>();
  const walk = (method: string, node: FoldNode, segments: string[]): void => {
    if (node.requests > 0) out.set(`${method} /${segments.join('/')}`, node.requests);
    for (const [segment, child] of node.children) walk(method, child, [...segments, segment]);
  };
  for (const [method, root] of roots) {
    visit(root);
    walk(method, root, []);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Caps

/** Keeps the `cap` entries with most requests (ties by text); returns the requests evicted. */
function keepTop(map: Map<string, number>, cap: number): number {
  if (map.size <= cap) return 0;
  const sorted = [...map].sort((a, b) => b[1] - a[1] || compareText(a[0], b[0]));
  let evicted = 0;
  for (const [name, requests] of sorted.slice(cap)) {
    map.delete(name);
    evicted += requests;
  }
  return evicted;
}

/** Keeps the `cap` most recent hours. */
function keepRecent(volume: Map<number, number>, cap: number): void {
  if (volume.size <= cap) return;
  const hours = [...volume.keys()].sort((a, b) => b - a);
  for (const hour of hours.slice(cap)) volume.delete(hour);
}

function add<K>(map: Map<K, number>, key: K, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

// ---------------------------------------------------------------------------------------------
// Learning

interface KeyLearning {
  fingerprint: string;
  /** Raw key of this identity, if it is one: aliases holding it are not kept. Memory only. */
  secret: string;
  aliases: Map<string, number>;
  requests: number;
  first: number;
  last: number;
  /** UTC day numbers. */
  days: Set<number>;
  networks: Map<string, number>;
  actions: Map<string, number>;
  hours: number[];
  /** Requests per UTC clock hour (hours since the epoch). */
  volume: Map<number, number>;
  evictedNetworks: number;
  evictedActions: number;
}

/** What a learning run read, for its summary line. */
export interface LearnStats {
  /** Requests learned from. */
  requests: number;
  /** Distinct keys learned. */
  keys: number;
  /** Requests not learned from: no key at all, or rejected by the gateway for authentication. */
  noKey: number;
  authFailure: number;
  /** First and last learned request; ±Infinity when none. */
  first: number;
  last: number;
}

/**
 * Folds requests, in any order, into per-key baselines; `finish` merges them into a previous
 * state (if any) and returns the new one.
 *
 * Not learned: requests without any key (nothing to baseline), and requests the gateway rejected
 * for authentication (a wrong or revoked key's use is not how the key is normally used).
 */
export class BaselineLearner {
  private readonly keys = new Map<string, KeyLearning>();
  private requests = 0;
  private noKey = 0;
  private authFailure = 0;
  private first = Infinity;
  private last = -Infinity;

  add(req: ApiRequest): void {
    if (req.authFailure) {
      this.authFailure++;
      return;
    }
    const group = identityGroup(req.identity);
    if (group === '-') {
      this.noKey++;
      return;
    }
    this.requests++;
    if (req.time < this.first) this.first = req.time;
    if (req.time > this.last) this.last = req.time;

    let k = this.keys.get(group);
    if (!k) {
      k = {
        fingerprint: fingerprintGroup(group),
        secret: group.startsWith('k:') ? group.slice(2) : '',
        aliases: new Map(),
        requests: 0,
        first: Infinity,
        last: -Infinity,
        days: new Set(),
        networks: new Map(),
        actions: new Map(),
        hours: new Array<number>(24).fill(0),
        volume: new Map(),
        evictedNetworks: 0,
        evictedActions: 0,
      };
      this.keys.set(group, k);
    }
    k.requests++;
    if (req.time < k.first) k.first = req.time;
    if (req.time > k.last) k.last = req.time;

    const alias = req.identity.alias;
    if (!isNoKey(alias) && alias.length <= STATE_CAPS.aliasLength && (k.aliases.has(alias) || k.aliases.size < MAX_ALIASES)) add(k.aliases, alias);

    const day = Math.floor(req.time / DAY_MS);
    if (k.days.size < MAX_DAYS) k.days.add(day);
    const hour = Math.floor(req.time / HOUR_MS);
    k.hours[((hour % 24) + 24) % 24]!++;
    add(k.volume, hour);
    if (k.volume.size > SLACK * STATE_CAPS.volumeHours) keepRecent(k.volume, STATE_CAPS.volumeHours);

    if (req.ip !== '') {
      add(k.networks, networkOf(req.ip));
      if (k.networks.size > SLACK * STATE_CAPS.networks) k.evictedNetworks += keepTop(k.networks, STATE_CAPS.networks);
    }
    const action = actionOf(req);
    if (action !== null) {
      add(k.actions, action);
      if (k.actions.size > SLACK * STATE_CAPS.actions) {
        k.actions = foldActions(k.actions);
        k.evictedActions += keepTop(k.actions, STATE_CAPS.actions);
      }
    }
  }

  get stats(): LearnStats {
    return { requests: this.requests, keys: this.keys.size, noKey: this.noKey, authFailure: this.authFailure, first: this.first, last: this.last };
  }

  /** The state: `previous` (if given) with what was learned folded in. Does not change `previous`. */
  finish(previous?: State): State {
    const keys = new Map<string, KeyBaseline>(Object.entries(previous?.keys ?? {}));
    for (const k of this.keys.values()) keys.set(k.fingerprint, merged(keys.get(k.fingerprint), k));
    let entries = [...keys];
    if (entries.length > STATE_CAPS.keys) {
      entries = entries.sort((a, b) => b[1].requests - a[1].requests || compareText(a[0], b[0])).slice(0, STATE_CAPS.keys);
    }
    entries.sort((a, b) => compareText(a[0], b[0]));
    return { version: STATE_VERSION, keys: Object.fromEntries(entries) };
  }
}

/** The alias logged most with the key; ties by text. Never one that holds the raw key. */
function mostLogged(k: KeyLearning): string {
  let best = '';
  let bestCount = 0;
  for (const [alias, n] of k.aliases) {
    if (k.secret !== '' && (alias === k.secret || (k.secret.length >= MIN_SECRET_LENGTH && alias.includes(k.secret)))) continue;
    if (n > bestCount || (n === bestCount && alias < best)) {
      best = alias;
      bestCount = n;
    }
  }
  return best;
}

const sortedRecord = (map: Map<string, number>): Record<string, number> =>
  Object.fromEntries([...map].sort((a, b) => compareText(a[0], b[0])));

/** A previous baseline of the key (if any) with one learning run folded in, within the caps. */
function merged(prev: KeyBaseline | undefined, k: KeyLearning): KeyBaseline {
  const networks = new Map(Object.entries(prev?.networks ?? {}));
  for (const [net, n] of k.networks) add(networks, net, n);
  const evictedNetworks = (prev?.evicted?.networks ?? 0) + k.evictedNetworks + keepTop(networks, STATE_CAPS.networks);

  let actions = new Map(Object.entries(prev?.actions ?? {}));
  for (const [action, n] of k.actions) add(actions, action, n);
  actions = foldActions(actions);
  const evictedActions = (prev?.evicted?.actions ?? 0) + k.evictedActions + keepTop(actions, STATE_CAPS.actions);

  const volume = new Map<number, number>();
  for (const [label, n] of Object.entries(prev?.volume ?? {})) volume.set(parseHourLabel(label), n);
  for (const [hour, n] of k.volume) add(volume, hour, n);
  keepRecent(volume, STATE_CAPS.volumeHours);

  const hours = k.hours.map((n, h) => n + (prev?.hours[h] ?? 0));

  // Days: a previous state only knows its count and its span; days of this run outside that span are new.
  let days = k.days.size;
  let first = k.first;
  let last = k.last;
  if (prev) {
    const prevFirst = Date.parse(prev.first);
    const prevLast = Date.parse(prev.last);
    const fromDay = Math.floor(prevFirst / DAY_MS);
    const toDay = Math.floor(prevLast / DAY_MS);
    days = prev.days + [...k.days].filter((d) => d < fromDay || d > toDay).length;
    first = Math.min(first, prevFirst);
    last = Math.max(last, prevLast);
  }

  const alias = mostLogged(k) || prev?.alias;
  const out: KeyBaseline = {
    requests: (prev?.requests ?? 0) + k.requests,
    first: isoTime(first),
    last: isoTime(last),
    days,
    networks: sortedRecord(networks),
    actions: sortedRecord(actions),
    hours,
    volume: Object.fromEntries([...volume].sort((a, b) => a[0] - b[0]).map(([hour, n]) => [hourLabel(hour), n])),
  };
  if (alias) out.alias = alias;
  if (evictedNetworks > 0 || evictedActions > 0) out.evicted = { networks: evictedNetworks, actions: evictedActions };
  return out;
}

/**
 * `apiguard init`, stage 2: LearnedTraffic → policy YAML for a reviewer. Written by hand, not
 * with a YAML serialiser, so that every line can carry the comment saying what it was learned
 * from, and the layout is stable (the same logs give the same bytes).
 *
 * What the draft promises: parsePolicy accepts it, and scanning the same logs with it reports
 * only what its closing "Outliers" block lists.
 */
import { yaml } from '../config/yaml.js';
import { isNoKey, maskSecret } from '../normalise/identity.js';
import { daysLabel } from '../policy/load.js';
import { compilePattern } from '../policy/patterns.js';
import { ZoneClock } from '../policy/zone.js';
import { neutraliseControls } from '../report/sanitize.js';
import {
  ActionTree,
  MAX_DISTINCT_PATHS,
  RATE_WINDOW_MS,
  mergeLeaf,
  type IdentityShape,
  type IdentityStats,
  type LearnedTraffic,
  type LeafStats,
  type NetworkStats,
  type SourceStats,
} from './learn.js';

/** A network with fewer than this percentage of its key's requests is an outlier. */
export const OUTLIER_PERCENT = 5;
/** More than this many distinct values at one path position (per method and parent) become `*`. */
export const FOLD_ABOVE = 5;
/** IPs listed per CIDR comment; the rest are summed up. */
const IPS_SHOWN = 6;

export interface DraftOptions {
  /** Rate limit = ceil(observed peak × margin); at least 1. */
  margin: number;
  /** The inputs as read (from readRequests' counters), for the header. */
  files: readonly { file: string; parsed: number; skipped: number; error: string }[];
}

export interface Draft {
  text: string;
  /** Key entries in force; commented-out ones (raw key only) are counted apart. */
  keys: number;
  commentedKeys: number;
  roles: number;
}

type MatchAttr = 'hash' | 'id' | 'alias';
const MATCH_ATTRS: readonly MatchAttr[] = ['hash', 'id', 'alias'];
const METHOD = /^[A-Z][A-Z-]*$/;
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

interface Action {
  method: string;
  path: string;
  requests: number;
  paths: Set<number>;
}

interface KeyPlan {
  id: IdentityStats;
  name: string;
  /** Why the name: alias, or masked value. */
  nameFrom: string;
  kept: NetworkStats[];
  outliers: NetworkStats[];
  /** Requests from the kept networks: what role, hours and days are learned from. */
  keptRequests: number;
  actions: Action[];
  /** Requests from kept networks whose method no pattern can write (always row 4). */
  unwritable: Map<string, number>;
  hours: number[];
  weekdays: number[];
  match: Map<MatchAttr, [string, number][]>;
  /** Values logged with this key that other keys logged too: left out so parsePolicy accepts the draft. */
  shared: string[];
  roleName: string;
  /** False: written commented out, because none of its requests could be matched. */
  active: boolean;
  /** Requests the drafted inventory matches to no key, or to another key. */
  unmatched: number;
  elsewhere: Map<string, number>;
}

// ---------------------------------------------------------------------------------------------
// Text helpers

const UNSAFE_IN_QUOTES = /[\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/g;

/** A YAML double-quoted scalar: JSON escapes, plus \u escapes for characters that hide or reorder text. */
export function yamlQuote(s: string): string {
  return JSON.stringify(s).replace(UNSAFE_IN_QUOTES, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Plain when YAML reads it back as the same string (not a number, boolean, null…), else quoted. */
export function yamlScalar(s: string): string {
  if (/^[A-Za-z0-9_][A-Za-z0-9._/-]*$/.test(s) && yaml().parse(s) === s) return s;
  return yamlQuote(s);
}

/** Comment text: log-derived strings may hold newlines or terminal escapes. */
const note = (s: string): string => neutraliseControls(s);
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
const pad2 = (n: number): string => String(n).padStart(2, '0');
const percent = (n: number, total: number): string => `${((100 * n) / total).toFixed(1)}%`;

/** `2026-11-20T04:00:41+01:00`: local time in the policy's zone, with its offset. */
export function isoLocal(ms: number, clock: ZoneClock): string {
  const offset = clock.offsetAt(ms);
  const text = new Date(ms + offset).toISOString().slice(0, 19);
  if (offset === 0) return `${text}Z`;
  const minutes = Math.abs(offset) / 60_000;
  return `${text}${offset < 0 ? '-' : '+'}${pad2(Math.floor(minutes / 60))}:${pad2(minutes % 60)}`;
}

const localDate = (ms: number, clock: ZoneClock): string => ZoneClock.dayLabel(clock.local(ms).day);

function dateRange(first: number, last: number, clock: ZoneClock): string {
  const a = localDate(first, clock);
  const b = localDate(last, clock);
  return a === b ? a : `${a} – ${b}`;
}

function statusList(statuses: Map<number, number>): string {
  return [...statuses]
    .sort((a, b) => a[0] - b[0])
    .map(([status, n]) => `${status === 0 ? 'none' : status} ×${n}`)
    .join(', ');
}

/** Lines of one block, their comments aligned to one column. */
class Block {
  private readonly rows: { code: string; comment: string }[] = [];

  add(code: string, comment = ''): this {
    this.rows.push({ code, comment });
    return this;
  }

  /** A line that is only a comment, at the given indent. */
  note(indent: string, comment: string): this {
    this.rows.push({ code: `${indent}# ${note(comment)}`, comment: '' });
    return this;
  }

  render(): string[] {
    const width = Math.min(56, Math.max(0, ...this.rows.filter((r) => r.comment).map((r) => r.code.length)));
    return this.rows.map(({ code, comment }) => (comment ? `${code.padEnd(width)}  # ${note(comment)}` : code));
  }
}

// ---------------------------------------------------------------------------------------------
// Learning → plan

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function compareNetworks(a: NetworkStats, b: NetworkStats): number {
  // IPv4 first, then IPv6, by address; a source that is not an IP last.
  const fa = a.family === 0 ? 9 : a.family;
  const fb = b.family === 0 ? 9 : b.family;
  if (fa !== fb) return fa - fb;
  return a.start < b.start ? -1 : a.start > b.start ? 1 : 0;
}

/**
 * The networks that go in `from` and the outliers left out: an outlier has fewer than 5% of the
 * key's requests while another network has more. A source that is not an IP cannot go in `from`.
 */
function splitNetworks(id: IdentityStats): { kept: NetworkStats[]; outliers: NetworkStats[] } {
  const ipNetworks = [...id.networks.values()].filter((n) => n.family !== 0).sort(compareNetworks);
  const isMinor = (n: NetworkStats): boolean => n.requests * 100 < OUTLIER_PERCENT * id.requests;
  const major = ipNetworks.filter((n) => !isMinor(n));
  // Used from many places, each a small share: no network stands out, so none is an outlier.
  const kept = major.length > 0 ? major : ipNetworks;
  const outliers = major.length > 0 ? ipNetworks.filter(isMinor) : [];
  const notIp = id.networks.get('');
  if (notIp) {
    if (kept.length === 0) kept.push(notIp); // no `from` at all: any source
    else outliers.push(notIp);
  }
  return { kept, outliers };
}

/** The role's actions, learned from the kept networks only, with positions of many values folded. */
function learnActions(id: IdentityStats, kept: NetworkStats[], secrets: readonly string[]): { actions: Action[]; unwritable: Map<string, number> } {
  const keep = new Set(kept.map((n) => n.cidr));
  const tree = new ActionTree();
  for (const leaf of id.actions.leaves()) {
    const total: LeafStats = { requests: 0, paths: new Set() };
    for (const [network, stats] of leaf.ends) if (keep.has(network)) mergeLeaf(total, stats);
    if (total.requests === 0) continue; // seen only from outlier networks: those will be findings
    // Another identity's raw key in this one's path must not be printed either.
    const segments = leaf.segments.map((s) => (secrets.some((k) => s.includes(k)) ? '*' : s));
    tree.add(leaf.method, segments, '', total);
  }
  tree.fold(FOLD_ABOVE);
  const actions: Action[] = [];
  const unwritable = new Map<string, number>();
  for (const leaf of tree.leaves()) {
    const stats = leaf.ends.get('')!;
    const path = `/${leaf.segments.join('/')}`;
    if (!METHOD.test(leaf.method) || typeof compilePattern(`${leaf.method} ${path}`) === 'string') {
      unwritable.set(leaf.method, (unwritable.get(leaf.method) ?? 0) + stats.requests);
      continue;
    }
    actions.push({ method: leaf.method, path, requests: stats.requests, paths: stats.paths });
  }
  actions.sort((a, b) => compareText(a.path, b.path) || compareText(a.method, b.method));
  return { actions, unwritable };
}

/** A name as the policy allows it: [A-Za-z0-9._-]+. */
function sanitiseName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/--+/g, '-').replace(/^-+|-+$/g, '');
}

/** The most logged value of one attribute; ties by text, so the name is stable. */
function mostLogged(shapes: Iterable<IdentityShape>, attr: MatchAttr): string {
  const counts = new Map<string, number>();
  for (const s of shapes) if (s[attr]) counts.set(s[attr], (counts.get(s[attr]) ?? 0) + s.requests);
  let best = '';
  let bestCount = 0;
  for (const [value, n] of counts) {
    if (n > bestCount || (n === bestCount && value < best)) {
      best = value;
      bestCount = n;
    }
  }
  return best;
}

function baseName(id: IdentityStats): { name: string; from: string } {
  const alias = sanitiseName(mostLogged(id.shapes.values(), 'alias'));
  if (alias) return { name: alias, from: 'named after its alias' };
  const masked = sanitiseName(maskSecret(id.value));
  return { name: masked ? `key-${masked}` : 'key', from: `no alias logged: named after its masked ${id.kind === 'key' ? 'raw key' : id.kind}` };
}

const usable = (v: string): boolean => !isNoKey(v) && !/^0+$/.test(v); // all zeros means "no key" to parsePolicy

/** Which entry the drafted inventory gives a request of this shape: the scanner's lookup order. */
function resolve(
  id: IdentityStats,
  shape: IdentityShape,
  index: Record<'secrets' | 'ids' | 'aliases', Map<string, KeyPlan>>,
): KeyPlan | undefined {
  if (id.kind === 'key') {
    const e = index.secrets.get(id.value);
    if (e) return e;
  }
  if (shape.hash) {
    const e = index.secrets.get(shape.hash);
    if (e) return e;
  }
  if (shape.id) {
    const e = index.ids.get(shape.id);
    if (e) return e;
  }
  return shape.alias ? index.aliases.get(shape.alias) : undefined;
}

/**
 * Each logged hash, id and alias goes to one entry at most (parsePolicy refuses a value shared by
 * two keys): to the identity it names (its grouping value), else to the only identity that logged
 * it; a value several identities logged and none is named by is left out.
 */
function assignMatches(plans: KeyPlan[]): void {
  const loggedBy = new Map<string, Set<KeyPlan>>();
  const owner = new Map<string, KeyPlan>();
  const slot = (attr: MatchAttr, value: string): string => `${attr}\u0000${value}`;
  for (const plan of plans) {
    if (plan.id.kind !== 'key') owner.set(slot(plan.id.kind, plan.id.value), plan);
    for (const shape of plan.id.shapes.values()) {
      for (const attr of MATCH_ATTRS) {
        if (!shape[attr]) continue;
        const k = slot(attr, shape[attr]);
        let set = loggedBy.get(k);
        if (!set) loggedBy.set(k, (set = new Set()));
        set.add(plan);
      }
    }
  }
  for (const plan of plans) {
    for (const attr of MATCH_ATTRS) {
      const counts = new Map<string, number>();
      for (const shape of plan.id.shapes.values()) if (shape[attr]) counts.set(shape[attr], (counts.get(shape[attr]) ?? 0) + shape.requests);
      const values: [string, number][] = [];
      for (const [value, n] of [...counts].sort((a, b) => compareText(a[0], b[0]))) {
        const k = slot(attr, value);
        const named = owner.get(k);
        if (!usable(value)) continue;
        if (named === plan || (named === undefined && loggedBy.get(k)!.size === 1)) values.push([value, n]);
        else plan.shared.push(`${attr} ${value}`);
      }
      if (values.length > 0) plan.match.set(attr, values);
    }
  }
}

/**
 * Works out which requests the drafted inventory will match to which entry, as the scanner's
 * lookup does. An entry that matches none of its own requests (a raw key logged alone) is written
 * commented out, which can change what others match: repeat until nothing changes.
 */
function resolveInventory(plans: KeyPlan[]): void {
  for (;;) {
    const index = { secrets: new Map<string, KeyPlan>(), ids: new Map<string, KeyPlan>(), aliases: new Map<string, KeyPlan>() };
    for (const plan of plans) {
      if (!plan.active) continue;
      for (const [value] of plan.match.get('hash') ?? []) index.secrets.set(value, plan);
      for (const [value] of plan.match.get('id') ?? []) index.ids.set(value, plan);
      for (const [value] of plan.match.get('alias') ?? []) index.aliases.set(value, plan);
    }
    let changed = false;
    for (const plan of plans) {
      let own = 0;
      plan.unmatched = plan.id.otherShapeRequests;
      plan.elsewhere = new Map();
      for (const shape of plan.id.shapes.values()) {
        const to = resolve(plan.id, shape, index);
        if (to === plan) own += shape.requests;
        else if (to === undefined) plan.unmatched += shape.requests;
        else plan.elsewhere.set(to.name, (plan.elsewhere.get(to.name) ?? 0) + shape.requests);
      }
      if (plan.active && own === 0) {
        plan.active = false;
        changed = true;
      }
    }
    if (!changed) return;
  }
}

function sum(networks: NetworkStats[], pick: (n: NetworkStats) => number[], size: number): number[] {
  const out = new Array<number>(size).fill(0);
  for (const n of networks) pick(n).forEach((v, i) => (out[i]! += v));
  return out;
}

function plan(traffic: LearnedTraffic): KeyPlan[] {
  const secrets = traffic.secrets;
  const plans: KeyPlan[] = traffic.identities.map((id) => {
    const { kept, outliers } = splitNetworks(id);
    const { actions, unwritable } = learnActions(id, kept, secrets);
    const { name, from } = baseName(id);
    return {
      id,
      name,
      nameFrom: from,
      kept,
      outliers,
      keptRequests: kept.reduce((n, k) => n + k.requests, 0),
      actions,
      unwritable,
      hours: sum(kept, (n) => n.hours, 24),
      weekdays: sum(kept, (n) => n.weekdays, 7),
      match: new Map(),
      shared: [],
      roleName: '',
      active: true,
      unmatched: 0,
      elsewhere: new Map(),
    };
  });
  // Unique names, given in a stable order (the grouping value is only a tie-break, never shown).
  plans.sort((a, b) => compareText(a.name, b.name) || a.id.first - b.id.first || compareText(a.id.group, b.id.group));
  const used = new Set<string>();
  for (const p of plans) {
    const base = p.name;
    for (let n = 2; used.has(p.name); n++) p.name = `${base}-${n}`;
    used.add(p.name);
  }
  plans.sort((a, b) => compareText(a.name, b.name));
  assignMatches(plans);
  for (const p of plans) if (p.match.size === 0) p.active = false;
  resolveInventory(plans);
  return plans;
}

// ---------------------------------------------------------------------------------------------
// Hours, days, rate

/**
 * The smallest circular window of whole hours covering every active hour: the complement of the
 * longest run of idle hours. On a tie, a window within one day reads better than one across
 * midnight; then the earliest. null when all 24 were active.
 */
export function hourWindow(activeHours: readonly boolean[]): { start: number; end: number } | null {
  if (activeHours.every(Boolean)) return null;
  if (!activeHours.some(Boolean)) return null;
  let bestStart = 0;
  let bestLength = 0;
  for (let start = 0; start < 24; start++) {
    if (activeHours[start] || !activeHours[(start + 23) % 24]) continue; // runs start right after an active hour
    let length = 0;
    while (!activeHours[(start + length) % 24]) length++;
    const wraps = (idleStart: number, idleLength: number): boolean => idleStart !== 0 && (idleStart + idleLength) % 24 > idleStart;
    if (length > bestLength || (length === bestLength && wraps(bestStart, bestLength) && !wraps(start, length))) {
      bestStart = start;
      bestLength = length;
    }
  }
  return { start: (bestStart + bestLength) % 24, end: bestStart };
}

/** `22:00-02:00`; an end at midnight after a start later in the day is `24:00`. */
export function hoursText(window: { start: number; end: number }): string {
  const end = window.end === 0 ? 24 : window.end;
  return `${pad2(window.start)}:00-${pad2(end)}:00`;
}

export function rateLimit(peak: number, margin: number): number {
  // toFixed: 10 × 1.1 is 11.000000000000002 in floating point, which must not round up to 12.
  return Math.max(1, Math.ceil(Number((peak * margin).toFixed(6))));
}

// ---------------------------------------------------------------------------------------------
// Rendering

function ipList(net: NetworkStats): string {
  const ips = [...net.ips].sort((a, b) => b[1] - a[1] || compareText(a[0], b[0]));
  const shown = ips.slice(0, IPS_SHOWN).map(([ip, n]) => `${ip} ×${n}`);
  const rest = ips.slice(IPS_SHOWN).reduce((n, [, c]) => n + c, 0) + net.otherIpRequests;
  const more = ips.length - IPS_SHOWN;
  if (rest > 0) shown.push(more > 0 ? `${rest} more from ${more}${net.otherIpRequests ? '+' : ''} other IPs` : `${rest} more from other IPs`);
  return shown.join(', ');
}

function distinctPaths(paths: Set<number>): string {
  return paths.size >= MAX_DISTINCT_PATHS ? `${MAX_DISTINCT_PATHS}+ distinct paths` : plural(paths.size, 'distinct path');
}

interface RolePlan {
  name: string;
  keys: KeyPlan[];
  actions: Action[];
}

function groupRoles(plans: KeyPlan[]): RolePlan[] {
  const bySet = new Map<string, RolePlan>();
  for (const p of plans) {
    const signature = p.actions.map((a) => `${a.method} ${a.path}`).join('\n');
    let role = bySet.get(signature);
    if (!role) {
      role = { name: `${p.name}-role`, keys: [], actions: p.actions.map((a) => ({ ...a, requests: 0, paths: new Set<number>() })) };
      bySet.set(signature, role);
    }
    role.keys.push(p);
    p.roleName = role.name;
    p.actions.forEach((a, i) => mergeLeaf(role.actions[i]!, a));
  }
  return [...bySet.values()].sort((a, b) => compareText(a.name, b.name));
}

function header(traffic: LearnedTraffic, opts: DraftOptions, dataDays: number): string[] {
  const clock = traffic.clock;
  const files = opts.files;
  const lines = [
    `# apiguard policy DRAFT, learned by \`apiguard init\` from ${plural(traffic.requests, 'request')} in ${plural(files.length, 'file')}:`,
  ];
  for (const f of files) {
    const extra = [f.skipped ? `${plural(f.skipped, 'record')} skipped` : '', f.error ? `NOT READ COMPLETELY: ${f.error}` : ''].filter(Boolean).join('; ');
    lines.push(`#   ${note(f.file)}: ${plural(f.parsed, 'request')}${extra ? ` (${note(extra)})` : ''}`);
  }
  if (traffic.requests > 0) {
    lines.push(`# Period: ${isoLocal(traffic.first, clock)} to ${isoLocal(traffic.last, clock)} (${clock.zone}), ${plural(dataDays, 'local day')}.`);
  }
  lines.push(
    '# It allows what the logs show, misuse included. Every line must be reviewed before use: remove',
    '# keys you did not issue, narrow roles, networks, hours and days, and add owner, quota, expires.',
    `# Learned with: IPv4 networks /${traffic.prefix4}, IPv6 /${traffic.prefix6}; a network with under ${OUTLIER_PERCENT}% of a key's requests`,
    `# is an outlier (listed at the end); more than ${FOLD_ABOVE} names at one path position become *; rate = peak × ${opts.margin}.`,
  );
  return lines;
}

function networksSection(plans: KeyPlan[], clock: ZoneClock): string[] {
  const withFrom = plans.filter((p) => p.kept.some((n) => n.family !== 0));
  if (withFrom.length === 0) return [];
  const out = ['networks:'];
  for (const p of withFrom) {
    const block = new Block();
    const ipNets = p.kept.filter((n) => n.family !== 0);
    block.add(
      `  ${yamlScalar(`${p.name}-net`)}:`,
      `${p.name}: ${plural(ipNets.length, 'network')} with ${p.keptRequests} of its ${p.id.requests} requests`,
    );
    for (const n of ipNets) {
      block.add(`    - ${yamlScalar(n.cidr)}`, `${ipList(n)}; ${dateRange(n.first, n.last, clock)}; ${percent(n.requests, p.id.requests)} of its requests`);
    }
    out.push(...block.render());
  }
  return out;
}

function rolesSection(roles: RolePlan[]): string[] {
  if (roles.length === 0) return [];
  const out = ['roles:'];
  for (const role of roles) {
    const block = new Block();
    const users = role.keys.map((k) => (k.active ? k.name : `${k.name} (commented out)`)).join(', ');
    block.add(`  ${yamlScalar(role.name)}:`, `used by: ${users}`);
    block.add(role.actions.length ? '    allow:' : '    allow: []', `${plural(role.actions.length, 'action')} seen from the keys' networks`);
    for (const a of role.actions) {
      const paths = a.path.includes('*') ? `, ${distinctPaths(a.paths)}` : '';
      block.add(`      - ${yamlQuote(`${a.method} ${a.path}`)}`, `${plural(a.requests, 'request')}${paths}`);
    }
    out.push(...block.render());
  }
  return out;
}

function keyBlock(p: KeyPlan, traffic: LearnedTraffic, opts: DraftOptions, dataDays: number, coveredDays: string): string[] {
  const clock = traffic.clock;
  const id = p.id;
  const indent = p.active ? '  ' : '  # ';
  const block = new Block();
  const summary = `${p.name}: ${plural(id.requests, 'request')} from ${isoLocal(id.first, clock)} to ${isoLocal(id.last, clock)}, on ${id.days.size} of ${plural(dataDays, 'day')}; statuses ${statusList(id.statuses)}`;
  block.note('  ', summary);
  if (!p.active) {
    const why =
      id.kind === 'key' && p.match.size === 0 && id.shapes.size > 0 && [...id.shapes.values()].every((s) => !s.hash && !s.id && !s.alias)
        ? `logged only with its raw key (${maskSecret(id.value)}), which a draft never prints: add it by hand under match.key, or turn on key hashing in the gateway and draft again`
        : `none of its requests can be matched by hash, id or alias${p.shared.length ? ` (shared with other keys: ${p.shared.join(', ')})` : ''}: add match values by hand`;
    block.note('  ', `COMMENTED OUT: ${why}.`);
  }
  if (!mostLogged(id.shapes.values(), 'alias')) block.note('  ', 'review: no alias was logged with this key; make sure it is one you issued.');
  const limited = id.statuses.get(429) ?? 0;
  if (limited > 0) block.note('  ', `review: the gateway answered 429 (rate limited) ${plural(limited, 'time')}; its own limit is likely lower than the rate below.`);

  block.add(`${indent}- name: ${yamlScalar(p.name)}`, p.nameFrom);
  block.add(`${indent}  match:`, 'as logged (a raw key is never drafted)');
  if (id.kind === 'key' && !p.active) {
    block.add(`${indent}    key: ${yamlQuote(`<the raw key ${maskSecret(id.value)}>`)}`, 'replace with the raw key by hand');
  } else if (id.kind === 'key') {
    block.note(`${indent}    `, `key: the raw key ${maskSecret(id.value)} is never drafted; add it by hand to match its requests logged without the values below`);
  }
  for (const attr of MATCH_ATTRS) {
    const values = p.match.get(attr);
    if (!values) continue;
    if (values.length === 1) block.add(`${indent}    ${attr}: ${yamlQuote(values[0]![0])}`, plural(values[0]![1], 'request'));
    else {
      block.add(`${indent}    ${attr}:`, `${values.length} values logged`);
      for (const [value, n] of values) block.add(`${indent}      - ${yamlQuote(value)}`, plural(n, 'request'));
    }
  }
  if (p.shared.length) block.note(`${indent}  `, `left out, also logged with other keys: ${p.shared.join(', ')}`);

  const actionRequests = p.actions.reduce((n, a) => n + a.requests, 0);
  block.add(`${indent}  role: ${yamlScalar(p.roleName)}`, `${plural(p.actions.length, 'action')} from ${plural(actionRequests, 'request')} from its networks`);

  const ipKept = p.kept.filter((n) => n.family !== 0);
  if (ipKept.length > 0) {
    const left = p.outliers.length ? `; ${plural(p.outliers.length, 'outlier network')} left out (listed at the end)` : '';
    block.add(`${indent}  from: [${yamlScalar(`${p.name}-net`)}]`, `${p.keptRequests} of ${id.requests} requests${left}`);
  } else {
    block.note(`${indent}  `, 'from: none drafted: no request had a source IP, so any source is allowed');
  }

  const onlyDays = dataDays < 7 ? `; only ${plural(dataDays, 'day')} of data seen (${coveredDays})` : `; from ${dataDays} days of data`;
  const window = hourWindow(p.hours.map((n) => n > 0));
  const byHour = p.hours.map((n, h) => (n > 0 ? `${pad2(h)}h ${n}` : '')).filter(Boolean).join(', ');
  if (window) {
    block.note(`${indent}  `, `requests per local hour: ${byHour}`);
    block.add(`${indent}  hours: ${yamlQuote(hoursText(window))}`, `active in ${p.hours.filter((n) => n > 0).length} of 24 local hours${onlyDays}`);
  } else {
    block.note(`${indent}  `, `hours: none drafted: active in all 24 local hours${onlyDays}`);
  }
  const mask = p.weekdays.reduce((m, n, d) => (n > 0 ? m | (1 << d) : m), 0);
  const byDay = [1, 2, 3, 4, 5, 6, 0].filter((d) => p.weekdays[d]! > 0).map((d) => `${WEEKDAYS[d]} ${p.weekdays[d]}`).join(', ');
  if (mask !== 0x7f) {
    block.add(`${indent}  days: [${daysLabel(mask).split(',').join(', ')}]`, `requests per local weekday: ${byDay}${onlyDays}`);
  } else {
    block.note(`${indent}  `, `days: none drafted: active on all 7 weekdays (${byDay})`);
  }
  const peak = id.peak;
  block.add(
    `${indent}  rate: ${rateLimit(peak.peak, opts.margin)}/1m`,
    `observed peak ${plural(peak.peak, 'request')} in ${RATE_WINDOW_MS / 60_000}m at ${isoLocal(peak.peakAt, clock)}; limit = peak × ${opts.margin}`,
  );
  return block.render();
}

interface OutlierLines {
  networks: string[];
  noKey: string[];
  identities: string[];
  unwritable: string[];
}

function outlierLines(plans: KeyPlan[], traffic: LearnedTraffic): OutlierLines {
  const clock = traffic.clock;
  const out: OutlierLines = { networks: [], noKey: [], identities: [], unwritable: [] };
  for (const p of plans) {
    if (!p.active) {
      out.identities.push(`#   ${p.name}: ${plural(p.id.requests, 'request')}, ${isoLocal(p.id.first, clock)} – ${isoLocal(p.id.last, clock)}, logged as ${maskSecret(p.id.value)}; its entry is commented out (see keys)`);
      continue;
    }
    for (const n of p.outliers) {
      const where = n.family === 0 ? 'no source IP' : n.cidr;
      out.networks.push(
        `#   ${p.name} from ${where}: ${plural(n.requests, 'request')}, ${isoLocal(n.first, clock)} – ${isoLocal(n.last, clock)}, ${percent(n.requests, p.id.requests)} of the key's requests; ${note(ipList(n))}`,
      );
    }
    if (p.unmatched > 0) {
      out.identities.push(`#   ${p.name}: ${plural(p.unmatched, 'request')} logged as ${maskSecret(p.id.value)} without a hash, id or alias this entry matches: add match.key by hand, or turn on key hashing`);
    }
    for (const [other, n] of [...p.elsewhere].sort((a, b) => compareText(a[0], b[0]))) {
      out.identities.push(`#   ${p.name}: ${plural(n, 'request')} carry a hash, id or alias of ${other} and will be judged as ${other}`);
    }
    for (const [method, n] of [...p.unwritable].sort((a, b) => compareText(a[0], b[0]))) {
      out.unwritable.push(`#   ${p.name}: ${plural(n, 'request')} with method ${note(yamlQuote(method))}`);
    }
  }
  // The busiest sources first: that is where a reviewer looks.
  const sources = [...traffic.noKey].sort((a, b) => b[1].requests - a[1].requests || compareText(a[0], b[0]));
  const line = (label: string, s: SourceStats): string =>
    `#   ${label}: ${plural(s.requests, 'request')}, ${isoLocal(s.first, clock)} – ${isoLocal(s.last, clock)}, statuses ${statusList(s.statuses)}`;
  for (const [ip, s] of sources) out.noKey.push(line(`from ${note(ip)}`, s));
  if (traffic.noKeyOther.requests > 0) out.noKey.push(line('from further IPs (not itemised)', traffic.noKeyOther));
  return out;
}

function outlierSection(lines: OutlierLines): string[] {
  const out = ['# Outliers left out (apiguard scan will report them):'];
  const section = (title: string, items: string[]): void => {
    if (items.length === 0) return;
    out.push('#', `# ${title}`, ...items);
  };
  section(`Networks a key used for fewer than ${OUTLIER_PERCENT}% of its requests, left out of its from (row 2 or 3):`, lines.networks);
  section('Requests without any key, per source IP (row 1):', lines.noKey);
  section('Identities the draft cannot match, raw-key-only among them (row 1 until fixed by hand):', lines.identities);
  section('Actions no role pattern can express (row 4):', lines.unwritable);
  if (out.length === 1) out.push('#   none');
  return out;
}

/** The policy text for `traffic`; deterministic for the same traffic and options. */
export function draftPolicy(traffic: LearnedTraffic, opts: DraftOptions): Draft {
  const clock = traffic.clock;
  const plans = plan(traffic);
  const roles = groupRoles(plans);
  const firstDay = clock.local(traffic.first).day;
  const dataDays = traffic.requests > 0 ? clock.local(traffic.last).day - firstDay + 1 : 0;
  // The weekdays the logs cover at all: with under a week of data, `days` cannot say more.
  let covered = 0;
  for (let d = 0; d < Math.min(dataDays, 7); d++) covered |= 1 << ((((firstDay + d + 4) % 7) + 7) % 7);
  const coveredDays = daysLabel(covered);

  const lines = [...header(traffic, opts, dataDays), 'version: 1'];
  lines.push(...new Block().add(`timezone: ${yamlScalar(clock.zone)}`, 'hours and days below are local times in this zone').render());
  const networks = networksSection(plans, clock);
  if (networks.length) lines.push('', ...networks);
  const roleLines = rolesSection(roles);
  if (roleLines.length) lines.push('', ...roleLines);
  lines.push('');
  // `keys: []` when none is in force: a policy without `keys:` has no inventory, and would pass every key.
  const active = plans.filter((p) => p.active).length;
  lines.push(active > 0 ? 'keys:' : 'keys: []   # no key could be drafted in force; see the commented-out entries and the outliers');
  for (const p of plans) lines.push(...keyBlock(p, traffic, opts, dataDays, coveredDays), '');
  lines.push(...outlierSection(outlierLines(plans, traffic)));

  let text = `${lines.join('\n')}\n`;
  // Last line of defence: no raw key is ever printed whole, wherever it might have crept in.
  for (const secret of [...traffic.secrets].sort((a, b) => b.length - a.length)) {
    if (text.includes(secret)) text = text.split(secret).join(maskSecret(secret));
  }
  return { text, keys: active, commentedKeys: plans.length - active, roles: roles.length };
}

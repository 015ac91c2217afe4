import { readFileSync } from 'node:fs';
import { readPlainYaml } from '../config/plain-yaml.js';
import { PlainProblems, parseYaml, throwProblems, type Path, type ProblemSink as Problems } from '../config/yaml.js';
import { PolicyError } from '../model/errors.js';
import { parseIsoTime } from '../normalise/time.js';
import { NetworkSet, parseRange } from './networks.js';
import { RoleMatcher, compilePattern, type CompiledPattern } from './patterns.js';
import { Inventory, type KeyEntry, type Policy, type QuotaLimit, type RateLimit, type Schedule } from './policy.js';
import { ZoneClock, isValidTimeZone } from './zone.js';

/**
 * Policy files, version 1 (see README "Policy"). Every problem is collected with its line, so one
 * run shows them all. Unknown fields are errors: a typo such as `hour:` must not silently turn a
 * check off.
 */

const TOP_FIELDS = ['version', 'timezone', 'networks', 'roles', 'keys', 'description'];
const ROLE_FIELDS = ['allow', 'deny', 'description'];
const KEY_FIELDS = ['name', 'match', 'owner', 'role', 'from', 'hours', 'days', 'rate', 'quota', 'revoked', 'expires', 'timezone', 'description'];
const MATCH_FIELDS = ['hash', 'alias', 'id', 'key'];
const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const FULL_DAY_NAMES = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
/** `monday` → `mon`; anything else unchanged. */
const fullDayName = (s: string): string => (FULL_DAY_NAMES.includes(s) ? s.slice(0, 3) : s);
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000 };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function checkFields(p: Problems, path: Path, value: Record<string, unknown>, allowed: string[]): void {
  for (const field of Object.keys(value)) {
    if (!allowed.includes(field)) p.add([...path, field], `unknown field '${field}' (allowed: ${allowed.join(', ')})`);
  }
}

/** A string or a list of strings, each with its own path (for its line); numbers as written. */
function stringItems(p: Problems, path: Path, value: unknown): { text: string; path: Path }[] {
  if (value === undefined || value === null) return [];
  const items = Array.isArray(value) ? value : [value];
  const out: { text: string; path: Path }[] = [];
  items.forEach((item, i) => {
    const at = Array.isArray(value) ? [...path, i] : path;
    if (typeof item === 'string' || typeof item === 'number') out.push({ text: p.asWritten(at, item), path: at });
    else p.add(at, `expected a string, got ${JSON.stringify(item)}`);
  });
  return out;
}

function stringList(p: Problems, path: Path, value: unknown): string[] {
  return stringItems(p, path, value).map((i) => i.text);
}

function parseMinute(text: string, allow24: boolean): number {
  const m = /^(\d{1,2}):(\d{2})$/.exec(text);
  if (!m) return -1;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (min > 59) return -1;
  if (h === 24 && min === 0 && allow24) return 1440;
  if (h > 23) return -1;
  return h * 60 + min;
}

/** `mon-fri`, `mon,wed,fri`, `sat-sun`, `every day`: Monday-first runs of three or more become ranges. */
export function daysLabel(mask: number): string {
  if (mask === 0x7f) return 'every day';
  const order = [1, 2, 3, 4, 5, 6, 0];
  const parts: string[] = [];
  for (let i = 0; i < order.length; ) {
    if (!(mask & (1 << order[i]!))) {
      i++;
      continue;
    }
    let j = i;
    while (j + 1 < order.length && mask & (1 << order[j + 1]!)) j++;
    const run = order.slice(i, j + 1).map((d) => DAY_NAMES[d]!);
    parts.push(run.length >= 3 ? `${run[0]}-${run[run.length - 1]}` : run.join(','));
    i = j + 1;
  }
  return parts.join(',');
}

function parseDays(p: Problems, path: Path, value: unknown): { mask: number; label: string } | null {
  const items = stringItems(p, path, value);
  let mask = 0;
  for (const { text: raw, path: itemPath } of items) {
    for (const part of raw.split(',')) {
      const item = fullDayName(part.trim().toLowerCase());
      const range = /^([a-z]+)-([a-z]+)$/.exec(item);
      if (range) {
        const a = DAY_NAMES.indexOf(fullDayName(range[1]!));
        const b = DAY_NAMES.indexOf(fullDayName(range[2]!));
        if (a < 0 || b < 0) {
          p.add(itemPath, `'${raw}' is not a day range like mon-fri`);
          continue;
        }
        for (let d = a; ; d = (d + 1) % 7) {
          mask |= 1 << d;
          if (d === b) break;
        }
        continue;
      }
      const d = DAY_NAMES.indexOf(item);
      if (d < 0) p.add(itemPath, `'${raw}' is not a day (${DAY_NAMES.join(', ')})`);
      else mask |= 1 << d;
    }
  }
  if (items.length === 0) {
    p.add(path, 'days is empty: list the days the key may be used, e.g. [mon, tue, wed, thu, fri]');
    return null;
  }
  return { mask, label: daysLabel(mask) };
}

/** `2026-11-17T12:00:00Z` (zone required) or a date `2026-11-17` = local midnight in the key's zone. */
function parseInstant(p: Problems, path: Path, value: unknown, clock: ZoneClock): number {
  if (value === undefined || value === null) return Infinity;
  const text = value instanceof Date ? value.toISOString() : String(value);
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    const guess = parseIsoTime(`${text}T00:00:00Z`);
    if (Number.isNaN(guess)) {
      p.add(path, `'${text}' is not a date`);
      return Infinity;
    }
    const first = guess - clock.offsetAt(guess);
    return guess - clock.offsetAt(first);
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text) || Number.isNaN(parseIsoTime(text))) {
    p.add(path, `'${text}' is not a timestamp with a zone (e.g. 2026-11-17T12:00:00Z) or a date (2026-11-17)`);
    return Infinity;
  }
  return parseIsoTime(text);
}

function parseRate(p: Problems, path: Path, value: unknown): RateLimit | null {
  if (value === undefined || value === null) return null;
  const text = String(value).trim();
  const m = /^(\d+)\s*\/\s*(\d*)\s*([smh])$/.exec(text);
  const limit = m ? Number(m[1]) : 0;
  const count = m ? (m[2] === '' ? 1 : Number(m[2])) : 0;
  if (!m || limit < 1 || count < 1) {
    p.add(path, `'${text}' is not a rate like 30/1m (N requests per window; units s, m, h; N ≥ 1)`);
    return null;
  }
  return { limit, windowMs: count * UNIT_MS[m[3]!]!, label: text.replace(/\s+/g, ''), windowLabel: `${count}${m[3]}` };
}

function parseQuota(p: Problems, path: Path, value: unknown, clock: ZoneClock): QuotaLimit | null {
  if (value === undefined || value === null) return null;
  const text = String(value).trim();
  const m = /^(\d+)\s*\/\s*1?\s*d$/.exec(text);
  if (!m || Number(m[1]) < 1) {
    p.add(path, `'${text}' is not a quota like 20/1d (N requests per calendar day; N ≥ 1)`);
    return null;
  }
  return { limit: Number(m[1]), clock, label: text.replace(/\s+/g, '') };
}

function parseSchedule(
  p: Problems,
  path: Path,
  hours: unknown,
  days: unknown,
  clock: ZoneClock,
): Schedule | null {
  if ((hours === undefined || hours === null) && (days === undefined || days === null)) return null;
  let startMinute = 0;
  let endMinute = 1440;
  let hoursLabel = 'any time';
  if (hours !== undefined && hours !== null) {
    const text = String(hours).trim();
    const m = /^(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})$/.exec(text);
    const start = m ? parseMinute(m[1]!, false) : -1;
    const end = m ? parseMinute(m[2]!, true) : -1;
    if (start < 0 || end < 0 || start === end) {
      p.add([...path, 'hours'], `'${text}' is not a window like 07:00-19:00 (start inclusive, end exclusive; 22:00-06:00 wraps midnight)`);
    } else {
      startMinute = start;
      endMinute = end;
      hoursLabel = text.replace(/\s+/g, '');
    }
  }
  let dayMask = 0x7f;
  let daysLabel = 'every day';
  if (days !== undefined && days !== null) {
    const d = parseDays(p, [...path, 'days'], days);
    if (d) {
      dayMask = d.mask;
      daysLabel = d.label;
    }
  }
  return {
    clock,
    startMinute,
    endMinute,
    dayMask,
    hoursLabel,
    daysLabel,
    label: `${daysLabel} ${hoursLabel} ${clock.zone}`,
  };
}

/**
 * Parses and validates policy text; `file` is used in messages. Throws PolicyError.
 * Plain YAML (what policies are written in) is read by the fast reader; `yaml`, which knows every
 * node's line, reads the file only when the fast reader declines it or when there is a problem to
 * report (a 500-key policy: ~0.3 s with `yaml`, a few ms without).
 */
export function parsePolicy(text: string, file: string): Policy {
  const plain = readPlainYaml(text);
  if (plain !== null && isObject(plain.value)) {
    const p = new PlainProblems(plain.numbers);
    const policy = buildPolicy(p, plain.value, file);
    if (p.count === 0) return policy;
  }
  const { problems: p, raw } = parseYaml(text, file);
  if (!isObject(raw)) throw new PolicyError(file, [{ line: 1, message: 'a policy is a YAML mapping with version: 1' }]);
  const policy = buildPolicy(p, raw, file);
  throwProblems(file, p);
  return policy;
}

/** The policy a parsed file describes, every problem reported to `p`. */
function buildPolicy(p: Problems, raw: Record<string, unknown>, file: string): Policy {
  checkFields(p, [], raw, TOP_FIELDS);

  if (raw.version !== 1) p.add(['version'], `version must be 1 (got ${JSON.stringify(raw.version ?? null)})`);

  let timezone = 'UTC';
  if (raw.timezone !== undefined) {
    if (typeof raw.timezone === 'string' && isValidTimeZone(raw.timezone)) timezone = raw.timezone;
    else p.add(['timezone'], `'${String(raw.timezone)}' is not an IANA time zone (e.g. Europe/Amsterdam, UTC)`);
  }
  const clocks = new Map<string, ZoneClock>();
  const clockFor = (zone: string): ZoneClock => {
    let c = clocks.get(zone);
    if (!c) clocks.set(zone, (c = new ZoneClock(zone)));
    return c;
  };

  // networks
  const networks = new Map<string, ReturnType<typeof parseRange>[]>();
  if (raw.networks !== undefined && raw.networks !== null) {
    if (!isObject(raw.networks)) p.add(['networks'], 'expected a mapping of network name → list of CIDRs');
    else {
      for (const [name, value] of Object.entries(raw.networks)) {
        const ranges = stringList(p, ['networks', name], value).map((cidr, i) => {
          const r = parseRange(cidr);
          if (typeof r === 'string') p.add(Array.isArray(value) ? ['networks', name, i] : ['networks', name], r);
          return r;
        });
        if (ranges.length === 0) p.add(['networks', name], 'a network needs at least one CIDR or IP');
        networks.set(name, ranges);
      }
    }
  }

  // roles
  const roles = new Map<string, RoleMatcher>();
  if (raw.roles !== undefined && raw.roles !== null) {
    if (!isObject(raw.roles)) p.add(['roles'], 'expected a mapping of role name → {allow, deny}');
    else {
      for (const [name, value] of Object.entries(raw.roles)) {
        if (!isObject(value)) {
          p.add(['roles', name], 'expected {allow: [...], deny: [...]}');
          continue;
        }
        checkFields(p, ['roles', name], value, ROLE_FIELDS);
        const compile = (field: 'allow' | 'deny'): CompiledPattern[] =>
          stringList(p, ['roles', name, field], value[field]).flatMap((text, i) => {
            const c = compilePattern(text);
            if (typeof c === 'string') {
              p.add(Array.isArray(value[field]) ? ['roles', name, field, i] : ['roles', name, field], c);
              return [];
            }
            return [c];
          });
        const allow = compile('allow');
        const deny = compile('deny');
        if (value.allow === undefined) p.add(['roles', name], 'a role needs an allow list (e.g. allow: [GET /**])');
        roles.set(name, new RoleMatcher(name, allow, deny));
      }
    }
  }

  // keys
  const inventory = new Inventory();
  const keys: KeyEntry[] = [];
  const secrets: string[] = [];
  const hasInventory = raw.keys !== undefined && raw.keys !== null;
  if (hasInventory && !Array.isArray(raw.keys)) p.add(['keys'], 'expected a list of keys');
  const keyList = Array.isArray(raw.keys) ? raw.keys : [];
  const names = new Set<string>();
  const rawKeys = new Set<string>();
  keyList.forEach((k: unknown, index: number) => {
    const at: Path = ['keys', index];
    if (!isObject(k)) {
      p.add(at, 'expected a key entry with name and match');
      return;
    }
    checkFields(p, at, k, KEY_FIELDS);
    const name = typeof k.name === 'string' ? k.name.trim() : '';
    if (!name) p.add([...at, 'name'], 'every key needs a name (how reports name it)');
    else if (names.has(name)) p.add([...at, 'name'], `duplicate key name '${name}'`);
    names.add(name);

    let zone = timezone;
    if (k.timezone !== undefined) {
      if (typeof k.timezone === 'string' && isValidTimeZone(k.timezone)) zone = k.timezone;
      else p.add([...at, 'timezone'], `'${String(k.timezone)}' is not an IANA time zone`);
    }
    const clock = clockFor(zone);

    const roleName = k.role === undefined || k.role === null ? '' : String(k.role);
    let role: RoleMatcher | null = null;
    if (roleName) {
      role = roles.get(roleName) ?? null;
      if (!role) p.add([...at, 'role'], `unknown role '${roleName}' (roles: ${[...roles.keys()].join(', ') || 'none defined'})`);
    }

    let from: NetworkSet | null = null;
    if (k.from !== undefined && k.from !== null) {
      const labels = stringList(p, [...at, 'from'], k.from);
      from = new NetworkSet(labels);
      labels.forEach((label, i) => {
        const named = networks.get(label);
        const ranges = named ?? [parseRange(label)];
        if (!named && typeof ranges[0] === 'string') {
          const known = [...networks.keys()].join(', ') || 'none defined';
          const where = Array.isArray(k.from) ? [...at, 'from', i] : [...at, 'from'];
          // Something address-like gets the address error (e.g. host bits set); a word, the name error.
          if (/[.:/]/.test(label)) p.add(where, ranges[0]);
          else p.add(where, `'${label}' is neither a network name (${known}) nor a CIDR`);
          return;
        }
        for (const r of ranges) {
          if (typeof r === 'string') continue;
          if (r.v === 4) from!.addV4(r.start, r.end);
          else from!.addV6(r.start, r.end);
        }
      });
      if (labels.length === 0) p.add([...at, 'from'], 'from is empty: list the networks the key may be used from, or leave it out');
    }

    const entry: KeyEntry = {
      name,
      owner: k.owner === undefined || k.owner === null ? '' : String(k.owner),
      roleName,
      role,
      from,
      schedule: parseSchedule(p, at, k.hours, k.days, clock),
      rate: parseRate(p, [...at, 'rate'], k.rate),
      quota: parseQuota(p, [...at, 'quota'], k.quota, clock),
      revokedAt: parseInstant(p, [...at, 'revoked'], k.revoked, clock),
      expiresAt: parseInstant(p, [...at, 'expires'], k.expires, clock),
      index,
    };

    if (!isObject(k.match)) {
      p.add([...at, 'match'], 'every key needs match: {hash, alias, id or key} as the logs show it');
    } else {
      checkFields(p, [...at, 'match'], k.match, MATCH_FIELDS);
      let any = false;
      for (const attr of MATCH_FIELDS) {
        const v = k.match[attr];
        if (v === undefined || v === null) continue;
        const values = stringList(p, [...at, 'match', attr], v);
        for (const value of values) {
          if (value === '' || /^0+$/.test(value)) {
            p.add([...at, 'match', attr], `'${value}' means "no key" in gateway logs and cannot identify a key`);
            continue;
          }
          any = true;
          const index = attr === 'id' ? inventory.ids : attr === 'alias' ? inventory.aliases : inventory.secrets;
          const other = index.get(value);
          if (other && other !== entry) {
            // Never echo a raw key, whichever of the two entries wrote it as `key:`.
            const shown = attr === 'key' || rawKeys.has(value) ? 'the same raw key' : `'${value}'`;
            p.add([...at, 'match', attr], `${shown} already identifies key '${other.name}'`);
            continue;
          }
          index.set(value, entry);
          if (attr === 'key') {
            secrets.push(value);
            rawKeys.add(value);
          }
        }
      }
      if (!any) p.add([...at, 'match'], 'match needs at least one of hash, alias, id, key');
    }
    keys.push(entry);
  });

  return { file, timezone, hasInventory, keys, inventory, secrets };
}

export function loadPolicy(file: string): Policy {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new PolicyError(file, [{ line: 0, message: code === 'ENOENT' ? 'policy file not found' : `cannot read policy: ${(e as Error).message}` }]);
  }
  return parsePolicy(text, file);
}


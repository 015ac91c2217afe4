/**
 * The baseline state file of `apiguard learn` / `apiguard scan --state`: per key, what it was seen
 * doing in the learning window — networks, actions, UTC hours of day, hourly volume.
 *
 * The file is a contract like the policy: `{"version": 1, "keys": {...}}`; other versions are
 * refused. It is small (every list per key is capped, see STATE_CAPS), deterministic (keys
 * sorted, no current time: the same learning gives the same bytes) and holds no secret: keys are
 * stored by a fingerprint of their identity (SHA-256 with a fixed domain prefix), with the alias
 * the gateway logged, which is a name and not a secret. A raw key never reaches the file.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { PolicyError, UsageError, type PolicyProblem } from '../model/errors.js';
import type { Identity } from '../model/request.js';
import { identityGroup } from '../normalise/identity.js';

export const STATE_VERSION = 1;

/**
 * How much the state keeps per key, and of keys. Beyond a cap the least used entries are evicted
 * (most requests kept; ties by text, so eviction is deterministic); the evicted requests are
 * counted in `evicted`. Hours of day are 24 by nature. Volume keeps the most recent active hours:
 * 168 is a week of round-the-clock use, or several weeks of office hours.
 */
export const STATE_CAPS = {
  networks: 64,
  actions: 256,
  volumeHours: 168,
  keys: 10_000,
  /** Longest alias kept; a longer one is not a name. */
  aliasLength: 256,
} as const;

/** What one key was seen doing in the learning window. Counts are requests. */
export interface KeyBaseline {
  /** The alias the gateway logged most with this key, if any (a name, not a secret). */
  alias?: string;
  /** Requests learned. */
  requests: number;
  /** First and last learned request, ISO 8601 UTC. */
  first: string;
  last: string;
  /** UTC calendar days with at least one learned request. */
  days: number;
  /** Requests per network (`10.10.5.0/24`, `2001:db8:42::/64`), at most STATE_CAPS.networks. */
  networks: Record<string, number>;
  /** Requests per action (`GET /elastic/*\/_search`, paths generalised as `apiguard init` does), at most STATE_CAPS.actions. */
  actions: Record<string, number>;
  /** Requests per UTC hour of day, 0–23. */
  hours: number[];
  /** Requests per active UTC clock hour (`2026-11-19T09`), the most recent STATE_CAPS.volumeHours. */
  volume: Record<string, number>;
  /** Requests whose network or action was evicted at a cap; absent when none were. */
  evicted?: { networks: number; actions: number };
}

export interface State {
  version: typeof STATE_VERSION;
  /** By fingerprint(). */
  keys: Record<string, KeyBaseline>;
}

export function emptyState(): State {
  return { version: STATE_VERSION, keys: {} };
}

// ---------------------------------------------------------------------------------------------
// Fingerprints

/** Fixed domain prefix: a fingerprint is not a plain SHA-256 of the key, nor reusable elsewhere. */
export const FINGERPRINT_DOMAIN = 'apiguard/baseline/key/v1\u0000';
const FINGERPRINT = /^[0-9a-f]{32}$/;

/** The fingerprint of an identityGroup() value: 128 bits of SHA-256(domain ‖ group), hex. */
export function fingerprintGroup(group: string): string {
  return createHash('sha256').update(FINGERPRINT_DOMAIN).update(group).digest('hex').slice(0, 32);
}

/** How the state names the key of an identity; '' for a request without any key. */
export function fingerprint(identity: Identity): string {
  const group = identityGroup(identity);
  return group === '-' ? '' : fingerprintGroup(group);
}

// ---------------------------------------------------------------------------------------------
// Hours and days

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** `2026-11-19T09` for the UTC clock hour `hour` (hours since the epoch). */
export function hourLabel(hour: number): string {
  return new Date(hour * HOUR_MS).toISOString().slice(0, 13);
}

/** The UTC clock hour (hours since the epoch) of a `2026-11-19T09` label; NaN when it is not one. */
export function parseHourLabel(label: string): number {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}$/.test(label)) return NaN;
  const ms = Date.parse(`${label}:00:00Z`);
  return Number.isNaN(ms) || hourLabel(ms / HOUR_MS) !== label ? NaN : ms / HOUR_MS;
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

// ---------------------------------------------------------------------------------------------
// Serialisation

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** JSON with every object's keys sorted, objects one entry a line, arrays (of numbers) on one line. */
function render(value: unknown, indent: string): string {
  if (Array.isArray(value)) return `[${value.map((v) => JSON.stringify(v)).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const names = Object.keys(obj)
      .filter((k) => obj[k] !== undefined)
      .sort(compareText);
    if (names.length === 0) return '{}';
    const inner = `${indent}  `;
    return `{\n${names.map((k) => `${inner}${JSON.stringify(k)}: ${render(obj[k], inner)}`).join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value);
}

/** The file's bytes: the same state gives the same text, whatever order it was built in. */
export function serialiseState(state: State): string {
  return `${render(state, '')}\n`;
}

/**
 * Writes the state atomically: a temporary file next to it, flushed, then renamed over it, so a
 * crash or a full disk never leaves half a state. Returns the number of bytes written.
 */
export function writeState(file: string, state: State): number {
  const text = serialiseState(state);
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  try {
    // Exclusive create (a stale temporary file of a crashed run is removed first, a symlink as a
    // link); the file being replaced keeps its permissions.
    rmSync(tmp, { force: true });
    const mode = existsSync(file) ? statSync(file).mode & 0o777 : 0o666;
    const fd = openSync(tmp, 'wx', mode);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new UsageError(`cannot write the state file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return Buffer.byteLength(text);
}

// ---------------------------------------------------------------------------------------------
// Reading and validation

const NOT_STATE = 'not an apiguard state file (expected {"version": 1, "keys": {...}}, as written by apiguard learn)';
const KEY_FIELDS = new Set(['alias', 'requests', 'first', 'last', 'days', 'networks', 'actions', 'hours', 'volume', 'evicted']);
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const NETWORK = /^(?:\d{1,3}(?:\.\d{1,3}){3}\/\d{1,2}|[0-9a-f:]+\/\d{1,3})$/;
/** Problems listed before giving up: a foreign file would otherwise list thousands. */
const MAX_PROBLEMS = 20;

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Validates a parsed state file; every problem found is listed, each with where it is. */
function validate(doc: unknown): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  const fail = (message: string): void => {
    if (problems.length < MAX_PROBLEMS) problems.push({ line: 0, message });
  };
  if (!isObject(doc) || !('version' in doc)) return [{ line: 0, message: NOT_STATE }];
  if (doc.version !== STATE_VERSION) {
    return [
      {
        line: 0,
        message: `state version ${JSON.stringify(doc.version)} is not supported: this apiguard reads version ${STATE_VERSION} (learn again with apiguard learn, or use the apiguard that wrote it)`,
      },
    ];
  }
  for (const k of Object.keys(doc)) if (k !== 'version' && k !== 'keys') fail(`unknown field "${k}"`);
  if (!isObject(doc.keys)) {
    fail('"keys" must be an object of fingerprints');
    return problems;
  }
  const fingerprints = Object.keys(doc.keys);
  if (fingerprints.length > STATE_CAPS.keys) fail(`"keys": ${fingerprints.length} keys, more than the cap of ${STATE_CAPS.keys}`);
  for (const fp of fingerprints) {
    const at = `keys.${fp}`;
    if (!FINGERPRINT.test(fp)) {
      fail(`${JSON.stringify(fp)} is not a key fingerprint (32 lower-case hex digits)`);
      continue;
    }
    const k = doc.keys[fp];
    if (!isObject(k)) {
      fail(`${at} must be an object`);
      continue;
    }
    for (const f of Object.keys(k)) if (!KEY_FIELDS.has(f)) fail(`${at}: unknown field "${f}"`);
    if (k.alias !== undefined && (typeof k.alias !== 'string' || k.alias === '' || k.alias.length > STATE_CAPS.aliasLength)) {
      fail(`${at}.alias must be a non-empty text of at most ${STATE_CAPS.aliasLength} characters`);
    }
    if (!isCount(k.requests) || k.requests === 0) fail(`${at}.requests must be a positive whole number`);
    if (!isCount(k.days) || k.days === 0) fail(`${at}.days must be a positive whole number`);
    for (const f of ['first', 'last'] as const) {
      const v = k[f];
      if (typeof v !== 'string' || !ISO.test(v) || Number.isNaN(Date.parse(v))) fail(`${at}.${f} must be an ISO 8601 UTC time (2026-11-19T09:00:00.000Z)`);
    }
    if (typeof k.first === 'string' && typeof k.last === 'string' && k.first > k.last) fail(`${at}: first is after last`);
    const counts = (field: 'networks' | 'actions' | 'volume', cap: number, valid: (name: string) => boolean, what: string): void => {
      const v = k[field];
      if (!isObject(v)) return fail(`${at}.${field} must be an object of request counts`);
      const names = Object.keys(v);
      if (names.length > cap) fail(`${at}.${field}: ${names.length} entries, more than the cap of ${cap}`);
      for (const name of names) {
        if (!valid(name)) fail(`${at}.${field}: ${JSON.stringify(name)} is not ${what}`);
        else if (!isCount(v[name]) || v[name] === 0) fail(`${at}.${field}[${JSON.stringify(name)}] must be a positive whole number`);
      }
    };
    counts('networks', STATE_CAPS.networks, (n) => NETWORK.test(n), 'a network (10.10.5.0/24, 2001:db8::/64)');
    counts('actions', STATE_CAPS.actions, (a) => /^\S+ \/\S*$/.test(a), 'an action (METHOD /path)');
    counts('volume', STATE_CAPS.volumeHours, (h) => !Number.isNaN(parseHourLabel(h)), 'a UTC hour (2026-11-19T09)');
    if (!Array.isArray(k.hours) || k.hours.length !== 24 || !k.hours.every(isCount)) fail(`${at}.hours must be 24 request counts, one per UTC hour of day`);
    if (k.evicted !== undefined) {
      const e = k.evicted;
      if (!isObject(e) || Object.keys(e).length !== 2 || !isCount(e.networks) || !isCount(e.actions)) {
        fail(`${at}.evicted must be {"networks": N, "actions": N}`);
      }
    }
  }
  return problems;
}

/** Parses and validates a state file's text; a bad or foreign file is a PolicyError naming `file` (exit 2). */
export function parseState(text: string, file: string): State {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new PolicyError(file, [{ line: 0, message: `${NOT_STATE}: not JSON (${(err as Error).message})` }]);
  }
  const problems = validate(doc);
  if (problems.length > 0) throw new PolicyError(file, problems);
  return doc as State;
}

/** Reads and validates a state file written by `apiguard learn`. */
export function readState(file: string): State {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file (create it with apiguard learn FILES... --state FILE)' : (code ?? (err as Error).message);
    throw new PolicyError(file, [{ line: 0, message: `cannot read the state file: ${why}` }]);
  }
  return parseState(text, file);
}

import { readFileSync } from 'node:fs';
import { parseYaml, throwProblems, type Path, type Problems } from '../config/yaml.js';
import type { ApiRequest } from '../model/request.js';
import type { RecordNeeds } from '../decode/json-shape.js';
import { skip } from '../model/skip.js';
import { isNoKey, isTykKeyHash } from '../normalise/identity.js';
import { normalisePath } from '../normalise/path.js';
import { ownText, ownValue, upper } from './fields.js';
import { anyTime, clfTime, epochTime, goTime, ipText, kibanaTime, queryOf, secondsToMs, syslogTime, toInt, toText, urlPath } from './casts.js';
import type { Container, LogFormat } from './define-format.js';
import { compileFirst, compilePath, type Getter } from './paths.js';

/**
 * A log format as data (`rules/mappings/<name>.yml`), in the spirit of Chainsaw's mappings: which
 * records it recognises, and where each canonical field is. Product knowledge lives in the YAML;
 * this file only knows how to read it. See rules/mappings/README.md for the schema.
 */

export const TIME_CASTS = ['time', 'iso', 'epoch-ms', 'epoch-s', 'epoch', 'clf', 'kibana', 'go', 'syslog'] as const;
export const LATENCY_CASTS = ['ms', 's', 'us', 'ns'] as const;
type TimeCast = (typeof TIME_CASTS)[number];
type LatencyCast = (typeof LATENCY_CASTS)[number];

/** The canonical fields a mapping can fill. */
export const MAPPABLE_FIELDS = [
  'time', 'ip', 'method', 'path', 'status', 'latency', 'userAgent', 'requestId', 'api', 'tenant',
  'key', 'hash', 'id', 'alias', 'keyOrHash',
] as const;
export type MappableField = (typeof MAPPABLE_FIELDS)[number];

export interface FieldSpec {
  from: string[];
  as?: string;
  /** For `path`: a field holding a prefix the gateway stripped (Tyk's listen path), put back unless already there. */
  prefix?: string[];
  /** Values that mean "not logged" here (e.g. AWS's `$default` route key), so the next path is tried. */
  ignore?: string[];
}

export interface MappingSpec {
  name: string;
  description: string;
  container: Container;
  /** Detection order: higher first; specific formats above generic ones. */
  priority: number;
  detect: { all: string[]; any: string[]; equals: Record<string, string>; none: string[] };
  /** Paths that, when they hold an object, are the record (e.g. the Tyk stdout pump wrapper). */
  unwrap: string[];
  fields: Partial<Record<MappableField, FieldSpec>>;
  authFailure: { status: number[]; statusWithoutIdentity: number[]; from: string[]; in: string[] };
  /** `keyOrHash`: a keyOrHash value read as a raw key is itself exposed (a gateway with key hashing off). */
  exposure: { fields: string[]; query: string[]; keyOrHash: boolean };
  /** The file it came from ('' for built-ins made in code, e.g. by --map). */
  file: string;
}

/** Settings that come from the command line rather than the log. */
export interface DecodeContext {
  /** Offset (ms) of the zone that zoneless log times are in, at a local instant. */
  zoneOffset: (localGuess: number) => number;
  /** Year for times written without one (`Jan 29 08:27:09`). */
  year: number;
}

export const UTC_CONTEXT: DecodeContext = { zoneOffset: () => 0, year: new Date().getUTCFullYear() };

/** Values a gateway already masked (Kong `REDACTED`, APIM `***`): not a key in the clear. */
const MASKED = /^(?:REDACTED|\[REDACTED\]|[*xX•…-]+|\*+.{0,4})$/;

const OBFUSCATED = /^\*{2,}[^*]*$/;

const CONTAINERS: Container[] = ['json', 'csv', 'logfmt', 'clf'];
const TOP_FIELDS = ['name', 'description', 'container', 'priority', 'detect', 'unwrap', 'fields', 'authFailure', 'exposure'];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function strings(p: Problems, path: Path, v: unknown): string[] {
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  return list.flatMap((x, i) => {
    if (typeof x === 'string' || typeof x === 'number') return [String(x)];
    p.add(Array.isArray(v) ? [...path, i] : path, `expected a string, got ${JSON.stringify(x)}`);
    return [];
  });
}

function numbers(p: Problems, path: Path, v: unknown): number[] {
  return strings(p, path, v).flatMap((s) => {
    if (/^\d{3}$/.test(s)) return [Number(s)];
    p.add(path, `'${s}' is not an HTTP status`);
    return [];
  });
}

/** Validates a mapping's YAML (already parsed); every problem at its line. */
export function parseMapping(text: string, file: string): MappingSpec {
  const { problems: p, raw } = parseYaml(text, file);
  if (!isObject(raw)) {
    p.add([], 'a mapping is a YAML mapping with name, container and fields');
    throwProblems(file, p);
    throw new Error('unreachable');
  }
  for (const k of Object.keys(raw)) if (!TOP_FIELDS.includes(k)) p.add([k], `unknown field '${k}' (allowed: ${TOP_FIELDS.join(', ')})`);
  const name = typeof raw.name === 'string' ? raw.name : '';
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) p.add(['name'], 'name must be kebab-case, e.g. kong-file-log');
  const container = raw.container as Container;
  if (!CONTAINERS.includes(container)) p.add(['container'], `container must be one of ${CONTAINERS.join(', ')}`);
  const detect = isObject(raw.detect) ? raw.detect : {};
  if (!isObject(raw.detect)) p.add(['detect'], 'detect is required: {all: [fields every record has]}');
  const equals: Record<string, string> = {};
  if (isObject(detect.equals)) for (const [k, v] of Object.entries(detect.equals)) equals[k] = String(v);
  const spec: MappingSpec = {
    name,
    description: typeof raw.description === 'string' ? raw.description : '',
    container,
    priority: typeof raw.priority === 'number' ? raw.priority : 0,
    detect: {
      all: strings(p, ['detect', 'all'], detect.all),
      any: strings(p, ['detect', 'any'], detect.any),
      equals,
      none: strings(p, ['detect', 'none'], detect.none),
    },
    unwrap: strings(p, ['unwrap'], raw.unwrap),
    fields: {},
    authFailure: { status: [], statusWithoutIdentity: [], from: [], in: [] },
    exposure: { fields: [], query: [], keyOrHash: false },
    file,
  };
  if (spec.detect.all.length === 0 && spec.detect.any.length === 0) p.add(['detect'], 'detect needs `all` or `any` fields');
  if (!isObject(raw.fields)) p.add(['fields'], 'fields is required: {time: {from: ...}, ip: {from: ...}, ...}');
  else {
    for (const [field, value] of Object.entries(raw.fields)) {
      const at: Path = ['fields', field];
      if (!(MAPPABLE_FIELDS as readonly string[]).includes(field)) {
        p.add(at, `unknown canonical field '${field}' (fields: ${MAPPABLE_FIELDS.join(', ')})`);
        continue;
      }
      const v = typeof value === 'string' || Array.isArray(value) ? { from: value } : value;
      if (!isObject(v)) {
        p.add(at, 'expected {from: path, as: cast} or a path');
        continue;
      }
      const from = strings(p, [...at, 'from'], v.from);
      if (from.length === 0) p.add(at, 'from is required');
      const as = v.as === undefined ? undefined : String(v.as);
      if (field === 'time' && as !== undefined && !(TIME_CASTS as readonly string[]).includes(as)) {
        p.add([...at, 'as'], `'${as}' is not a time layout (${TIME_CASTS.join(', ')})`);
      }
      if (field === 'latency' && as !== undefined && !(LATENCY_CASTS as readonly string[]).includes(as)) {
        p.add([...at, 'as'], `'${as}' is not a latency unit (${LATENCY_CASTS.join(', ')})`);
      }
      if (field === 'path' && as !== undefined && as !== 'url' && as !== 'route') p.add([...at, 'as'], `'${as}' is not url or route`);
      const prefix = strings(p, [...at, 'prefix'], v.prefix);
      if (prefix.length && field !== 'path') p.add([...at, 'prefix'], 'prefix is for path only');
      const ignore = strings(p, [...at, 'ignore'], v.ignore);
      for (const k of Object.keys(v)) if (!['from', 'as', 'prefix', 'ignore'].includes(k)) p.add([...at, k], `unknown field '${k}' (allowed: from, as, prefix, ignore)`);
      const fieldSpec: FieldSpec = { from };
      if (as !== undefined) fieldSpec.as = as;
      if (prefix.length) fieldSpec.prefix = prefix;
      if (ignore.length) fieldSpec.ignore = ignore;
      spec.fields[field as MappableField] = fieldSpec;
    }
    if (!spec.fields.time) p.add(['fields'], 'fields.time is required: every request needs a time');
  }
  if (isObject(raw.authFailure)) {
    const a = raw.authFailure;
    spec.authFailure = {
      status: numbers(p, ['authFailure', 'status'], a.status),
      statusWithoutIdentity: numbers(p, ['authFailure', 'statusWithoutIdentity'], a.statusWithoutIdentity),
      from: strings(p, ['authFailure', 'from'], a.from),
      in: strings(p, ['authFailure', 'in'], a.in),
    };
  }
  if (isObject(raw.exposure)) {
    spec.exposure = {
      fields: strings(p, ['exposure', 'fields'], raw.exposure.fields),
      query: strings(p, ['exposure', 'query'], raw.exposure.query),
      keyOrHash: raw.exposure.keyOrHash === true,
    };
  }
  throwProblems(file, p);
  return spec;
}

export function loadMapping(file: string): MappingSpec {
  return parseMapping(readFileSync(file, 'utf8'), file);
}

/** Where a raw key was found in the clear, for the key-exposure finding. */
export interface Exposure {
  /** The field or query parameter it was in. */
  where: string;
  value: string;
}

function timeReader(spec: FieldSpec, ctx: () => DecodeContext): (v: unknown) => number {
  const as = (spec.as ?? 'time') as TimeCast;
  switch (as) {
    case 'iso':
      return (v) => (typeof v === 'string' ? anyTime(v, ctx().zoneOffset, ctx().year) : NaN);
    case 'epoch-ms':
      return (v) => epochTime(v, 'ms');
    case 'epoch-s':
      return (v) => epochTime(v, 's');
    case 'epoch':
      return (v) => epochTime(v, 'auto');
    case 'clf':
      return (v) => (typeof v === 'string' ? clfTime(v) : NaN);
    case 'kibana':
      return (v) => (typeof v === 'string' ? kibanaTime(v, ctx().zoneOffset) : NaN);
    case 'go':
      return (v) => (typeof v === 'string' ? goTime(v) : NaN);
    case 'syslog':
      return (v) => (typeof v === 'string' ? syslogTime(v, ctx().year, ctx().zoneOffset) : NaN);
    default:
      return (v) => anyTime(v, ctx().zoneOffset, ctx().year);
  }
}

function latencyReader(spec: FieldSpec | undefined): (v: unknown) => number {
  switch ((spec?.as ?? 'ms') as LatencyCast) {
    case 's':
      return secondsToMs;
    case 'us':
      return (v) => toInt(v) / 1000;
    case 'ns':
      return (v) => toInt(v) / 1e6;
    default:
      return toInt;
  }
}

/**
 * Compiles a mapping into a LogFormat: getters are built once, so a record costs a few property
 * reads and the casts. `context` is read per record because the CLI sets it after loading.
 */
export function compileMapping(spec: MappingSpec, context: () => DecodeContext = () => UTC_CONTEXT): LogFormat & { spec: MappingSpec; exposures(record: Record<string, unknown>): Exposure[] } {
  const get = (field: MappableField): Getter | null => {
    const f = spec.fields[field];
    return f ? compileFirst(f.from, f.ignore) : null;
  };
  const unwrapGetters = spec.unwrap.map(compilePath);
  const unwrap = (record: Record<string, unknown>): Record<string, unknown> => {
    for (const g of unwrapGetters) {
      const inner = g(record);
      if (typeof inner === 'object' && inner !== null && !Array.isArray(inner)) return inner as Record<string, unknown>;
    }
    return record;
  };
  const all = spec.detect.all.map(compilePath);
  const any = spec.detect.any.map(compilePath);
  const none = spec.detect.none.map(compilePath);
  const equals = Object.entries(spec.detect.equals).map(([path, value]) => [compilePath(path), value] as const);
  const present = (g: Getter, r: Record<string, unknown>): boolean => g(r) !== undefined;
  /** The discriminators (`equals`, `none`): a record failing them belongs to another stream (e.g. Tyk's application log lines). */
  const discriminated = (r: Record<string, unknown>): boolean => !none.some((g) => present(g, r)) && equals.every(([g, v]) => toText(g(r)) === v);

  const time = get('time')!;
  const readTime = timeReader(spec.fields.time!, context);
  const ip = get('ip');
  const method = get('method');
  const path = get('path');
  const pathIsUrl = spec.fields.path?.as === 'url';
  const pathPrefix = spec.fields.path?.prefix ? compileFirst(spec.fields.path.prefix) : null;
  const pathIsRoute = spec.fields.path?.as === 'route';
  const status = get('status');
  const latency = get('latency');
  const readLatency = latencyReader(spec.fields.latency);
  const userAgent = get('userAgent');
  const requestId = get('requestId');
  const api = get('api');
  const tenant = get('tenant');
  const key = get('key');
  const hash = get('hash');
  const id = get('id');
  const alias = get('alias');
  const keyOrHash = get('keyOrHash');
  const failStatus = new Set(spec.authFailure.status);
  const failWithoutIdentity = new Set(spec.authFailure.statusWithoutIdentity);
  const failField = spec.authFailure.from.length ? compileFirst(spec.authFailure.from) : null;
  // Exact values, prefixes (`jwt_authn_access_denied*`), and flag lists (Envoy's `UAEX,DC`).
  const failValues = new Set(spec.authFailure.in.filter((v) => !v.endsWith('*')));
  const failPrefixes = spec.authFailure.in.filter((v) => v.endsWith('*')).map((v) => v.slice(0, -1));
  const failMatches = (value: string): boolean => {
    if (value === '') return false;
    for (const part of value.includes(',') ? value.split(',') : [value]) {
      const t = part.trim();
      if (failValues.has(t) || failPrefixes.some((p) => t.startsWith(p))) return true;
    }
    return false;
  };
  const exposureFields = spec.exposure.fields.map((f) => [f, compilePath(f)] as const);
  const reads = readsOf(spec);
  const exposureParams = new Set(spec.exposure.query.map((q) => q.toLowerCase()));
  const rawPathGetter = path;

  return {
    spec,
    meta: { name: spec.name, description: spec.description, container: spec.container },
    reads,

    detect(record) {
      const r = unwrap(record);
      if (!all.every((g) => present(g, r))) return false;
      if (any.length && !any.some((g) => present(g, r))) return false;
      return discriminated(r);
    },

    accepts: equals.length > 0 || none.length > 0 ? (record) => discriminated(unwrap(record)) : undefined,

    normalise(record, file, line) {
      const r = unwrap(record);
      const rawTime = time(r);
      if (rawTime === undefined || rawTime === null || rawTime === '' || rawTime === '-') return skip('missing-timestamp');
      const t = readTime(rawTime);
      if (Number.isNaN(t)) return skip('bad-timestamp', toText(rawTime).slice(0, 60));
      let ipValue = '';
      if (ip) {
        const rawIp = toText(ip(r));
        if (rawIp !== '') {
          ipValue = ipText(rawIp);
          if (ipValue === '') return skip('bad-ip', rawIp.slice(0, 60));
        }
      }
      let m = method ? upper(toText(method(r))) : '';
      let p = path ? toText(path(r)) : '';
      if (pathIsRoute) {
        // HTTP API route keys carry the method: `GET /pets/{id}`; `$default` is the catch-all.
        const space = p.indexOf(' ');
        if (space > 0) {
          if (m === '') m = p.slice(0, space).toUpperCase();
          p = p.slice(space + 1);
        }
      }
      if (pathIsUrl) p = urlPath(p);
      if (pathPrefix && p !== '') {
        const prefix = withoutTrailingSlashes(toText(pathPrefix(r)));
        if (prefix !== '' && p !== prefix && !(p.startsWith(prefix) && p.charCodeAt(prefix.length) === 47)) p = prefix + (p.startsWith('/') ? p : `/${p}`);
      }
      const statusValue = status ? toInt(status(r)) : NaN;
      const identity = {
        key: key ? toText(key(r)) : '',
        hash: hash ? toText(hash(r)) : '',
        id: id ? toText(id(r)) : '',
        alias: alias ? toText(alias(r)) : '',
      };
      if (keyOrHash) {
        const v = toText(keyOrHash(r));
        if (isTykKeyHash(v)) identity.hash ||= v;
        // `****abcd`: the gateway's obfuscation, a stable non-secret fingerprint of one key.
        else if (OBFUSCATED.test(v)) identity.id ||= v;
        else identity.key ||= v;
      }
      const s = Number.isNaN(statusValue) ? 0 : statusValue;
      const noIdentity = isNoKey(identity.key) && isNoKey(identity.hash) && isNoKey(identity.id) && isNoKey(identity.alias);
      const authFailure =
        failStatus.has(s) || (noIdentity && failWithoutIdentity.has(s)) || (failField !== null && failMatches(toText(failField(r))));
      const lat = latency ? readLatency(latency(r)) : NaN;
      const req: ApiRequest = {
        time: t,
        identity,
        ip: ipValue,
        method: m,
        path: p === '' ? '' : normalisePath(p),
        status: s,
        latencyMs: Number.isNaN(lat) ? 0 : lat,
        userAgent: userAgent ? toText(userAgent(r)) : '',
        requestId: requestId ? toText(requestId(r)) : '',
        api: api ? toText(api(r)) : '',
        tenant: tenant ? toText(tenant(r)) : '',
        authFailure,
        file,
        line,
      };
      return ownText(req, record);
    },

    exposures(record) {
      const r = unwrap(record);
      // Most records expose nothing: the list is made only for one that does.
      let found: Exposure[] | null = null;
      for (const [name, g] of exposureFields) {
        // Only text can be a key: Kong logs a bare `?apikey` flag as `true`.
        const raw = g(r);
        const v = typeof raw === 'string' ? raw : '';
        if (v !== '' && !isNoKey(v) && !MASKED.test(v)) (found ??= []).push({ where: name, value: v });
      }
      if (spec.exposure.keyOrHash && keyOrHash) {
        const v = toText(keyOrHash(r));
        if (v !== '' && !isNoKey(v) && !isTykKeyHash(v) && !OBFUSCATED.test(v)) (found ??= []).push({ where: `${spec.fields.keyOrHash!.from[0]}: the gateway logs raw keys`, value: v });
      }
      if (exposureParams.size > 0 && rawPathGetter) {
        const query = queryOf(toText(rawPathGetter(r)));
        if (query !== '') {
          for (const pair of query.split('&')) {
            const eq = pair.indexOf('=');
            const name = decodeURIComponentSafe(eq < 0 ? pair : pair.slice(0, eq)).toLowerCase();
            const value = eq < 0 ? '' : decodeURIComponentSafe(pair.slice(eq + 1));
            if (exposureParams.has(name) && value !== '' && !MASKED.test(value)) (found ??= []).push({ where: `query ${name}`, value });
          }
        }
      }
      if (found === null) return NO_EXPOSURES;
      for (const e of found) e.value = ownValue(e.value, record);
      return found;
    },
  };
}

const NO_EXPOSURES: Exposure[] = Object.freeze([]) as unknown as Exposure[];

/** `/virustotal/` → `/virustotal`. */
function withoutTrailingSlashes(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 47) end--;
  return end === s.length ? s : s.slice(0, end);
}

/**
 * The top-level fields a compiled mapping reads after detection. A dotted path is looked up as a
 * literal key and as nested objects (src/formats/paths.ts), so each of its prefixes is read.
 */
export function readsOf(spec: MappingSpec): RecordNeeds {
  const fields = new Set<string>();
  const add = (paths: readonly string[]): void => {
    for (const path of paths) {
      const parts = path.split('.');
      for (let i = 1; i <= parts.length; i++) fields.add(parts.slice(0, i).join('.'));
    }
  };
  for (const f of Object.values(spec.fields) as FieldSpec[]) add([...f.from, ...(f.prefix ?? [])]);
  add(spec.unwrap);
  add(spec.exposure.fields);
  add(Object.keys(spec.detect.equals));
  add(spec.detect.none);
  add(spec.authFailure.from);
  return [...fields];
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

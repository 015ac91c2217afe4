import { fromLine } from '../decode/record-builder.js';
import type { ApiRequest } from '../model/request.js';
import { normaliseIp } from '../normalise/ip.js';
import { parseIsoTime } from '../normalise/time.js';
import { Skip, skip } from '../model/skip.js';

/** Field readers shared by formats: tolerant of the type drift real exporters show (numbers as strings). */

export function str(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
}

/** Upper case, without a new string when it already is (methods nearly always are). */
export function upper(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 97 || (c < 65 && c !== 45)) return s.toUpperCase();
  }
  return s;
}

export function int(v: unknown): number {
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) : 0;
  if (typeof v === 'string' && v !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? Math.trunc(n) : 0;
  }
  return 0;
}

/** ISO 8601 text to epoch ms, or the Skip that says why not. */
export function isoTime(v: unknown): number | Skip {
  if (v === undefined || v === null || v === '') return skip('missing-timestamp');
  if (typeof v !== 'string') return skip('bad-timestamp', JSON.stringify(v).slice(0, 60));
  const t = parseIsoTime(v);
  return Number.isNaN(t) ? skip('bad-timestamp', v.slice(0, 60)) : t;
}

/** A logged client address to canonical IP text, or the Skip that says why not. */
export function clientIp(v: unknown): string | Skip {
  const raw = str(v);
  if (raw.trim() === '') return skip('missing-ip');
  const ip = normaliseIp(raw);
  return ip === '' ? skip('bad-ip', raw.slice(0, 60)) : ip;
}

// ---------------------------------------------------------------------------------------------
// Text a request keeps, in its own memory

/** False in a decode worker: its batches clone every string to the main thread anyway (pipeline/batch.ts). */
let copying = true;
export function skipTextCopies(): void {
  copying = false;
}

/** Slices shorter than this are copies already (V8 shares the parent's characters from 13 on). */
const SHARED_SLICE_MIN = 13;
/**
 * The request's long strings, joined into one copy. A fixed array, emptied by overwriting: setting
 * its length to 0 would drop its backing store, and every request would allocate a new one.
 */
const PARTS = 11;
const parts: string[] = Array.from({ length: PARTS }, () => '');
let collected = 0;
let copy = '';
let at = 0;

function collect(v: string): void {
  if (v.length >= SHARED_SLICE_MIN) parts[collected++] = v;
}

function take(v: string): string {
  if (v.length < SHARED_SLICE_MIN) return v;
  const own = copy.slice(at, at + v.length);
  at += v.length;
  return own;
}

/**
 * The request made from `record`, with its text copied out of the input when the record's values
 * are slices of the input line (src/decode/record-builder.ts): a kept key or path would otherwise
 * hold the whole line it was cut from (measured: without the copy, the requests held for the
 * time-order window take their ~1 kB lines into the old generation: 25% more CPU, 50 MB more
 * RSS). One copy per request, of exactly what it keeps; records from JSON.parse own their
 * strings already.
 */
export function ownText(req: ApiRequest, record: object): ApiRequest {
  if (!copying || !fromLine(record)) return req;
  const id = req.identity;
  collected = 0;
  // An address with a colon is IPv6 text that normaliseIp formatted or took from its cache: its
  // own string already, shared by the requests of that client (and its hash computed once).
  const ipOwned = req.ip.indexOf(':') >= 0;
  if (!ipOwned) collect(req.ip);
  collect(req.method);
  collect(req.path);
  collect(req.userAgent);
  collect(req.requestId);
  collect(req.api);
  collect(req.tenant);
  collect(id.key);
  collect(id.hash);
  collect(id.id);
  collect(id.alias);
  if (collected === 0) return req;
  for (let i = collected; i < PARTS; i++) parts[i] = '';
  copy = parts.join('');
  at = 0;
  if (!ipOwned) req.ip = take(req.ip);
  req.method = take(req.method);
  req.path = take(req.path);
  req.userAgent = take(req.userAgent);
  req.requestId = take(req.requestId);
  req.api = take(req.api);
  req.tenant = take(req.tenant);
  id.key = take(id.key);
  id.hash = take(id.hash);
  id.id = take(id.id);
  id.alias = take(id.alias);
  copy = '';
  return req;
}

/** `value`, copied out of the input when `record`'s values are slices of it (see ownText). */
export function ownValue(value: string, record: object): string {
  return copying && fromLine(record) && value.length >= SHARED_SLICE_MIN ? (JSON.parse(JSON.stringify(value)) as string) : value;
}

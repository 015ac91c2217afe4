import { normaliseIp } from '../normalise/ip.js';
import { parseIsoTime } from '../normalise/time.js';

/**
 * Value conversions a mapping file can name (`as:`). Each takes the raw value as logged and returns
 * the canonical value, or NaN / '' when it cannot. All are hand-written for the per-record path:
 * date-fns `parse` costs ~16 µs a call (measured), more than a whole JSON.parse of a record.
 */

const MONTHS: Record<string, number> = {
  jan: 0, feb: 1, mar: 2, apr: 3, may: 4, jun: 5, jul: 6, aug: 7, sep: 8, oct: 9, nov: 10, dec: 11,
  january: 0, february: 1, march: 2, april: 3, june: 5, july: 6, august: 7, september: 8, october: 9, november: 10, december: 11,
};

function monthIndex(name: string): number {
  const m = Object.prototype.hasOwnProperty.call(MONTHS, name.toLowerCase()) ? MONTHS[name.toLowerCase()] : undefined;
  return m === undefined ? -1 : m;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Calendar-checked UTC instant; NaN for impossible dates. Second 60 (a leap second) is read as the
 * next minute, as Date.UTC does, except at the end of a day.
 */
function utc(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number {
  if (mo < 0 || mo > 11 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return NaN;
  const year = y >= 0 && y <= 99 ? 1900 + y : y; // as Date.UTC reads two-digit years
  const leap = mo === 1 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (d > DAYS_IN_MONTH[mo]! + (leap ? 1 : 0) || (s === 60 && h === 23 && mi === 59)) return NaN;
  return Date.UTC(y, mo, d, h, mi, s, ms);
}

function offsetMs(sign: string, hh: string, mm: string): number {
  return (sign === '-' ? -1 : 1) * (Number(hh) * 60 + Number(mm)) * 60_000;
}

/** `10/Jun/2023:15:36:28 +0000` (Apache / nginx `$time_local`, AWS `requestTime`). */
const CLF = /^(\d{1,2})\/([A-Za-z]{3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3})\d*)? ([+-])(\d{2}):?(\d{2})$/;
export function clfTime(v: string): number {
  const m = CLF.exec(v);
  if (!m) return NaN;
  const t = utc(Number(m[3]), monthIndex(m[2]!), Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]), Number((m[7] ?? '0').padEnd(3, '0')));
  return t - offsetMs(m[8]!, m[9]!, m[10]!);
}

/** Kibana "Generate CSV" dates, `Sep 20, 2015 @ 10:26:48.725`: no zone written, the export's zone applies. */
const KIBANA = /^([A-Za-z]{3,9}) (\d{1,2}), (\d{4}) @ (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;
export function kibanaTime(v: string, zoneOffset: (localGuess: number) => number): number {
  const m = KIBANA.exec(v);
  if (!m) return NaN;
  const local = utc(Number(m[3]), monthIndex(m[1]!), Number(m[2]), Number(m[4]), Number(m[5]), Number(m[6]), Number((m[7] ?? '0').slice(0, 3).padEnd(3, '0')));
  return local - zoneOffset(local);
}

/** The number written by the digits v[i, i + n), or -1 if any is not a digit. */
function digitsAt(v: string, i: number, n: number): number {
  let value = 0;
  for (let k = i; k < i + n; k++) {
    const c = v.charCodeAt(k) - 48;
    if (c < 0 || c > 9) return -1;
    value = value * 10 + c;
  }
  return value;
}

/** ` m=+1.234` (Go's monotonic clock reading) from `v[i]` to the end. */
function isMonotonic(v: string, i: number): boolean {
  if (v.charCodeAt(i) !== 32 || v.charCodeAt(i + 1) !== 109 || v.charCodeAt(i + 2) !== 61) return false;
  const sign = v.charCodeAt(i + 3);
  if ((sign !== 43 && sign !== 45) || i + 4 >= v.length) return false;
  for (let k = i + 4; k < v.length; k++) {
    const c = v.charCodeAt(k);
    if (c !== 46 && (c < 48 || c > 57)) return false;
  }
  return true;
}

const isZoneChar = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 43 || c === 45;

/**
 * Go's time.Time.String(): `2023-02-23 16:29:27.53328605 +0000 UTC` (Tyk CSV pump). The numeric
 * offset wins. Read by hand (one per CSV record): `YYYY-MM-DD hh:mm:ss[.f{1,9}] ±hhmm[ ZONE][ m=±N]`.
 */
export function goTime(v: string): number {
  const n = v.length;
  if (n < 25 || v.charCodeAt(4) !== 45 || v.charCodeAt(7) !== 45 || v.charCodeAt(10) !== 32 || v.charCodeAt(13) !== 58 || v.charCodeAt(16) !== 58) return NaN;
  const y = digitsAt(v, 0, 4);
  const mo = digitsAt(v, 5, 2);
  const d = digitsAt(v, 8, 2);
  const h = digitsAt(v, 11, 2);
  const mi = digitsAt(v, 14, 2);
  const s = digitsAt(v, 17, 2);
  if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || s < 0) return NaN;
  let i = 19;
  let ms = 0;
  if (v.charCodeAt(i) === 46) {
    const start = ++i;
    let scale = 100;
    for (let c = v.charCodeAt(i); c >= 48 && c <= 57; c = v.charCodeAt(++i)) {
      ms += (c - 48) * scale;
      scale = scale >= 10 ? scale / 10 : 0;
    }
    if (i === start || i - start > 9) return NaN;
  }
  const sign = v.charCodeAt(i + 1);
  if (v.charCodeAt(i) !== 32 || (sign !== 43 && sign !== 45)) return NaN;
  const oh = digitsAt(v, i + 2, 2);
  const om = digitsAt(v, i + 4, 2);
  if (oh < 0 || om < 0) return NaN;
  const j = i + 6;
  if (j < n && !isMonotonic(v, j)) {
    // A zone abbreviation, maybe followed by the monotonic reading.
    if (v.charCodeAt(j) !== 32) return NaN;
    let k = j + 1;
    while (k < n && isZoneChar(v.charCodeAt(k))) k++;
    if (k === j + 1 || (k < n && !isMonotonic(v, k))) return NaN;
  }
  const t = utc(y, mo - 1, d, h, mi, s, ms);
  return t - (sign === 45 ? -1 : 1) * (oh * 60 + om) * 60_000;
}

/** Syslog-style `Jan 29 08:27:09` (Tyk ≤ 5.13 text logs): no year, no zone; the year comes from context. */
const SYSLOG = /^([A-Za-z]{3}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2})$/;
export function syslogTime(v: string, year: number, zoneOffset: (localGuess: number) => number): number {
  const m = SYSLOG.exec(v);
  if (!m) return NaN;
  const local = utc(year, monthIndex(m[1]!), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), 0);
  return local - zoneOffset(local);
}

/** Epoch numbers: `ms`, `s` (may have a fraction, like nginx `$msec`), or `auto` by magnitude. */
export function epochTime(v: unknown, unit: 'ms' | 's' | 'auto'): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isFinite(n) || n <= 0) return NaN;
  if (unit === 'ms') return Math.trunc(n);
  if (unit === 's') return Math.round(n * 1000);
  // 13 digits are milliseconds, 10 seconds, 16 microseconds, 19 nanoseconds.
  if (n >= 1e17) return Math.trunc(n / 1e6);
  if (n >= 1e14) return Math.trunc(n / 1e3);
  if (n >= 1e11) return Math.trunc(n);
  return Math.round(n * 1000);
}

const HAS_ZONE = /(?:Z|z|[+-]\d{2}:?\d{2})$/;

/**
 * US-locale grid dates, as the Azure portal writes a Log Analytics CSV export:
 * `11/20/2026, 2:10:07.318 AM` (month first, 12-hour clock), in --log-timezone (the portal's ` [UTC]`).
 */
const US_DATE = /^(\d{1,2})\/(\d{1,2})\/(\d{4}),? (\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)? ?([AaPp][Mm])$/;
export function usTime(v: string, zoneOffset: (localGuess: number) => number): number {
  const m = US_DATE.exec(v);
  if (!m) return NaN;
  let h = Number(m[4]);
  if (h < 1 || h > 12) return NaN;
  const pm = m[8]!.toLowerCase() === 'pm';
  h = (h % 12) + (pm ? 12 : 0);
  const local = utc(Number(m[3]), Number(m[1]) - 1, Number(m[2]), h, Number(m[5]), Number(m[6] ?? 0), Number((m[7] ?? '0').slice(0, 3).padEnd(3, '0')));
  return local - zoneOffset(local);
}

/** Any of the text layouts above, tried from the most common. For `as: time`. `year` is for syslog-style times. */
export function anyTime(v: unknown, zoneOffset: (localGuess: number) => number, year = new Date().getUTCFullYear()): number {
  if (typeof v === 'number') return epochTime(v, 'auto');
  if (typeof v !== 'string' || v === '' || v === '-') return NaN;
  const c = v.charCodeAt(0);
  if (c >= 48 && c <= 57) {
    if (v.length >= 16 && v.charCodeAt(4) === 45) {
      const iso = parseIsoTime(v);
      if (Number.isNaN(iso)) return goTime(v);
      // An ISO time without a zone is local time of the log's zone (--log-timezone, default UTC).
      return HAS_ZONE.test(v) ? iso : iso - zoneOffset(iso);
    }
    if (/^\d+(\.\d+)?$/.test(v)) return epochTime(v, 'auto');
    const clf = clfTime(v);
    return Number.isNaN(clf) ? usTime(v, zoneOffset) : clf;
  }
  const kibana = kibanaTime(v, zoneOffset);
  return Number.isNaN(kibana) ? syslogTime(v, year, zoneOffset) : kibana;
}

/** Integers as logged: numbers, numeric strings, `1,234` with thousands separators; '' / '-' → NaN. */
export function toInt(v: unknown): number {
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) : NaN;
  if (typeof v !== 'string' || v === '' || v === '-') return NaN;
  const n = Number(v.includes(',') ? v.replace(/,(?=\d{3}(\D|$))/g, '') : v);
  return Number.isFinite(n) ? Math.trunc(n) : NaN;
}

/** Numbers in seconds (nginx `$request_time`, `0.123`) to milliseconds; a comma list takes the sum. */
export function secondsToMs(v: unknown): number {
  if (typeof v === 'number') return Math.round(v * 1000);
  if (typeof v !== 'string' || v === '' || v === '-') return NaN;
  let total = 0;
  for (const part of v.split(',')) {
    const n = Number(part.trim());
    if (!Number.isFinite(n)) return NaN;
    total += n;
  }
  return Math.round(total * 1000);
}

/** Strings as logged; numbers are turned into text; '-' (AWS, Kibana) and null mean nothing. */
export function toText(v: unknown): string {
  if (typeof v === 'string') return v === '-' ? '' : v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return '';
}

/** The path of a URL or request target: `https://host/a/b?x=1` → `/a/b?x=1` (the query is dropped later). */
export function urlPath(v: string): string {
  if (v.startsWith('http://') || v.startsWith('https://')) {
    const slash = v.indexOf('/', v.indexOf('//') + 2);
    return slash >= 0 ? v.slice(slash) : '/';
  }
  return v;
}

/** The query string of a URL or request target, without `?`; '' when none. */
export function queryOf(v: string): string {
  const q = v.indexOf('?');
  if (q < 0) return '';
  const hash = v.indexOf('#', q);
  return hash < 0 ? v.slice(q + 1) : v.slice(q + 1, hash);
}

export function ipText(v: unknown): string {
  return typeof v === 'string' ? normaliseIp(v) : '';
}

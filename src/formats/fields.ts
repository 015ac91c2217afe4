import { normaliseIp } from '../normalise/ip.js';
import { parseIsoTime } from '../normalise/time.js';
import { Skip, skip } from '../model/skip.js';

/** Field readers shared by formats: tolerant of the type drift real exporters show (numbers as strings). */

export function str(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
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

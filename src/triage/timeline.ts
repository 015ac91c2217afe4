/**
 * Step 3 of triage, the shape of the incident at a glance: the key's requests per hour over the
 * whole period scanned, folded into buckets wide enough that the strip stays on one line, drawn
 * as a sparkline with the hours that hold violations marked underneath.
 */
import type { Seen } from './activity.js';
import { statusClass } from './activity.js';

export const HOUR_MS = 3_600_000;

/** Bucket widths in hours, smallest first: the first that fits the width is used. */
const BUCKET_HOURS = [1, 2, 3, 4, 6, 8, 12, 24, 48, 72, 168, 336, 720];

interface HourCounts {
  requests: number;
  violations: number;
  letThrough: number;
}

/** Requests per UTC clock hour: bounded by the hours of the period, not by requests. */
export class HourlyActivity {
  readonly hours = new Map<number, HourCounts>();

  add(s: Seen): void {
    const hour = Math.floor(s.req.time / HOUR_MS);
    let h = this.hours.get(hour);
    if (!h) this.hours.set(hour, (h = { requests: 0, violations: 0, letThrough: 0 }));
    h.requests++;
    if (s.findings.length > 0) {
      h.violations++;
      if (statusClass(s.req.status) === 'succeeded') h.letThrough++;
    }
  }
}

export interface Bucket {
  /** Epoch ms of the bucket's start (UTC-aligned to its width). */
  start: number;
  requests: number;
  violations: number;
  letThrough: number;
}

export interface Timeline {
  bucketHours: number;
  /** The period drawn: [start, end), whole buckets. */
  start: number;
  end: number;
  buckets: Bucket[];
  /** The busiest bucket's requests (the top of the scale). */
  peak: number;
}

/** Buckets of `b` hours that hours [firstHour, lastHour] fall into, aligned to multiples of `b` since the epoch. */
const alignedCount = (firstHour: number, lastHour: number, b: number): number => Math.floor(lastHour / b) - Math.floor(firstHour / b) + 1;

/**
 * The smallest bucket width (in hours) from the list that puts the hours [firstHour, lastHour]
 * into at most `width` aligned buckets; past the list, whole months of 30 days.
 */
export function bucketHoursFor(firstHour: number, lastHour: number, width: number): number {
  for (const b of BUCKET_HOURS) if (alignedCount(firstHour, lastHour, b) <= width) return b;
  let b = 720 * Math.ceil((lastHour - firstHour + 1) / width / 720);
  while (alignedCount(firstHour, lastHour, b) > width) b += 720;
  return b;
}

/**
 * Folds the hourly counts over [first, last] (the period scanned) into at most `width` buckets,
 * aligned to multiples of the bucket width since the epoch (so hours and days start on UTC hours
 * and midnights). An empty period gives no buckets.
 */
export function buildTimeline(hourly: HourlyActivity, first: number, last: number, width: number): Timeline {
  if (!Number.isFinite(first) || !Number.isFinite(last) || last < first) return { bucketHours: 1, start: 0, end: 0, buckets: [], peak: 0 };
  const firstHour = Math.floor(first / HOUR_MS);
  const lastHour = Math.floor(last / HOUR_MS);
  const bucketHours = bucketHoursFor(firstHour, lastHour, Math.max(1, width));
  const startIndex = Math.floor(firstHour / bucketHours);
  const endIndex = Math.floor(lastHour / bucketHours);
  const buckets: Bucket[] = [];
  for (let i = startIndex; i <= endIndex; i++) buckets.push({ start: i * bucketHours * HOUR_MS, requests: 0, violations: 0, letThrough: 0 });
  for (const [hour, c] of hourly.hours) {
    const i = Math.floor(hour / bucketHours) - startIndex;
    const b = buckets[i];
    if (!b) continue; // outside the period drawn
    b.requests += c.requests;
    b.violations += c.violations;
    b.letThrough += c.letThrough;
  }
  return {
    bucketHours,
    start: startIndex * bucketHours * HOUR_MS,
    end: (endIndex + 1) * bucketHours * HOUR_MS,
    buckets,
    peak: buckets.reduce((m, b) => Math.max(m, b.requests), 0),
  };
}

/** Eight levels above zero; zero is a space. */
const UNICODE_LEVELS = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
const ASCII_LEVELS = [' ', '.', ':', '-', '=', '+', '*', '#', '@'];

/**
 * The level (0–8) of a bucket: 0 for no requests, else 1–8 on a log scale up to the peak, so a
 * handful of requests in a quiet hour is still visible next to a busy one.
 */
export function level(requests: number, peak: number): number {
  if (requests <= 0) return 0;
  if (peak <= 1) return 8;
  return Math.min(8, 1 + Math.floor((7 * Math.log(requests)) / Math.log(peak)));
}

export interface Strip {
  /** One character per bucket. */
  strip: string;
  /** Under each bucket: `!` a violation was let through, `^` violations all blocked, space none. */
  marks: string;
}

/** The sparkline and its marks, in Unicode block characters or plain ASCII. */
export function drawStrip(t: Timeline, unicode: boolean): Strip {
  const levels = unicode ? UNICODE_LEVELS : ASCII_LEVELS;
  return {
    strip: t.buckets.map((b) => levels[level(b.requests, t.peak)]).join(''),
    marks: t.buckets.map((b) => (b.letThrough > 0 ? '!' : b.violations > 0 ? '^' : ' ')).join(''),
  };
}

/** `1 hour`, `6 hours`, `1 day`, `2 days`, `1 week`, `30 days`. */
export function bucketLabel(hours: number): string {
  if (hours === 168) return '1 week';
  if (hours === 336) return '2 weeks';
  if (hours % 24 === 0) return hours === 24 ? '1 day' : `${hours / 24} days`;
  return hours === 1 ? '1 hour' : `${hours} hours`;
}

/** Whether the terminal can show Unicode block characters: a UTF-8 locale (LC_ALL, then LC_CTYPE, then LANG). */
export function utf8Locale(env: NodeJS.ProcessEnv): boolean {
  const locale = env.LC_ALL || env.LC_CTYPE || env.LANG || '';
  return /utf-?8/i.test(locale);
}

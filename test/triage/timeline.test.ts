import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/model/finding.js';
import { HOUR_MS, HourlyActivity, bucketHoursFor, bucketLabel, buildTimeline, drawStrip, level, utf8Locale } from '../../src/triage/timeline.js';
import { request } from '../helpers/requests.js';

const T0 = Date.parse('2026-11-19T00:00:00Z');
const finding = { row: 'key-compromised' } as Finding;

/** Hourly activity from [hour offset, requests, violations let through, violations blocked]. */
function hourly(...hours: [number, number, number?, number?][]): HourlyActivity {
  const h = new HourlyActivity();
  for (const [hour, requests, through = 0, blocked = 0] of hours) {
    for (let i = 0; i < requests; i++) {
      const violating = i < through + blocked;
      const status = i < through ? 200 : violating ? 403 : 200;
      h.add({ req: request({ time: T0 + hour * HOUR_MS + i * 1000, status }), findings: violating ? [finding] : [] });
    }
  }
  return h;
}

describe('bucketing', () => {
  it('keeps one hour per character while the period fits the width', () => {
    expect(bucketHoursFor(0, 71, 72)).toBe(1);
    expect(bucketHoursFor(0, 72, 72)).toBe(2);
  });

  it('picks the smallest listed width that keeps every aligned bucket on one line', () => {
    // 30 days in 60 characters: 12 hours per character.
    expect(bucketHoursFor(0, 30 * 24 - 1, 60)).toBe(12);
    // A period starting mid-bucket needs one more bucket: 48 hours from hour 1 is 3 aligned 24 h buckets.
    expect(bucketHoursFor(1, 48, 2)).toBe(48);
    expect(bucketHoursFor(24, 71, 2)).toBe(24);
  });

  it('a long period stays one line: a year, ten years, a century', () => {
    for (const years of [1, 10, 100]) {
      const hours = years * 8766;
      const width = 80;
      const b = bucketHoursFor(100, 100 + hours, width);
      expect(Math.floor((100 + hours) / b) - Math.floor(100 / b) + 1).toBeLessThanOrEqual(width);
      const t = buildTimeline(hourly([0, 1], [hours, 1]), T0, T0 + hours * HOUR_MS, width);
      expect(t.buckets.length).toBeLessThanOrEqual(width);
      expect(drawStrip(t, false).strip).toHaveLength(t.buckets.length);
      expect(drawStrip(t, false).strip).not.toContain('\n');
    }
  });

  it('counts every hour into its bucket, violations and let-through apart', () => {
    const t = buildTimeline(hourly([0, 3], [1, 2, 1, 1], [5, 4, 0, 2]), T0, T0 + 5 * HOUR_MS + 1, 3);
    expect(t.bucketHours).toBe(2);
    expect(t.buckets.map((b) => [b.requests, b.violations, b.letThrough])).toEqual([
      [5, 2, 1],
      [0, 0, 0],
      [4, 2, 0],
    ]);
    expect(t.peak).toBe(5);
    expect(t.start).toBe(T0);
    expect(t.end).toBe(T0 + 6 * HOUR_MS);
  });

  it('an empty period has no buckets', () => {
    expect(buildTimeline(new HourlyActivity(), Infinity, -Infinity, 80).buckets).toEqual([]);
  });
});

describe('the strip', () => {
  it('levels run 0 (none) to 8 (the peak) on a log scale', () => {
    expect(level(0, 100)).toBe(0);
    expect(level(1, 100)).toBe(1);
    expect(level(100, 100)).toBe(8);
    expect(level(10, 100)).toBe(4);
    expect(level(1, 1)).toBe(8);
  });

  it('draws Unicode blocks or plain ASCII, one character per bucket, with violations marked beneath', () => {
    const t = buildTimeline(hourly([0, 1], [1, 100], [2, 0], [3, 10, 0, 2], [4, 10, 1]), T0, T0 + 4 * HOUR_MS, 24);
    expect(drawStrip(t, true)).toEqual({ strip: '▁█ ▄▄', marks: '   ^!' });
    const ascii = drawStrip(t, false);
    expect(ascii).toEqual({ strip: '.@ ==', marks: '   ^!' });
    expect(ascii.strip + ascii.marks).toMatch(/^[\x20-\x7e]*$/);
  });

  it('names the bucket size', () => {
    expect([1, 6, 24, 48, 168, 720].map(bucketLabel)).toEqual(['1 hour', '6 hours', '1 day', '2 days', '1 week', '30 days']);
  });

  it('uses Unicode only on a UTF-8 locale', () => {
    expect(utf8Locale({ LANG: 'en_US.UTF-8' })).toBe(true);
    expect(utf8Locale({ LC_ALL: 'C.utf8', LANG: 'C' })).toBe(true);
    expect(utf8Locale({ LC_ALL: 'C', LANG: 'en_US.UTF-8' })).toBe(false);
    expect(utf8Locale({})).toBe(false);
  });
});

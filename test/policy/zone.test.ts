import { describe, expect, it } from 'vitest';
import { ZoneClock, isValidTimeZone } from '../../src/policy/zone.js';

const DAY = 86_400_000;
/** Days since 1970-01-01 of a calendar date (month 1-based). */
const dayOf = (y: number, m: number, d: number): number => Date.UTC(y, m - 1, d) / DAY;
const at = (iso: string): number => {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`bad test timestamp ${iso}`);
  return ms;
};

describe('ZoneClock.local in Europe/Amsterdam across DST', () => {
  it('has the calendar constants this file relies on', () => {
    expect(dayOf(1970, 1, 1)).toBe(0);
    expect(dayOf(2026, 1, 1)).toBe(20454);
    expect(dayOf(2026, 3, 29)).toBe(20541);
    expect(dayOf(2026, 10, 25)).toBe(20751);
  });

  it.each([
    // instant (UTC), local day, minute since local midnight, weekday, offset (h)
    ['2026-03-28T22:59:59Z', dayOf(2026, 3, 28), 23 * 60 + 59, 6, 1], // Sat 23:59:59 CET
    ['2026-03-28T23:00:00Z', dayOf(2026, 3, 29), 0, 0, 1], // Sun 00:00 CET
    ['2026-03-29T00:59:59Z', dayOf(2026, 3, 29), 1 * 60 + 59, 0, 1], // 01:59:59 CET
    ['2026-03-29T01:00:00Z', dayOf(2026, 3, 29), 3 * 60, 0, 2], // 03:00:00 CEST
    ['2026-03-29T01:14:59Z', dayOf(2026, 3, 29), 3 * 60 + 14, 0, 2],
    ['2026-03-29T21:59:59Z', dayOf(2026, 3, 29), 23 * 60 + 59, 0, 2],
    ['2026-03-29T22:00:00Z', dayOf(2026, 3, 30), 0, 1, 2], // Mon 00:00 CEST
    ['2026-10-24T22:00:00Z', dayOf(2026, 10, 25), 0, 0, 2], // Sun 00:00 CEST
    ['2026-10-25T00:00:00Z', dayOf(2026, 10, 25), 2 * 60, 0, 2], // first 02:00 (CEST)
    ['2026-10-25T00:59:59Z', dayOf(2026, 10, 25), 2 * 60 + 59, 0, 2], // 02:59:59 CEST
    ['2026-10-25T01:00:00Z', dayOf(2026, 10, 25), 2 * 60, 0, 1], // second 02:00 (CET)
    ['2026-10-25T01:59:59Z', dayOf(2026, 10, 25), 2 * 60 + 59, 0, 1],
    ['2026-10-25T22:59:59Z', dayOf(2026, 10, 25), 23 * 60 + 59, 0, 1],
    ['2026-10-25T23:00:00Z', dayOf(2026, 10, 26), 0, 1, 1], // Mon 00:00 CET
    ['2026-07-01T12:00:00Z', dayOf(2026, 7, 1), 14 * 60, 3, 2], // Wed, summer
    ['2026-12-31T23:30:00Z', dayOf(2027, 1, 1), 30, 5, 1], // new year locally, Fri
  ])('%s → day %i, minute %i, weekday %i (UTC+%i)', (iso, day, minute, weekday, offsetH) => {
    const clock = new ZoneClock('Europe/Amsterdam');
    expect(clock.local(at(iso))).toEqual({ day, minute, weekday });
    expect(clock.offsetAt(at(iso))).toBe(offsetH * 3_600_000);
  });

  it('gives the same answers whatever order instants are asked in (offset cache)', () => {
    const clock = new ZoneClock('Europe/Amsterdam');
    const order = ['2026-03-29T01:00:00Z', '2026-03-29T00:59:59Z', '2026-03-29T01:00:00Z', '2026-03-29T00:45:00Z'];
    expect(order.map((iso) => clock.local(at(iso)).minute)).toEqual([180, 119, 180, 105]);
  });

  it('keeps the zone name it was made for', () => {
    expect(new ZoneClock('Europe/Amsterdam').zone).toBe('Europe/Amsterdam');
  });
});

describe('ZoneClock.local in zones with non-hour offsets', () => {
  it.each([
    ['2026-01-01T00:00:00Z', dayOf(2026, 1, 1), 5 * 60 + 30, 4],
    ['2026-01-01T18:29:59Z', dayOf(2026, 1, 1), 23 * 60 + 59, 4],
    ['2026-01-01T18:30:00Z', dayOf(2026, 1, 2), 0, 5],
    ['2026-07-01T12:00:00Z', dayOf(2026, 7, 1), 17 * 60 + 30, 3], // India has no DST
  ])('Asia/Kolkata (UTC+05:30): %s → day %i, minute %i, weekday %i', (iso, day, minute, weekday) => {
    const clock = new ZoneClock('Asia/Kolkata');
    expect(clock.local(at(iso))).toEqual({ day, minute, weekday });
    expect(clock.offsetAt(at(iso))).toBe(330 * 60_000);
  });

  it.each([
    ['2026-01-01T00:00:00Z', dayOf(2026, 1, 1), 5 * 60 + 45, 4],
    ['2026-01-01T18:14:59Z', dayOf(2026, 1, 1), 23 * 60 + 59, 4],
    ['2026-01-01T18:15:00Z', dayOf(2026, 1, 2), 0, 5],
    ['2026-01-01T18:29:59Z', dayOf(2026, 1, 2), 14, 5],
  ])('Asia/Kathmandu (UTC+05:45): %s → day %i, minute %i, weekday %i', (iso, day, minute, weekday) => {
    const clock = new ZoneClock('Asia/Kathmandu');
    expect(clock.local(at(iso))).toEqual({ day, minute, weekday });
    expect(clock.offsetAt(at(iso))).toBe(345 * 60_000);
  });

  it('a negative offset moves the local day back (America/New_York, EST)', () => {
    const clock = new ZoneClock('America/New_York');
    expect(clock.local(at('2026-01-02T04:59:59Z'))).toEqual({ day: dayOf(2026, 1, 1), minute: 23 * 60 + 59, weekday: 4 });
    expect(clock.local(at('2026-01-02T05:00:00Z'))).toEqual({ day: dayOf(2026, 1, 2), minute: 0, weekday: 5 });
  });
});

describe('ZoneClock weekdays and days around the epoch', () => {
  it('1970-01-01 is day 0, a Thursday (4)', () => {
    expect(new ZoneClock('UTC').local(0)).toEqual({ day: 0, minute: 0, weekday: 4 });
    expect(new ZoneClock('UTC').local(DAY - 1)).toEqual({ day: 0, minute: 1439, weekday: 4 });
  });

  it.each([
    ['1969-12-31T23:30:00Z', -1, 23 * 60 + 30, 3], // Wednesday
    ['1969-12-28T00:00:00Z', -4, 0, 0], // Sunday
    ['1969-12-27T12:00:00Z', -5, 12 * 60, 6], // Saturday
    ['1969-07-20T20:17:40Z', -165, 20 * 60 + 17, 0], // Sunday
    ['1900-01-01T00:00:00Z', -25567, 0, 1], // Monday
  ])('before 1970 in UTC: %s → day %i, minute %i, weekday %i', (iso, day, minute, weekday) => {
    expect(new ZoneClock('UTC').local(at(iso))).toEqual({ day, minute, weekday });
  });

  it('a local day can start before 1970 in UTC and after it locally', () => {
    // Amsterdam was on UTC+1 all winter 1969/70.
    expect(new ZoneClock('Europe/Amsterdam').local(at('1969-12-31T23:30:00Z'))).toEqual({ day: 0, minute: 30, weekday: 4 });
    // New York was on UTC-5: 1970-01-01T03:00Z is still Wednesday evening.
    expect(new ZoneClock('America/New_York').local(at('1970-01-01T03:00:00Z'))).toEqual({ day: -1, minute: 22 * 60, weekday: 3 });
  });
});

describe('ZoneClock.dayLabel', () => {
  it.each([
    [0, '1970-01-01'],
    [-1, '1969-12-31'],
    [20454, '2026-01-01'],
    [20541, '2026-03-29'],
    [20751, '2026-10-25'],
    [-25567, '1900-01-01'],
  ])('day %i → %s', (day, label) => {
    expect(ZoneClock.dayLabel(day)).toBe(label);
  });

  it('labels the local day of an instant', () => {
    const clock = new ZoneClock('Asia/Kolkata');
    expect(ZoneClock.dayLabel(clock.local(at('2026-01-01T18:30:00Z')).day)).toBe('2026-01-02');
  });
});

describe('isValidTimeZone', () => {
  it.each(['UTC', 'Europe/Amsterdam', 'Asia/Kolkata', 'Asia/Kathmandu', 'America/New_York'])('accepts %s', (zone) => {
    expect(isValidTimeZone(zone)).toBe(true);
  });

  it.each(['', 'Europe/Amstredam', 'Mars/Olympus_Mons', 'not a zone'])('refuses %j', (zone) => {
    expect(isValidTimeZone(zone)).toBe(false);
  });
});

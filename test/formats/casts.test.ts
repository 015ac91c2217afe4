import { describe, expect, it } from 'vitest';
import { clfTime, goTime, kibanaTime, syslogTime, usTime } from '../../src/formats/casts.js';

/**
 * The time casts run once per record, so they are read by hand; these tests hold them to the
 * regular expressions and Date checks they replaced (kept here as the reference), on edge cases
 * and on thousands of generated values.
 */

// ------------------------------------------------------------------ the reference (the former code)

const MONTHS: Record<string, number> = {
  jan: 0, feb: 1, mar: 2, apr: 3, may: 4, jun: 5, jul: 6, aug: 7, sep: 8, oct: 9, nov: 10, dec: 11,
  january: 0, february: 1, march: 2, april: 3, june: 5, july: 6, august: 7, september: 8, october: 9, november: 10, december: 11,
};
const monthIndex = (name: string): number => MONTHS[name.toLowerCase()] ?? -1;
function refUtc(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number {
  if (mo < 0 || mo > 11 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return NaN;
  const t = Date.UTC(y, mo, d, h, mi, s, ms);
  return new Date(t).getUTCDate() === d ? t : NaN;
}
const refOffset = (sign: string, hh: string, mm: string): number => (sign === '-' ? -1 : 1) * (Number(hh) * 60 + Number(mm)) * 60_000;
const GO_TIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))? ([+-])(\d{2})(\d{2})(?: [A-Za-z0-9+-]+)?(?: m=[+-][\d.]+)?$/;
function refGoTime(v: string): number {
  const m = GO_TIME.exec(v);
  if (!m) return NaN;
  const t = refUtc(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), Number((m[7] ?? '0').slice(0, 3).padEnd(3, '0')));
  return t - refOffset(m[8]!, m[9]!, m[10]!);
}
const CLF = /^(\d{1,2})\/([A-Za-z]{3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3})\d*)? ([+-])(\d{2}):?(\d{2})$/;
function refClfTime(v: string): number {
  const m = CLF.exec(v);
  if (!m) return NaN;
  const t = refUtc(Number(m[3]), monthIndex(m[2]!), Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]), Number((m[7] ?? '0').padEnd(3, '0')));
  return t - refOffset(m[8]!, m[9]!, m[10]!);
}

// ------------------------------------------------------------------ generated values

function prng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * n | 0;
  };
}
const pad = (n: number, w: number): string => String(n).padStart(w, '0');

describe('goTime', () => {
  it('reads Go time.Time.String() as the regular expression did', () => {
    for (const v of [
      '2023-02-23 16:29:27.53328605 +0000 UTC',
      '2026-11-20 05:59:59.937611942 +0100 CET',
      '2026-11-20 05:59:59 -0300 -03',
      '2026-11-20 05:59:59.9 +0530',
      '2026-11-20 05:59:59.123456789 +0000 UTC m=+0.000123',
      '2026-11-20 05:59:59 +0000 m=+12.5',
      '2026-11-20 05:59:59 +0000 m m=+1',
      '2024-02-29 00:00:00 +0000 UTC',
    ]) {
      expect(goTime(v), v).toBe(refGoTime(v));
      expect(goTime(v), v).not.toBeNaN();
    }
    for (const v of [
      '2023-02-29 00:00:00 +0000 UTC', '2026-13-01 00:00:00 +0000', '2026-11-20 24:00:00 +0000', '2026-11-20 23:59:60 +0000', '2026-11-20 12:59:60 +0000',
      '2026-11-20 05:59:59.1234567890 +0000', '2026-11-20 05:59:59. +0000', '2026-11-20T05:59:59 +0000', '2026-11-20 05:59:59 +000', '2026-11-20 05:59:59 0000',
      '2026-11-20 05:59:59 +0000 ', '2026-11-20 05:59:59 +0000 U.T.C', '2026-11-20 05:59:59 +0000 m=1', '2026-11-20 05:59:59 +0000 UTC m=+', '', '2026',
      '0099-02-29 00:00:00 +0000', '0096-02-29 00:00:00 +0000',
    ]) expect(goTime(v), v).toBe(refGoTime(v));
  });

  it('agrees with the regular expression on generated values', () => {
    const r = prng(42);
    const zones = ['', ' UTC', ' CET', ' -03', ' +0530', ' m=+0.5', ' UTC m=+1.25', ' U TC', ' m=1', '  UTC', ' UTC '];
    for (let n = 0; n < 20000; n++) {
      const frac = ['', '.', `.${'1234567891'.slice(0, 1 + r(10))}`][r(3)]!;
      let v = `${pad(r(2100), 4)}-${pad(r(14), 2)}-${pad(r(33), 2)} ${pad(r(26), 2)}:${pad(r(61), 2)}:${pad(r(62), 2)}${frac} ${'+-x'[r(3)]}${pad(r(24), 2)}${pad(r(61), 2)}${zones[r(zones.length)]}`;
      if (r(10) === 0) v = v.slice(0, r(v.length + 1));
      expect(Object.is(goTime(v), refGoTime(v)), v).toBe(true);
    }
  });
});

describe('the calendar check (utc) behind the other casts', () => {
  it('clfTime agrees with the Date-based check on generated dates, leap years and leap seconds included', () => {
    const r = prng(7);
    const mons = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec', 'Foo', 'feb'];
    for (let n = 0; n < 20000; n++) {
      const v = `${pad(r(33), 1 + r(2))}/${mons[r(mons.length)]}/${pad([1900, 2000, 2023, 2024, 2100, 96, 99, r(10000)][r(8)]!, 4)}:${pad(r(25), 2)}:${pad(r(61), 2)}:${pad(r(62), 2)} ${'+-'[r(2)]}${pad(r(24), 2)}${pad(r(60), 2)}`;
      expect(Object.is(clfTime(v), refClfTime(v)), v).toBe(true);
    }
  });

  it('month names are only the months (not Object.prototype\'s names)', () => {
    expect(kibanaTime('valueOf 1, 2020 @ 10:00:00', () => 0)).toBeNaN();
    expect(kibanaTime('Feb 29, 2024 @ 10:00:00.5', () => 0)).toBe(Date.UTC(2024, 1, 29, 10, 0, 0, 500));
    expect(kibanaTime('Feb 29, 2023 @ 10:00:00', () => 0)).toBeNaN();
    expect(syslogTime('Feb 29 10:00:00', 2024, () => 0)).toBe(Date.UTC(2024, 1, 29, 10));
    expect(syslogTime('Feb 29 10:00:00', 2023, () => 0)).toBeNaN();
    expect(usTime('2/29/2024, 11:59:60 PM', () => 0)).toBeNaN();
    expect(usTime('2/29/2024, 11:58:60 PM', () => 0)).toBe(Date.UTC(2024, 1, 29, 23, 59, 0));
  });
});

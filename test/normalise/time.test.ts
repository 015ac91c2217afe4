import { afterEach, describe, expect, it } from 'vitest';
import { isoUtc, parseIsoTime } from '../../src/normalise/time.js';

/** 2023-02-23T16:29:27Z */
const T = Date.UTC(2023, 1, 23, 16, 29, 27);

describe('parseIsoTime', () => {
  it.each([
    ['Z', '2023-02-23T16:29:27Z', T],
    ['lower-case z', '2023-02-23T16:29:27z', T],
    ['milliseconds', '2023-02-23T16:29:27.533Z', T + 533],
    ['one fraction digit', '2023-02-23T16:29:27.5Z', T + 500],
    ['+01:00', '2023-02-23T17:29:27+01:00', T],
    ['+0100', '2023-02-23T17:29:27+0100', T],
    ['-05:30', '2023-02-23T10:59:27-05:30', T],
    ['-0530', '2023-02-23T10:59:27-0530', T],
    ['space instead of T', '2023-02-23 16:29:27Z', T],
    ['space and +0100', '2023-02-23 17:29:27+0100', T],
    ['9 fraction digits (Tyk)', '2023-02-23T16:29:27.53328605Z', 1677169767533],
    ['9 fraction digits with offset', '2023-02-23T17:29:27.123456789+01:00', T + 123],
    ['9 fraction digits with +0100', '2023-02-23T17:29:27.123456789+0100', T + 123],
    ['no seconds', '2023-02-23T16:29Z', T - 27_000],
    ['leap day', '2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
  ])('reads %s: %s', (_why, text, expected) => {
    expect(parseIsoTime(text)).toBe(expected);
  });

  describe('without a zone', () => {
    const savedTz = process.env.TZ;
    afterEach(() => {
      if (savedTz === undefined) delete process.env.TZ;
      else process.env.TZ = savedTz;
    });

    it.each([
      ['2023-02-23T16:29:27', T],
      ['2023-02-23 16:29:27.533', T + 533],
      ['2023-02-23T16:29:27.53328605', T + 533],
      ['2023-02-23T16:29', T - 27_000],
    ])('reads %s as UTC even when the machine is not on UTC', (text, expected) => {
      process.env.TZ = 'America/New_York';
      expect(new Date(2023, 1, 23).getTimezoneOffset()).toBe(300); // the zone change took effect
      expect(parseIsoTime(text)).toBe(expected);
    });
  });

  it.each([
    ['a bare number', '1'],
    ['a word', 'hello'],
    ['a date without time', '2023-02-23'],
    ['empty', ''],
    ['RFC 1123', 'Thu, 23 Feb 2023 16:29:27 GMT'],
    ['leading space', ' 2023-02-23T16:29:27Z'],
    ['trailing text', '2023-02-23T16:29:27Z junk'],
    ['dot without fraction', '2023-02-23T16:29:27.Z'],
    ['hour-only offset', '2023-02-23T16:29:27+01'],
    ['month 13', '2023-13-01T00:00:00Z'],
    ['month 0', '2023-00-10T00:00:00Z'],
    ['day 0', '2023-02-00T00:00:00Z'],
    ['hour 25', '2023-02-23T25:00:00Z'],
    ['minute 60', '2023-02-23T16:60:00Z'],
    ['offset minutes 60', '2023-02-23T16:29:27+01:60'],
    // Date.parse rolls these over into the next month; a security tool must not invent a date.
    ['February 30', '2023-02-30T00:00:00Z'],
    ['February 29 in a common year', '2023-02-29T00:00:00Z'],
    ['April 31', '2023-04-31T00:00:00Z'],
  ])('refuses %s (%j) with NaN', (_why, text) => {
    expect(parseIsoTime(text)).toBeNaN();
  });
});

describe('isoUtc', () => {
  it('formats epoch ms as UTC ISO text with milliseconds', () => {
    expect(isoUtc(T + 533)).toBe('2023-02-23T16:29:27.533Z');
    expect(isoUtc(0)).toBe('1970-01-01T00:00:00.000Z');
  });

  it('round-trips with parseIsoTime', () => {
    expect(isoUtc(parseIsoTime('2023-02-23T17:29:27.533+01:00'))).toBe('2023-02-23T16:29:27.533Z');
    let seed = 7;
    for (let k = 0; k < 200; k++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const ms = Math.floor((seed / 2 ** 31) * Date.UTC(2100, 0, 1));
      expect(parseIsoTime(isoUtc(ms))).toBe(ms);
    }
  });
});

describe('parseIsoTime fractions', () => {
  it('keeps the first three digits of any fraction, as milliseconds', () => {
    const base = Date.UTC(2026, 10, 20, 4, 59, 59);
    for (const [frac, ms] of [['9', 900], ['93', 930], ['937', 937], ['9376', 937], ['937611942', 937], ['000000001', 0], ['05', 50], ['999999', 999]] as const) {
      expect(parseIsoTime(`2026-11-20T04:59:59.${frac}Z`), frac).toBe(base + ms);
      expect(parseIsoTime(`2026-11-20T04:59:59.${frac}+01:00`), frac).toBe(base + ms - 3_600_000);
    }
    expect(parseIsoTime('2026-11-20T04:59:59.Z')).toBeNaN();
    expect(parseIsoTime('2026-11-20T04:59:59.')).toBeNaN();
    expect(parseIsoTime('2026-11-20T04:59:59.12x')).toBeNaN();
  });
});

describe('parseIsoTime minute cache', () => {
  it('gives the same instants whatever was read before (times of the same minute, other minutes, broken ones)', () => {
    const cases = [
      '2026-11-20T04:59:59.9Z', '2026-11-20T04:59:01Z', '2026-11-20T04:59:01+01:00', '2026-11-20 04:59:30', '2026-11-20T04:59', '2026-11-20T04:59Z',
      '2026-11-20T04:59:60Z', '2026-11-20T04:59:5Z', '2026-11-20T04:59:59.', '2026-11-20T05:00:00Z', '2026-02-29T04:59:00Z', '2024-02-29T04:59:00Z',
      '2026-11-20T04:5', '2026-11-20X04:59:00Z', '2026-11-20T04:59:00+25:00',
    ];
    const fresh = (s: string): number => {
      // A time of another minute first, so that nothing is reused.
      parseIsoTime('1999-01-01T00:00:00Z');
      return parseIsoTime(s);
    };
    const expected = cases.map(fresh);
    expect(expected.filter((t) => !Number.isNaN(t)).length).toBeGreaterThan(6);
    let seed = 1;
    for (let n = 0; n < 2000; n++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const k = seed % cases.length;
      expect(Object.is(parseIsoTime(cases[k]!), expected[k]), cases[k]).toBe(true);
    }
  });
});

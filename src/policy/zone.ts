import { tzOffset } from '@date-fns/tz';

/** Local calendar facts for one instant in a time zone. */
export interface LocalTime {
  /** Days since 1970-01-01 in local time: the quota day. */
  day: number;
  /** Minutes since local midnight, 0–1439. */
  minute: number;
  /** 0 = Sunday … 6 = Saturday. */
  weekday: number;
}

const QUARTER_HOUR = 15 * 60_000;
export const DAY = 86_400_000;

/** 0 = Sunday … 6 = Saturday, for a day number (days since 1970-01-01, a Thursday). */
export function weekdayOf(day: number): number {
  return (((day + 4) % 7) + 7) % 7;
}

export function isValidTimeZone(zone: string): boolean {
  // UTC (the default) without Intl: its first use loads time-zone data, ~30 ms of start-up.
  if (zone === 'UTC') return true;
  return !Number.isNaN(tzOffset(zone, new Date(0)));
}

/**
 * Converts instants to local wall-clock time in one IANA zone, correct across DST.
 * Offsets are looked up once per UTC day when the day has no change, else once per quarter hour
 * (every real zone changes offset on a quarter-hour boundary in UTC), and cached: the per-request
 * cost is a Map lookup, not an Intl call.
 */
export class ZoneClock {
  private readonly offsets = new Map<number, number>();
  /** Per UTC day: its offset when it is the same at both ends (no change that day), else NaN. */
  private readonly days = new Map<number, number>();
  /** The last UTC day looked up and its whole-day offset (requests come in time order). */
  private lastDay = Number.NaN;
  private lastWhole = Number.NaN;

  constructor(readonly zone: string) {}

  /** Offset from UTC in milliseconds at instant `ms`. */
  offsetAt(ms: number): number {
    // Zones change offset at most once a day: a day with the same offset at both ends has none.
    const day = Math.floor(ms / DAY);
    if (day === this.lastDay && !Number.isNaN(this.lastWhole)) return this.lastWhole;
    let whole = this.days.get(day);
    if (whole === undefined) {
      const start = this.quarterOffset(day * (DAY / QUARTER_HOUR));
      const end = this.quarterOffset((day + 1) * (DAY / QUARTER_HOUR) - 1);
      whole = start === end ? start : NaN;
      if (this.days.size > 20_000) this.days.clear();
      this.days.set(day, whole);
    }
    this.lastDay = day;
    this.lastWhole = whole;
    return Number.isNaN(whole) ? this.quarterOffset(Math.floor(ms / QUARTER_HOUR)) : whole;
  }

  private quarterOffset(bucket: number): number {
    let off = this.offsets.get(bucket);
    if (off === undefined) {
      off = tzOffset(this.zone, new Date(bucket * QUARTER_HOUR)) * 60_000;
      if (this.offsets.size > 200_000) this.offsets.clear(); // bounded: ~5 years of quarter hours
      this.offsets.set(bucket, off);
    }
    return off;
  }

  /** The instant's local wall-clock time, as epoch ms of the same reading in UTC. */
  wallClock(ms: number): number {
    return ms + this.offsetAt(ms);
  }

  local(ms: number): LocalTime {
    const local = this.wallClock(ms);
    const day = Math.floor(local / DAY);
    return { day, minute: Math.floor((local - day * DAY) / 60_000), weekday: weekdayOf(day) };
  }

  /** `2026-11-20` for a local day number. */
  static dayLabel(day: number): string {
    return new Date(day * DAY).toISOString().slice(0, 10);
  }
}

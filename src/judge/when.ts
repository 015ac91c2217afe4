import { VALID, type Verdict } from '../model/finding.js';
import type { KeyEntry } from '../policy/policy.js';
import { DAY, ZoneClock, weekdayOf } from '../policy/zone.js';

const WEEKDAY = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
/** Timestamps kept per key beyond its rate limit, so messages can say "the 45th request". */
const RATE_SLACK = 4096;

export function ordinal(n: number): string {
  const mod100 = n % 100;
  const suffix = mod100 >= 11 && mod100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}

const hhmm = (minute: number): string =>
  `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;

/** Sorted timestamps of one key's recent requests; at most limit + RATE_SLACK of them. */
class RateWindow {
  times: number[] = [];
  head = 0;

  /** Adds `t` and returns how many requests fall in the window (t - windowMs, t], this one included. */
  add(t: number, windowMs: number, cap: number): number {
    const times = this.times;
    let pos = times.length;
    // In time order this loop does not run; a late record is inserted where it belongs.
    while (pos > this.head && times[pos - 1]! > t) pos--;
    if (pos === times.length) times.push(t);
    else times.splice(pos, 0, t);
    const newest = times[times.length - 1]!;
    while (this.head < times.length && times[this.head]! <= newest - windowMs) this.head++;
    if (times.length - this.head > cap) this.head = times.length - cap;
    if (this.head > 1024 && this.head * 2 > times.length) {
      times.splice(0, this.head);
      pos -= this.head;
      this.head = 0;
    }
    // A record later than the window of the newest one is counted against what is still held.
    let first = Math.min(this.head, pos);
    while (first < pos && times[first]! <= t - windowMs) first++;
    return pos - first + 1;
  }
}

/** Request counts per local calendar day; the current day plus a few before it for late records. */
class QuotaDays {
  day = Number.NEGATIVE_INFINITY;
  count = 0;
  earlier = new Map<number, number>();

  add(day: number): number {
    if (day === this.day) return ++this.count;
    if (day > this.day) {
      if (this.count > 0) this.earlier.set(this.day, this.count);
      for (const d of this.earlier.keys()) if (d < day - 2) this.earlier.delete(d);
      this.day = day;
      this.count = 1;
      return 1;
    }
    const n = (this.earlier.get(day) ?? 0) + 1;
    this.earlier.set(day, n);
    return n;
  }
}

/**
 * When: the key's hours and days (local time, correct across DST), its sliding-window rate and
 * its daily quota. Stateful: every request with a valid Who must pass through `judge`, in time
 * order, whether or not it breaks other checks, because every such request counts towards the
 * key's rate and quota.
 */
export class WhenJudge {
  private readonly rates: (RateWindow | undefined)[] = [];
  private readonly quotas: (QuotaDays | undefined)[] = [];

  /** `time`: the request's, epoch ms. */
  judge(time: number, entry: KeyEntry): Verdict {
    // Built only when a check fails: most requests pass all three.
    let reasons: string[] | null = null;
    let groups: string[] | null = null;

    const schedule = entry.schedule;
    if (schedule !== null) {
      const local = schedule.clock.wallClock(time);
      const day = Math.floor(local / DAY);
      const minute = Math.floor((local - day * DAY) / 60_000);
      const weekday = weekdayOf(day);
      const { startMinute: s, endMinute: e } = schedule;
      const inHours = s < e ? minute >= s && minute < e : minute >= s || minute < e;
      if (!inHours || (schedule.dayMask & (1 << weekday)) === 0) {
        (reasons ??= []).push(`${WEEKDAY[weekday]} ${hhmm(minute)} ${schedule.clock.zone} is outside ${schedule.daysLabel} ${schedule.hoursLabel}`);
        (groups ??= []).push(`outside ${schedule.label}`);
      }
    }

    const rate = entry.rate;
    if (rate !== null) {
      const w = (this.rates[entry.index] ??= new RateWindow());
      const cap = rate.limit + RATE_SLACK;
      const n = w.add(time, rate.windowMs, cap);
      if (n > rate.limit) {
        const nth = n >= cap ? `more than the ${ordinal(cap - 1)}` : ordinal(n);
        (reasons ??= []).push(`${nth} request in ${rate.windowLabel}, limit ${rate.limit}`);
        (groups ??= []).push(`over rate ${rate.label}`);
      }
    }

    const quota = entry.quota;
    if (quota !== null) {
      const day = Math.floor(quota.clock.wallClock(time) / DAY);
      const n = (this.quotas[entry.index] ??= new QuotaDays()).add(day);
      if (n > quota.limit) {
        (reasons ??= []).push(`${ordinal(n)} request on ${ZoneClock.dayLabel(day)} (${quota.clock.zone}), quota ${quota.limit}/1d`);
        (groups ??= []).push(`over quota ${quota.label}`);
      }
    }
    return reasons === null ? VALID : { valid: false, reasons, groups: groups! };
  }
}

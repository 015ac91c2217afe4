import { VALID, type Verdict } from '../model/finding.js';
import type { ApiRequest } from '../model/request.js';
import { identityGroup } from '../normalise/identity.js';
import { formatIpv4, formatIpv6, parseIpv4, parseIpv6 } from '../normalise/ip.js';
import { ordinal } from './when.js';

/**
 * What the logs alone can tell, when there is no key inventory to judge against. Every threshold
 * lives here, and every finding states its rule and threshold, so a reader can weigh it.
 */
export const LOG_ONLY_RULES = {
  /** Key guessing: this many authentication failures from one source within the window. */
  guessing: { failures: 10, windowMs: 10 * 60_000, window: '10m' },
  /**
   * Sharing or theft: a key used from more than one network (/24, /64) within the window. Only
   * requests from networks other than the key's main one (most requests so far) are reported, so
   * the usual source is never blamed for the odd one. Analysts do move between office and VPN;
   * 30 minutes is shorter than any such move usually takes, and much longer than a stolen key's
   * first use usually waits.
   */
  networks: { windowMs: 30 * 60_000, window: '30m', v4Prefix: 24, v6Prefix: 64 },
  /**
   * Bursts: more than `factor` × the key's median requests per active minute within one minute,
   * and at least `min` requests, once `history` active minutes are known. Automation runs at a
   * steady pace; a tenfold jump is not jitter.
   */
  burst: { factor: 10, min: 10, history: 30, windowMs: 60_000 },
  /**
   * Volume: more than `factor` × the key's median requests per active clock hour (UTC) in one
   * hour, and at least `min`, once `history` active hours are known. Hour-to-hour variation of
   * real traffic rarely reaches 3×; five times the median is far outside it.
   */
  volume: { factor: 5, min: 20, history: 6 },
} as const;

/** The checks without a policy, for the summary: what ran, and what needs a policy. */
export const LOG_ONLY_CHECKS = {
  ran: [
    'Who: requests the gateway rejected for authentication; key guessing (10+ failures from one source in 10m)',
    'Where: one key used from more than one /24 or /64 within 30m (possible sharing or theft)',
    'When: bursts (over 10× the key\'s median per minute) and hourly volume (over 5× its median per hour)',
  ],
  needPolicy: [
    'Who: the key inventory (unknown, revoked and expired keys)',
    'Where: the networks each key may be used from',
    'What: the actions each key\'s role allows',
    'When: working hours, days, rate limits and quotas',
  ],
} as const;

/** Median of a non-empty list of counts. */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** A recent-history buffer of counts per active period (minute or hour), with the median kept up to date. */
class PeriodCounts {
  period = Number.NEGATIVE_INFINITY;
  count = 0;
  history: number[] = [];
  median = 0;

  constructor(private readonly keep: number) {}

  /** Counts one request in `period`; closes the previous period when a new one starts. */
  add(period: number): number {
    if (period !== this.period) {
      if (period > this.period && this.count > 0) {
        this.history.push(this.count);
        if (this.history.length > this.keep) this.history.shift();
        this.median = median(this.history);
      }
      if (period > this.period) {
        this.period = period;
        this.count = 0;
      }
    }
    return ++this.count;
  }
}

interface KeyState {
  /** Requests per network so far: the main network is the one with most. */
  networkCounts: Map<string, number>;
  /** Last time each network was used. */
  networkSeen: Map<string, number>;
  minuteTimes: number[];
  minutes: PeriodCounts;
  hours: PeriodCounts;
}

/** Bounded per key and per source; no state grows with the number of requests. */
const MAX_NETWORKS_PER_KEY = 1024;

export function networkOf(ip: string): string {
  const v4 = parseIpv4(ip);
  if (v4 >= 0) {
    const bits = LOG_ONLY_RULES.networks.v4Prefix;
    return `${formatIpv4(Math.floor(v4 / 2 ** (32 - bits)) * 2 ** (32 - bits))}/${bits}`;
  }
  const v6 = parseIpv6(ip);
  if (v6 === null) return ip;
  const shift = BigInt(128 - LOG_ONLY_RULES.networks.v6Prefix);
  return `${formatIpv6((v6 >> shift) << shift)}/${LOG_ONLY_RULES.networks.v6Prefix}`;
}

export interface LogOnlyVerdicts {
  who: Verdict;
  where: Verdict;
  when: Verdict;
}

/** Judges requests, in time order, on what the logs alone show. */
export class LogOnlyChecks {
  private readonly failures = new Map<string, number[]>();
  private readonly keys = new Map<string, KeyState>();

  judge(req: ApiRequest): LogOnlyVerdicts {
    if (req.authFailure) return { who: this.authFailure(req), where: VALID, when: VALID };
    const group = identityGroup(req.identity);
    if (group === '-') return { who: VALID, where: VALID, when: VALID };
    let state = this.keys.get(group);
    if (!state) {
      state = {
        networkCounts: new Map(),
        networkSeen: new Map(),
        minuteTimes: [],
        minutes: new PeriodCounts(1440),
        hours: new PeriodCounts(168),
      };
      this.keys.set(group, state);
    }
    return { who: VALID, where: this.networks(req, state), when: this.pace(req, state) };
  }

  private authFailure(req: ApiRequest): Verdict {
    const { failures, windowMs, window } = LOG_ONLY_RULES.guessing;
    const reason = `the gateway rejected the request for authentication (status ${req.status})`;
    let times = this.failures.get(req.ip);
    if (!times) {
      // Bounded: forget sources whose failures are all older than the window.
      if (this.failures.size >= 100_000) {
        for (const [ip, t] of this.failures) if (t[t.length - 1]! <= req.time - windowMs) this.failures.delete(ip);
      }
      this.failures.set(req.ip, (times = []));
    }
    times.push(req.time);
    while (times.length > 0 && times[0]! <= req.time - windowMs) times.shift();
    if (times.length > failures) times.shift(); // only whether the threshold is reached matters
    if (times.length < failures) return { valid: false, reasons: [reason], groups: ['rejected for authentication'] };
    return {
      valid: false,
      reasons: [reason, `key guessing: ${failures} or more authentication failures from ${req.ip} within ${window} (threshold ${failures})`],
      groups: ['rejected for authentication', `key guessing: ${failures}+ failures within ${window}`],
    };
  }

  private networks(req: ApiRequest, s: KeyState): Verdict {
    const { windowMs, window } = LOG_ONLY_RULES.networks;
    const net = networkOf(req.ip);
    if (s.networkCounts.has(net) || s.networkCounts.size < MAX_NETWORKS_PER_KEY) {
      s.networkCounts.set(net, (s.networkCounts.get(net) ?? 0) + 1);
    }
    s.networkSeen.set(net, req.time);
    let main = net;
    let mainCount = -1;
    for (const [n, c] of s.networkCounts) {
      if (c > mainCount || (c === mainCount && n < main)) {
        main = n;
        mainCount = c;
      }
    }
    if (net === main) return VALID;
    const recent: string[] = [];
    for (const [n, seen] of s.networkSeen) {
      if (seen <= req.time - windowMs) s.networkSeen.delete(n);
      else if (n !== net) recent.push(n);
    }
    if (recent.length === 0) return VALID;
    recent.sort();
    return {
      valid: false,
      reasons: [
        `possible key sharing or theft: used from ${net} within ${window} of ${recent.join(', ')} (the key's main network is ${main}, ${mainCount} requests so far; rule: more than one /24 or /64 within ${window})`,
      ],
      groups: [`possible sharing or theft: more than one network within ${window} (main ${main})`],
    };
  }

  private pace(req: ApiRequest, s: KeyState): Verdict {
    const reasons: string[] = [];
    const groups: string[] = [];

    const burst = LOG_ONLY_RULES.burst;
    s.minutes.add(Math.floor(req.time / 60_000));
    const times = s.minuteTimes;
    times.push(req.time);
    while (times.length > 0 && times[0]! <= req.time - burst.windowMs) times.shift();
    const perMinute = times.length;
    if (s.minutes.history.length >= burst.history) {
      const limit = Math.max(burst.min, burst.factor * s.minutes.median);
      if (perMinute > limit) {
        reasons.push(
          `burst: ${ordinal(perMinute)} request within 1m, over ${burst.factor}× the key's median of ${s.minutes.median} per active minute (rule: more than ${limit})`,
        );
        groups.push(`burst: over ${burst.factor}× the key's median per minute`);
      }
    }
    if (times.length > 10_000) times.splice(0, times.length - 10_000);

    const volume = LOG_ONLY_RULES.volume;
    const perHour = s.hours.add(Math.floor(req.time / 3_600_000));
    if (s.hours.history.length >= volume.history) {
      const limit = Math.max(volume.min, volume.factor * s.hours.median);
      if (perHour > limit) {
        reasons.push(
          `volume: ${ordinal(perHour)} request this hour (UTC), over ${volume.factor}× the key's median of ${s.hours.median} per active hour (rule: more than ${limit})`,
        );
        groups.push(`volume: over ${volume.factor}× the key's median per hour`);
      }
    }
    return reasons.length === 0 ? VALID : { valid: false, reasons, groups };
  }
}

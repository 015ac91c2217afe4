/**
 * `apiguard scan --state`: judges each request against what its key did in the learning window
 * (state.ts). A request is anomalous — table row 5, "Anomalous API requests" — when its key uses
 * a network, an action or an hour of day it never used while learning, or sends far more requests
 * in one hour than it usually does. Every reason names what is new, what was learned and the rule.
 */
import { networkOf } from '../judge/log-only.js';
import { VALID, type Verdict } from '../model/finding.js';
import type { ApiRequest } from '../model/request.js';
import { identityGroup } from '../normalise/identity.js';
import { actionOf, splitAction } from './learn.js';
import { HOUR_MS, fingerprintGroup, type KeyBaseline, type State } from './state.js';

/** Every threshold of the baseline checks, with why. */
export const BASELINE_RULES = {
  /**
   * A key learned from fewer requests is not judged: a handful of requests cannot say which
   * networks, actions and hours are usual, and nearly every hour of the day would be "new".
   */
  minRequests: 20,
  /**
   * Volume: more than `factor` × the key's learned median requests per active UTC clock hour
   * within one hour, and more than `min`, once `history` active hours were learned. As the
   * log-only volume check: hour-to-hour variation of real traffic rarely reaches 3×, so five times
   * the median is far outside it; `min` keeps a key that sends 2 an hour from being flagged at its
   * 11th; fewer than 6 hours give no median worth the name.
   */
  volume: { factor: 5, min: 20, history: 6 },
  /** Learned networks and actions named in a reason; the rest are counted. */
  listed: 3,
} as const;

/** For the summary: what the baseline checks. */
export const BASELINE_CHECKS = [
  'Anomalous: a key used from a network (/24, /64), for an action, or at a UTC hour of day it did not use while learning',
  `Anomalous: hourly volume over ${BASELINE_RULES.volume.factor}× the key's learned median per active hour (and over ${BASELINE_RULES.volume.min})`,
] as const;

/** One method's learned path patterns, as a tree: `*` matches any one non-empty segment. */
interface PatternNode {
  children: Map<string, PatternNode>;
  end: boolean;
}

function matches(node: PatternNode, segments: readonly string[], i: number): boolean {
  if (i === segments.length) return node.end;
  const segment = segments[i]!;
  const exact = node.children.get(segment);
  if (exact && matches(exact, segments, i + 1)) return true;
  if (segment === '' || segment === '*') return false;
  const star = node.children.get('*');
  return star !== undefined && matches(star, segments, i + 1);
}

interface KeyChecks {
  base: KeyBaseline;
  networks: Set<string>;
  actions: Map<string, PatternNode>;
  /** "from 240 requests on 3 days" */
  evidence: string;
  networksText: string;
  actionsText: string;
  hoursText: string;
  median: number;
  samples: number;
  /** The current UTC clock hour of the scan, and the key's requests in it so far. */
  hour: number;
  count: number;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
const pad2 = (n: number): string => String(n).padStart(2, '0');
const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The most used entries (ties by text), BASELINE_RULES.listed of them, then how many more. */
function listText(counts: Record<string, number>, evicted: number, none: string): string {
  const names = Object.entries(counts)
    .sort((a, b) => b[1] - a[1] || compareText(a[0], b[0]))
    .map(([name]) => name);
  if (names.length === 0) return none;
  const more = names.length - BASELINE_RULES.listed;
  const rest = more > 0 ? ` and ${more} more` : '';
  const capped = evicted > 0 ? ` (the ${names.length} most used; ${plural(evicted, 'request')} elsewhere were not kept)` : '';
  return `${names.slice(0, BASELINE_RULES.listed).join(', ')}${rest}${capped}`;
}

/** Learned active hours as runs: `08:00–12:59, 22:00–01:59 UTC`. */
export function hoursText(hours: readonly number[]): string {
  const active = hours.map((n) => n > 0);
  if (active.every(Boolean)) return 'every hour UTC';
  if (!active.some(Boolean)) return 'no hour';
  const runs: [number, number][] = [];
  const start = active.indexOf(false);
  let from = -1;
  for (let k = 1; k <= 24; k++) {
    const h = (start + k) % 24;
    if (active[h] && from < 0) from = h;
    if (!active[h] && from >= 0) {
      runs.push([from, (h + 23) % 24]);
      from = -1;
    }
  }
  runs.sort((a, b) => a[0] - b[0]);
  return `${runs.map(([a, b]) => `${pad2(a)}:00–${pad2(b)}:59`).join(', ')} UTC`;
}

/**
 * Judges requests, given in time order (as the scan releases them), against a baseline state.
 * Returns VALID, or an invalid Verdict with one reason per anomaly, for row 5.
 *
 * Not judged (VALID, and counted in `unjudged`):
 * - keys not in the state: a baseline knows what a key normally does, and a key it never saw has
 *   no normal to depart from. Flagging all its requests would flag every key created after
 *   learning; whether a key may exist at all is the inventory's question (a policy's `keys:`);
 * - keys learned from fewer than BASELINE_RULES.minRequests requests (see there).
 * Requests without a key, and those the gateway rejected for authentication, are Who's business
 * (row 1), not the baseline's: VALID, not counted.
 */
export class BaselineChecks {
  /** Requests not judged by the baseline, by why. */
  readonly unjudged = { notInState: 0, littleHistory: 0 };
  private readonly compiled = new Map<string, KeyChecks | null>();
  /** identityGroup → fingerprint, so the hash is computed once per key (memory only; cleared when large). */
  private readonly fingerprints = new Map<string, string>();

  constructor(private readonly state: State) {}

  judge(req: ApiRequest): Verdict {
    if (req.authFailure) return VALID;
    const group = identityGroup(req.identity);
    if (group === '-') return VALID;
    let fp = this.fingerprints.get(group);
    if (fp === undefined) {
      if (this.fingerprints.size >= 100_000) this.fingerprints.clear();
      this.fingerprints.set(group, (fp = fingerprintGroup(group)));
    }
    const k = this.keyChecks(fp);
    if (k === null) {
      if (Object.hasOwn(this.state.keys, fp)) this.unjudged.littleHistory++;
      else this.unjudged.notInState++;
      return VALID;
    }

    const reasons: string[] = [];
    const groups: string[] = [];
    if (req.ip !== '') {
      const net = networkOf(req.ip);
      if (!k.networks.has(net)) {
        reasons.push(`new network ${net} for this key (learned ${k.evidence}: ${k.networksText}; rule: a /24 or /64 the key did not use while learning)`);
        groups.push(`new network ${net}`);
      }
    }
    const action = actionOf(req);
    if (action !== null) {
      const { method, segments } = splitAction(action);
      const root = k.actions.get(method);
      if (root === undefined || !matches(root, segments, 0)) {
        reasons.push(
          `new action ${action} for this key (learned ${k.evidence}: ${k.actionsText}; rule: a method and path, generalised as apiguard init does, the key did not use while learning)`,
        );
        groups.push(`new action ${action}`);
      }
    }
    const clockHour = Math.floor(req.time / HOUR_MS);
    const hourOfDay = ((clockHour % 24) + 24) % 24;
    if (k.base.hours[hourOfDay] === 0) {
      reasons.push(`new hour ${pad2(hourOfDay)}:00 UTC for this key (learned ${k.evidence}: ${k.hoursText}; rule: an hour of day the key did not use while learning)`);
      groups.push(`new hour ${pad2(hourOfDay)}:00 UTC`);
    }

    // Streaming: the key's running count in the current UTC clock hour. A request from an earlier
    // hour (later than the reorder window) is not counted: that hour is over.
    if (clockHour > k.hour) {
      k.hour = clockHour;
      k.count = 0;
    }
    if (clockHour === k.hour) {
      k.count++;
      const { factor, min, history } = BASELINE_RULES.volume;
      if (k.samples >= history && k.count > min && k.count > factor * k.median) {
        const ratio = Math.round((k.count / k.median) * 100) / 100;
        reasons.push(
          `hourly volume ${k.count} (${pad2(hourOfDay)}:00–${pad2(hourOfDay)}:59 UTC so far), ${ratio}× its learned median of ${k.median} per active hour over ${plural(k.samples, 'hour')} (rule: more than ${factor}× and more than ${min})`,
        );
        groups.push(`hourly volume over ${factor}× the learned median`);
      }
    }
    return reasons.length === 0 ? VALID : { valid: false, reasons, groups };
  }

  /** The checks of one key, built at its first request; null when the key is not judged. */
  private keyChecks(fp: string): KeyChecks | null {
    const known = this.compiled.get(fp);
    if (known !== undefined) return known;
    const base = Object.hasOwn(this.state.keys, fp) ? this.state.keys[fp]! : undefined;
    let k: KeyChecks | null = null;
    if (base && base.requests >= BASELINE_RULES.minRequests) {
      const actions = new Map<string, PatternNode>();
      for (const action of Object.keys(base.actions)) {
        const { method, segments } = splitAction(action);
        let node: PatternNode | undefined = actions.get(method);
        if (!node) actions.set(method, (node = { children: new Map(), end: false }));
        for (const segment of segments) {
          let child: PatternNode | undefined = node.children.get(segment);
          if (!child) node.children.set(segment, (child = { children: new Map(), end: false }));
          node = child;
        }
        node.end = true;
      }
      const samples = Object.values(base.volume);
      k = {
        base,
        networks: new Set(Object.keys(base.networks)),
        actions,
        evidence: `from ${plural(base.requests, 'request')} on ${plural(base.days, 'day')}`,
        networksText: listText(base.networks, base.evicted?.networks ?? 0, 'no network'),
        actionsText: listText(base.actions, base.evicted?.actions ?? 0, 'no action'),
        hoursText: hoursText(base.hours),
        median: samples.length > 0 ? median(samples) : 0,
        samples: samples.length,
        hour: Number.NEGATIVE_INFINITY,
        count: 0,
      };
    }
    this.compiled.set(fp, k);
    return k;
  }
}

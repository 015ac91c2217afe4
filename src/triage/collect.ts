/**
 * Collects one key's requests from the inputs, judged by the scan pipeline itself: the same
 * reading, the same --since/--until cut, the same reordering into time order and the same Judge
 * over every request (rate windows and log-only checks need the whole stream), so the key's
 * incidents are the ones `scan` reports for it, with the same ids and counts.
 */
import type { Counters } from '../aggregate/counters.js';
import { IncidentAggregator } from '../aggregate/incidents.js';
import type { Finding } from '../model/finding.js';
import type { ApiRequest, Identity } from '../model/request.js';
import { identityGroup, isNoKey, unknownIdentityLabel } from '../normalise/identity.js';
import type { ReadOptions } from '../pipeline/requests.js';
import { scan } from '../pipeline/scan.js';
import type { KeyEntry, Policy } from '../policy/policy.js';
import { Activity, type Seen } from './activity.js';
import { BlastRadius } from './blast.js';
import { Onset } from './onset.js';
import { matchLoggedIdentity, type KeyIdentities, type Match } from './resolve.js';
import { HourlyActivity } from './timeline.js';

/** Identities seen in the logs that fit a typed prefix, tracked at once; more are only counted. */
export const MAX_LOG_CANDIDATES = 20;
/** Raw keys remembered from the logs, to mask them in --context lines. */
export const MAX_RAW_KEYS = 1000;

/** Everything triage learns about one key while the logs stream past. */
export class KeyTrack {
  readonly activity: Activity;
  readonly hourly = new HourlyActivity();
  readonly onset: Onset;
  readonly blast = new BlastRadius();
  readonly aggregator = new IncidentAggregator();
  /** The key's findings, in judgement order: file and line of each (for --context). */
  readonly violations: { file: string; line: number; time: number }[] = [];

  constructor(
    /** The incident grouping of the key's findings (`policy:NAME`, or a logged identity's group). */
    readonly group: string,
    readonly entry: KeyEntry | null,
    /** For a key found in the logs: its identity as first seen (secret parts are never printed). */
    readonly identity: Identity | null,
    /** How what was typed matched: for a key found in the logs, its first request that fitted. */
    readonly match: Match | null,
  ) {
    this.activity = new Activity(entry);
    this.onset = new Onset(entry);
  }

  /** The label reports use: the policy name, or the masked identity from the logs. */
  get label(): string {
    return this.entry ? this.entry.name : unknownIdentityLabel(this.identity!);
  }

  add(s: Seen): void {
    for (const f of s.findings) this.aggregator.add(f);
    if (s.findings.length > 0) this.violations.push({ file: s.req.file, line: s.req.line, time: s.req.time });
    this.activity.add(s);
    this.hourly.add(s);
    const event = this.onset.add(s);
    this.blast.add(s, event !== null && event.insideFrom !== true);
  }
}

/** Whom to collect: a policy key already resolved, or whatever logged identity fits what was typed. */
export type Target = { kind: 'policy'; key: KeyIdentities } | { kind: 'logs'; typed: string };

export interface CollectOptions extends ReadOptions {
  policy: Policy;
  target: Target;
  reorderWindowMs: number;
  since?: number;
  until?: number;
}

export interface CollectResult {
  counters: Counters;
  /** First and last request time among judged records (every key): the period scanned. */
  first: number;
  last: number;
  outsidePeriod: number;
  /** Policy target: exactly one. Logs target: every logged identity that fitted (up to MAX_LOG_CANDIDATES). */
  tracks: KeyTrack[];
  /** Logs target: more fitting identities than were tracked. */
  untrackedCandidates: number;
  /** Raw keys seen in the logs (up to MAX_RAW_KEYS), to mask in raw lines; `rawKeysOverflow` when there were more. */
  rawKeys: string[];
  rawKeysOverflow: boolean;
}

export async function collect(opts: CollectOptions): Promise<CollectResult> {
  const { policy, target } = opts;
  const rawKeys = new Set<string>();
  let rawKeysOverflow = false;
  const noteRawKey = (k: string | undefined): void => {
    if (k === undefined || isNoKey(k) || rawKeys.has(k)) return;
    if (rawKeys.size < MAX_RAW_KEYS) rawKeys.add(k);
    else rawKeysOverflow = true;
  };

  const tracks = new Map<string, KeyTrack>();
  const untracked = new Set<string>();
  const policyTrack =
    target.kind === 'policy' ? new KeyTrack(`policy:${target.key.entry.name}`, target.key.entry, null, null) : null;
  if (policyTrack) tracks.set(policyTrack.group, policyTrack);

  /** The track a request belongs to, if any. */
  const trackOf = (req: ApiRequest, findings: Finding[]): KeyTrack | undefined => {
    if (policyTrack) {
      const own = policy.inventory.lookup(req.identity) === policyTrack.entry;
      return own || findings.some((f) => f.keyGroup === policyTrack.group) ? policyTrack : undefined;
    }
    const typed = (target as { typed: string }).typed;
    // A key the policy knows is triaged by its policy identity, not by what the logs call it.
    if (policy.hasInventory && policy.inventory.lookup(req.identity) !== undefined) return undefined;
    const fit = matchLoggedIdentity(req.identity, typed);
    if (fit === null) return undefined;
    const group = identityGroup(req.identity);
    let t = tracks.get(group);
    if (!t) {
      if (tracks.size >= MAX_LOG_CANDIDATES) {
        if (untracked.size < 10_000) untracked.add(group);
        return undefined;
      }
      tracks.set(group, (t = new KeyTrack(group, null, { ...req.identity }, fit)));
    }
    return t;
  };

  // scan() itself reads, cuts the period, reorders and judges, so triage cannot drift from it:
  // its findings for a request arrive (onFinding) before the request is reported judged.
  let findings: Finding[] = [];
  const result = await scan({
    ...opts,
    onFinding: (f) => void findings.push(f),
    onJudged: (req) => {
      noteRawKey(req.identity.key);
      noteRawKey(req.exposedKey);
      const track = trackOf(req, findings);
      if (track) track.add({ req, findings: findings.filter((f) => f.keyGroup === track.group) });
      findings = [];
    },
  });
  return {
    counters: result.counters,
    first: result.first,
    last: result.last,
    outsidePeriod: result.outsidePeriod,
    tracks: [...tracks.values()],
    untrackedCandidates: untracked.size,
    rawKeys: [...rawKeys],
    rawKeysOverflow,
  };
}

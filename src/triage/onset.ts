/**
 * Step 4 of triage, the onset: when did it start? Two markers, both taken in judgement (time)
 * order:
 * - the first request that broke policy (the key's first finding);
 * - the first request from a network the key had not used before in the logs triaged. A network
 *   is the source's /24 (IPv4) or /64 (IPv6), as the log-only checks use; the key's first request
 *   starts its history, so its network is not "new". Whether the new network lies inside the
 *   key's `from` is reported with it: outside is the classic sign of a stolen key.
 */
import type { KeyEntry } from '../policy/policy.js';
import { networkOfIp, snapshot, type Seen, type Snapshot } from './activity.js';

/** Distinct networks remembered per key; past this a new network is no longer recognised as new. */
export const MAX_NETWORKS = 5000;

export interface NetworkStats {
  network: string;
  first: Snapshot;
  requests: number;
  /** True when the key had used another network before this one's first request. */
  isNew: boolean;
  /** The first request from it was inside the key's `from`; null when the key has none. */
  insideFrom: boolean | null;
}

export interface NewNetwork {
  network: string;
  request: Snapshot;
  insideFrom: boolean | null;
}

export class Onset {
  firstViolation: Snapshot | null = null;
  firstNewNetwork: NewNetwork | null = null;
  /** The first new network outside the key's `from` (any new network when the key has no `from`). */
  firstForeignNetwork: NewNetwork | null = null;
  readonly networks = new Map<string, NetworkStats>();
  /** Networks not remembered (over MAX_NETWORKS). */
  untracked = 0;

  constructor(private readonly entry: KeyEntry | null) {}

  /** Returns the new-network event this request was, if any. */
  add(s: Seen): NewNetwork | null {
    if (s.findings.length > 0 && this.firstViolation === null) this.firstViolation = snapshot(s);
    const cidr = networkOfIp(s.req.ip);
    if (cidr === '') return null; // no client IP in the log
    const known = this.networks.get(cidr);
    if (known) {
      known.requests++;
      return null;
    }
    if (this.networks.size >= MAX_NETWORKS) {
      this.untracked++;
      return null;
    }
    const isNew = this.networks.size > 0;
    const insideFrom = this.entry?.from ? this.entry.from.contains(s.req.ip) : null;
    const first = snapshot(s);
    this.networks.set(cidr, { network: cidr, first, requests: 1, isNew, insideFrom });
    if (!isNew) return null;
    const event: NewNetwork = { network: cidr, request: first, insideFrom };
    this.firstNewNetwork ??= event;
    if (insideFrom !== true) this.firstForeignNetwork ??= event;
    return event;
  }
}

import type { Identity } from '../model/request.js';
import { isNoKey } from '../normalise/identity.js';
import type { NetworkSet } from './networks.js';
import type { RoleMatcher } from './patterns.js';
import type { ZoneClock } from './zone.js';

/** `hours` and `days` of a key, in its time zone. */
export interface Schedule {
  clock: ZoneClock;
  /** Minutes since local midnight; start inclusive, end exclusive; start > end wraps midnight. */
  startMinute: number;
  endMinute: number;
  /** Bit d set = weekday d allowed (0 = Sunday). 0x7f = every day. */
  dayMask: number;
  /** For messages: "mon-fri 07:00-19:00 Europe/Amsterdam". */
  label: string;
  hoursLabel: string;
  daysLabel: string;
}

export interface RateLimit {
  limit: number;
  windowMs: number;
  /** As written: "30/1m". */
  label: string;
  /** The window as written: "1m". */
  windowLabel: string;
}

export interface QuotaLimit {
  limit: number;
  clock: ZoneClock;
  label: string;
}

/** One inventory entry, compiled for the hot path. */
export interface KeyEntry {
  name: string;
  owner: string;
  roleName: string;
  /** null: the key has no role, so no action is restricted. */
  role: RoleMatcher | null;
  /** null: the key has no `from`, so any source is allowed. */
  from: NetworkSet | null;
  schedule: Schedule | null;
  rate: RateLimit | null;
  quota: QuotaLimit | null;
  /** Epoch ms from which the key is invalid; Infinity when never. */
  revokedAt: number;
  expiresAt: number;
  /** Position in the policy, for stable ordering. */
  index: number;
}

export interface Policy {
  /** The file it was loaded from. */
  file: string;
  timezone: string;
  /** False when the policy has no `keys:` section: then only 401s mark unauthenticated requests. */
  hasInventory: boolean;
  keys: KeyEntry[];
  inventory: Inventory;
  /** Raw key values written in the policy; redacted from any output text that might echo them. */
  secrets: string[];
}

/**
 * Finds the inventory entry for a logged identity. Raw keys and hashes share one index (a logged
 * Tyk `api_key` is one or the other depending on gateway config); ids and aliases have their own.
 * The strongest evidence wins: key/hash, then id, then alias.
 */
export class Inventory {
  readonly secrets = new Map<string, KeyEntry>();
  readonly ids = new Map<string, KeyEntry>();
  readonly aliases = new Map<string, KeyEntry>();

  lookup(identity: Identity): KeyEntry | undefined {
    if (!isNoKey(identity.key)) {
      const e = this.secrets.get(identity.key);
      if (e) return e;
    }
    if (!isNoKey(identity.hash)) {
      const e = this.secrets.get(identity.hash);
      if (e) return e;
    }
    if (!isNoKey(identity.id)) {
      const e = this.ids.get(identity.id);
      if (e) return e;
    }
    if (!isNoKey(identity.alias)) return this.aliases.get(identity.alias);
    return undefined;
  }
}

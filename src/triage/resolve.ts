/**
 * Step 1 of triage: which key does the responder mean? KEY may be a policy name, an alias, an id,
 * a hash or a raw key, or the start of any of them. Exact matches win over prefixes; two keys that
 * fit equally are ambiguous (exit 2, candidates listed). A key the policy does not know can still
 * be triaged by the identities the logs show (see `LogIdentityMatcher`).
 *
 * Secrets: what the user typed is never echoed unless it is a policy name, alias or id (it may be
 * a raw key); hashes and raw keys are only ever shown masked.
 */
import type { Identity } from '../model/request.js';
import { isNoKey, maskSecret } from '../normalise/identity.js';
import type { KeyEntry, Policy } from '../policy/policy.js';

export type IdentityField = 'name' | 'alias' | 'id' | 'hash' | 'key';

/** The identities one policy key is known by; hashes and raw keys are secret-ish and shown masked. */
export interface KeyIdentities {
  entry: KeyEntry;
  hashes: string[];
  ids: string[];
  aliases: string[];
  /** Raw keys written in the policy (`match: {key: ...}`). Never printed. */
  keys: string[];
}

/** How a field's value may be shown: names, aliases and ids are not secrets; hashes and keys are masked. */
export function showIdentity(field: IdentityField, value: string): string {
  return field === 'hash' || field === 'key' ? maskSecret(value) : value;
}

/** Every policy key with its identities, in policy order. */
export function policyIdentities(policy: Policy): KeyIdentities[] {
  const rawKeys = new Set(policy.secrets);
  const byEntry = new Map<KeyEntry, KeyIdentities>(policy.keys.map((entry) => [entry, { entry, hashes: [], ids: [], aliases: [], keys: [] }]));
  for (const [value, entry] of policy.inventory.secrets) (rawKeys.has(value) ? byEntry.get(entry)?.keys : byEntry.get(entry)?.hashes)?.push(value);
  for (const [value, entry] of policy.inventory.ids) byEntry.get(entry)?.ids.push(value);
  for (const [value, entry] of policy.inventory.aliases) byEntry.get(entry)?.aliases.push(value);
  return [...byEntry.values()];
}

function fieldsOf(k: KeyIdentities): { field: IdentityField; value: string }[] {
  return [
    { field: 'name', value: k.entry.name },
    ...k.aliases.map((value) => ({ field: 'alias' as const, value })),
    ...k.ids.map((value) => ({ field: 'id' as const, value })),
    ...k.hashes.map((value) => ({ field: 'hash' as const, value })),
    ...k.keys.map((value) => ({ field: 'key' as const, value })),
  ];
}

/** Hashes are hex: `3F9A…` and `3f9a…` are the same hash. Everything else is compared as written. */
const same = (field: IdentityField, value: string, typed: string): boolean =>
  field === 'hash' ? value.toLowerCase() === typed.toLowerCase() : value === typed;

/** Prefixes are case-insensitive: people type names and hex in either case. */
const startsWith = (value: string, typed: string): boolean => value.length > typed.length && value.toLowerCase().startsWith(typed.toLowerCase());

export interface Match {
  field: IdentityField;
  /** The matched value as it may be shown (masked for hashes and keys). */
  shown: string;
  exact: boolean;
}

export type PolicyResolution =
  | { kind: 'key'; key: KeyIdentities; match: Match }
  | { kind: 'ambiguous'; candidates: { name: string; match: Match }[] }
  | { kind: 'none' };

/**
 * Resolves KEY against the inventory: an exact match on any identity wins; else a prefix of
 * exactly one key's identities; several keys fitting equally well are ambiguous.
 */
export function resolvePolicyKey(policy: Policy, typed: string): PolicyResolution {
  if (typed === '') return { kind: 'none' };
  const keys = policyIdentities(policy);
  for (const exact of [true, false]) {
    const hits = new Map<KeyEntry, { key: KeyIdentities; match: Match }>();
    for (const k of keys) {
      for (const { field, value } of fieldsOf(k)) {
        if (exact ? !same(field, value, typed) : !startsWith(value, typed)) continue;
        if (!hits.has(k.entry)) hits.set(k.entry, { key: k, match: { field, shown: showIdentity(field, value), exact } });
      }
    }
    if (hits.size === 1) return { kind: 'key', ...[...hits.values()][0]! };
    if (hits.size > 1) return { kind: 'ambiguous', candidates: [...hits.values()].map((h) => ({ name: h.key.entry.name, match: h.match })) };
  }
  return { kind: 'none' };
}

/** Shorter than this, what was typed is a prefix, not a key: no gateway issues keys that short. */
const SHORTEST_KEY = 8;

/**
 * What the user typed, as it may be printed: masked when it is (or could be) a key or hash; as
 * typed when it is a policy name, alias or id, or too short to be a key.
 */
export function shownInput(typed: string, policy: Policy | null): string {
  const keys = policy ? policyIdentities(policy) : [];
  if (keys.some((k) => k.keys.includes(typed) || k.hashes.some((h) => h.toLowerCase() === typed.toLowerCase()))) return maskSecret(typed);
  if (keys.some((k) => k.entry.name === typed || k.aliases.includes(typed) || k.ids.includes(typed))) return typed;
  return [...typed].length < SHORTEST_KEY ? typed : maskSecret(typed);
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

/** Up to three policy key names closest to what was typed (by name or alias), nearest first. */
export function closestNames(policy: Policy, typed: string, limit = 3): string[] {
  const lower = typed.toLowerCase();
  return policyIdentities(policy)
    .map((k) => ({ name: k.entry.name, d: Math.min(...[k.entry.name, ...k.aliases].map((v) => distance(lower, v.toLowerCase()))) }))
    .sort((a, b) => a.d - b.d || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .slice(0, limit)
    .map((x) => x.name);
}

/**
 * How a logged identity fits what was typed: exactly (some field equals it) or by prefix, and by
 * which field (the first of key, hash, id, alias); null when it does not fit.
 */
export function matchLoggedIdentity(id: Identity, typed: string): Match | null {
  let prefix: Match | null = null;
  for (const [field, value] of [['key', id.key], ['hash', id.hash], ['id', id.id], ['alias', id.alias]] as const) {
    if (isNoKey(value)) continue;
    if (same(field, value, typed)) return { field, shown: showIdentity(field, value), exact: true };
    if (prefix === null && startsWith(value, typed)) prefix = { field, shown: showIdentity(field, value), exact: false };
  }
  return prefix;
}

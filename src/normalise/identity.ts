import type { Identity } from '../model/request.js';

/**
 * Values gateways log when a request carried no key: empty, `-` (AWS), and all zeros (Tyk's
 * `00000000` is the murmur32 hash of the empty string).
 */
export function isNoKey(value: string): boolean {
  if (value === '' || value === '-') return true;
  if (value.charCodeAt(0) !== 48) return false;
  for (let i = 1; i < value.length; i++) if (value.charCodeAt(i) !== 48) return false;
  return true;
}

/**
 * A Tyk key hash as gateways log it with hash_keys on: lower-case hex of a murmur32/64/128 or
 * sha256 width (8, 16, 32 or 64 characters).
 */
export function isTykKeyHash(value: string): boolean {
  const n = value.length;
  if (n !== 16 && n !== 8 && n !== 32 && n !== 64) return false;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

export function hasAnyIdentity(id: Identity): boolean {
  return !isNoKey(id.key) || !isNoKey(id.hash) || !isNoKey(id.id) || !isNoKey(id.alias);
}

/**
 * The only way an unknown key is ever shown: the first and last 4 characters.
 * Shorter values show less, so that at least half of any value stays hidden.
 */
export function maskSecret(value: string): string {
  const chars = [...value];
  const n = chars.length;
  if (n >= 16) return `${chars.slice(0, 4).join('')}…${chars.slice(-4).join('')}`;
  if (n >= 8) return `${chars.slice(0, 2).join('')}…${chars.slice(-2).join('')}`;
  return '…'.padEnd(Math.min(n, 3) + 1, '*');
}

/**
 * A printable label for an identity that matched no inventory entry: the masked secret part,
 * plus the alias the gateway logged, which is a name and not a secret.
 */
export function unknownIdentityLabel(id: Identity): string {
  const alias = isNoKey(id.alias) ? '' : `alias ${id.alias}`;
  const secret = !isNoKey(id.key)
    ? `key ${maskSecret(id.key)}`
    : !isNoKey(id.hash)
      ? `hash ${maskSecret(id.hash)}`
      : !isNoKey(id.id)
        ? `id ${maskSecret(id.id)}`
        : '';
  if (secret && alias) return `${secret} (${alias})`;
  return secret || alias || '(no key)';
}

/** A grouping value for an identity; internal only, never printed. */
export function identityGroup(id: Identity): string {
  if (!isNoKey(id.key)) return `k:${id.key}`;
  if (!isNoKey(id.hash)) return `h:${id.hash}`;
  if (!isNoKey(id.id)) return `i:${id.id}`;
  if (!isNoKey(id.alias)) return `a:${id.alias}`;
  return '-';
}

/** Replaces every occurrence of a raw key in `text` with its masked form. */
export function redactSecret(text: string, secret: string): string {
  return secret.length >= 6 && text.includes(secret) ? text.split(secret).join(maskSecret(secret)) : text;
}

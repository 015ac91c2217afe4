import { maskSecret } from '../normalise/identity.js';

/**
 * Log fields are attacker controlled. Before anything is printed:
 * - control characters (C0, DEL, C1 — ESC and CSI among them) and the Unicode format characters
 *   that reorder or hide text (bidi marks and overrides, zero-width, soft hyphen) become visible
 *   escapes like `\x1b`, and a backslash becomes `\\` so escapes stay unambiguous;
 * - any raw API key the policy knows is replaced by its masked form.
 * Spreadsheet formula neutralising is for outputs a spreadsheet opens (CSV): see `neutraliseFormula`.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\\\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/g;

function escapeChar(c: string): string {
  // A backslash is escaped too, so that a literal `\x1b` in a log cannot pass for an escaped ESC.
  if (c === '\\') return '\\\\';
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

export function neutraliseControls(s: string): string {
  UNSAFE.lastIndex = 0;
  return UNSAFE.test(s) ? s.replace(UNSAFE, escapeChar) : s;
}

/** A cell starting with = + - @ (or tab / CR) is a formula to Excel and LibreOffice: prefix a quote. */
export function neutraliseFormula(s: string): string {
  return /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
}

/** Shorter values are not masked: they would mask ordinary text (policy validation refuses empty ones). */
const MIN_SECRET = 6;
const HASH_BITS = 16;
const BASE = 31;
/** BASE^(MIN_SECRET - 1), modulo 2^32: what the character leaving a window added to its hash. */
const LEAVING = Array.from({ length: MIN_SECRET - 1 }).reduce<number>((p) => Math.imul(p, BASE), 1);

const bucketOf = (hash: number): number => Math.imul(hash, 0x9e3779b1) >>> (32 - HASH_BITS);

/**
 * Whether a text may hold one of many secrets, in one pass over it: every secret starts with one
 * of a few known runs of MIN_SECRET characters, so each such window of the text is hashed (a
 * rolling hash: one step per character) and looked up, in a bitset of the runs' hashes first,
 * then among the runs themselves. "No" is certain. With a policy of 553 raw keys, trying each key
 * with `includes` cost ~19 µs for every string printed; nearly every string holds none.
 */
class SecretStarts {
  private readonly bits = new Uint32Array(1 << (HASH_BITS - 5));
  private readonly starts = new Set<string>();

  constructor(secrets: readonly string[]) {
    for (const secret of secrets) {
      const start = secret.slice(0, MIN_SECRET);
      this.starts.add(start);
      const b = bucketOf(SecretStarts.hash(start));
      this.bits[b >>> 5]! |= 1 << (b & 31);
    }
  }

  private static hash(s: string): number {
    let h = 0;
    for (let i = 0; i < MIN_SECRET; i++) h = (Math.imul(h, BASE) + s.charCodeAt(i)) | 0;
    return h;
  }

  mayHold(s: string): boolean {
    const n = s.length;
    if (n < MIN_SECRET) return false;
    let h = SecretStarts.hash(s);
    for (let end = MIN_SECRET; ; end++) {
      const b = bucketOf(h);
      if ((this.bits[b >>> 5]! & (1 << (b & 31))) !== 0 && this.starts.has(s.slice(end - MIN_SECRET, end))) return true;
      if (end === n) return false;
      h = (Math.imul(h - Math.imul(s.charCodeAt(end - MIN_SECRET), LEAVING), BASE) + s.charCodeAt(end)) | 0;
    }
  }
}

/** Masks known raw keys, then neutralises control characters: use it for every printed log-derived string. */
export class Redactor {
  private readonly secrets: string[];
  private readonly starts: SecretStarts;

  constructor(secrets: readonly string[]) {
    // Longest first, so a key that contains another is masked whole.
    this.secrets = [...new Set(secrets)].filter((s) => s.length >= MIN_SECRET).sort((a, b) => b.length - a.length);
    this.starts = new SecretStarts(this.secrets);
  }

  /** `also`: one more raw value to mask, e.g. the request's own key when it was logged in the clear. */
  text(s: string, also = ''): string {
    let out = also.length >= MIN_SECRET && s.includes(also) ? s.split(also).join(maskSecret(also)) : s;
    // Masking only ever starts at a secret already in the text, so a text the filter clears has
    // nothing to mask, and one it does not clear is masked exactly as before.
    if (this.secrets.length > 0 && this.starts.mayHold(out)) {
      for (const secret of this.secrets) if (out.includes(secret)) out = out.split(secret).join(maskSecret(secret));
    }
    return neutraliseControls(out);
  }
}

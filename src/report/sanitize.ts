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

/** Masks known raw keys, then neutralises control characters: use it for every printed log-derived string. */
export class Redactor {
  private readonly secrets: string[];

  constructor(secrets: readonly string[]) {
    // Longest first, so a key that contains another is masked whole. Very short values would
    // mask ordinary text, and policy validation already refuses empty ones.
    this.secrets = [...new Set(secrets)].filter((s) => s.length >= 6).sort((a, b) => b.length - a.length);
  }

  /** `also`: one more raw value to mask, e.g. the request's own key when it was logged in the clear. */
  text(s: string, also = ''): string {
    let out = also.length >= 6 && s.includes(also) ? s.split(also).join(maskSecret(also)) : s;
    for (const secret of this.secrets) if (out.includes(secret)) out = out.split(secret).join(maskSecret(secret));
    return neutraliseControls(out);
  }
}

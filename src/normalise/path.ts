/**
 * The path an upstream acts on, so that the What check cannot be evaded by spelling:
 * the query string and fragment are dropped, percent-encoded unreserved characters are decoded
 * (`%5F` → `_`, RFC 3986 §2.3), repeated slashes collapse and `.`/`..` segments are resolved
 * (RFC 3986 §5.2.4). Reserved characters such as `%2F` stay encoded: they are data, not structure.
 * Hex digits of the escapes that remain are upper-cased (RFC 3986 §6.2.2.1).
 */

const UNRESERVED = /[A-Za-z0-9\-._~]/;

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

function decodeUnreserved(p: string): string {
  let out = '';
  let last = 0;
  for (let i = p.indexOf('%'); i >= 0; i = p.indexOf('%', i + 1)) {
    if (i + 2 >= p.length) break;
    const hi = hexValue(p.charCodeAt(i + 1));
    const lo = hexValue(p.charCodeAt(i + 2));
    if (hi < 0 || lo < 0) continue;
    const ch = String.fromCharCode(hi * 16 + lo);
    out += p.slice(last, i) + (UNRESERVED.test(ch) ? ch : `%${p[i + 1]!.toUpperCase()}${p[i + 2]!.toUpperCase()}`);
    last = i + 3;
    i += 2;
  }
  return last === 0 ? p : out + p.slice(last);
}

export function normalisePath(raw: string): string {
  let p = raw;
  const q = p.indexOf('?');
  if (q >= 0) p = p.slice(0, q);
  const h = p.indexOf('#');
  if (h >= 0) p = p.slice(0, h);
  // Absolute-form request targets (http://host/path) carry the path after the authority.
  if (p.startsWith('http://') || p.startsWith('https://')) {
    const slash = p.indexOf('/', p.indexOf('//') + 2);
    p = slash >= 0 ? p.slice(slash) : '/';
  }
  // Fast path: nothing to decode, no dot segments, no doubled slashes.
  if (p.charCodeAt(0) === 47 && !p.includes('%') && !p.includes('//') && !p.includes('/.')) return p;
  // Decode until stable: an upstream that decodes twice must not turn `%%32%65` into `.` unseen.
  for (let round = 0; round < 4 && p.includes('%'); round++) {
    const next = decodeUnreserved(p);
    if (next === p) break;
    p = next;
  }
  const segments = p.split('/');
  const out: string[] = [];
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    const isLast = i === segments.length - 1;
    if (seg === '') {
      if (isLast) out.push('');
      continue;
    }
    if (seg === '.') {
      if (isLast) out.push('');
      continue;
    }
    if (seg === '..') {
      out.pop();
      if (isLast) out.push('');
      continue;
    }
    out.push(seg);
  }
  return '/' + out.join('/');
}

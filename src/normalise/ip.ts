/**
 * IP parsing without allocation-heavy libraries: this runs once per record.
 * IPv4 becomes an unsigned 32-bit number, IPv6 a bigint; IPv4-mapped IPv6 (::ffff:a.b.c.d)
 * is its IPv4 address, so policies written for IPv4 networks still apply.
 */

export type ParsedIp = { v: 4; n: number } | { v: 6; n: bigint };

/** Parses a dotted quad; returns -1 when `s[start, end)` is not one. Leading zeros are refused (octal ambiguity). */
export function parseIpv4(s: string, start = 0, end = s.length): number {
  let value = 0;
  let parts = 0;
  let i = start;
  while (i < end) {
    let octet = 0;
    let digits = 0;
    const first = i;
    while (i < end) {
      const c = s.charCodeAt(i);
      if (c < 48 || c > 57) break;
      octet = octet * 10 + (c - 48);
      digits++;
      i++;
    }
    if (digits === 0 || digits > 3 || octet > 255 || (digits > 1 && s.charCodeAt(first) === 48)) return -1;
    value = value * 256 + octet;
    parts++;
    if (i === end) break;
    if (s.charCodeAt(i) !== 46 || parts === 4) return -1;
    i++;
    if (i === end) return -1;
  }
  return parts === 4 ? value : -1;
}

/** Parses IPv6 text (with an optional embedded IPv4 tail); returns null when it is not IPv6. */
export function parseIpv6(s: string): bigint | null {
  if (s.length < 2 || s.length > 45) return null;
  const halves = s.split('::');
  if (halves.length > 2) return null;
  // A dotted IPv4 tail may only end the whole address.
  const parseGroups = (part: string, endsAddress: boolean): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    const items = part.split(':');
    for (let k = 0; k < items.length; k++) {
      const item = items[k]!;
      if (endsAddress && k === items.length - 1 && item.includes('.')) {
        const v4 = parseIpv4(item);
        if (v4 < 0) return null;
        out.push(Math.floor(v4 / 65536), v4 % 65536);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(item)) return null;
      out.push(parseInt(item, 16));
    }
    return out;
  };
  const head = parseGroups(halves[0]!, halves.length === 1);
  const tail = halves.length === 2 ? parseGroups(halves[1]!, true) : [];
  if (!head || !tail) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  let n = 0n;
  for (const g of groups) n = (n << 16n) | BigInt(g);
  return n;
}

const MAPPED_PREFIX = 0xffffn << 32n;
const MAPPED_MASK = ~0xffffffffn & ((1n << 128n) - 1n);

export function parseIp(text: string): ParsedIp | null {
  const v4 = parseIpv4(text);
  if (v4 >= 0) return { v: 4, n: v4 };
  const v6 = parseIpv6(text);
  if (v6 === null) return null;
  if ((v6 & MAPPED_MASK) === MAPPED_PREFIX) return { v: 4, n: Number(v6 & 0xffffffffn) };
  return { v: 6, n: v6 };
}

export function formatIpv4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** RFC 5952 text: lower case, no leading zeros, the longest run (≥ 2) of zero groups as `::`. */
export function formatIpv6(n: bigint): string {
  const groups: number[] = [];
  for (let k = 7; k >= 0; k--) groups.push(Number((n >> BigInt(k * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLen = 1;
  for (let k = 0; k < 8; ) {
    if (groups[k] !== 0) { k++; continue; }
    let j = k;
    while (j < 8 && groups[j] === 0) j++;
    if (j - k > bestLen) { bestStart = k; bestLen = j - k; }
    k = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

export function formatIp(ip: ParsedIp): string {
  return ip.v === 4 ? formatIpv4(ip.n) : formatIpv6(ip.n);
}

/**
 * Canonical text of addresses already seen, by the text as logged. Parsing IPv6 text costs
 * microseconds and gateways see the same clients again and again. Bounded: cleared when full.
 */
const canonical = new Map<string, string>();
const MAX_CACHED = 16_384;

/**
 * Turns a logged client address into canonical IP text, or '' when there is none to be had.
 * Accepts what gateways write: `a.b.c.d`, `a.b.c.d:port`, bare IPv6, `[v6]:port`, `v6%zone`,
 * and a comma list (X-Forwarded-For style), of which the left-most entry is the client.
 * Only a plain dotted quad comes back as `raw` itself; any other address (IPv6 text, a colon in
 * it) is a string of its own, never a slice of `raw` (ownText in src/formats/fields.ts relies on it).
 */
export function normaliseIp(raw: string): string {
  // Fast path: a plain dotted quad is already canonical.
  if (parseIpv4(raw) >= 0) return raw;
  const known = canonical.get(raw);
  if (known !== undefined) return known;
  const ip = normaliseUncached(raw);
  if (canonical.size >= MAX_CACHED) canonical.clear();
  // Keyed by the result when it is the same text: a key must not keep the record it came from alive.
  canonical.set(ip === raw ? ip : flatCopy(raw), ip);
  return ip;
}

/** A copy of `s` that shares no characters with a larger string. */
function flatCopy(s: string): string {
  return JSON.parse(JSON.stringify(s)) as string;
}

function normaliseUncached(raw: string): string {
  let s = raw;
  const comma = s.indexOf(',');
  if (comma >= 0) s = s.slice(0, comma);
  s = s.trim();
  if (s === '') return '';
  if (parseIpv4(s) >= 0) return flatCopy(s);
  if (s.charCodeAt(0) === 91 /* [ */) {
    const close = s.indexOf(']');
    if (close < 0) return '';
    s = s.slice(1, close);
  } else {
    const colon = s.indexOf(':');
    if (colon > 0 && colon === s.lastIndexOf(':')) {
      // exactly one colon: IPv4 with a port
      const port = s.slice(colon + 1);
      if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) return '';
      s = s.slice(0, colon);
      return parseIpv4(s) >= 0 ? flatCopy(s) : '';
    }
  }
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  const ip = parseIp(s);
  return ip ? formatIp(ip) : '';
}

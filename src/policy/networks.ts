import { formatIpv4, formatIpv6, parseIpv4, parseIpv6 } from '../normalise/ip.js';

/** IPv6 addresses as numbers, by canonical text: parsing costs microseconds, and clients recur. Bounded. */
const v6Numbers = new Map<string, bigint | null>();
const MAX_CACHED = 16_384;

function v6Number(ip: string): bigint | null {
  let n = v6Numbers.get(ip);
  if (n === undefined) {
    n = parseIpv6(ip);
    if (v6Numbers.size >= MAX_CACHED) v6Numbers.clear();
    v6Numbers.set(ip, n);
  }
  return n;
}

/**
 * A set of IPv4 and IPv6 ranges, checked per request with plain number / bigint compares.
 * (ip-cidr's contains() costs ~7 µs, too slow per record; its parsing, ~0.3 ms a CIDR, too slow
 * even at load: test/policy/networks.test.ts holds parseRange to ip-cidr's answers instead.)
 */
export class NetworkSet {
  private readonly v4: number[] = []; // start, end, start, end, ...
  private readonly v6: bigint[] = [];

  constructor(readonly labels: string[]) {}

  addV4(start: number, end: number): void {
    this.v4.push(start, end);
  }

  addV6(start: bigint, end: bigint): void {
    this.v6.push(start, end);
  }

  /** `ip` is canonical text from normaliseIp (mapped IPv4 already unwrapped). */
  contains(ip: string): boolean {
    const n = parseIpv4(ip);
    if (n >= 0) {
      const r = this.v4;
      for (let i = 0; i < r.length; i += 2) if (n >= r[i]! && n <= r[i + 1]!) return true;
      return false;
    }
    if (this.v6.length === 0) return false;
    const b = v6Number(ip);
    if (b === null) return false;
    const r = this.v6;
    for (let i = 0; i < r.length; i += 2) if (b >= r[i]! && b <= r[i + 1]!) return true;
    return false;
  }
}

export type ParsedRange = { v: 4; start: number; end: number } | { v: 6; start: bigint; end: bigint };

/**
 * Parses `10.20.0.0/24`, `2001:db8::/48` or a single address. Returns an error text for bad input,
 * including a CIDR with host bits set (`10.20.1.0/16`), which is almost always a typo.
 */
export function parseRange(text: string): ParsedRange | string {
  const t = text.trim();
  const slash = t.indexOf('/');
  const addr = slash >= 0 ? t.slice(0, slash) : t;
  const isV4 = parseIpv4(addr) >= 0;
  const isV6 = !isV4 && parseIpv6(addr) !== null;
  if (!isV4 && !isV6) return `'${text}' is not an IP address or CIDR`;
  const bits = isV4 ? 32 : 128;
  let prefix = bits;
  if (slash >= 0) {
    const p = t.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p) || Number(p) > bits) return `'${text}' has a bad prefix length (0–${bits})`;
    prefix = Number(p);
  }
  // Network and broadcast by bit masks, with the parsers that read the logs' addresses.
  const given = isV4 ? BigInt(parseIpv4(addr)) : parseIpv6(addr)!;
  const hostMask = (1n << BigInt(bits - prefix)) - 1n;
  const start = given & ~hostMask;
  const end = start | hostMask;
  if (given !== start) {
    const network = isV4 ? formatIpv4(Number(start)) : formatIpv6(start);
    return `'${text}' has host bits set; the network is ${network}/${prefix}`;
  }
  return isV4 ? { v: 4, start: Number(start), end: Number(end) } : { v: 6, start, end };
}

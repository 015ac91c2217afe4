import { isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import { formatIpv6, normaliseIp, parseIp, parseIpv4, parseIpv6 } from '../../src/normalise/ip.js';

describe('parseIpv4', () => {
  it.each([
    ['0.0.0.0', 0],
    ['1.2.3.4', 0x01020304],
    ['10.20.0.15', 10 * 2 ** 24 + 20 * 2 ** 16 + 15],
    ['192.168.1.254', 0xc0a801fe],
    ['255.255.255.255', 0xffffffff],
  ])('parses %s as %d', (text, value) => {
    expect(parseIpv4(text)).toBe(value);
  });

  it.each([
    ['leading zero', '01.2.3.4'],
    ['leading zero in last octet', '1.2.3.04'],
    ['zero-padded zero', '1.2.00.4'],
    ['octet over 255', '256.1.1.1'],
    ['last octet over 255', '1.1.1.300'],
    ['four-digit octet', '1.1.1.1000'],
    ['too few parts', '1.2.3'],
    ['single number', '16909060'],
    ['too many parts', '1.2.3.4.5'],
    ['trailing dot', '1.2.3.4.'],
    ['leading dot', '.1.2.3.4'],
    ['empty part', '1..3.4'],
    ['empty string', ''],
    ['sign', '+1.2.3.4'],
    ['space', '1.2.3.4 '],
    ['hex octet', '0x1.2.3.4'],
  ])('refuses %s (%j)', (_why, text) => {
    expect(parseIpv4(text)).toBe(-1);
  });

  it('parses only the given range of the string', () => {
    expect(parseIpv4('[1.2.3.4]', 1, 8)).toBe(0x01020304);
    expect(parseIpv4('[1.2.3.4]', 1, 9)).toBe(-1);
  });
});

describe('parseIpv6', () => {
  it.each([
    ['full form', '2001:0db8:0000:0000:0000:ff00:0042:8329', 0x20010db8000000000000ff0000428329n],
    ['compressed', '2001:db8::ff00:42:8329', 0x20010db8000000000000ff0000428329n],
    ['upper-case hex', '2001:DB8::FF00:42:8329', 0x20010db8000000000000ff0000428329n],
    ['unspecified', '::', 0n],
    ['loopback', '::1', 1n],
    ['trailing ::', 'fe80::', 0xfe80n << 112n],
    [':: standing for one group', '1:2:3:4:5:6:7::', 0x0001000200030004000500060007_0000n],
    ['embedded IPv4 tail', '64:ff9b::192.0.2.33', 0x0064ff9b0000000000000000c0000221n],
    ['IPv4-mapped', '::ffff:10.20.0.15', 0xffff0a14000fn],
    ['full form with IPv4 tail', '1:2:3:4:5:6:1.2.3.4', 0x0001000200030004000500060102_0304n],
  ])('parses %s (%s)', (_why, text, value) => {
    expect(parseIpv6(text)).toBe(value);
  });

  it.each([
    ['too many groups', '1:2:3:4:5:6:7:8:9'],
    ['too few groups without ::', '1:2:3:4:5:6:7'],
    [':: with eight groups already', '1:2:3:4:5:6:7:8::'],
    ['two ::', '1::2::3'],
    [':::', ':::'],
    ['bad hex digit', '2001:db8::g1'],
    ['group of five digits', '2001:db8::12345'],
    ['single leading colon', ':1:2:3:4:5:6:7'],
    ['single trailing colon', '1:2:3:4:5:6:7:'],
    ['IPv4 tail plus too many groups', '1:2:3:4:5:6:7:1.2.3.4'],
    ['bad IPv4 tail', '::ffff:1.2.3.256'],
    ['IPv4 tail with leading zero', '::ffff:01.2.3.4'],
    ['IPv4 part before ::', '1.2.3.4::'],
    ['IPv4 part in the middle', '1.2.3.4::5'],
    ['plain IPv4', '1.2.3.4'],
    ['empty', ''],
    ['single colon', ':'],
    ['zone id', 'fe80::1%eth0'],
  ])('refuses %s (%j)', (_why, text) => {
    expect(parseIpv6(text)).toBeNull();
  });
});

describe('parseIp', () => {
  it('reads IPv4 as version 4', () => {
    expect(parseIp('10.20.0.15')).toEqual({ v: 4, n: 0x0a14000f });
  });

  it('reads IPv4-mapped IPv6 as the IPv4 address', () => {
    expect(parseIp('::ffff:10.20.0.15')).toEqual({ v: 4, n: 0x0a14000f });
    expect(parseIp('::FFFF:0a14:000f')).toEqual({ v: 4, n: 0x0a14000f });
  });

  it('keeps other IPv6 as version 6, including IPv4-compatible and NAT64 forms', () => {
    expect(parseIp('2001:db8::1')).toEqual({ v: 6, n: 0x20010db8000000000000000000000001n });
    expect(parseIp('::10.20.0.15')).toEqual({ v: 6, n: 0x0a14000fn });
    expect(parseIp('64:ff9b::10.20.0.15')).toEqual({ v: 6, n: 0x0064ff9b00000000000000000a14000fn });
    expect(parseIp('::fffe:10.20.0.15')).toEqual({ v: 6, n: 0xfffe0a14000fn });
  });

  it('returns null for text that is no address', () => {
    expect(parseIp('localhost')).toBeNull();
    expect(parseIp('')).toBeNull();
  });

  // Validity must agree with Node's own parser (zone ids aside: normaliseIp strips those).
  it.each([
    '0.0.0.0', '127.0.0.1', '255.255.255.255', '256.0.0.1', '1.2.3', '1.2.3.4.5', '1.2.3.4.', '01.2.3.4',
    '1.2.3.-4', ' 1.2.3.4', '1.2.3.4 ', '',
    '::', '::1', '1::', '::ffff:1.2.3.4', '::1.2.3.4', '1::1.2.3.4', '2001:db8::ff00:42:8329',
    '2001:0db8:0000:0000:0000:ff00:0042:8329', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8::', '1::2::3', ':::', ':', '1:', ':1', '::g',
    '12345::', '::ffff:256.1.1.1', '::ffff:01.2.3.4', '1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:7:1.2.3.4',
    '1.2.3.4::', '1.2.3.4::5', '::1.2.3.4:5', 'ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255', '[::1]', 'hello',
  ])('agrees with net.isIP on the validity of %j', (text) => {
    expect(parseIp(text) !== null).toBe(isIP(text) !== 0);
  });
});

describe('formatIpv6', () => {
  it.each([
    ['lower case, leading zeros dropped', '2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['unspecified address', '::', '::'],
    ['loopback', '::1', '::1'],
    ['trailing zero run', '2001:db8:0:0:0:0:0:0', '2001:db8::'],
    ['a single zero group is not compressed', '2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['single zero groups at both ends stay', '0:1:1:1:1:1:1:0', '0:1:1:1:1:1:1:0'],
    ['the longest run is compressed', '2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['the first of equal-length runs is compressed', '2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['no zeros at all', 'abcd:ef01:2345:6789:abcd:ef01:2345:6789', 'abcd:ef01:2345:6789:abcd:ef01:2345:6789'],
    ['a run of two is compressed', '1:0:0:2:3:4:5:6', '1::2:3:4:5:6'],
  ])('%s: %s → %s', (_why, text, expected) => {
    expect(formatIpv6(parseIpv6(text)!)).toBe(expected);
  });

  it('matches the WHATWG URL serialiser and round-trips, for random zero-heavy addresses', () => {
    let seed = 12345;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let k = 0; k < 500; k++) {
      let n = 0n;
      for (let g = 0; g < 8; g++) n = (n << 16n) | BigInt(rand() < 0.5 ? 0 : Math.floor(rand() * 0x10000));
      const text = formatIpv6(n);
      expect(`[${text}]`).toBe(new URL(`http://[${text}]/`).hostname);
      expect(parseIpv6(text)).toBe(n);
    }
  });
});

describe('normaliseIp', () => {
  it.each([
    ['plain IPv4', '10.20.0.15', '10.20.0.15'],
    ['IPv4 with port', '10.20.0.15:8080', '10.20.0.15'],
    ['bare IPv6 is canonicalised', '2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['bracketed IPv6 with port', '[2001:db8::1]:443', '2001:db8::1'],
    ['bracketed IPv6 without port', '[2001:db8::1]', '2001:db8::1'],
    ['zone id dropped', 'fe80::1%eth0', 'fe80::1'],
    ['bracketed with zone and port', '[fe80::1%eth0]:8080', 'fe80::1'],
    ['IPv4-mapped IPv6 becomes IPv4', '::ffff:10.20.0.15', '10.20.0.15'],
    ['bracketed IPv4-mapped with port', '[::ffff:10.20.0.15]:443', '10.20.0.15'],
    ['comma list: left-most wins', '203.0.113.7, 10.0.0.1, 10.0.0.2', '203.0.113.7'],
    ['comma list with IPv6 first', '2001:db8::1,10.0.0.1', '2001:db8::1'],
    ['comma list with port', '203.0.113.7:1234 , 10.0.0.1', '203.0.113.7'],
    ['surrounding whitespace', '  10.20.0.15\t', '10.20.0.15'],
    ['surrounding whitespace on IPv6', ' ::1 ', '::1'],
  ])('%s: %j → %j', (_why, raw, expected) => {
    expect(normaliseIp(raw)).toBe(expected);
  });

  it.each([
    ['empty', ''],
    ['blank', '   '],
    ['word', 'unknown'],
    ['host name', 'example.com'],
    ['three parts', '1.2.3'],
    ['octet over 255', '999.1.1.1'],
    ['leading zero', '010.0.0.1'],
    ['non-numeric port', '10.20.0.15:http'],
    ['empty port', '10.20.0.15:'],
    ['six-digit port', '10.20.0.15:123456'],
    ['port on garbage', 'host:80'],
    ['unclosed bracket', '[::1'],
    ['garbage in brackets', '[nope]:80'],
    ['bad IPv6', '2001:db8::g'],
    ['left-most entry empty', ', 10.0.0.1'],
    ['left-most entry garbage', 'unknown, 10.0.0.1'],
    ['IPv4 text before ::', '1.2.3.4::'],
  ])('%s: %j → empty', (_why, raw) => {
    expect(normaliseIp(raw)).toBe('');
  });
});

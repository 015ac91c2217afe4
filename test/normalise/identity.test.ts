import { describe, expect, it } from 'vitest';
import type { Identity } from '../../src/model/request.js';
import { hasAnyIdentity, identityGroup, isNoKey, isTykKeyHash, maskSecret, unknownIdentityLabel } from '../../src/normalise/identity.js';

const id = (parts: Partial<Identity>): Identity => ({ key: '', hash: '', id: '', alias: '', ...parts });

const KEY = 'ak_live_7Hq2mZ9xR4vB1nW8'; // 24 characters
const HASH = 'deadbeefcafebabe0123'; // 20 characters

describe('isNoKey', () => {
  it.each(['', '00000000', '-', '0', '0000000', '000000000'])('treats %j as no key (empty, AWS "-", all zeros)', (value) => {
    expect(isNoKey(value)).toBe(true);
  });

  it.each(['--', ' ', 'abc', 'null', '00000001', '10000000'])('treats %j as a key', (value) => {
    expect(isNoKey(value)).toBe(false);
  });
});

describe('maskSecret', () => {
  it.each([
    ['', '…'],
    ['a', '…*'],
    ['ab', '…**'],
    ['abc', '…***'],
    ['abcdefg', '…***'],
    ['abcdefgh', 'ab…gh'],
    ['abcdefghijklmno', 'ab…no'],
    ['abcdefghijklmnop', 'abcd…mnop'],
    [KEY, 'ak_l…1nW8'],
    ['😀'.repeat(7), '…***'],
    ['😀'.repeat(7) + '😺', '😀😀…😀😺'],
    ['😀😁😂🤣😃😄😅😆😉😊😋😎😍😘🥰😗', '😀😁😂🤣…😍😘🥰😗'],
  ])('masks %j as %j', (value, expected) => {
    expect(maskSecret(value)).toBe(expected);
  });

  it('never reveals more than half of a value, for every length 0..40', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.é日😀';
    const symbols = [...alphabet];
    let seed = 2024;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let n = 0; n <= 40; n++) {
      for (let trial = 0; trial < 50; trial++) {
        const chars = Array.from({ length: n }, () => symbols[Math.floor(rand() * symbols.length)]!);
        const value = chars.join('');
        const masked = maskSecret(value);
        const shown = [...masked].filter((c) => c !== '…' && c !== '*');
        expect(shown.length).toBeLessThanOrEqual(Math.floor(n / 2));
        if (n > 0) expect(masked.includes(value)).toBe(false);
        if (n >= 16) expect(masked).toBe(`${chars.slice(0, 4).join('')}…${chars.slice(-4).join('')}`);
        else if (n >= 8) expect(masked).toBe(`${chars.slice(0, 2).join('')}…${chars.slice(-2).join('')}`);
        else expect(shown).toEqual([]);
      }
    }
  });
});

describe('unknownIdentityLabel', () => {
  it.each([
    ['key only', id({ key: KEY }), 'key ak_l…1nW8'],
    ['key and alias', id({ key: KEY, alias: 'billing-svc' }), 'key ak_l…1nW8 (alias billing-svc)'],
    ['key wins over hash and id', id({ key: KEY, hash: HASH, id: 'AKID12345678' }), 'key ak_l…1nW8'],
    ['hash when the key is the Tyk empty hash', id({ key: '00000000', hash: HASH }), 'hash dead…0123'],
    ['hash and alias', id({ hash: HASH, alias: 'ops' }), 'hash dead…0123 (alias ops)'],
    ['id only', id({ id: 'AKID12345678' }), 'id AK…78'],
    ['short key', id({ key: 'abc' }), 'key …***'],
    ['alias only', id({ alias: 'billing-svc' }), 'alias billing-svc'],
    ['nothing', id({}), '(no key)'],
    ['only no-key markers', id({ key: '-', hash: '00000000', id: '', alias: '-' }), '(no key)'],
  ])('%s', (_why, identity, expected) => {
    expect(unknownIdentityLabel(identity)).toBe(expected);
  });

  it('never contains the raw key, hash or id', () => {
    const label = unknownIdentityLabel(id({ key: KEY, hash: HASH, id: 'AKID12345678', alias: 'x' }));
    expect(label).not.toContain(KEY);
    expect(unknownIdentityLabel(id({ hash: HASH }))).not.toContain(HASH);
    expect(unknownIdentityLabel(id({ id: 'AKID12345678' }))).not.toContain('AKID12345678');
  });
});

describe('identityGroup', () => {
  it.each([
    ['key', id({ key: KEY, hash: HASH, id: 'i1', alias: 'a1' }), `k:${KEY}`],
    ['hash', id({ key: '00000000', hash: HASH, id: 'i1', alias: 'a1' }), `h:${HASH}`],
    ['id', id({ key: '-', id: 'i1', alias: 'a1' }), 'i:i1'],
    ['alias', id({ alias: 'a1' }), 'a:a1'],
    ['nothing', id({ key: '-', hash: '00000000' }), '-'],
  ])('groups by %s', (_why, identity, expected) => {
    expect(identityGroup(identity)).toBe(expected);
  });

  it('keeps distinct keys in distinct groups', () => {
    expect(identityGroup(id({ key: 'key-one-123' }))).not.toBe(identityGroup(id({ key: 'key-one-124' })));
  });
});

describe('hasAnyIdentity', () => {
  it('is false only when every part is a no-key value', () => {
    expect(hasAnyIdentity(id({ key: '-', hash: '00000000' }))).toBe(false);
    expect(hasAnyIdentity(id({ alias: 'a' }))).toBe(true);
    expect(hasAnyIdentity(id({ id: 'x' }))).toBe(true);
  });
});

describe('isTykKeyHash', () => {
  it('is lower-case hex of width 8, 16, 32 or 64, like the regular expression it replaces', () => {
    const re = /^(?:[0-9a-f]{8}|[0-9a-f]{16}|[0-9a-f]{32}|[0-9a-f]{64})$/;
    const alphabet = '0123456789abcdefABCDEFgz-';
    let seed = 3;
    for (let n = 0; n < 5000; n++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const len = [0, 7, 8, 9, 16, 17, 32, 64, 65][seed % 9]!;
      let s = '';
      for (let i = 0; i < len; i++) {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        s += alphabet[seed % (seed % 7 === 0 ? alphabet.length : 16)];
      }
      expect(isTykKeyHash(s), s).toBe(re.test(s));
    }
    expect(isTykKeyHash('3f9a1c0d7be24e51')).toBe(true);
    expect(isTykKeyHash('3F9A1C0D7BE24E51')).toBe(false);
  });
});

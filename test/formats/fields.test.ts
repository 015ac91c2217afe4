import { describe, expect, it } from 'vitest';
import { FROM_LINE } from '../../src/decode/record-builder.js';
import { ownText, ownValue, upper } from '../../src/formats/fields.js';
import { request } from '../helpers/requests.js';

describe('upper', () => {
  it('is String.prototype.toUpperCase, without a new string for what is upper case already', () => {
    for (const m of ['GET', 'get', 'Post', 'M-SEARCH', 'm-search', 'GET2', 'PRO PFIND', '', 'é', 'GÉT', '[_]', 'x']) expect(upper(m)).toBe(m.toUpperCase());
    const already = 'PROPFIND';
    expect(upper(already)).toBe(already);
  });
});

describe('ownText', () => {
  const long = (s: string) => `${s}-${'x'.repeat(20)}`;
  const make = () => request({ ip: long('2001:db8::1'), path: long('/a/b'), userAgent: long('agent'), api: 'short', tenant: long('org'), identity: { key: '', hash: long('hash'), id: long('id'), alias: 'al' } });

  it('leaves requests from JSON.parse records as they are', () => {
    const req = make();
    const before = { ...req, identity: { ...req.identity } };
    expect(ownText(req, {})).toBe(req);
    expect(req).toEqual(before);
  });

  it('gives requests from line records the same text (in its own copy)', () => {
    const req = make();
    const before = { ...req, identity: { ...req.identity } };
    expect(ownText(req, { [FROM_LINE]: true })).toEqual(before);
  });

  it('ownValue keeps the value', () => {
    expect(ownValue(long('k'), { [FROM_LINE]: true })).toBe(long('k'));
    expect(ownValue('k', {})).toBe('k');
  });
});

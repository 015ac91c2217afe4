import { describe, expect, it } from 'vitest';
import { sniffFraming } from '../../src/decode/containers.js';
import { describeRecord, detectFormat } from '../../src/decode/detect.js';
import { decodeJsonLine } from '../../src/decode/ndjson.js';
import { Skip } from '../../src/model/skip.js';

const tyk = { api_key: 'a', response_code: 200, ip_address: '1.2.3.4', timestamp: '2026-01-01T00:00:00Z' };

describe('detectFormat', () => {
  it('picks the format most first records fit', () => {
    expect(detectFormat([tyk, { other: 1 }, tyk])?.meta.name).toBe('tyk-analytics');
  });
  it('returns undefined when nothing fits', () => {
    expect(detectFormat([{ a: 1 }, { b: 2 }])).toBeUndefined();
    expect(detectFormat([])).toBeUndefined();
  });
});

describe('describeRecord', () => {
  it('lists the first fields for the "no format fits" error', () => {
    expect(describeRecord({ a: 1, b: 2 })).toBe('first record has fields: a, b');
    const many = Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`f${i}`, i]));
    expect(describeRecord(many)).toBe('first record has fields: f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, … (15 in all)');
    expect(describeRecord(undefined)).toBe('no JSON object in its first lines');
  });
});

describe('decodeJsonLine', () => {
  it('returns objects', () => {
    expect(decodeJsonLine('{"a":1}')).toEqual({ a: 1 });
  });
  it.each([
    ['{"a":', 'bad-json'],
    ['[1,2]', 'not-an-object'],
    ['42', 'not-an-object'],
    ['null', 'not-an-object'],
    ['"text"', 'not-an-object'],
  ])('%s is skipped as %s', (line, reason) => {
    const r = decodeJsonLine(line);
    expect(r).toBeInstanceOf(Skip);
    expect((r as Skip).reason).toBe(reason);
  });
  it('a record shaped like a skip is still a record', () => {
    expect(decodeJsonLine('{"reason":"bad-json","detail":"x"}')).not.toBeInstanceOf(Skip);
  });
});

describe('bad-json details', () => {
  it('keep the parser\'s complaint but never quote the line, which may hold a key', () => {
    const KEY = 'sk_live_4f8a1e6b9c2d7e3f5a0b';
    for (const line of [`not json ${KEY}`, `{"api_key":"${KEY}", oops}`, `{"api_key":"${KEY}`, `${KEY}`]) {
      const r = decodeJsonLine(line) as Skip;
      expect(r.reason).toBe('bad-json');
      expect(r.detail).not.toMatch(/sk_l|4f8a|5a0b/);
      expect(r.detail.length).toBeGreaterThan(0);
    }
  });
});

describe('sniffFraming', () => {
  const rec = '{"a":1}';
  it.each([
    [[rec, rec], 'ndjson'],
    [['garbage line', rec, rec], 'ndjson'], // a broken first line does not decide
    [['{"a":"trunc', rec, rec, rec], 'ndjson'], // a truncated first record
    [['{', '  "a": 1', '}'], 'json-document'],
    [['{"records": [', `${rec},`, `${rec},`, rec, ']}'], 'json-document'], // one element per line
    [['[', '  {},', '  {}', ']'], 'json-document'],
    [['2020-02-20T07:01:01.000Z {"a":1}'], 'ndjson'],
    [['1.2.3.4 - - [25/Oct/2016:14:49:33 +0200] "GET / HTTP/1.1" 200 612 "-" "curl"'], 'clf'],
    [['junk', 'time="x" level=info prefix=access-log'], 'logfmt'],
    [['a,b,c', '1,2,3'], 'csv'],
  ])('%j → %s', (lines, framing) => {
    expect(sniffFraming(lines)).toBe(framing);
  });
});

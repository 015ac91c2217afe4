import { describe, expect, it } from 'vitest';
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

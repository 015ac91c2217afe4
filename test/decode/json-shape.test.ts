import { readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readerFor, sniffFraming, type RecordNeeds } from '../../src/decode/containers.js';
import { detectFormat } from '../../src/decode/detect.js';
import { ShapeReader } from '../../src/decode/json-shape.js';
import { fromLine } from '../../src/decode/record-builder.js';
import type { Skip } from '../../src/model/skip.js';
import { prng } from '../helpers/random.js';
import { allFilesUnder } from '../helpers/fixture-records.js';

/**
 * The shape reader must give, for every line it reads, exactly the needed fields JSON.parse gives,
 * and must read no line JSON.parse rejects (those keep JSON.parse's error). Compared on every
 * fixture and published sample, and on generated edge cases and mutations.
 */

/** The needed fields of what JSON.parse makes of `line`, or 'rejected'. */
function expected(line: string, needs: RecordNeeds): Record<string, unknown> | 'rejected' | 'not-plain' {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return 'rejected';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not-plain';
  const out: Record<string, unknown> = {};
  for (const k of needs) if (Object.prototype.hasOwnProperty.call(value, k)) out[k] = (value as Record<string, unknown>)[k];
  return out;
}

/** A record read by a layout, marked as sliced from the line, without the mark (to compare with JSON.parse's). */
function plain(record: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (record === undefined) return undefined;
  expect(fromLine(record)).toBe(true);
  return Object.fromEntries(Object.entries(record));
}

/** Feeds lines as the NDJSON reader does (read, else JSON.parse and learn); checks every line read. */
function compareAll(lines: string[], needs: RecordNeeds, reader = new ShapeReader(needs)): { hits: number; rejected: number } {
  let hits = 0;
  let rejected = 0;
  for (const line of lines) {
    const want = expected(line, needs);
    const got = plain(reader.read(line));
    if (got !== undefined) {
      hits++;
      // Object.is-exact: -0, NaN-free numbers, strings with escapes
      expect(want, `line read although JSON.parse says ${String(want)}: ${line}`).not.toBeTypeOf('string');
      expect(Object.keys(got).sort()).toEqual(Object.keys(want as object).sort());
      for (const k of Object.keys(got)) expect(Object.is(got[k], (want as Record<string, unknown>)[k]) || JSON.stringify(got[k]) === JSON.stringify((want as Record<string, unknown>)[k]), `${k} in ${line}`).toBe(true);
      expect(got).toStrictEqual(want);
    } else {
      if (want === 'rejected') rejected++;
      else {
        let value: unknown;
        try {
          value = JSON.parse(line);
        } catch {
          /* not reached */
        }
        reader.learn(line, value);
      }
    }
  }
  return { hits, rejected };
}

const SAMPLE_DIRS = ['fixtures', '/work/shared/samples'].filter((d) => {
  try {
    return statSync(d).isDirectory();
  } catch {
    return false;
  }
});

/** Every NDJSON-framed fixture and sample (by content, as apiguard sniffs it). */
const NDJSON_FILES = SAMPLE_DIRS.flatMap(allFilesUnder)
  .filter((f) => !/\.(md|mjs|yaml|gz)$/.test(f))
  .filter((f) => {
    const lines = readFileSync(f, 'utf8').split('\n').filter((l) => l.trim() !== '');
    return lines.length > 0 && sniffFraming(lines.slice(0, 5)) === 'ndjson';
  });

/** All top-level keys of the file's objects: the widest needs, so every value is compared. */
function everyKey(lines: string[]): RecordNeeds {
  const keys = new Set<string>();
  for (const l of lines) {
    try {
      const v = JSON.parse(l) as unknown;
      if (v && typeof v === 'object' && !Array.isArray(v)) for (const k of Object.keys(v)) keys.add(k);
    } catch {
      /* broken lines have no keys */
    }
  }
  return [...keys];
}

describe('ShapeReader on every fixture and published sample', () => {
  it('finds NDJSON files to compare', () => {
    expect(NDJSON_FILES.length).toBeGreaterThan(10);
  });

  it.each(NDJSON_FILES)('%s: every line read gives what JSON.parse gives', (file) => {
    const lines = readFileSync(file, 'utf8').split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.trim() !== '');
    // Three passes: layouts recur, so the second and third are read by the learned expressions.
    const repeated = [...lines, ...lines, ...lines];
    const widest = compareAll(repeated, everyKey(lines));
    const objects = lines.filter((l) => expected(l, []) !== 'rejected' && expected(l, []) !== 'not-plain');
    const envelopes = objects.filter((l) => /^\s*\{\s*"(?:logEvents|events|records)"|"(?:logEvents|events|records)"\s*:/.test(l));
    if (objects.length > envelopes.length) expect(widest.hits, 'the learned layouts read some lines').toBeGreaterThan(0);
    // And with the needs of the format the file is read as.
    const records = objects.map((l) => JSON.parse(l) as Record<string, unknown>);
    const format = detectFormat(records.slice(0, 5));
    if (format?.reads) compareAll(repeated, format.reads);
  });
});

// ---------------------------------------------------------------------------------------------
// Generated edge cases

const NEEDS: RecordNeeds = ['s', 'k', 'o', 'a', 'n', 'b', 'z', 'missing'];
const BASE = { s: 'GET', n: 200, b: true, z: null, k: 'abcdefghijklmnopqrstuvwxyz', o: { x: 1, y: [1, 'two'] }, a: ['p', 'q'], other: 'not needed', deep: { e: { f: 1 } } };

/** A reader that has learned BASE's layout (compact and spaced). */
function learned(): ShapeReader {
  const r = new ShapeReader(NEEDS);
  const compact = JSON.stringify(BASE);
  const spaced = JSON.stringify(BASE, null, 1).replace(/\n/g, ' ');
  for (let i = 0; i < 4; i++) {
    r.learn(compact, JSON.parse(compact));
    r.learn(spaced, JSON.parse(spaced));
  }
  expect(r.read(compact)).toBeDefined();
  expect(r.read(spaced)).toBeDefined();
  return r;
}

/** BASE with one value replaced by raw JSON text. */
const withValue = (key: keyof typeof BASE, json: string): string => JSON.stringify({ ...BASE, [key]: '\u0000MARK' }).replace('"\\u0000MARK"', json);

const STRING_VALUES = [
  '""', '"a"', '"with \\"quotes\\""', '"back\\\\slash"', '"\\/slash"', '"\\b\\f\\n\\r\\t"', '"\\u0041\\u00e9\\u20ac"',
  '"\\ud83d\\ude00 surrogate pair"', '"\\ud800 lone high"', '"\\udc00 lone low"', '"raw é ü 中文 😀"', '"\u2028\u2029 separators"',
  '"\ud800 raw lone surrogate"', '"12345678901234567890 long enough to be shared"', '"a\\u0000b"', '"\u007f delete"',
  // invalid
  '"raw\ttab"', '"raw\nnewline"', '"raw\u0001control"', '"bad \\x41 escape"', '"bad \\u12 escape"', '"bad \\u12g4"', '"unterminated',
  "'single'", '"trailing backslash\\"', '"\\a"',
];
const NUMBER_VALUES = [
  '0', '-0', '1', '-1', '200', '1.5', '-1.0', '0.1', '1e5', '1E5', '1e-5', '1E+5', '1.5e+300', '1e400', '-1e400', '4.9e-324', '5e-325',
  '9007199254740993', '123456789012345678901234567890', '0.30000000000000004', '2.2250738585072011e-308',
  // invalid
  '01', '-', '+1', '.5', '1.', '1e', '1e+', '0x10', 'NaN', 'Infinity', '-Infinity', '1_000', '--1', '1.2.3',
];
const OTHER_VALUES = ['true', 'false', 'null', '{}', '[]', '{"x":{"y":{"z":[1,{"w":2}]}}}', '[[[[1]]]]', '[1,"a",null,true,{"b":[]}]', '{"a":1,"a":2}',
  // invalid
  'True', 'nul', '{"a":1,}', '[1,]', '{a:1}', '{"a" 1}', '[1 2]', 'undefined', '{"a":1', '[1',
];

describe('ShapeReader on generated lines', () => {
  it('reads learned layouts, compact and spaced', () => {
    const r = learned();
    expect(plain(r.read(JSON.stringify(BASE)))).toStrictEqual({ s: 'GET', n: 200, b: true, z: null, k: BASE.k, o: BASE.o, a: BASE.a });
  });

  it.each(['s', 'k', 'n', 'b', 'z', 'o', 'a', 'other', 'deep'] as const)('any value for %s: read exactly as JSON.parse, or left to it', (key) => {
    const r = learned();
    const lines = [...STRING_VALUES, ...NUMBER_VALUES, ...OTHER_VALUES].map((v) => withValue(key, v));
    compareAll(lines, NEEDS, r);
  });

  it('numbers are the same doubles JSON.parse gives, -0 included', () => {
    const r = learned();
    for (const n of NUMBER_VALUES) {
      const line = withValue('n', n);
      let want: unknown;
      try {
        want = (JSON.parse(line) as { n: unknown }).n;
      } catch {
        expect(r.read(line)).toBeUndefined();
        continue;
      }
      expect(Object.is(r.read(line)?.n, want), n).toBe(true);
    }
  });

  it('duplicate keys, reordered keys, extra and missing keys fall back to JSON.parse', () => {
    const r = learned();
    const compact = JSON.stringify(BASE);
    expect(r.read(compact.replace('{"s":"GET",', '{"s":"GET","s":"PUT",'))).toBeUndefined();
    expect(r.read(compact.replace('"other":"not needed",', '"other":"not needed","s":"PUT",'))).toBeUndefined();
    expect(r.read(JSON.stringify({ ...BASE, n: 1 }))).toBeDefined(); // same keys in the same order
    expect(r.read(JSON.stringify({ z: 1, s: 'x', n: 1, b: true, k: 'k', o: {}, a: [], other: '', deep: {} }))).toBeUndefined();
    expect(r.read(JSON.stringify({ ...BASE, extra: 1 }))).toBeUndefined();
    const { other: _, ...without } = BASE;
    expect(r.read(JSON.stringify(without))).toBeUndefined();
    expect(r.read(compact.replace('"s":', '"\\u0073":'))).toBeUndefined(); // an escaped key decodes to a needed one
  });

  it('whitespace: JSON whitespace anywhere between tokens, nothing else', () => {
    const r = learned();
    const spaced = JSON.stringify(BASE, null, 2).replace(/\n/g, ' ');
    compareAll([spaced, `\t${spaced}\r`, spaced.replace(/: /g, ' :\t'), `\u00a0${spaced}`, `\ufeff${spaced}`, spaced.replace(/, /g, ',\u000b'), `${spaced} x`], NEEDS, r);
    expect(r.read(`\u00a0${spaced}`)).toBeUndefined();
  });

  it('every prefix of a line (a truncated write) is left to JSON.parse', () => {
    const r = learned();
    const line = JSON.stringify(BASE);
    for (let i = 0; i < line.length; i++) expect(r.read(line.slice(0, i)), line.slice(0, i)).toBeUndefined();
    expect(r.read(line)).toBeDefined();
  });

  it('random single-character edits of learned lines never read a line JSON.parse rejects, nor read one differently', () => {
    let r = learned();
    const rand = prng(0x5eed);
    const bases = [JSON.stringify(BASE), JSON.stringify(BASE, null, 1).replace(/\n/g, ' '), withValue('s', '"\\u00e9\\"x\\\\"'), withValue('n', '-1.25e-3')];
    // Mostly characters a value may hold, so that many edited lines stay valid and in the layout.
    const alphabet = ['"', '\\', '{', '}', '[', ']', ':', ',', ' ', '\t', '-', '.', 'e', 'E', '+', 'u', 'n', 't', 'f', '\u0000', '\u001f', 'é', '\ud83d', ...'abcxyz0123456789'.repeat(3)];
    let reads = 0;
    let rejected = 0;
    for (let n = 0; n < 20000; n++) {
      if (n % 200 === 0) r = learned(); // a reader gives up after mostly unknown lines
      let line = bases[n % bases.length]!;
      const edits = 1 + Math.floor(rand() * 3);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(rand() * (line.length + 1));
        const ch = alphabet[Math.floor(rand() * alphabet.length)]!;
        const op = rand();
        line = op < 0.33 ? line.slice(0, at) + ch + line.slice(at) : op < 0.66 ? line.slice(0, at) + line.slice(at + 1) : line.slice(0, at) + ch + line.slice(at + 1);
      }
      const got = plain(r.read(line));
      const want = expected(line, NEEDS);
      if (want === 'rejected') rejected++;
      if (got === undefined) continue;
      reads++;
      expect(want, line).not.toBe('rejected');
      expect(got, line).toStrictEqual(want);
    }
    // The mutations must exercise both sides.
    expect(reads).toBeGreaterThan(1000);
    expect(rejected).toBeGreaterThan(1000);
  });

  it('lines in no learned layout, and one-off layouts, are never compiled', () => {
    const r = new ShapeReader(NEEDS);
    for (let i = 0; i < 100; i++) {
      const line = JSON.stringify({ [`key${i}`]: i, s: 'x' });
      expect(r.read(line)).toBeUndefined();
      r.learn(line, JSON.parse(line));
    }
    expect(r.active).toBe(true);
    // A layout seen twice is learned.
    const line = JSON.stringify({ s: 'x', n: 1 });
    r.learn(line, JSON.parse(line));
    r.learn(line, JSON.parse(line));
    expect(plain(r.read(line))).toStrictEqual({ s: 'x', n: 1 });
  });

  it('stops learning after many lines (working out a layout costs more than parsing), and keeps reading what it learned', () => {
    const r = new ShapeReader(NEEDS);
    const known = JSON.stringify({ s: 'x' });
    r.learn(known, JSON.parse(known));
    r.learn(known, JSON.parse(known));
    for (let i = 0; i < 2000; i++) {
      expect(r.read(known)).toBeDefined(); // hits keep the reader on
      const once = JSON.stringify({ [`k${i}`]: 1 });
      r.learn(once, JSON.parse(once));
    }
    const late = JSON.stringify({ s: 'y', n: 2 });
    r.learn(late, JSON.parse(late));
    r.learn(late, JSON.parse(late));
    expect(r.read(late)).toBeUndefined();
    expect(r.read(known)).toBeDefined();
  });

  it('gives up when most lines fit no learned layout', () => {
    const r = new ShapeReader(NEEDS);
    const known = JSON.stringify({ s: 'x' });
    r.learn(known, JSON.parse(known));
    r.learn(known, JSON.parse(known));
    for (let i = 0; i < 300; i++) r.read(JSON.stringify({ [`k${i}`]: 1 }));
    expect(r.active).toBe(false);
    expect(r.read(known)).toBeUndefined();
  });

  it('envelopes (CloudWatch, Azure archives) are never learned: they are unwrapped from the whole object', () => {
    const r = new ShapeReader(NEEDS);
    const line = JSON.stringify({ records: [{ s: 'x' }] });
    for (let i = 0; i < 4; i++) r.learn(line, JSON.parse(line));
    expect(r.read(line)).toBeUndefined();
  });

  it('a needed __proto__ turns the reader off (JSON.parse makes it an own property)', () => {
    const r = new ShapeReader(['__proto__']);
    expect(r.active).toBe(false);
  });

  it('huge values (a base64 body) are read; over 1 MiB lines go to JSON.parse', () => {
    const r = learned();
    const body = 'QUJD'.repeat(200_000); // 800 kB
    const line = withValue('other', JSON.stringify(body));
    expect(plain(r.read(line))).toStrictEqual(expected(line, NEEDS));
    const huge = withValue('other', JSON.stringify('QUJD'.repeat(300_000)));
    expect(r.read(huge)).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------
// The NDJSON reader with and without the needs of a format

interface Seen {
  records: Record<string, unknown>[];
  skips: [number, string, string][];
  lines: number[];
}

function readNdjson(lines: string[], needs: RecordNeeds | undefined): Seen {
  const seen: Seen = { records: [], skips: [], lines: [] };
  const reader = readerFor('ndjson', {
    record: (r, line) => {
      seen.records.push(r);
      seen.lines.push(line);
    },
    skip: (line, s: Skip) => seen.skips.push([line, s.reason, s.detail]),
  }, { needs: () => needs });
  lines.forEach((text, i) => reader.line(text, i + 1));
  reader.end();
  return seen;
}

describe('the NDJSON reader with a format\'s needs', () => {
  const broken = readFileSync('fixtures/broken/tyk-broken-records.ndjson', 'utf8').split('\n').filter((l) => l !== '');
  const demo = readFileSync('fixtures/demo/tyk-analytics.ndjson', 'utf8').split('\n').filter((l) => l !== '');
  const tyk = detectFormat(demo.slice(0, 5).map((l) => JSON.parse(l) as Record<string, unknown>))!;

  it('reads the demo through learned layouts: same records (needed fields), same lines', () => {
    const fast = readNdjson(demo, tyk.reads);
    const whole = readNdjson(demo, undefined);
    expect(fast.lines).toEqual(whole.lines);
    expect(fast.skips).toEqual(whole.skips);
    const keys = tyk.reads!;
    const project = (r: Record<string, unknown>) => Object.fromEntries(keys.filter((k) => k in r).map((k) => [k, r[k]]));
    expect(fast.records.map(project)).toEqual(whole.records.map(project));
    expect(fast.records.some((r) => !('host' in r))).toBe(true); // the learned layouts were used
  });

  it('broken lines among good ones: the same skips, at the same lines, with the same reasons', () => {
    // Good lines first, so that layouts are learned before the broken ones arrive.
    const mixed = [...demo.slice(0, 50), ...broken, ...demo.slice(50, 100), ...broken.map((l) => l.slice(0, -3))];
    const fast = readNdjson(mixed, tyk.reads);
    const whole = readNdjson(mixed, undefined);
    expect(fast.skips).toEqual(whole.skips);
    expect(fast.skips.length).toBeGreaterThan(0);
    expect(fast.lines).toEqual(whole.lines);
  });
});

describe('layouts shared between the readers of one file\'s chunks', () => {
  const needs: RecordNeeds = ['a', 'b'];
  const lines = [JSON.stringify({ a: 'x', b: 1, c: true }), JSON.stringify({ a: 'y', b: 2, c: false })];
  const first = (shareLayouts: boolean): Record<string, unknown>[] => {
    const out: Record<string, unknown>[] = [];
    const reader = readerFor('ndjson', { record: (r) => out.push(r), skip: () => {} }, { needs: () => needs, shareLayouts });
    lines.forEach((l, i) => reader.line(l, i + 1));
    return out;
  };

  it('a chunk\'s new reader reads with the layouts an earlier chunk learned', () => {
    first(true); // learns the layout
    const next = first(true);
    expect(next.every((r) => fromLine(r))).toBe(true);
    expect(next.map((r) => Object.fromEntries(Object.entries(r)))).toEqual([{ a: 'x', b: 1 }, { a: 'y', b: 2 }]);
  });

  it('without sharing, each reader learns on its own', () => {
    expect(first(false).some((r) => fromLine(r))).toBe(false);
  });
});

import { readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { csvReader, readerFor, sniffFraming, type RecordNeeds } from '../../src/decode/containers.js';
import { detectFormat } from '../../src/decode/detect.js';
import type { Skip } from '../../src/model/skip.js';
import { allFilesUnder } from '../helpers/fixture-records.js';

/**
 * Once the format is known, one-line CSV rows are read by one expression that captures only the
 * cells the format reads. Every row must give the same needed values, and every bad row the
 * same skip, as the general reader: compared on every CSV fixture and sample, and on generated rows.
 */

interface Seen {
  records: Record<string, unknown>[];
  lines: number[];
  skips: [number, string, string][];
}

function read(lines: string[], needs: RecordNeeds | undefined): Seen {
  const seen: Seen = { records: [], lines: [], skips: [] };
  const reader = csvReader(
    {
      record: (r, line) => {
        seen.records.push(r);
        seen.lines.push(line);
      },
      skip: (line, s: Skip) => seen.skips.push([line, s.reason, s.detail]),
    },
    { needs: () => needs },
  );
  lines.forEach((text, i) => reader.line(text, i + 1));
  reader.end();
  return seen;
}

/** Both readers agree on `lines` for `needs`: needed values, lines, skips. Returns the fast reader's records. */
function agree(lines: string[], needs: RecordNeeds): Seen {
  const fast = read(lines, needs);
  const whole = read(lines, undefined);
  expect(fast.skips).toEqual(whole.skips);
  expect(fast.lines).toEqual(whole.lines);
  const keys = needs;
  const project = (r: Record<string, unknown>) => Object.fromEntries(keys.filter((k) => Object.prototype.hasOwnProperty.call(r, k)).map((k) => [k, r[k]]));
  expect(fast.records.map(project)).toEqual(whole.records.map(project));
  return fast;
}

const CSV_FILES = ['fixtures', '/work/shared/samples']
  .filter((d) => {
    try {
      return statSync(d).isDirectory();
    } catch {
      return false;
    }
  })
  .flatMap(allFilesUnder)
  .filter((f) => !/\.(md|mjs|yaml|gz|json|ndjson)$/.test(f))
  .filter((f) => {
    const lines = readFileSync(f, 'utf8').split('\n').filter((l) => l.trim() !== '');
    return lines.length > 1 && sniffFraming(lines.slice(0, 5)) === 'csv';
  });

describe('CSV rows read by the row expression', () => {
  it('finds CSV files to compare', () => {
    expect(CSV_FILES.length).toBeGreaterThan(5);
  });

  it.each(CSV_FILES)('%s: the same values, lines and skips as the general reader', (file) => {
    const lines = readFileSync(file, 'utf8').split('\n').map((l) => l.replace(/\r$/, ''));
    if (lines[lines.length - 1] === '') lines.pop();
    // Every header name needed, then the detected format's needs.
    const names = [...new Set(readFileSync(file, 'utf8').split('\n')[0]!.replace(/\r$/, '').split(/[,;\t]/).map((h) => h.replace(/^"|"$/g, '').trim()))];
    agree(lines, names);
    const records: Record<string, unknown>[] = [];
    const reader = readerFor('csv', { record: (r) => records.push(r), skip: () => {} });
    lines.forEach((l, i) => reader.line(l, i + 1));
    reader.end();
    const format = detectFormat(records.slice(0, 5), 'csv');
    if (format?.reads) agree(lines, format.reads);
  });

  const NEEDS: RecordNeeds = ['a', 'c', 'long', 'b', 'dup'];
  const HEADER = 'a,b,c,long,dup,x,dup';

  it('reads plain rows, and gives quoted, short, long and broken rows the general reader\'s treatment', () => {
    const rows = [
      HEADER,
      '1,2,3,a value long enough to be shared,d1,x,d2',
      '"1",2,3,4,5,6,7',
      '1,"two, with a comma",3,4,5,6,7',
      '1,"say ""hi""",3,4,5,6,7',
      '"a, long quoted value with ""quotes""",2,"3",4,5,6,"7"',
      '1,"x"trailing,3,4,5,6,7',
      '1,"",3,"""",5,6,7',
      '1,"a""",3,4,5,6,7',
      'q"uote,2,3,4,5,6,7',
      '1,2,3',
      '1,2,3,4,5,6,7,8',
      ',,,,,,',
      "'=SUM(A1),'-1,'+x,'@y,'plain,6,7",
      '1,"multi',
      'line",3,4,5,6,7',
      '',
      '   ',
      '1,2,3,4,5,6,\r',
      'é,😀,\u2028,4,5,6,7',
    ];
    const fast = agree(rows, NEEDS);
    expect(Object.fromEntries(Object.entries(fast.records[0]!))).toEqual({ a: '1', b: '2', c: '3', long: 'a value long enough to be shared', dup: 'd2' });
    expect(Object.fromEntries(Object.entries(fast.records[3]!))).toEqual({ a: '1', b: 'say "hi"', c: '3', long: '4', dup: '7' });
    expect(Object.fromEntries(Object.entries(fast.records[4]!))).toEqual({ a: 'a, long quoted value with "quotes"', b: '2', c: '3', long: '4', dup: '7' });
    expect(fast.records.length).toBeGreaterThan(5);
    expect(fast.skips.length).toBeGreaterThan(1);
  });

  it.each([';', '\t'])('works with %j as the separator', (sep) => {
    const rows = [HEADER.replaceAll(',', sep), ['1', '2', '3', 'a long value for the copy', '5', '6', '7'].join(sep), ['1', '"2;\t2"', '3', '4', '5', '6', '7'].join(sep), ['1', '2'].join(sep)];
    agree(rows, NEEDS);
  });

  it('random rows: the same as the general reader', () => {
    let seed = 11;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const pieces = ['', 'x', 'long value that is shared', '"q"', '"a,b"', '""""', "'=1", '1', ' ', 'é', '"open'];
    const rows = [HEADER];
    for (let i = 0; i < 3000; i++) {
      const n = 5 + rand(5);
      rows.push(Array.from({ length: n }, () => pieces[rand(pieces.length)]).join(','));
      if (rand(10) === 0) rows.push('closing",1,2,3,4,5,6');
    }
    agree(rows, NEEDS);
  });

  it('without a header (--map by column number) rows are read whole, as before', () => {
    const records: Record<string, unknown>[] = [];
    const reader = csvReader({ record: (r) => records.push(r), skip: () => {} }, { noHeader: true, needs: () => ['1'] });
    ['1,2,3', '4,5,6'].forEach((l, i) => reader.line(l, i + 1));
    expect(records).toEqual([{ 1: '1', 2: '2', 3: '3' }, { 1: '4', 2: '5', 3: '6' }]);
  });
});

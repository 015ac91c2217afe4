import { describe, expect, it } from 'vitest';
import { csvReader, type CsvReader, type RecordSink } from '../../src/decode/containers.js';
import { CsvBoundary } from '../../src/decode/csv-boundary.js';
import { LineChunker, splitChunk } from '../../src/read/chunks.js';
import { prng } from '../helpers/random.js';

type Event = [number, string];

const sinkInto = (events: Event[], base = 0): RecordSink => ({
  record: (r, line) => events.push([base + line, JSON.stringify(r)]),
  skip: (line, s) => events.push([base + line, `skip ${s.reason} ${s.detail}`]),
});

/** One reader over every line: what one thread does. */
function sequential(text: string, maxLineChars: number): Event[] {
  const events: Event[] = [];
  const reader = csvReader(sinkInto(events));
  splitChunk(Buffer.from(text), { line: (t, n) => reader.line(t, n), tooLong: (n) => events.push([n, 'too long']) }, maxLineChars);
  reader.end();
  return events;
}

/**
 * What --jobs does: the first line (the header) read by the file's own reader, then chunks cut at
 * record ends, each read by a fresh reader primed with the header; once no record end turns up
 * within the limit, the rest by the file's own reader again.
 */
function chunked(text: string, chunkBytes: number, maxLineChars: number, pieceBytes: number): { events: Event[]; failed: boolean; chunks: number } {
  const events: Event[] = [];
  const main: CsvReader = csvReader(sinkInto(events));
  const chunker = new LineChunker({ chunkBytes, maxLineChars });
  const buf = Buffer.from(text);
  let lines = 0;
  let attached = false;
  let chunks = 0;
  const take = (): void => {
    for (;;) {
      if (!attached) {
        const { layout, open } = main.layout();
        if (layout && !open) {
          chunker.setBoundary(new CsvBoundary(layout.separator));
          attached = true;
        }
      }
      const item = chunker.next();
      if (!item) return;
      const base = lines;
      if (item.kind === 'too-long') {
        events.push([++lines, 'too long']);
        continue;
      }
      chunks++;
      if (!attached || chunker.boundaryFailed) {
        lines += splitChunk(item.bytes, { line: (t, n) => main.line(t, base + n), tooLong: (n) => events.push([base + n, 'too long']) }, maxLineChars);
        continue;
      }
      const { layout } = main.layout();
      const reader = csvReader(sinkInto(events, base), { layout: layout! });
      lines += splitChunk(item.bytes, { line: (t, n) => reader.line(t, n), tooLong: (n) => events.push([base + n, 'too long']) }, maxLineChars);
      reader.end();
    }
  };
  for (let at = 0; at < buf.length; at += pieceBytes) {
    chunker.push(buf.subarray(at, at + pieceBytes));
    take();
  }
  chunker.end();
  take();
  main.end();
  return { events, failed: chunker.boundaryFailed, chunks };
}


/** CSV the way logs and spreadsheets really get it wrong and right. */
function randomCsv(rand: () => number, sep: string): string {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const eol = rand() < 0.5 ? '\n' : '\r\n';
  const cell = (): string =>
    pick([
      () => 'plain',
      () => '',
      () => 'é😀',
      () => `"quoted ${sep} sep"`,
      () => '"doubled "" quote"',
      () => `"line${eol}break"`,
      () => `"two${eol}${eol}breaks"`,
      () => 'data"quote',
      () => '"closed"after',
      () => `"${eol}"`,
      () => '""',
      () => '"a""',
      () => `"x${eol}" tail`,
    ])();
  const rows = [['a', 'b', 'c'].join(sep)];
  const n = Math.floor(rand() * 40);
  for (let i = 0; i < n; i++) {
    const r = rand();
    if (r < 0.05) rows.push('');
    else if (r < 0.08) rows.push('   ');
    else {
      const cells = rand() < 0.1 ? 2 : 3;
      rows.push(Array.from({ length: cells }, cell).join(sep));
    }
  }
  let text = rows.join(eol);
  if (rand() < 0.5) text += eol;
  if (rand() < 0.1) text += `"unclosed${eol}to the end`;
  return text;
}

describe('CsvBoundary: chunks read apart give what one reader gives', () => {
  it('on hand-made CSV with quoted line breaks, CRLF, data quotes and an unclosed quote', () => {
    const text = [
      'a,b,c',
      '1,"two',
      'lines",3',
      '"x""y",z"q,w',
      '',
      '"p"tail,"multi\r',
      '\r',
      'line",end',
      '4,5,6',
      '"open,never closed',
      '7,8,9',
    ].join('\n');
    const expected = sequential(text, 1000);
    for (let size = 1; size <= text.length; size++) {
      const got = chunked(text, size, 1000, 7);
      expect(got.events, `chunk ${size}`).toEqual(expected);
      expect(got.failed).toBe(false);
    }
  });

  it('on random CSV, at many chunk sizes and read sizes, with , ; and tab', () => {
    const rand = prng(7);
    let multiChunk = 0;
    for (let round = 0; round < 300; round++) {
      const sep = [',', ';', '\t'][round % 3]!;
      const text = randomCsv(rand, sep);
      const expected = sequential(text, 10_000);
      const size = 1 + Math.floor(rand() * 60);
      const got = chunked(text, size, 10_000, 1 + Math.floor(rand() * 50));
      expect(got.events, `round ${round}: ${JSON.stringify(text)} in chunks of ${size}`).toEqual(expected);
      if (got.chunks > 3) multiChunk++;
    }
    expect(multiChunk).toBeGreaterThan(200);
  });

  it('falls back to the file\'s own reader, with the same result, when a record is longer than the limit', () => {
    const rand = prng(11);
    let failures = 0;
    for (let round = 0; round < 200; round++) {
      const text = randomCsv(rand, ',');
      const max = 12 + Math.floor(rand() * 20);
      const got = chunked(text, 1 + Math.floor(rand() * 8), max, 1 + Math.floor(rand() * 9));
      expect(got.events, `round ${round}: ${JSON.stringify(text)}, limit ${max}`).toEqual(sequential(text, max));
      if (got.failed) failures++;
    }
    expect(failures).toBeGreaterThan(20);
  });

  it('never cuts inside a quoted cell', () => {
    const text = 'h1,h2\n"a\nb\nc",1\n"d",2\n';
    const chunker = new LineChunker({ chunkBytes: 1 });
    chunker.push(Buffer.from(text));
    chunker.end();
    const header = chunker.next();
    expect(header?.kind === 'lines' && Buffer.from(header.bytes).toString()).toBe('h1,h2\n');
    chunker.setBoundary(new CsvBoundary(','));
    const cuts: string[] = [];
    for (let item = chunker.next(); item; item = chunker.next()) if (item.kind === 'lines') cuts.push(Buffer.from(item.bytes).toString());
    expect(cuts).toEqual(['"a\nb\nc",1\n', '"d",2\n']);
  });

  it('refuses a separator that is not one ASCII character', () => {
    expect(() => new CsvBoundary('||')).toThrow(/separator/);
  });
});

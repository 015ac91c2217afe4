import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { MAX_LINE_CHARS, readLines, type ReadResult } from '../../src/read/lines.js';
import { cut, prng } from '../helpers/random.js';

interface Collected {
  lines: Array<[string, number]>;
  tooLong: number[];
  result: ReadResult;
}

async function collect(chunks: Array<Buffer | string>): Promise<Collected> {
  const lines: Array<[string, number]> = [];
  const tooLong: number[] = [];
  const stream = Readable.from(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c)));
  const result = await readLines(stream, { line: (t, n) => lines.push([t, n]), tooLong: (n) => tooLong.push(n) });
  return { lines, tooLong, result };
}


const numbered = (...texts: string[]): Array<[string, number]> => texts.map((t, k) => [t, k + 1]);

describe('readLines on plain text', () => {
  it.each([
    ['LF endings', 'a\nb\nc\n', ['a', 'b', 'c']],
    ['CRLF endings', 'a\r\nb\r\nc\r\n', ['a', 'b', 'c']],
    ['mixed endings', 'a\r\nb\nc\r\n', ['a', 'b', 'c']],
    ['last line without newline', 'a\nb', ['a', 'b']],
    ['last line without newline after CR', 'a\nb\r', ['a', 'b']],
    ['blank lines', '\na\n\n\nb\n\n', ['', 'a', '', '', 'b', '']],
    ['a lone CR inside a line stays', 'a\rb\n', ['a\rb']],
    ['BOM dropped', '\ufeff{"a":1}\n{"b":2}\n', ['{"a":1}', '{"b":2}']],
    ['a BOM later in the file stays', 'a\n\ufeffb\n', ['a', '\ufeffb']],
  ])('%s', async (_why, text, expected) => {
    const { lines, tooLong, result } = await collect([text]);
    expect(lines).toEqual(numbered(...expected));
    expect(tooLong).toEqual([]);
    expect(result).toEqual({ lines: expected.length, gzip: false, error: '' });
  });

  it('reads empty input as no lines', async () => {
    expect(await collect([])).toEqual({ lines: [], tooLong: [], result: { lines: 0, gzip: false, error: '' } });
    expect((await collect([Buffer.alloc(0)])).result).toEqual({ lines: 0, gzip: false, error: '' });
  });

  it('reads a lone newline as one blank line', async () => {
    const { lines, result } = await collect(['\n']);
    expect(lines).toEqual([['', 1]]);
    expect(result.lines).toBe(1);
  });

  it('drops a BOM split over chunks', async () => {
    const { lines } = await collect(cut(Buffer.from('\ufeffab\ncd\n'), 1, 2));
    expect(lines).toEqual(numbered('ab', 'cd'));
  });

  it('joins a line split over chunks', async () => {
    const { lines } = await collect(['first\nsec', 'ond li', 'ne\nthird']);
    expect(lines).toEqual(numbered('first', 'second line', 'third'));
  });

  it('joins a CRLF split between CR and LF', async () => {
    const { lines } = await collect(['a\r', '\nb\r', '\n']);
    expect(lines).toEqual(numbered('a', 'b'));
  });

  it.each([
    ['é', 'café\nnaïve\n'],
    ['emoji', 'hi 😀 there\n🎉\n'],
    ['CJK', '日本語\n'],
  ])('reassembles a multi-byte character (%s) split at every byte offset', async (_why, text) => {
    const buf = Buffer.from(text);
    const expected = numbered(...text.split('\n').slice(0, -1));
    for (let at = 1; at < buf.length; at++) {
      expect((await collect(cut(buf, at))).lines).toEqual(expected);
    }
    expect((await collect(cut(buf, ...Array.from({ length: buf.length - 1 }, (_, k) => k + 1)))).lines).toEqual(expected);
  });

  it('gives the lines of one decoder over the whole stream, for random bytes cut at random', async () => {
    // Lines are decoded one by one from the bytes (ASCII by copying): the same characters as a
    // decoder of the whole stream, broken UTF-8, split characters, CR and BOM included.
    const alphabet = [0x0a, 0x0d, 0x41, 0x7a, 0x22, 0xef, 0xbb, 0xbf, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80, 0x80, 0xff];
    const random = prng(7);
    const rand = (n: number): number => Math.floor(random() * n);
    for (let round = 0; round < 300; round++) {
      const ascii = round % 3 === 0;
      const bytes = Buffer.from(Array.from({ length: 1 + rand(60) }, () => (ascii ? [0x0a, 0x0d, 0x61, 0x7b][rand(4)]! : alphabet[rand(alphabet.length)]!)));
      const decoder = new StringDecoder('utf8');
      let text = decoder.write(bytes) + decoder.end();
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      const expected = text.split('\n');
      if (expected[expected.length - 1] === '') expected.pop();
      const want = numbered(...expected.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l)));
      const points = [...new Set(Array.from({ length: rand(5) }, () => 1 + rand(bytes.length)))].filter((p) => p < bytes.length).sort((a, b) => a - b);
      const { lines, result } = await collect(cut(bytes, ...points));
      expect(lines, `bytes ${bytes.toString('hex')} cut at ${points.join(',')}`).toEqual(want);
      expect(result.lines).toBe(want.length);
    }
  });

  it('handles a 1-byte first chunk', async () => {
    const { lines, result } = await collect(['a', 'b\nc\n']);
    expect(lines).toEqual(numbered('ab', 'c'));
    expect(result).toEqual({ lines: 2, gzip: false, error: '' });
  });

  it('handles 1-byte input', async () => {
    const { lines, result } = await collect(['x']);
    expect(lines).toEqual([['x', 1]]);
    expect(result).toEqual({ lines: 1, gzip: false, error: '' });
  });

  it('reads a plain file that starts with 0x1f as text', async () => {
    const { lines, result } = await collect([Buffer.from([0x1f, 0x41, 0x0a])]);
    expect(lines).toEqual([['\x1fA', 1]]);
    expect(result.gzip).toBe(false);
  });

  it('returns a stream error with the lines read before it', async () => {
    async function* broken(): AsyncGenerator<Buffer> {
      yield Buffer.from('a\nb\npartial');
      throw new Error('disk on fire');
    }
    const lines: Array<[string, number]> = [];
    const result = await readLines(Readable.from(broken()), { line: (t, n) => lines.push([t, n]), tooLong: () => {} });
    expect(lines).toEqual(numbered('a', 'b'));
    expect(result).toEqual({ lines: 2, gzip: false, error: 'read error after line 2: disk on fire' });
  });
});

describe('readLines on gzip', () => {
  const text = 'one\ntwo\r\n\nfour é 😀\nfive';
  const expected = numbered('one', 'two', '', 'four é 😀', 'five');

  it('detects gzip by its magic bytes and decompresses it', async () => {
    const { lines, result } = await collect([gzipSync(Buffer.from(text))]);
    expect(lines).toEqual(expected);
    expect(result).toEqual({ lines: 5, gzip: true, error: '' });
  });

  it('detects gzip when the first chunk is a single byte', async () => {
    const gz = gzipSync(Buffer.from(text));
    const { lines, result } = await collect(cut(gz, 1));
    expect(lines).toEqual(expected);
    expect(result).toEqual({ lines: 5, gzip: true, error: '' });
  });

  it('reads gzip fed one byte at a time', async () => {
    const gz = gzipSync(Buffer.from(text));
    const { lines, result } = await collect(cut(gz, ...Array.from({ length: gz.length - 1 }, (_, k) => k + 1)));
    expect(lines).toEqual(expected);
    expect(result.error).toBe('');
  });

  it('drops a BOM inside the gzip', async () => {
    const { lines } = await collect([gzipSync(Buffer.from('\ufeffx\ny\n'))]);
    expect(lines).toEqual(numbered('x', 'y'));
  });

  it('reads every member of a multi-member gzip', async () => {
    const gz = Buffer.concat([gzipSync(Buffer.from('a\nb\n')), gzipSync(Buffer.from('c\nd\n'))]);
    const { lines, result } = await collect([gz]);
    expect(lines).toEqual(numbered('a', 'b', 'c', 'd'));
    expect(result).toEqual({ lines: 4, gzip: true, error: '' });
  });

  it('joins a line that spans two gzip members', async () => {
    const gz = Buffer.concat([gzipSync(Buffer.from('a\nb')), gzipSync(Buffer.from('c\nd'))]);
    expect((await collect([gz])).lines).toEqual(numbered('a', 'bc', 'd'));
  });

  it('reports a truncated gzip and delivers the lines before the break', async () => {
    const all = Array.from({ length: 5000 }, (_, i) => `line ${i} ${((i * 2654435761) % 2 ** 32).toString(16)} ${Math.sin(i)}`);
    const gz = gzipSync(Buffer.from(all.join('\n') + '\n'));
    const { lines, tooLong, result } = await collect([gz.subarray(0, gz.length - 20)]);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThan(all.length);
    expect(lines).toEqual(numbered(...all.slice(0, lines.length)));
    expect(tooLong).toEqual([]);
    expect(result.gzip).toBe(true);
    expect(result.lines).toBe(lines.length);
    expect(result.error).toMatch(new RegExp(`^truncated gzip stream after line ${lines.length}\\b`));
  });

  it('reports a short truncated gzip as truncated', async () => {
    const gz = gzipSync(Buffer.from('a\nb\nc\n'));
    const { result } = await collect([gz.subarray(0, gz.length - 20)]);
    expect(result.gzip).toBe(true);
    expect(result.error).toMatch(/truncated/);
  });

  it('reports corrupt gzip data', async () => {
    const { lines, result } = await collect([Buffer.from([0x1f, 0x8b, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])]);
    expect(lines).toEqual([]);
    expect(result.gzip).toBe(true);
    expect(result.error).toMatch(/^corrupt gzip data after line 0: /);
  });
});

describe('readLines with a line over MAX_LINE_CHARS', () => {
  const huge = 'x'.repeat(MAX_LINE_CHARS + 10);

  it('is 16 MiB', () => {
    expect(MAX_LINE_CHARS).toBe(16 * 1024 * 1024);
  });

  it('skips a long line that arrives in one chunk and numbers the following lines', async () => {
    const { lines, tooLong, result } = await collect([`first\n${huge}\nthird\nfourth\n`]);
    expect(tooLong).toEqual([2]);
    expect(lines).toEqual([['first', 1], ['third', 3], ['fourth', 4]]);
    expect(result).toEqual({ lines: 4, gzip: false, error: '' });
  });

  it('skips a long line spread over many chunks', async () => {
    const pieces: string[] = ['a\nb\n'];
    for (let at = 0; at < huge.length; at += 1024 * 1024) pieces.push(huge.slice(at, at + 1024 * 1024));
    pieces.push('\r\nafter\n', 'last');
    const { lines, tooLong, result } = await collect(pieces);
    expect(tooLong).toEqual([3]);
    expect(lines).toEqual([['a', 1], ['b', 2], ['after', 4], ['last', 5]]);
    expect(result).toEqual({ lines: 5, gzip: false, error: '' });
  });

  it('skips a long last line without a newline', async () => {
    const { lines, tooLong, result } = await collect(['a\n', huge.slice(0, 10), huge.slice(10)]);
    expect(tooLong).toEqual([2]);
    expect(lines).toEqual([['a', 1]]);
    expect(result).toEqual({ lines: 2, gzip: false, error: '' });
  });

  it('keeps a line of exactly MAX_LINE_CHARS', async () => {
    const exact = 'y'.repeat(MAX_LINE_CHARS);
    const { lines, tooLong } = await collect([`${exact}\r\n`, 'z\n']);
    expect(tooLong).toEqual([]);
    expect(lines.map(([t, n]) => [t.length, n])).toEqual([[MAX_LINE_CHARS, 1], [1, 2]]);
    expect(lines[0]![0]).toBe(exact);
  });

  it('keeps a line of exactly MAX_LINE_CHARS when its CRLF is split between chunks', async () => {
    const exact = 'y'.repeat(MAX_LINE_CHARS);
    const { lines, tooLong } = await collect([`${exact}\r`, '\nz\n']);
    expect(tooLong).toEqual([]);
    expect(lines.map(([t, n]) => [t.length, n])).toEqual([[MAX_LINE_CHARS, 1], [1, 2]]);
  });

  it('skips a long line inside gzip', async () => {
    const { lines, tooLong, result } = await collect([gzipSync(Buffer.from(`a\n${huge}\nb\n`))]);
    expect(tooLong).toEqual([2]);
    expect(lines).toEqual([['a', 1], ['b', 3]]);
    expect(result).toEqual({ lines: 3, gzip: true, error: '' });
  });
});

import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ByteQueue, LineChunker, splitChunk, type ChunkItem } from '../../src/read/chunks.js';
import { MAX_LINE_CHARS, readLines } from '../../src/read/lines.js';
import { cut, prng } from '../helpers/random.js';

type Got = { lines: Array<[string, number]>; tooLong: number[]; chunks: number };

/** Feeds `pieces` through a chunker and numbers the lines of its chunks in order, as the parallel reader does. */
function chunked(pieces: Array<string | Buffer>, chunkBytes: number, maxLineChars?: number): Got {
  const chunker = new LineChunker({ chunkBytes, maxLineChars });
  const got: Got = { lines: [], tooLong: [], chunks: 0 };
  let base = 0;
  const take = (item: ChunkItem): void => {
    if (item.kind === 'too-long') {
      got.tooLong.push(++base);
      return;
    }
    got.chunks++;
    const b = base;
    base += splitChunk(item.bytes, { line: (t, n) => got.lines.push([t, b + n]), tooLong: (n) => got.tooLong.push(b + n) }, maxLineChars);
  };
  for (const p of pieces) {
    chunker.push(typeof p === 'string' ? Buffer.from(p) : p);
    for (let item = chunker.next(); item; item = chunker.next()) take(item);
  }
  chunker.end();
  for (let item = chunker.next(); item; item = chunker.next()) take(item);
  return got;
}

async function sequential(pieces: Array<string | Buffer>): Promise<Omit<Got, 'chunks'>> {
  const got = { lines: [] as Array<[string, number]>, tooLong: [] as number[] };
  await readLines(Readable.from(pieces.map((p) => (typeof p === 'string' ? Buffer.from(p) : p))), {
    line: (t, n) => got.lines.push([t, n]),
    tooLong: (n) => got.tooLong.push(n),
  });
  return got;
}



describe('LineChunker + splitChunk give the lines and numbers of readLines', () => {
  it.each([
    ['LF endings', 'a\nb\nc\n'],
    ['CRLF endings', 'a\r\nb\r\nc\r\n'],
    ['mixed endings and a lone CR inside a line', 'a\r\nb\nc\rd\r\n'],
    ['last line without newline', 'a\nb'],
    ['last line without newline after CR', 'a\nb\r'],
    ['blank lines', '\na\n\n\nb\n\n'],
    ['BOM dropped', '\ufeff{"a":1}\n{"b":2}\n'],
    ['a BOM later in the file stays', 'a\n\ufeffb\n'],
    ['multi-byte characters', 'café\nnaïve 😀\n日本語\n🎉'],
    ['a lone newline', '\n'],
    ['a lone CR', '\r'],
    ['one byte', 'x'],
  ])('%s, at every chunk size and every split of the input', async (_why, text) => {
    const buf = Buffer.from(text);
    const expected = await sequential([buf]);
    for (let size = 1; size <= buf.length + 1; size++) {
      for (let at = 0; at <= buf.length; at++) {
        const got = chunked(cut(buf, at), size);
        expect({ lines: got.lines, tooLong: got.tooLong }, `chunk ${size}, split at ${at}`).toEqual(expected);
      }
    }
  });

  it('reads empty input as no chunks', () => {
    expect(chunked([], 10)).toEqual({ lines: [], tooLong: [], chunks: 0 });
    expect(chunked([Buffer.alloc(0)], 10)).toEqual({ lines: [], tooLong: [], chunks: 0 });
  });

  it('drops a BOM split over pieces', () => {
    const buf = Buffer.from('\ufeffab\ncd\n');
    expect(chunked(cut(buf, 1, 2), 3).lines).toEqual([['ab', 1], ['cd', 2]]);
  });

  it('matches readLines on random text cut at random places, with many chunks', async () => {
    const rand = prng(42);
    const alphabet = ['a', 'b', 'é', '😀', '\n', '\n', '\r\n', '\r', ' ', '"', ','];
    for (let round = 0; round < 60; round++) {
      const n = Math.floor(rand() * 400);
      let text = rand() < 0.2 ? '\ufeff' : '';
      for (let i = 0; i < n; i++) text += alphabet[Math.floor(rand() * alphabet.length)];
      const buf = Buffer.from(text);
      const points = Array.from({ length: Math.floor(rand() * 6) }, () => Math.floor(rand() * buf.length)).sort((a, b) => a - b);
      const pieces = cut(buf, ...points);
      const expected = await sequential(pieces);
      const size = 1 + Math.floor(rand() * 64);
      const got = chunked(pieces, size);
      expect({ lines: got.lines, tooLong: got.tooLong }, `round ${round}`).toEqual(expected);
    }
  });

  it('cuts chunks of about the requested size, each ending with a newline', () => {
    const text = Array.from({ length: 1000 }, (_, i) => `line ${i}`).join('\n') + '\n';
    const chunker = new LineChunker({ chunkBytes: 100 });
    chunker.push(Buffer.from(text));
    chunker.end();
    const sizes: number[] = [];
    for (let item = chunker.next(); item; item = chunker.next()) {
      expect(item.kind).toBe('lines');
      if (item.kind !== 'lines') continue;
      expect(item.bytes[item.bytes.length - 1]).toBe(10);
      sizes.push(item.bytes.length);
    }
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(Buffer.byteLength(text));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(100);
    expect(Math.min(...sizes.slice(0, -1))).toBeGreaterThan(80);
  });

  it('gives a line longer than a chunk a chunk of its own', () => {
    const long = 'x'.repeat(250);
    const got = chunked([`a\n${long}\nb\n`], 16);
    expect(got.lines).toEqual([['a', 1], [long, 2], ['b', 3]]);
  });

  it('puts chunks where it is told (shared memory, for worker threads)', () => {
    const chunker = new LineChunker({ chunkBytes: 4, allocate: (n) => new Uint8Array(new SharedArrayBuffer(n)) });
    chunker.push(Buffer.from('ab\ncd\n'));
    chunker.end();
    const item = chunker.next();
    expect(item?.kind === 'lines' && item.bytes.buffer instanceof SharedArrayBuffer).toBe(true);
  });
});

describe('LineChunker with lines over the limit', () => {
  it('drops an unfinished line once it is over the limit, keeps the numbering, and holds no more than the limit', () => {
    const chunker = new LineChunker({ chunkBytes: 8, maxLineChars: 20 });
    const items: ChunkItem[] = [];
    const feed = (s: string): void => {
      chunker.push(Buffer.from(s));
      for (let item = chunker.next(); item; item = chunker.next()) items.push(item);
    };
    feed('ok\n');
    for (let i = 0; i < 50; i++) feed('yyyyyyyyyy'); // 500 bytes, no newline
    expect(chunker.partial).toBe(false); // nothing of the long line is held
    feed('zz\nafter\n');
    chunker.end();
    for (let item = chunker.next(); item; item = chunker.next()) items.push(item);
    let base = 0;
    const lines: Array<[string, number]> = [];
    const tooLong: number[] = [];
    for (const item of items) {
      if (item.kind === 'too-long') tooLong.push(++base);
      else {
        const b = base;
        base += splitChunk(item.bytes, { line: (t, n) => lines.push([t, b + n]), tooLong: (n) => tooLong.push(b + n) }, 20);
      }
    }
    expect(lines).toEqual([['ok', 1], ['after', 3]]);
    expect(tooLong).toEqual([2]);
  });

  it('counts characters, not bytes: a line of multi-byte characters under the limit is kept', () => {
    const line = 'é'.repeat(15); // 30 bytes, 15 characters
    const got = chunked([line.slice(0, 5), line.slice(5, 10), line.slice(10), '\nnext\n'], 4, 20);
    expect(got.lines).toEqual([[line, 1], ['next', 2]]);
    expect(got.tooLong).toEqual([]);
  });

  it('does not count the CR of a CRLF split between pieces', () => {
    const exact = 'y'.repeat(20);
    expect(chunked([exact.slice(0, 10), `${exact.slice(10)}\r`, '\nz\n'], 4, 20).lines).toEqual([[exact, 1], ['z', 2]]);
    expect(chunked([exact.slice(0, 10), `${exact.slice(10)}y\r`, '\nz\n'], 4, 20)).toMatchObject({ lines: [['z', 2]], tooLong: [1] });
  });

  it('reports a complete line over the limit that arrives with its newline', () => {
    const got = chunked([`a\n${'x'.repeat(30)}\nb`], 1000, 20);
    expect(got).toMatchObject({ lines: [['a', 1], ['b', 3]], tooLong: [2] });
  });

  it('drops a long last line without a newline', () => {
    const got = chunked(['a\n', 'x'.repeat(15), 'x'.repeat(15)], 4, 20);
    expect(got).toMatchObject({ lines: [['a', 1]], tooLong: [2] });
  });

  it('is MAX_LINE_CHARS by default, as readLines, including a line spread over many pieces', async () => {
    const huge = 'x'.repeat(MAX_LINE_CHARS + 10);
    const pieces: string[] = ['a\nb\n'];
    for (let at = 0; at < huge.length; at += 1024 * 1024) pieces.push(huge.slice(at, at + 1024 * 1024));
    pieces.push('\r\nafter\n', 'last');
    const got = chunked(pieces, 64 * 1024);
    expect(got.tooLong).toEqual([3]);
    expect(got.lines).toEqual([['a', 1], ['b', 2], ['after', 4], ['last', 5]]);
    expect({ lines: got.lines, tooLong: got.tooLong }).toEqual(await sequential(pieces));
  });

  it('keeps a line of exactly MAX_LINE_CHARS', () => {
    const exact = 'y'.repeat(MAX_LINE_CHARS);
    const got = chunked([`${exact.slice(0, 1000)}`, `${exact.slice(1000)}\r`, '\nz\n'], 1024 * 1024);
    expect(got.tooLong).toEqual([]);
    expect(got.lines.map(([t, n]) => [t.length, n])).toEqual([[MAX_LINE_CHARS, 1], [1, 2]]);
  });
});

describe('LineChunker after a read error', () => {
  it('gives the complete lines held and keeps the unfinished one as partial', () => {
    const chunker = new LineChunker({ chunkBytes: 1000 });
    chunker.push(Buffer.from('a\nb\npart'));
    expect(chunker.next()).toBeNull(); // less than a chunk: waiting for more
    const rest = chunker.completeLines();
    expect(rest?.kind === 'lines' && Buffer.from(rest.bytes).toString()).toBe('a\nb\n');
    expect(chunker.partial).toBe(true);
  });
});

describe('ByteQueue', () => {
  it('finds bytes and copies ranges across the buffers it holds', () => {
    const q = new ByteQueue();
    for (const s of ['ab\nc', '', 'de\n', 'f\ng']) q.push(Buffer.from(s));
    const all = 'ab\ncde\nf\ng';
    expect(q.length).toBe(all.length);
    for (let from = 0; from <= all.length; from++) {
      for (let to = from; to <= all.length; to++) {
        const first = all.indexOf('\n', from);
        const last = all.lastIndexOf('\n', to - 1);
        expect(q.indexOf(10, from, to)).toBe(first >= 0 && first < to ? first : -1);
        expect(q.lastIndexOf(10, from, to)).toBe(last >= from && to > 0 ? last : -1);
        expect(Buffer.from(q.copy(from, to)).toString()).toBe(all.slice(from, to));
      }
    }
    q.drop(4);
    expect(q.byteAt(4)).toBe('d'.charCodeAt(0));
    expect(q.byteAt(3)).toBe(-1);
    expect(Buffer.from(q.take(3)).toString()).toBe('de\n');
    expect(q.indexOf(10, 0)).toBe(8);
  });

  it('copies into shared memory at every alignment of source and target', () => {
    // Unequally aligned copies into a SharedArrayBuffer go through a staging buffer (fast): same bytes.
    const bytes = Buffer.from(Array.from({ length: 700 }, (_, i) => (i * 7 + 3) & 0xff));
    for (let srcShift = 0; srcShift < 8; srcShift++) {
      for (let dstShift = 0; dstShift < 8; dstShift++) {
        const q = new ByteQueue();
        // Two pieces at odd offsets of their own buffers, the second shorter than the staging threshold.
        const backing = Buffer.alloc(bytes.length + 16);
        bytes.copy(backing, srcShift);
        q.push(backing.subarray(srcShift, srcShift + 640));
        q.push(backing.subarray(srcShift + 640, srcShift + 700));
        const shared = new SharedArrayBuffer(800);
        const out = q.copy(5, 700, (n) => new Uint8Array(shared, dstShift, n));
        expect(out.buffer).toBe(shared);
        expect(Buffer.from(out).equals(bytes.subarray(5, 700)), `source +${srcShift}, target +${dstShift}`).toBe(true);
      }
    }
  });
});

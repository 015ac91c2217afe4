import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { LineChunker, splitChunk } from '../../src/read/chunks.js';
import { decodedChunks } from '../../src/read/lines.js';
import { CHUNKS_PER_SLAB, releaseBytes, slabFileStream, slabOf, slabRefs, startsLikeGzip } from '../../src/read/slabs.js';
import { expandInputs } from '../../src/read/sources.js';
import { prng } from '../helpers/random.js';

const dir = mkdtempSync(join(tmpdir(), 'apiguard-slabs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, bytes: Buffer | string): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

/** NDJSON-like lines of random lengths (1–300 bytes), some multi-byte. */
function randomLines(seed: number, bytes: number): Buffer {
  const rnd = prng(seed);
  const lines: string[] = [];
  let n = 0;
  for (let i = 0; n < bytes; i++) {
    const len = 1 + Math.floor(rnd() * 300);
    const line = `${i}:` + (rnd() < 0.1 ? 'é'.repeat(len >> 1) : 'x'.repeat(len));
    lines.push(line);
    n += Buffer.byteLength(line) + 1;
  }
  return Buffer.from(lines.join('\n') + '\n');
}

async function pieces(path: string, chunkBytes: number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const p of slabFileStream(path, chunkBytes)) out.push(p as Buffer);
  return out;
}

describe('slabFileStream', () => {
  it('gives exactly the bytes of the file, as views of slabs that each piece holds a reference to', async () => {
    for (const size of [0, 1, 100, 8191, 8192, 8193, 70_000]) {
      const bytes = randomLines(size, size).subarray(0, size);
      const got = await pieces(file(`exact-${size}.log`, bytes), 1024); // slabs of 8 KiB
      expect(Buffer.concat(got).equals(bytes)).toBe(true);
      for (const p of got) {
        expect(p.buffer).toBeInstanceOf(SharedArrayBuffer);
        expect(p.buffer.byteLength).toBe(CHUNKS_PER_SLAB * 1024);
        expect(slabRefs(p)).toBeGreaterThanOrEqual(1);
      }
      if (size > 8192) expect(new Set(got.map((p) => p.buffer)).size).toBeGreaterThan(1);
    }
  });

  it('reuses a slab once every reference is released, and never while one is held', async () => {
    const chunkBytes = 4096; // slabs of 32 KiB
    const a = file('reuse-a.log', randomLines(1, 200_000));
    const b = file('reuse-b.log', randomLines(2, 200_000));
    // Hold one piece of the first file: its slab must survive the whole second file unchanged.
    const first = await pieces(a, chunkBytes);
    const held = first[3]!;
    const copy = Buffer.from(held);
    for (const p of first) if (p !== held) releaseBytes(p);
    const second = await pieces(b, chunkBytes);
    expect(second.some((p) => p.buffer === held.buffer)).toBe(false);
    expect(held.equals(copy)).toBe(true);
    // Released pieces: their slabs come back (the second file reused some of the first's).
    expect(second.some((p) => first.some((q) => q !== held && q.buffer === p.buffer))).toBe(true);
    expect(slabRefs(held)).toBe(1);
    releaseBytes(held);
    expect(slabRefs(held)).toBe(0);
    for (const p of second) releaseBytes(p);
  });

  it('lets go of its slab only once the read in flight is done, when destroyed early', async () => {
    const path = file('destroy.log', randomLines(3, 2_000_000));
    const stream = slabFileStream(path, 64 * 1024); // slabs of 512 KiB, two reads each
    let first: Buffer | undefined;
    for await (const p of stream) {
      first = p as Buffer;
      break; // destroys the stream while it reads the next piece into the same slab
    }
    releaseBytes(first!);
    // The read in flight still writes into the slab: it must not be free for another reader yet.
    expect(slabRefs(first!)).toBe(1);
    if (!stream.closed) await new Promise((resolve) => stream.once('close', resolve));
    expect(slabRefs(first!)).toBe(0);
  });

  it('reports a missing file as a stream error', async () => {
    await expect(pieces(join(dir, 'missing.log'), 1024)).rejects.toThrow(/ENOENT/);
  });
});

describe('LineChunker over slabs', () => {
  /** Cuts a file read into slabs into chunks, keeping every chunk until the end (as a full queue would). */
  async function cutFile(path: string, chunkBytes: number): Promise<Uint8Array[]> {
    const copies: Uint8Array[] = [];
    const chunker = new LineChunker({ chunkBytes, allocate: (n) => new Uint8Array(new SharedArrayBuffer(n)) });
    const take = (): void => {
      for (let item = chunker.next(); item; item = chunker.next()) if (item.kind === 'lines') copies.push(item.bytes);
    };
    for await (const piece of decodedChunks(slabFileStream(path, chunkBytes), () => {})) {
      chunker.push(piece);
      take();
    }
    chunker.end();
    take();
    return copies;
  }

  it('cuts the same chunks as from plain buffers, viewing the slab where a chunk lies in one, copying where it straddles two', async () => {
    const bytes = randomLines(7, 300_000);
    const path = file('cut.log', bytes);
    const chunkBytes = 2048;
    const chunks = await cutFile(path, chunkBytes);
    // The same cuts as a chunker fed plain Buffers.
    const plain = new LineChunker({ chunkBytes });
    plain.push(bytes);
    plain.end();
    const expected: Buffer[] = [];
    for (let item = plain.next(); item; item = plain.next()) if (item.kind === 'lines') expected.push(Buffer.from(item.bytes));
    expect(chunks.map((c) => Buffer.from(c))).toEqual(expected);
    // Most chunks view a slab; the ones that straddle two are copies; every chunk view holds a reference.
    const views = chunks.filter((c) => slabOf(c) !== undefined);
    expect(views.length).toBeGreaterThan(chunks.length * 0.6);
    expect(views.length).toBeLessThan(chunks.length);
    for (const v of views) expect(slabRefs(v)).toBeGreaterThanOrEqual(1);
    // The lines come out as from the file.
    const lines: string[] = [];
    for (const c of chunks) splitChunk(c, { line: (t) => lines.push(t), tooLong: () => lines.push('(too long)') });
    expect(lines.join('\n') + '\n').toBe(bytes.toString('utf8'));
    // Once the queue has consumed every piece and each chunk is released, no slab is referenced.
    const memories = new Set(views.map((v) => v.buffer));
    for (const c of chunks) releaseBytes(c);
    for (const v of views) expect(slabRefs(v)).toBe(0);
    expect(memories.size).toBeGreaterThan(1);
  });

  it('keeps chunk views intact while later slabs are read and reused', async () => {
    const bytes = randomLines(11, 400_000);
    const path = file('intact.log', bytes);
    const chunkBytes = 1024;
    const chunker = new LineChunker({ chunkBytes, allocate: (n) => new Uint8Array(new SharedArrayBuffer(n)) });
    const held: { view: Uint8Array; copy: Buffer }[] = [];
    let releasedUpTo = 0;
    for await (const piece of decodedChunks(slabFileStream(path, chunkBytes), () => {})) {
      chunker.push(piece);
      for (let item = chunker.next(); item; item = chunker.next()) {
        if (item.kind !== 'lines') continue;
        held.push({ view: item.bytes, copy: Buffer.from(item.bytes) });
        // Release all but the last 20 chunks, as the parallel reader does once it takes them.
        while (held.length - releasedUpTo > 20) releaseBytes(held[releasedUpTo++]!.view);
      }
      // Every chunk not yet released still holds its bytes, though slabs are being reused.
      for (let i = releasedUpTo; i < held.length; i++) expect(Buffer.from(held[i]!.view).equals(held[i]!.copy)).toBe(true);
    }
    chunker.end();
    for (let item = chunker.next(); item; item = chunker.next()) if (item.kind === 'lines') held.push({ view: item.bytes, copy: Buffer.from(item.bytes) });
    expect(Buffer.concat(held.map((h) => h.copy)).equals(bytes)).toBe(true);
  });
});

describe('openShared', () => {
  it('reads a plain file into slabs and a gzip file as a plain stream', async () => {
    const text = 'a\nb\n';
    const plain = file('plain.ndjson', text);
    const gz = file('packed.ndjson.gz', gzipSync(text));
    expect(startsLikeGzip(plain)).toBe(false);
    expect(startsLikeGzip(gz)).toBe(true);
    expect(startsLikeGzip(join(dir, 'missing'))).toBe(false);
    const [p, g] = expandInputs([plain, gz]);
    const first = async (s: NodeJS.ReadableStream): Promise<Buffer> => {
      for await (const piece of s) return piece as Buffer;
      throw new Error('empty');
    };
    const fromPlain = await first(p!.openShared!(1024));
    expect(slabOf(fromPlain)).toBeDefined();
    expect(fromPlain.toString()).toBe(text);
    const fromGz = await first(g!.openShared!(1024));
    expect(slabOf(fromGz)).toBeUndefined();
    expect([fromGz[0], fromGz[1]]).toEqual([0x1f, 0x8b]); // the file's own bytes, for decodedChunks to gunzip
    expect(expandInputs(['-'], () => process.stdin)[0]!.openShared).toBeUndefined();
  });
});

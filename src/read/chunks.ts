import { StringDecoder } from 'node:string_decoder';
import { isAscii } from 'node:buffer';
import { MAX_LINE_CHARS, lineText } from './lines.js';
import { release, retain, slabOf } from './slabs.js';

/**
 * Cuts a (decompressed) byte stream into chunks of whole lines for `--jobs`: the main thread
 * cuts, worker threads decode. Chunks end just after a `\n` (the last chunk of a stream may end
 * without one), so every line lies in exactly one chunk, and counting lines chunk by chunk, in
 * order, gives the same 1-based numbers as `readLines`. A UTF-8 BOM at the start is dropped.
 *
 * Memory is bounded like `readLines`: an unfinished line longer than MAX_LINE_CHARS characters
 * is dropped (a `too-long` item in its place) and the bytes up to its newline are discarded.
 * (Characters, not bytes, decide, as in `readLines`: the count is exact, by a StringDecoder, once
 * a line passes MAX_LINE_CHARS bytes.) A complete line over the limit can still reach a chunk
 * when its end arrives with its newline; `splitChunk` reports it as too long, as `readLines` does.
 */

/** Where a chunk may end. The default is after any `\n`; a framing whose records span lines (CSV) needs more. */
export interface Boundary {
  /**
   * Looks at the queue's bytes up to absolute offset `to` (exclusive) and returns the absolute
   * offset just past the last `\n` before `to` at which a record ends, or -1 if none has since
   * the last cut. Offsets count bytes since the boundary was attached.
   */
  lastCut(queue: ByteQueue, to: number): number;
}

export type ChunkItem =
  /** Whole lines; `last` for the end of the stream (it may lack a final newline). */
  | { kind: 'lines'; bytes: Uint8Array; last: boolean }
  /** One line over MAX_LINE_CHARS, dropped. */
  | { kind: 'too-long' };

/** Staging memory for copies into shared memory (see copyInto). */
let staging = new ArrayBuffer(0);

/**
 * `out.set(src, at)`, fast into shared memory too. V8 copies into a SharedArrayBuffer word by word
 * only when source and target are equally aligned, else byte by byte (measured: 13× slower, and
 * 7% of the main thread's time with --jobs 2); through a staging buffer at the target's alignment
 * both copies are fast.
 */
function copyInto(out: Uint8Array, at: number, src: Uint8Array): void {
  const target = out.byteOffset + at;
  if (!(out.buffer instanceof SharedArrayBuffer) || ((target - src.byteOffset) & 7) === 0 || src.length < 64) {
    out.set(src, at);
    return;
  }
  const shift = target & 7;
  if (staging.byteLength < src.length + shift) staging = new ArrayBuffer(Math.max(src.length + shift, 2 * staging.byteLength));
  const staged = new Uint8Array(staging, shift, src.length);
  staged.set(src);
  out.set(staged, at);
}

/**
 * Bytes received and not yet cut into chunks: a list of buffers, read without joining them. A
 * buffer that views a slab (src/read/slabs.ts) brings one reference, which the queue releases
 * once its bytes are consumed.
 */
export class ByteQueue {
  /** Each buffer with the absolute offset of its first byte; bytes before `start` are consumed. */
  private parts: { buf: Buffer; at: number }[] = [];
  /** Absolute offset (bytes since the last `rebase`) of the first unconsumed byte. */
  start = 0;
  /** Absolute offset just past the last byte. */
  end = 0;

  get length(): number {
    return this.end - this.start;
  }

  push(buf: Buffer): void {
    if (buf.length === 0) return;
    this.parts.push({ buf, at: this.end });
    this.end += buf.length;
  }

  /** Counts offsets from 0 at the first unconsumed byte. */
  rebase(): void {
    for (const p of this.parts) p.at -= this.start;
    this.end -= this.start;
    this.start = 0;
  }

  /** The byte at absolute offset `at`, or -1 outside [start, end). */
  byteAt(at: number): number {
    if (at < this.start || at >= this.end) return -1;
    for (const p of this.parts) if (at < p.at + p.buf.length) return p.buf[at - p.at]!;
    return -1;
  }

  /** First absolute offset in [from, to) holding `byte`, or -1. */
  indexOf(byte: number, from: number, to = this.end): number {
    from = Math.max(from, this.start);
    to = Math.min(to, this.end);
    for (const p of this.parts) {
      const pEnd = p.at + p.buf.length;
      if (pEnd <= from) continue;
      if (p.at >= to) break;
      const i = p.buf.indexOf(byte, Math.max(from, p.at) - p.at);
      if (i >= 0 && p.at + i < to) return p.at + i;
    }
    return -1;
  }

  /** Last absolute offset in [from, to) holding `byte`, or -1. */
  lastIndexOf(byte: number, from: number, to = this.end): number {
    from = Math.max(from, this.start);
    to = Math.min(to, this.end);
    for (let k = this.parts.length - 1; k >= 0; k--) {
      const p = this.parts[k]!;
      if (p.at >= to) continue;
      if (p.at + p.buf.length <= from) break;
      const i = p.buf.lastIndexOf(byte, to - 1 - p.at);
      if (i >= 0 && p.at + i >= from) return p.at + i;
      if (p.at <= from) break;
    }
    return -1;
  }

  /**
   * Bytes [from, to) copied into one buffer, from `allocate` when given. With `allocate`, bytes
   * that lie in one slab, read into it one after another, are not copied: the result views the
   * slab and holds a reference to it (release it with `releaseBytes`).
   */
  copy(from: number, to: number, allocate?: (n: number) => Uint8Array): Uint8Array {
    const n = to - from;
    if (allocate) {
      const view = this.slabView(from, to);
      if (view) return view;
    }
    const out = allocate ? allocate(n) : Buffer.allocUnsafe(n);
    let filled = 0;
    for (const p of this.parts) {
      const pEnd = p.at + p.buf.length;
      if (pEnd <= from) continue;
      if (p.at >= to) break;
      const lo = Math.max(from, p.at) - p.at;
      const hi = Math.min(to, pEnd) - p.at;
      copyInto(out, filled, p.buf.subarray(lo, hi));
      filled += hi - lo;
    }
    return out;
  }

  /** Bytes [from, to) as a view of the slab they lie in, one piece after another; null when they do not. */
  private slabView(from: number, to: number): Uint8Array | null {
    let view: { buf: Buffer; at: number } | null = null;
    let next = -1; // where the slab's next piece must start, for the bytes to be contiguous
    for (const p of this.parts) {
      const pEnd = p.at + p.buf.length;
      if (pEnd <= from) continue;
      if (p.at >= to) break;
      if (view === null) view = p;
      else if (p.buf.buffer !== view.buf.buffer || p.buf.byteOffset !== next) return null;
      next = p.buf.byteOffset + p.buf.length;
    }
    if (view === null) return null;
    const slab = slabOf(view.buf);
    if (slab === undefined) return null;
    retain(slab);
    return new Uint8Array(view.buf.buffer, view.buf.byteOffset + (from - view.at), to - from);
  }

  /** Consumes the first `n` bytes. */
  drop(n: number): void {
    this.start += n;
    while (this.parts.length > 0 && this.parts[0]!.at + this.parts[0]!.buf.length <= this.start) {
      const slab = slabOf(this.parts.shift()!.buf);
      if (slab) release(slab);
    }
  }

  /** Removes and returns the first `n` bytes. */
  take(n: number, allocate?: (n: number) => Uint8Array): Uint8Array {
    const out = this.copy(this.start, this.start + n, allocate);
    this.drop(n);
    return out;
  }
}

const LF = 10;
const CR = 13;
const NL = 10;

export interface ChunkerOptions {
  /** Target chunk size in bytes; a chunk ends at the last newline before it (or the first after, for a longer line). */
  chunkBytes: number;
  /** Where chunk bytes go (e.g. shared memory that worker threads read without a copy); default a new Buffer. */
  allocate?: (n: number) => Uint8Array;
  /** Override for tests; default MAX_LINE_CHARS. */
  maxLineChars?: number;
}

/**
 * Pull-style: `push` bytes, then call `next` until it returns null (needs more input); after
 * `end`, `next` returns the rest and then null for good.
 */
export class LineChunker {
  private readonly queue = new ByteQueue();
  private readonly chunkBytes: number;
  private readonly allocate: ((n: number) => Uint8Array) | undefined;
  private readonly maxLineChars: number;
  private boundary: Boundary | null = null;
  private ended = false;
  private bomChecked = false;
  /** Dropping the rest of a too-long line, up to and including its newline. */
  private skipping = false;
  /** Exact character count of the unfinished line at the queue's start, once it passed maxLineChars bytes. */
  private counter: { decoder: StringDecoder; chars: number; upTo: number } | null = null;
  /** Set when the boundary could not find a record end within MAX_LINE_CHARS bytes: cuts are at newlines again. */
  boundaryFailed = false;

  constructor(opts: ChunkerOptions) {
    this.chunkBytes = Math.max(1, Math.floor(opts.chunkBytes));
    this.allocate = opts.allocate;
    this.maxLineChars = opts.maxLineChars ?? MAX_LINE_CHARS;
  }

  push(buf: Buffer): void {
    this.queue.push(buf);
  }

  end(): void {
    this.ended = true;
  }

  /** Bytes of an unfinished line held (for "the partial line after it was dropped"). */
  get partial(): boolean {
    return this.queue.length > 0;
  }

  /**
   * From the next cut on, chunks end only where `boundary` says a record ends. Attach it at a
   * record end (just after a cut); offsets it sees start at 0 there.
   */
  setBoundary(boundary: Boundary | null): void {
    this.boundary = boundary;
    this.queue.rebase();
  }

  /** Drops a BOM at the start (once 3 bytes are there, or with `now`) and the rest of a too-long line; false: wait for more. */
  private prepare(now: boolean): boolean {
    const q = this.queue;
    if (!this.bomChecked) {
      if (q.length < 3 && !now) return false;
      this.bomChecked = true;
      if (q.length >= 3 && q.byteAt(q.start) === 0xef && q.byteAt(q.start + 1) === 0xbb && q.byteAt(q.start + 2) === 0xbf) q.drop(3);
    }
    if (this.skipping) {
      const nl = q.indexOf(LF, q.start);
      if (nl < 0) {
        q.drop(q.length);
        return false;
      }
      q.drop(nl + 1 - q.start);
      this.skipping = false;
    }
    return q.length > 0;
  }

  /**
   * After a read error: the complete lines still held, as one chunk (null when none), whatever the
   * boundary; the unfinished line after them stays (see `partial`).
   */
  completeLines(): ChunkItem | null {
    const q = this.queue;
    if (!this.prepare(true)) return null;
    const nl = q.lastIndexOf(LF, q.start);
    return nl < 0 ? null : { kind: 'lines', bytes: q.take(nl + 1 - q.start, this.allocate), last: false };
  }

  next(): ChunkItem | null {
    const q = this.queue;
    if (!this.prepare(this.ended)) return null;
    // Wait for a whole chunk's worth (an unfinished line that long is looked at below).
    if (!this.ended && q.length < this.chunkBytes && q.length <= this.maxLineChars) return null;

    const cut = this.boundary ? this.boundaryCut() : this.newlineCut();
    if (cut > q.start) {
      this.counter = null;
      return { kind: 'lines', bytes: q.take(cut - q.start, this.allocate), last: this.ended && q.length === cut - q.start };
    }
    if (this.ended) return { kind: 'lines', bytes: q.take(q.length, this.allocate), last: true };
    if (this.boundary) {
      // No record end within the bound: give up on record boundaries for the rest of the stream.
      if (q.length > this.maxLineChars) {
        this.boundaryFailed = true;
        this.boundary = null;
        return this.next();
      }
      return null;
    }
    // No newline at all: the queue is one unfinished line.
    return this.tooLongSoFar() ? this.dropLongLine() : null;
  }

  /** Just past the last newline before start + chunkBytes, else just past the first one after it; -1 when none. */
  private newlineCut(): number {
    const q = this.queue;
    const limit = Math.min(q.end, q.start + this.chunkBytes);
    let nl = q.lastIndexOf(LF, q.start, limit);
    if (nl < 0) nl = q.indexOf(LF, limit);
    return nl < 0 ? -1 : nl + 1;
  }

  private boundaryCut(): number {
    const q = this.queue;
    const limit = Math.min(q.end, q.start + this.chunkBytes);
    let cut = this.boundary!.lastCut(q, limit);
    // None within the size: the first record end after it (the boundary scans on from where it was).
    for (let from = limit; cut <= q.start; ) {
      const nl = q.indexOf(LF, from);
      if (nl < 0) break;
      cut = this.boundary!.lastCut(q, nl + 1);
      from = nl + 1;
    }
    // A chunk this big may hold a line over MAX_LINE_CHARS, which the reader never sees but
    // the boundary did: record ends found across it cannot be trusted.
    if (cut - q.start > this.maxLineChars) {
      this.boundaryFailed = true;
      this.boundary = null;
      return this.newlineCut();
    }
    return cut;
  }

  /** Whether the unfinished line at the queue's start is over the limit (characters, not counting one trailing CR). */
  private tooLongSoFar(): boolean {
    const q = this.queue;
    if (q.length <= this.maxLineChars) return false;
    if (!this.counter) this.counter = { decoder: new StringDecoder('utf8'), chars: 0, upTo: q.start };
    const c = this.counter;
    if (c.upTo < q.end) {
      c.chars += c.decoder.write(q.copy(c.upTo, q.end) as Buffer).length;
      c.upTo = q.end;
    }
    const trailingCr = q.byteAt(q.end - 1) === CR ? 1 : 0;
    return c.chars - trailingCr > this.maxLineChars;
  }

  private dropLongLine(): ChunkItem {
    this.queue.drop(this.queue.length);
    this.counter = null;
    this.skipping = !this.ended;
    return { kind: 'too-long' };
  }
}

export interface ChunkLineSink {
  /** One line without its ending; `line` is 1-based within the chunk. */
  line(text: string, line: number): void;
  tooLong(line: number): void;
}

/**
 * The lines of one chunk, numbered from 1, as `readLines` would give them: `\n` or `\r\n`
 * endings, a last line without an ending kept, lines over MAX_LINE_CHARS reported as too long.
 * Returns the number of lines (which the next chunk's numbers start after).
 */
export function splitChunk(bytes: Uint8Array, sink: ChunkLineSink, maxLineChars = MAX_LINE_CHARS): number {
  // Each line decoded from the bytes on its own, as readLines does.
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ascii = isAscii(buf);
  const n = buf.length;
  let lineNo = 0;
  let start = 0;
  while (start < n) {
    const nl = buf.indexOf(NL, start);
    const end = nl < 0 ? n : nl;
    lineNo++;
    let stop = end;
    if (stop > start && buf[stop - 1] === CR) stop--;
    // Characters, not bytes, are limited: only a line of more bytes than that can be over it.
    if (stop - start <= maxLineChars) sink.line(lineText(buf, start, stop, ascii), lineNo);
    else {
      const text = lineText(buf, start, stop, ascii);
      if (text.length > maxLineChars) sink.tooLong(lineNo);
      else sink.line(text, lineNo);
    }
    start = end + 1;
  }
  return lineNo;
}

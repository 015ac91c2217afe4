import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import { isAscii } from 'node:buffer';
import { Utf8Stream } from './text.js';

/** A line longer than this is skipped rather than held in memory (base64 bodies can be big, not this big). */
export const MAX_LINE_CHARS = 16 * 1024 * 1024;

export interface LineSink {
  /** One line, without its line ending; `line` is 1-based in the (decompressed) file. */
  line(text: string, line: number): void;
  /** A line over MAX_LINE_CHARS, skipped. */
  tooLong(line: number): void;
  /** A promise when reading should wait (others' turn: several files merged by time), else undefined. */
  pace?(): Promise<void> | undefined;
}

export interface ReadResult {
  lines: number;
  gzip: boolean;
  /** Set when the stream broke (e.g. a truncated .gz); everything before it was delivered. */
  error: string;
}

const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;

/** A stream's piece as bytes: Buffer.from(buffer) would copy it (measured: 3% of a scan). */
const asBuffer = (v: Buffer | string): Buffer => (typeof v === 'string' ? Buffer.from(v) : v);

/**
 * Yields the stream's bytes, gunzipped when they start with the gzip magic number (so `.gz`
 * works by content, from files and from stdin alike). Multi-member gzip is read whole.
 */
export async function* decodedChunks(raw: Readable, onGzip: () => void): AsyncGenerator<Buffer> {
  const it = raw[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  let head: Buffer = Buffer.alloc(0);
  // Gather at least two bytes to look at the magic number (joined only when the first block is
  // shorter: a block that views a slab is passed on as it is, src/read/slabs.ts).
  while (head.length < 2) {
    const next = await it.next();
    if (next.done) {
      if (head.length) yield head;
      return;
    }
    head = head.length === 0 ? asBuffer(next.value) : Buffer.concat([head, asBuffer(next.value)]);
  }
  const rest = async function* (): AsyncGenerator<Buffer> {
    yield head;
    for (;;) {
      const next = await it.next();
      if (next.done) return;
      yield asBuffer(next.value);
    }
  };
  if (head[0] !== GZIP_MAGIC_0 || head[1] !== GZIP_MAGIC_1) {
    yield* rest();
    return;
  }
  onGzip();
  const gunzip = createGunzip();
  const source = Readable.from(rest());
  source.on('error', (e) => gunzip.destroy(e));
  source.pipe(gunzip);
  for await (const chunk of gunzip) yield chunk as Buffer;
}

/**
 * Splits a byte stream into lines with 1-based numbers: `\n` or `\r\n` endings, a UTF-8 BOM at
 * the start dropped, a last line without an ending kept. Never throws for broken streams:
 * the error is returned, and lines read before it have been delivered.
 *
 * Lines are cut in the bytes and each is decoded on its own (a newline byte is never part of a
 * multi-byte UTF-8 character, so this gives the characters a decoder of the whole stream would):
 * a line is then a small string of its own rather than a slice pinning a whole block of input,
 * and an ASCII block (nearly every log) is decoded by copying (`lineText`). Only the line that
 * runs across two blocks goes through a decoder that keeps a split character whole.
 */
export async function readLines(raw: Readable, sink: LineSink): Promise<ReadResult> {
  const across = new Utf8Stream();
  /** The decoded part of the line that runs on from the previous block; `open` when there is one. */
  let carry = '';
  let carryEndsCr = false;
  let open = false;
  let lineNo = 0;
  let skippingLongLine = false;
  let gzip = false;
  let error = '';
  const deliver = (text: string): void => {
    let line = text;
    if (lineNo === 1 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    if (line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
    if (line.length > MAX_LINE_CHARS) sink.tooLong(lineNo);
    else sink.line(line, lineNo);
  };
  try {
    for await (const chunk of decodedChunks(raw, () => (gzip = true))) {
      const ascii = isAscii(chunk);
      let start = 0;
      let nl = chunk.indexOf(NL);
      while (nl >= 0) {
        lineNo++;
        if (skippingLongLine) {
          skippingLongLine = false;
        } else if (open) {
          const text = carry + across.write(chunk.subarray(start, nl)) + across.end();
          carry = '';
          carryEndsCr = false;
          open = false;
          deliver(text);
        } else {
          deliver(lineText(chunk, start, nl, ascii));
        }
        start = nl + 1;
        nl = chunk.indexOf(NL, start);
      }
      if (!skippingLongLine && start < chunk.length) {
        const piece = across.write(chunk.subarray(start));
        carry += piece;
        // Read off the piece, not `carry`: reading a character of the joined string flattens it,
        // a copy of the whole line for every block (a 16 MiB line in gzip's 16 KiB blocks: ~30 s).
        if (piece.length > 0) carryEndsCr = piece.charCodeAt(piece.length - 1) === 13;
        open = true;
        // A trailing CR may belong to a CRLF split across chunks: it is not part of the line.
        if (carry.length - (carryEndsCr ? 1 : 0) > MAX_LINE_CHARS) {
          sink.tooLong(lineNo + 1);
          skippingLongLine = true;
          carry = '';
          carryEndsCr = false;
          open = false;
          across.end();
        }
      }
      const wait = sink.pace?.();
      if (wait) await wait;
    }
    if (open) {
      lineNo++;
      deliver(carry + across.end());
    } else if (skippingLongLine) lineNo++;
  } catch (e) {
    error = describeReadError(e, gzip, lineNo, open);
  }
  return { lines: lineNo, gzip, error };
}

const NL = 0x0a;

/** Bytes `start`..`end` of `buf` as text: by copying when the block is ASCII, else as UTF-8. */
export function lineText(buf: Buffer, start: number, end: number, ascii: boolean): string {
  return buf.toString(ascii ? 'latin1' : 'utf8', start, end);
}

/** What broke a stream, after how many lines; `partial`: an unfinished line was dropped. */
export function describeReadError(e: unknown, gzip: boolean, lineNo: number, partial: boolean): string {
  const err = e as NodeJS.ErrnoException;
  return gzip && (err.code === 'Z_BUF_ERROR' || /unexpected end/i.test(err.message))
    ? `truncated gzip stream after line ${lineNo}${partial ? ' (the partial line after it was dropped)' : ''}`
    : gzip && err.code === 'Z_DATA_ERROR'
      ? `corrupt gzip data after line ${lineNo}: ${err.message}`
      : `read error after line ${lineNo}: ${err.message}`;
}

import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';

/** A line longer than this is skipped rather than held in memory (base64 bodies can be big, not this big). */
export const MAX_LINE_CHARS = 16 * 1024 * 1024;

export interface LineSink {
  /** One line, without its line ending; `line` is 1-based in the (decompressed) file. */
  line(text: string, line: number): void;
  /** A line over MAX_LINE_CHARS, skipped. */
  tooLong(line: number): void;
}

export interface ReadResult {
  lines: number;
  gzip: boolean;
  /** Set when the stream broke (e.g. a truncated .gz); everything before it was delivered. */
  error: string;
}

const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;

/**
 * Yields the stream's bytes, gunzipped when they start with the gzip magic number (so `.gz`
 * works by content, from files and from stdin alike). Multi-member gzip is read whole.
 */
export async function* decodedChunks(raw: Readable, onGzip: () => void): AsyncGenerator<Buffer> {
  const it = raw[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  let head = Buffer.alloc(0);
  // Gather at least two bytes to look at the magic number.
  while (head.length < 2) {
    const next = await it.next();
    if (next.done) {
      if (head.length) yield head;
      return;
    }
    head = Buffer.concat([head, Buffer.from(next.value)]);
  }
  const rest = async function* (): AsyncGenerator<Buffer> {
    yield head;
    for (;;) {
      const next = await it.next();
      if (next.done) return;
      yield Buffer.from(next.value);
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
 */
export async function readLines(raw: Readable, sink: LineSink): Promise<ReadResult> {
  const decoder = new StringDecoder('utf8');
  let carry = '';
  let lineNo = 0;
  let skippingLongLine = false;
  let gzip = false;
  let error = '';
  try {
    for await (const chunk of decodedChunks(raw, () => (gzip = true))) {
      let text = decoder.write(chunk);
      if (lineNo === 0 && carry === '' && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      let start = 0;
      let nl = text.indexOf('\n');
      while (nl >= 0) {
        lineNo++;
        if (skippingLongLine) {
          skippingLongLine = false;
        } else {
          let line = carry === '' ? text.slice(start, nl) : carry + text.slice(start, nl);
          carry = '';
          if (line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
          if (line.length > MAX_LINE_CHARS) sink.tooLong(lineNo);
          else sink.line(line, lineNo);
        }
        carry = '';
        start = nl + 1;
        nl = text.indexOf('\n', start);
      }
      if (!skippingLongLine) {
        carry = carry === '' ? text.slice(start) : carry + text.slice(start);
        // A trailing CR may belong to a CRLF split across chunks: it is not part of the line.
        if (carry.length - (carry.charCodeAt(carry.length - 1) === 13 ? 1 : 0) > MAX_LINE_CHARS) {
          sink.tooLong(lineNo + 1);
          skippingLongLine = true;
          carry = '';
        }
      }
    }
    const tail = carry + decoder.end();
    if (!skippingLongLine && tail !== '') {
      lineNo++;
      sink.line(tail.charCodeAt(tail.length - 1) === 13 ? tail.slice(0, -1) : tail, lineNo);
    } else if (skippingLongLine) lineNo++;
  } catch (e) {
    error = describeReadError(e, gzip, lineNo, carry !== '');
  }
  return { lines: lineNo, gzip, error };
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

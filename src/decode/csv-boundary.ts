import type { Boundary, ByteQueue } from '../read/chunks.js';

const LF = 10;
const QUOTE = 34;

/**
 * Where CSV records end, for cutting a CSV file into chunks that threads can read apart: a newline
 * ends a record unless it is inside a quoted cell. Follows `csvReader` (containers.ts) exactly: a
 * cell is quoted only when its first character is `"`; inside, `""` is a quote; after the closing
 * quote, text up to the next separator belongs to the cell; a quote inside an unquoted cell is data.
 * Bytes are enough: `"`, the separator and `\n` are ASCII, which never occurs inside a UTF-8
 * multi-byte sequence. Attach it where a record ends.
 */
export class CsvBoundary implements Boundary {
  private readonly sep: number;
  /** Absolute offset scanned up to. */
  private pos = 0;
  private state: 'plain' | 'quoted' | 'quote-seen' = 'plain';
  /** The byte before `pos` (bytes before a cut may be gone from the queue). */
  private prev = LF;
  /** Just past the last newline that ends a record. */
  private last = 0;

  constructor(separator: string) {
    if (separator.length !== 1 || separator.charCodeAt(0) > 127) throw new Error(`CSV separator ${JSON.stringify(separator)} is not one ASCII character`);
    this.sep = separator.charCodeAt(0);
  }

  lastCut(q: ByteQueue, to: number): number {
    if (this.pos < q.start) this.pos = q.start;
    while (this.pos < to) {
      if (this.state === 'quoted') {
        const i = q.indexOf(QUOTE, this.pos, to);
        if (i < 0) {
          this.advance(q, to);
          break;
        }
        this.state = 'quote-seen';
        this.advance(q, i + 1);
      } else if (this.state === 'quote-seen') {
        // `""` inside a quoted cell is a quote; anything else closes the cell and is looked at as plain text.
        if (q.byteAt(this.pos) === QUOTE) {
          this.state = 'quoted';
          this.advance(q, this.pos + 1);
        } else this.state = 'plain';
      } else {
        const i = q.indexOf(QUOTE, this.pos, to);
        const end = i < 0 ? to : i;
        const nl = q.lastIndexOf(LF, this.pos, end);
        if (nl >= 0) this.last = nl + 1;
        if (i < 0) {
          this.advance(q, to);
          break;
        }
        const before = i === this.pos ? this.prev : q.byteAt(i - 1);
        if (before === this.sep || before === LF) this.state = 'quoted';
        this.advance(q, i + 1);
      }
    }
    return this.last;
  }

  private advance(q: ByteQueue, to: number): void {
    this.pos = to;
    this.prev = q.byteAt(to - 1);
  }
}

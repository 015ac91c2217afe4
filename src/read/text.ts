import { isAscii } from 'node:buffer';
import { StringDecoder } from 'node:string_decoder';

/**
 * A StringDecoder (a character split across two blocks stays whole) with the same ASCII fast
 * path. The decoder can hold the start of a split character only after a block that ended in a
 * non-ASCII byte; after any other block an ASCII block can bypass it.
 */
export class Utf8Stream {
  private readonly decoder = new StringDecoder('utf8');
  private mayHoldPartial = false;

  write(chunk: Buffer): string {
    if (chunk.length === 0) return '';
    if (!this.mayHoldPartial && isAscii(chunk)) return chunk.toString('latin1');
    this.mayHoldPartial = chunk[chunk.length - 1]! >= 0x80;
    return this.decoder.write(chunk);
  }

  /** The rest (a character left unfinished becomes U+FFFD); the stream starts afresh. */
  end(): string {
    this.mayHoldPartial = false;
    return this.decoder.end();
  }
}

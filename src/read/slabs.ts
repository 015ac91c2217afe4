import { closeSync, openSync, read, readSync } from 'node:fs';
import { Readable } from 'node:stream';

/**
 * Reading a file straight into shared memory, for --jobs: the chunker can then hand a chunk that
 * lies within one slab to a worker as a view, without copying it (the copy cost the main thread
 * ~6% of its time; src/read/chunks.ts).
 *
 * A slab is a SharedArrayBuffer the file is read into piece after piece. It is written only by
 * its reader, only where no piece has been handed out yet, and is reused only once nothing refers
 * to it: its reader has moved on, and every piece and chunk view of it has been released. Each
 * piece comes with one reference, which its consumer owns (the chunker's ByteQueue releases it
 * once the piece's bytes are consumed); a chunk view takes one more, released when its chunk has
 * been taken. A reference never released only keeps a slab from being reused (the garbage
 * collector frees it in the end); it never lets one be overwritten.
 */

/** Chunks per slab: about one chunk in this many straddles two slabs and is copied. */
export const CHUNKS_PER_SLAB = 8;
/** Bytes per read: what `fs.createReadStream` was measured fastest with here (256 KiB; 64 KiB and 1 MiB slower). */
const PIECE_BYTES = 256 * 1024;
/** Free slabs kept for reuse (fresh memory costs a page fault per 4 KiB). */
const KEEP_FREE = 4;

class Slab {
  refs = 1;
  constructor(readonly memory: SharedArrayBuffer) {}
}

const slabs = new WeakMap<ArrayBufferLike, Slab>();
const free: Slab[] = [];

function takeSlab(bytes: number): Slab {
  for (let slab = free.pop(); slab; slab = free.pop()) {
    if (slab.memory.byteLength !== bytes) continue; // left by a read with another chunk size
    slab.refs = 1;
    return slab;
  }
  const made = new Slab(new SharedArrayBuffer(bytes));
  slabs.set(made.memory, made);
  return made;
}

/** The slab a buffer is a view of, or undefined. */
export function slabOf(bytes: Uint8Array): Slab | undefined {
  return bytes.buffer instanceof SharedArrayBuffer ? slabs.get(bytes.buffer) : undefined;
}

export function retain(slab: Slab): void {
  slab.refs++;
}

export function release(slab: Slab): void {
  if (--slab.refs === 0 && free.length < KEEP_FREE) free.push(slab);
}

/** Releases the reference a chunk view of a slab holds; false when `bytes` views no slab. */
export function releaseBytes(bytes: Uint8Array): boolean {
  const slab = slabOf(bytes);
  if (slab) release(slab);
  return slab !== undefined;
}

/** Live references to the slab a buffer views (tests), or -1 when it is no slab. */
export function slabRefs(bytes: Uint8Array): number {
  return slabOf(bytes)?.refs ?? -1;
}

/**
 * A regular file as a stream of Buffers that view slabs of CHUNKS_PER_SLAB × `chunkBytes`, each
 * holding one reference (above). At most one piece is read ahead, as `fs.createReadStream` does.
 */
export function slabFileStream(path: string, chunkBytes: number): Readable {
  const slabBytes = CHUNKS_PER_SLAB * Math.max(1, Math.floor(chunkBytes));
  let fd = -1;
  let slab: Slab | null = null;
  let used = 0;
  let position = 0;
  /** A read in flight writes into the slab and uses the descriptor: both are let go only after it. */
  let reading = false;
  let afterRead: (() => void) | null = null;
  const letGo = (): void => {
    if (slab) release(slab);
    slab = null;
    if (fd >= 0) closeSync(fd);
    fd = -1;
  };
  return new Readable({
    objectMode: true, // pieces are passed on as they are, never joined (a join would copy)
    highWaterMark: 1,
    construct(callback) {
      try {
        fd = openSync(path, 'r');
        callback();
      } catch (e) {
        callback(e as Error);
      }
    },
    read() {
      if (slab === null || used === slabBytes) {
        if (slab) release(slab);
        slab = takeSlab(slabBytes);
        used = 0;
      }
      const into = slab;
      const at = used;
      const want = Math.min(PIECE_BYTES, slabBytes - at);
      reading = true;
      read(fd, new Uint8Array(into.memory, at, want), 0, want, position, (err, n) => {
        reading = false;
        if (afterRead) return afterRead(); // destroyed meanwhile
        if (err) return void this.destroy(err);
        if (n === 0) return void this.push(null);
        position += n;
        used = at + n;
        into.refs++; // the piece's own reference, which its consumer owns
        this.push(Buffer.from(into.memory, at, n));
      });
    },
    destroy(err, callback) {
      if (!reading) {
        letGo();
        callback(err);
      } else
        afterRead = () => {
          letGo();
          callback(err);
        };
    },
  });
}

/** Whether a file starts with gzip's magic number (read as a plain stream then: its pieces go to zlib, not the chunker). */
export function startsLikeGzip(path: string): boolean {
  let fd = -1;
  try {
    fd = openSync(path, 'r');
    const head = Buffer.alloc(2);
    return readSync(fd, head, 0, 2, 0) === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } catch {
    return false; // the stream reports the error, with the file's name
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

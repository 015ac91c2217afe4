/**
 * Reading one file with decode worker threads (--jobs), with exactly the results of one thread.
 *
 * The main thread reads (and gunzips) the bytes and cuts them into chunks of whole lines
 * (src/read/chunks.ts). The first chunks it decodes itself, through the file's FileReading, until
 * the framing and format are known; from then on chunks go to the workers, which decode and
 * normalise them (decode-chunk.ts) and send back one packed batch per chunk (batch.ts). Batches
 * are taken strictly in chunk order, so requests reach the rest of the pipeline (time-order
 * buffer, judge, incidents) in input order, exactly as on one thread; line numbers are made
 * absolute then. When it would otherwise wait for a worker, the main thread decodes a chunk no
 * worker has taken yet, and keeps the result for its turn, packed as a worker packs it. With a
 * HeldBatches, each batch is kept there while the scan holds its requests by number.
 *
 * Chunks are cut between records: after any newline for NDJSON, logfmt and combined log, only
 * outside quoted cells for CSV (csv-boundary.ts); should no record end turn up within 16 MiB, the
 * rest of the file is read on the main thread. A whole-file JSON document is read on the main
 * thread. Each worker has at most two chunks at a time and only a few more are cut ahead, so
 * reading waits for the oldest (back-pressure). A chunk whose worker failed is decoded on the
 * main thread, in its turn: nothing is lost, nothing reordered.
 */
import type { Readable } from 'node:stream';
import { CsvBoundary } from '../decode/csv-boundary.js';
import type { LogFormat } from '../formats/index.js';
import { LineChunker, splitChunk, type ChunkItem } from '../read/chunks.js';
import { decodedChunks, describeReadError } from '../read/lines.js';
import { releaseBytes } from '../read/slabs.js';
import { BatchWriter, readBatch, type Batch } from './batch.js';
import { decodeChunk } from './decode-chunk.js';
import type { DecodePool } from './decode-pool.js';
import type { HeldBatches } from './held-batches.js';
import type { ChunkSetup } from './records.js';
import type { FileReading } from './requests.js';

/**
 * Chunk buffers in shared memory, which worker threads read without a copy and which stay here
 * should a worker fail. Reused once their chunk is taken: fresh memory costs a page fault per 4 KiB.
 */
class SharedBuffers {
  private readonly free: SharedArrayBuffer[] = [];
  constructor(
    private readonly size: number,
    private readonly keep: number,
  ) {}
  allocate = (n: number): Uint8Array => {
    if (n > this.size) return new Uint8Array(new SharedArrayBuffer(n));
    return new Uint8Array(this.free.pop() ?? new SharedArrayBuffer(this.size), 0, n);
  };
  release(bytes: Uint8Array): void {
    if (releaseBytes(bytes)) return; // a view of the slab the file was read into, not a copy
    const b = bytes.buffer;
    if (b instanceof SharedArrayBuffer && b.byteLength === this.size && this.free.length < this.keep) this.free.push(b);
  }
}

interface Chunk {
  kind: 'chunk';
  bytes: Uint8Array;
  /** Null: read through the file's own reader (before the hand-off, or when CSV could not be cut between records). */
  setup: ChunkSetup | null;
  /** waiting: no worker has it; sent: a worker has it; ready: decoded (or its worker failed: batch null). */
  state: 'waiting' | 'sent' | 'ready';
  /** Decoded by a worker, or here ahead of its turn (packed as a worker does, so its requests can be held by number). */
  batch: Batch | null;
  done: Promise<void> | null;
}

type Entry = Chunk | { kind: 'too-long' };

/** After the events already queued (a worker's answer is one): a macrotask, not a microtask. */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Chunks a worker holds at once: one being decoded, one waiting, so it never idles. */
const PER_WORKER = 2;
/** Chunks cut ahead beyond what the workers hold: work for the main thread when it would wait, and a backlog for the workers. */
const AHEAD = 4;

export async function readInChunks(
  stream: Readable,
  file: FileReading,
  pool: DecodePool,
  chunkBytes: number,
  held?: HeldBatches,
): Promise<{ lines: number; gzip: boolean; error: string }> {
  const queue: Entry[] = [];
  const maxQueued = pool.size * PER_WORKER + AHEAD;
  const buffers = new SharedBuffers(chunkBytes, maxQueued + 1);
  const chunker = new LineChunker({ chunkBytes, allocate: buffers.allocate });
  let lines = 0;
  let gzip = false;
  let handoff: { setup: ChunkSetup; format: LogFormat } | null = null;

  /** A chunk decoded on this thread, packed as a worker packs it. */
  const decodeHere = (setup: ChunkSetup, bytes: Uint8Array): Batch => {
    const out = new BatchWriter();
    return out.finish(decodeChunk(setup, handoff!.format, bytes, out)).batch;
  };

  /** Takes one entry, in order: its requests and skips go to the file as if read here. */
  const consume = (e: Entry): void => {
    const base = lines;
    if (e.kind === 'too-long') {
      file.tooLong(++lines);
      return;
    }
    // Its turn came before a worker took it (or its worker failed): decode it here, now.
    const batch = e.batch ?? (e.setup ? decodeHere(e.setup, e.bytes) : null);
    if (batch) {
      const first = held ? held.open(batch, file.source.name, base) : -1;
      readBatch(batch, file.source.name, base, file, first);
      if (first >= 0) held!.close(first);
      lines += batch.lines;
    } else {
      lines += splitChunk(e.bytes, { line: (text, n) => file.line(text, base + n), tooLong: (n) => file.tooLong(base + n) });
    }
    // Taken: no thread reads these bytes any more (a worker that had them has answered or died).
    buffers.release(e.bytes);
  };

  /** Hands chunks no worker has yet to workers with room, in order. */
  const assign = (): void => {
    for (const e of queue) {
      if (e.kind !== 'chunk' || e.state !== 'waiting' || !e.setup) continue;
      if (!pool.alive || !pool.hasRoom(PER_WORKER)) return;
      const chunk = e;
      chunk.state = 'sent';
      chunk.done = pool.decode(chunk.setup!, chunk.bytes).then(
        (batch) => {
          chunk.batch = batch;
          chunk.state = 'ready';
          assign();
        },
        () => {
          chunk.state = 'ready'; // decoded here in its turn
          assign();
        },
      );
    }
  };

  /** Takes entries from the front while they are ready; with `wait`, or when too many are queued, works or waits for them. */
  const drain = async (wait: boolean): Promise<void> => {
    while (queue.length > 0 && !file.abandoned) {
      const head = queue[0]!;
      if (head.kind === 'chunk' && head.state === 'sent') {
        if (!wait && queue.length < maxQueued) return;
        // Rather than wait idle, decode a chunk no worker has taken: the newest, and only while
        // every worker still has one to take next (measured on 2 cores: the main thread then
        // decodes about a third of the chunks besides judging, and neither thread waits long).
        let waiting = 0;
        for (const e of queue) if (e.kind === 'chunk' && e.state === 'waiting' && e.setup !== null) waiting++;
        const spare = waiting > pool.size ? queue.findLast((e): e is Chunk => e.kind === 'chunk' && e.state === 'waiting' && e.setup !== null) : undefined;
        if (spare) {
          spare.batch = decodeHere(spare.setup!, spare.bytes);
          spare.state = 'ready';
          // Let the workers' answers in before deciding again: each answer hands its worker the next
          // chunk (assign). Decoding spare chunks back to back left the worker idle a third of the time.
          await nextTurn();
        } else await head.done;
        continue;
      }
      queue.shift();
      consume(head);
    }
  };

  const entry = (item: ChunkItem): Entry => {
    if (item.kind === 'too-long') return { kind: 'too-long' };
    const parallel = handoff !== null && !chunker.boundaryFailed;
    return { kind: 'chunk', bytes: item.bytes, setup: parallel ? handoff!.setup : null, state: parallel ? 'waiting' : 'ready', batch: null, done: null };
  };

  /** Cuts and hands out every chunk the bytes so far allow. */
  const pump = async (): Promise<void> => {
    for (;;) {
      // Until the hand-off every chunk is read here at once, so the queue is empty and the file's state current.
      if (handoff === null && queue.length === 0 && !file.abandoned) {
        handoff = file.handoff();
        if (handoff?.setup.csv) chunker.setBoundary(new CsvBoundary(handoff.setup.csv.separator));
      }
      const item = chunker.next();
      if (!item || file.abandoned) return;
      queue.push(entry(item));
      assign();
      await drain(false);
    }
  };

  let error: unknown = null;
  try {
    for await (const piece of decodedChunks(stream, () => (gzip = true))) {
      chunker.push(piece);
      await pump();
      if (file.abandoned) break;
      const wait = file.pace(); // several files merged by time: the others' turn
      if (wait) await wait;
    }
    chunker.end();
    await pump();
  } catch (e) {
    error = e;
    // As readLines: every complete line before the break is read; the partial line after it is dropped.
    const rest = chunker.completeLines();
    if (rest) queue.push(entry(rest));
  }
  await drain(true);
  return { lines, gzip, error: error === null || file.abandoned ? '' : describeReadError(error, gzip, lines, chunker.partial) };
}

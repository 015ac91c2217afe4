/**
 * A decode worker thread (--jobs): decodes chunks (decode-chunk.ts) and sends each back as one
 * packed batch (batch.ts).
 */
import { parentPort } from 'node:worker_threads';
import { skipTextCopies } from '../formats/fields.js';
import { formatByName, type LogFormat } from '../formats/index.js';
// The worker rebuilds the format registry exactly as the command line did (zone and year of
// incomplete times, --mapping files, a --map or --format format): the same function does it.
import { applyInputOptions, type InputFlags } from '../cli/apply-input.js';
import { BatchWriter, type Batch } from './batch.js';
import { decodeChunk } from './decode-chunk.js';
import type { ChunkSetup } from './records.js';

export interface WorkerInit {
  input: InputFlags;
  /** Test hook: exit the thread (as a crash would) when handed this chunk (0-based count). */
  exitAtChunk?: number;
}

export interface ChunkJob {
  id: number;
  setup: ChunkSetup;
  bytes: Uint8Array;
}

/** From the pool: the settings once, first (the worker may start before the command line is read), then chunks. */
export type WorkerMessage = { init: WorkerInit } | { job: ChunkJob };

export type ChunkReply = { id: number; batch: Batch } | { id: number; error: string };

skipTextCopies();
let init: WorkerInit | null = null;
let forced: LogFormat | undefined;
let chunksSeen = 0;

/** The chunk's format: the forced one, or the one detected for its file (by name: the registries are the same). */
function formatOf(setup: ChunkSetup): LogFormat {
  const f = setup.format === null ? forced : formatByName(setup.format);
  if (!f) throw new Error(setup.format === null ? 'chunk for a forced format, but none was forced' : `unknown format ${setup.format}`);
  return f;
}

parentPort!.on('message', (message: WorkerMessage) => {
  if ('init' in message) {
    init = message.init;
    forced = applyInputOptions(init.input).format;
    return;
  }
  const job = message.job;
  if (init!.exitAtChunk !== undefined && chunksSeen++ === init!.exitAtChunk) process.exit(70);
  let reply: ChunkReply;
  let transfer: ArrayBuffer[] = [];
  try {
    const out = new BatchWriter();
    const lines = decodeChunk(job.setup, formatOf(job.setup), job.bytes, out);
    const packed = out.finish(lines);
    reply = { id: job.id, batch: packed.batch };
    transfer = packed.transfer;
  } catch (e) {
    // The main thread decodes this chunk itself: the same code there gives the same result, or the same error.
    reply = { id: job.id, error: (e as Error).stack ?? String(e) };
  }
  parentPort!.postMessage(reply, transfer);
});

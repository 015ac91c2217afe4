import { statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { InputFlags } from '../cli/apply-input.js';
import type { Batch } from './batch.js';
import type { ChunkReply, WorkerInit, WorkerMessage } from './decode-worker.js';
import type { ChunkSetup } from './records.js';

// This module is light on purpose (Node built-ins and types only): src/cli/prestart.ts loads it
// before the rest of the CLI to start workers early.

/**
 * Chunks of about 512 KiB: ~500 typical records, one message each way, and what is in flight (a
 * few chunks per worker plus their results) stays under ~10 MB.
 */
export const DEFAULT_CHUNK_BYTES = 512 * 1024;

/** APIGUARD_CHUNK_BYTES as a number of bytes (default when unset or empty), or null when it is not a positive integer. */
export function parseChunkBytes(text: string | undefined): number | null {
  if (text === undefined || text === '') return DEFAULT_CHUNK_BYTES;
  const n = Number(text);
  return Number.isInteger(n) && n >= 1 ? n : null;
}

/**
 * Whether the plain files among `paths` hold more than a few chunks: then workers are started at
 * once, before they are needed, so that their start-up overlaps other work. (A file of one chunk
 * or less is read on the main thread and never starts one.) Paths that are not files count 0.
 */
export function worthStartingEarly(paths: readonly string[], chunkBytes: number): boolean {
  let bytes = 0;
  for (const path of paths) {
    if (path === '-') continue;
    try {
      const st = statSync(path, { throwIfNoEntry: false });
      if (st?.isFile()) bytes += st.size;
    } catch {
      // unreadable: reading it reports that, with the right exit code
    }
  }
  return bytes > 4 * chunkBytes;
}

/**
 * The built worker script. Under the test runner this module is TypeScript source, and workers
 * cannot load that: they run the build (npm test builds first).
 */
const WORKER_URL = import.meta.url.endsWith('.ts')
  ? new URL('../../dist/pipeline/decode-worker.js', import.meta.url)
  : new URL('./decode-worker.js', import.meta.url);

/**
 * A worker's own heap: young generation small enough to stay in cache and keep RSS low (each
 * chunk's garbage dies young), old generation large enough for the biggest record a chunk can hold
 * (a 16 MiB line). A worker that runs out is a crash like any other (see below).
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 16, maxOldGenerationSizeMb: 512 };

function spawnWorker(): Worker {
  return new Worker(WORKER_URL, { resourceLimits: WORKER_LIMITS, stdout: false, stderr: false });
}

/** Workers started by `prestartWorkers`, not yet taken by a pool; `failed` once one errs or exits meanwhile. */
const prestarted: { worker: Worker; failed: boolean }[] = [];

/**
 * Starts `n` workers now, for a pool that will take them (src/cli/prestart.ts calls this before
 * the CLI's modules load: a worker's start-up, ~0.1–0.2 s, then overlaps the main thread's). They
 * load their modules and wait for their settings; they never keep the process alive, and a pool
 * that does not take them ends them when it closes. Best effort: a thread that cannot start is
 * left to the pool, which warns as usual.
 */
export function prestartWorkers(n: number): Worker[] {
  const started: Worker[] = [];
  for (let i = 0; i < n; i++) {
    try {
      const entry = { worker: spawnWorker(), failed: false };
      const failed = (): void => void (entry.failed = true);
      entry.worker.on('error', failed).on('exit', failed);
      entry.worker.unref(); // after the listeners, as in DecodePool.start
      prestarted.push(entry);
      started.push(entry.worker);
    } catch {
      break;
    }
  }
  return started;
}

/** Prestarted workers no pool has taken yet. */
export function prestartedWaiting(): number {
  return prestarted.length;
}

/** A prestarted worker still running, or a new one. */
function takeWorker(): Worker {
  for (let entry = prestarted.shift(); entry; entry = prestarted.shift()) {
    if (!entry.failed) return entry.worker;
    void entry.worker.terminate();
  }
  return spawnWorker();
}

/** Ends the prestarted workers no pool took. */
async function endPrestarted(): Promise<void> {
  await Promise.all(prestarted.splice(0).map((e) => e.worker.terminate()));
}

export interface PoolOptions {
  /** Worker threads. */
  workers: number;
  /** The command line's input flags: workers rebuild the same formats from them. */
  input: InputFlags;
  /** A worker stopped; its chunks are decoded on the main thread. */
  onWarning?: (text: string) => void;
  /** Test hook (APIGUARD_TEST_WORKER_EXIT): the first worker exits when handed its n-th chunk (0-based). */
  exitAtChunk?: number;
}

interface Slot {
  n: number;
  worker: Worker;
  jobs: Map<number, { resolve: (b: Batch) => void; reject: (e: Error) => void }>;
  dead: boolean;
}

/**
 * Worker threads that decode and normalise chunks (--jobs). Started on first use (or by `start`,
 * to overlap their start-up with other work), so small inputs that fit in the first chunk, which
 * the main thread reads itself, never start any. A worker that dies (crash, out of memory) fails
 * only its outstanding chunks, which the caller decodes itself; the others carry on.
 */
export class DecodePool {
  private slots: Slot[] | null = null;
  private nextId = 0;
  private closing = false;

  constructor(private readonly opts: PoolOptions) {}

  get size(): number {
    return this.opts.workers;
  }

  /** Whether chunks can still be handed out (false once every worker has died). */
  get alive(): boolean {
    return this.slots === null || this.slots.some((s) => !s.dead);
  }

  /** Whether a running worker has fewer than `perWorker` chunks outstanding (starts the workers). */
  hasRoom(perWorker: number): boolean {
    this.start();
    return this.slots!.some((s) => !s.dead && s.jobs.size < perWorker);
  }

  start(): void {
    if (this.slots || this.closing) return;
    this.slots = [];
    for (let n = 0; n < this.opts.workers; n++) {
      const init: WorkerInit = { input: this.opts.input, exitAtChunk: n === 0 ? this.opts.exitAtChunk : undefined };
      let worker: Worker;
      try {
        worker = takeWorker();
      } catch (e) {
        // No thread to be had (a limit on threads or memory): fewer workers, or none and all on the main thread.
        this.opts.onWarning?.(`decode worker ${n + 1} could not start (${(e as Error).message}); the main thread decodes its share`);
        continue;
      }
      const slot: Slot = { n: n + 1, worker, jobs: new Map(), dead: false };
      worker.on('message', (reply: ChunkReply) => this.settle(slot, reply));
      worker.on('error', (e) => this.fail(slot, e.message));
      worker.on('messageerror', (e) => this.fail(slot, e.message));
      worker.on('exit', (code) => this.fail(slot, `exit code ${code}`));
      // After the listeners: a 'message' listener refs the worker again (Node), and an idle worker
      // must not keep the process alive (an error before the scan, e.g. a broken policy, then hung).
      worker.unref();
      // Its settings first: the worker may have started before the command line was read.
      worker.postMessage({ init } satisfies WorkerMessage);
      this.slots.push(slot);
    }
  }

  /** Decodes one chunk; rejects when its worker could not (the caller then decodes it itself). */
  decode(setup: ChunkSetup, bytes: Uint8Array): Promise<Batch> {
    this.start();
    let best: Slot | undefined;
    for (const s of this.slots!) if (!s.dead && (!best || s.jobs.size < best.jobs.size)) best = s;
    if (!best) return Promise.reject(new Error('no decode worker is running'));
    const slot = best;
    const id = this.nextId++;
    return new Promise<Batch>((resolve, reject) => {
      if (slot.jobs.size === 0) slot.worker.ref();
      slot.jobs.set(id, { resolve, reject });
      // Shared memory: nothing is copied, and the bytes stay here in case this worker fails.
      slot.worker.postMessage({ job: { id, setup, bytes } } satisfies WorkerMessage);
    });
  }

  private settle(slot: Slot, reply: ChunkReply): void {
    const job = slot.jobs.get(reply.id);
    if (!job) return;
    slot.jobs.delete(reply.id);
    if (slot.jobs.size === 0) slot.worker.unref();
    if ('batch' in reply) job.resolve(reply.batch);
    else job.reject(new Error(reply.error));
  }

  private fail(slot: Slot, why: string): void {
    if (slot.dead) return;
    slot.dead = true;
    slot.worker.unref();
    if (!this.closing) this.opts.onWarning?.(`decode worker ${slot.n} stopped (${why}); the main thread decodes its chunks`);
    for (const job of slot.jobs.values()) job.reject(new Error(`decode worker ${slot.n} stopped (${why})`));
    slot.jobs.clear();
  }

  async close(): Promise<void> {
    this.closing = true;
    const slots = this.slots ?? [];
    await Promise.all([...slots.map((s) => s.worker.terminate()), endPrestarted()]);
  }
}

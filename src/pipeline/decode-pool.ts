import { Worker } from 'node:worker_threads';
import type { InputFlags } from '../cli/apply-input.js';
import type { Batch } from './batch.js';
import type { ChunkJob, ChunkReply, WorkerInit } from './decode-worker.js';
import type { ChunkSetup } from './records.js';

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
        worker = new Worker(WORKER_URL, { workerData: init, resourceLimits: WORKER_LIMITS, stdout: false, stderr: false });
      } catch (e) {
        // No thread to be had (a limit on threads or memory): fewer workers, or none and all on the main thread.
        this.opts.onWarning?.(`decode worker ${n + 1} could not start (${(e as Error).message}); the main thread decodes its share`);
        continue;
      }
      const slot: Slot = { n: n + 1, worker, jobs: new Map(), dead: false };
      worker.unref();
      worker.on('message', (reply: ChunkReply) => this.settle(slot, reply));
      worker.on('error', (e) => this.fail(slot, e.message));
      worker.on('messageerror', (e) => this.fail(slot, e.message));
      worker.on('exit', (code) => this.fail(slot, `exit code ${code}`));
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
      slot.worker.postMessage({ id, setup, bytes } satisfies ChunkJob);
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
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }
}

/**
 * Requests decoded by worker threads, kept in their batch while they wait in the time-order
 * window, and held there as small integers instead of objects.
 *
 * Why: the window holds minutes of traffic. Held as objects, every request (and its strings) is
 * copied by each young-generation collection it lives through and then promoted; measured with
 * --jobs 2 on the benchmark, the main thread's scavenges copied 132 MB for 400k records, ~10% of
 * the scan's CPU time (a run with --reorder-window 0 on the same records sorted took 11% less).
 * A number costs the collector nothing; the batch it points into is one object, made once.
 *
 * A handle is `slot × PER_BATCH + index`: below 2^30, so always a small integer (Smi) for V8,
 * kept in the window's arrays without an allocation. A batch stays here while any of its
 * requests is held (counted), and is let go when the last is recalled. A request recalled is
 * rebuilt by `requestAt`, field for field the one the batch first gave (requests with an
 * exposure are never held, readBatch). When every slot is taken, or a batch has more requests
 * than a handle can number, its requests are held as objects as before: same results, more
 * garbage-collection work.
 */
import type { ApiRequest } from '../model/request.js';
import { PER_BATCH, requestAt, type Batch } from './batch.js';

/** Batches kept at once: 2^13 × 2^17 handles stay below 2^30. */
const SLOTS = 1 << 13;

interface Kept {
  batch: Batch;
  file: string;
  base: number;
  /** Requests of it held by handle. */
  holds: number;
  /** Still being read (readBatch): more of its requests may be held. */
  open: boolean;
}

export class HeldBatches {
  private readonly kept: (Kept | undefined)[] = [];
  private readonly freeSlots: number[] = [];

  /** Batches kept now (tests). */
  get size(): number {
    return this.kept.length - this.freeSlots.length;
  }

  /** Keeps a batch about to be read: its slot for readBatch, or -1 when it cannot be kept. */
  open(batch: Batch, file: string, base: number): number {
    if (batch.requests > PER_BATCH) return -1;
    let slot = this.freeSlots.pop();
    if (slot === undefined) {
      if (this.kept.length >= SLOTS) return -1;
      slot = this.kept.length;
      this.kept.push(undefined);
    }
    this.kept[slot] = { batch, file, base, holds: 0, open: true };
    return slot;
  }

  /** After readBatch: the batch is let go now if none of its requests is held. */
  close(slot: number): void {
    const k = this.kept[slot]!;
    k.open = false;
    if (k.holds === 0) this.free(slot);
  }

  /** Counts a handle readBatch gave as held (until it is recalled); returns it. */
  hold(handle: number): number {
    this.kept[Math.floor(handle / PER_BATCH)]!.holds++;
    return handle;
  }

  /** The request a held handle stands for, once: the handle is no longer held after. */
  recall(handle: number): ApiRequest {
    const slot = Math.floor(handle / PER_BATCH);
    const k = this.kept[slot]!;
    const req = requestAt(k.batch, handle % PER_BATCH, k.file, k.base);
    if (--k.holds === 0 && !k.open) this.free(slot);
    return req;
  }

  private free(slot: number): void {
    this.kept[slot] = undefined;
    this.freeSlots.push(slot);
  }
}

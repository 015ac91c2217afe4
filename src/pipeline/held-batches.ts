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
 * requests is held (counted), and is let go when the last is released. A held request is
 * rebuilt by `requestAt` (`request`, or `recall` = request and release), field for field the
 * one the batch first gave (requests with an exposure are never held, readBatch), and only when
 * something reads it: most requests leave the window clean, and the judge then needs nothing of
 * them but their time and prejudgement (scan.ts). When every slot is taken, or a batch has more
 * requests than a handle can number, its requests are held as objects as before: same results,
 * more garbage-collection work.
 *
 * A batch kept for a few of its requests costs more than those requests as objects, and log
 * times are attacker-controlled: one record a chunk dated far ahead would keep every chunk's
 * batch until the end. So once more batches are kept than COMPACT_AT (or than twice as many as
 * after the last compaction), the scan compacts: the held requests of every batch kept for
 * fewer than a quarter of its requests are recalled into objects where they wait, and the
 * batch is let go (scan.ts, Reorderer.replace).
 */
import type { ApiRequest } from '../model/request.js';
import { requestAt, type Batch } from './batch.js';

/** Requests a batch may have and still be held by number. */
export const PER_BATCH = 1 << 17;
/** Batches kept at once: 2^13 × 2^17 handles stay below 2^30. */
const SLOTS = 1 << 13;
/** Batches kept before sparse ones are let go (~10 MB of the benchmark's batches). */
export const COMPACT_AT = 64;
/** A batch is sparse when fewer than 1/SPARSE of its requests are held. */
const SPARSE = 4;

interface Kept {
  batch: Batch;
  file: string;
  base: number;
  /** Requests of it held by handle. */
  holds: number;
  /** Still being read (readBatch): more of its requests may be held. */
  open: boolean;
}

const slotOf = (handle: number): number => Math.floor(handle / PER_BATCH);

export class HeldBatches {
  private readonly kept: (Kept | undefined)[] = [];
  private readonly freeSlots: number[] = [];
  /** Kept batches above which the scan compacts. */
  private limit = COMPACT_AT;
  /** The most batches kept at once (tests). */
  peak = 0;

  /** Batches kept now. */
  get size(): number {
    return this.kept.length - this.freeSlots.length;
  }

  /** Whether so many batches are kept that sparse ones should be let go (`compacted` after). */
  get wantsCompaction(): boolean {
    return this.size > this.limit;
  }

  /** Whether a held handle's batch is kept, and read, for fewer than a quarter of its requests. */
  sparse(handle: number): boolean {
    const k = this.kept[slotOf(handle)]!;
    return !k.open && k.holds * SPARSE < k.batch.requests;
  }

  /** After a compaction: the next comes once twice as many batches are kept (so its cost is shared out). */
  compacted(): void {
    this.limit = Math.max(COMPACT_AT, 2 * this.size);
  }

  /**
   * Keeps a batch about to be read. Returns its first handle (request i's is that + i), for
   * readBatch and then `close`, or -1 when it cannot be kept.
   */
  open(batch: Batch, file: string, base: number): number {
    if (batch.requests > PER_BATCH) return -1;
    let slot = this.freeSlots.pop();
    if (slot === undefined) {
      if (this.kept.length >= SLOTS) return -1;
      slot = this.kept.length;
      this.kept.push(undefined);
    }
    this.kept[slot] = { batch, file, base, holds: 0, open: true };
    if (this.size > this.peak) this.peak = this.size;
    return slot * PER_BATCH;
  }

  /** After readBatch (`first` from `open`): the batch is let go now if none of its requests is held. */
  close(first: number): void {
    const slot = slotOf(first);
    const k = this.kept[slot]!;
    k.open = false;
    if (k.holds === 0) this.free(slot);
  }

  /** Counts a handle readBatch gave as held (until it is released); returns it. */
  hold(handle: number): number {
    this.kept[slotOf(handle)]!.holds++;
    return handle;
  }

  /** The request a held handle stands for, once: the handle is no longer held after. */
  recall(handle: number): ApiRequest {
    const req = this.request(handle);
    this.release(handle);
    return req;
  }

  /** The request a held handle stands for, built again; the handle stays held (`release` after). */
  request(handle: number): ApiRequest {
    const k = this.kept[slotOf(handle)]!;
    return requestAt(k.batch, handle % PER_BATCH, k.file, k.base);
  }

  /** Ends the hold of a handle, its request built or not: its batch is let go with its last hold. */
  release(handle: number): void {
    const slot = slotOf(handle);
    const k = this.kept[slot]!;
    if (--k.holds === 0 && !k.open) this.free(slot);
  }

  private free(slot: number): void {
    this.kept[slot] = undefined;
    this.freeSlots.push(slot);
    // Once most kept batches are gone, compact again at the first threshold.
    if (4 * this.size < this.limit) this.limit = Math.max(COMPACT_AT, 2 * this.size);
  }
}

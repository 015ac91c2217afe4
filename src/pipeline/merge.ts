/**
 * Several files read at once and merged by time (read → merge → judge): logs of several gateway
 * nodes cover the same hours, and read one after another, every record of the second file would
 * come minutes or hours after the time-order window had moved past it (late, with approximate
 * rate and quota counts). Each file is read on its own, into a queue of what it gave (requests,
 * skipped records, its end); the merge hands them on one at a time: a file's skip or end as soon
 * as it is at the front of its queue, else the request with the earliest time (ties: the file
 * given first). A file that has not yet given enough to decide (nothing queued, or a request whose
 * next event is not known yet: see below) holds the merge back until it does, so what comes out is
 * decided by the files' contents alone, never by which read happened to finish first: the same
 * bytes, in the same order, with any number of threads.
 *
 * Within a file, records may still be out of order: the time-order window sorts them as before.
 * A request more than a minute later than the next one in its file (a clock glitch) is handed on
 * at once rather than holding its file back until the others reach its time.
 * The merge only stops one file from running ahead of the others: a file whose queue is full
 * waits (`pace`) until the merge has taken from it. At most MAX_OPEN files are read at once (each
 * holds a few MB of buffers); the next joins when one of them has ended, which suits rotated logs
 * (a file a day) and the nodes of a small cluster alike.
 */
import type { ApiRequest } from '../model/request.js';
import type { Skip } from '../model/skip.js';
import type { HeldBatches } from './held-batches.js';

/** Files read at once. */
export const MAX_OPEN = 8;
/** Requests (and skips) a file may have queued before its reading waits for the merge. */
export const QUEUE_LIMIT = 4096;
/** A request this much later than the next one in its file is not waited for (reorder.ts's smallest jump). */
export const GLITCH_MS = 60_000;

/** What a file gives, in its order. */
export interface FileEvents {
  request(req: ApiRequest, handle: number): void;
  skip(line: number, s: Skip): void;
  /** After its last request and skip. */
  end(): void;
  /** With more than QUEUE_LIMIT queued: a promise, resolved once the merge has taken it down to half. Else undefined. */
  pace(): Promise<void> | undefined;
}

/** Where the merge hands events on: one file's, through that file's own reader (requests.ts). */
export interface MergeTarget {
  request(req: ApiRequest, handle: number): void;
  skip(line: number, s: Skip): void;
  end(): void;
}

const REQUEST = 0;
const SKIP = 1;
const END = 2;

/** One file's queue: parallel arrays, read from `head`, compacted now and then (no shift per event). */
class Lane {
  kinds: number[] = [];
  times: number[] = [];
  items: (ApiRequest | Skip | null)[] = [];
  numbers: number[] = [];
  head = 0;
  waiting: (() => void) | null = null;

  constructor(readonly target: MergeTarget) {}

  get size(): number {
    return this.kinds.length - this.head;
  }

  push(kind: number, time: number, item: ApiRequest | Skip | null, n: number): void {
    this.kinds.push(kind);
    this.times.push(time);
    this.items.push(item);
    this.numbers.push(n);
  }

  take(): void {
    this.items[this.head] = null;
    if (++this.head >= 1024 && this.head * 2 >= this.kinds.length) {
      this.kinds.splice(0, this.head);
      this.times.splice(0, this.head);
      this.items.splice(0, this.head);
      this.numbers.splice(0, this.head);
      this.head = 0;
    }
  }
}

export class TimeMerge {
  private readonly lanes: Lane[] = [];
  private busy = false;

  /**
   * @param held the batches a worker-decoded request's handle points into: a queued handle is
   *   held while it waits here, so its batch is kept until the request has been handed on.
   * @param onEnded called once a file's end has been handed on (after its target's `end`).
   */
  constructor(
    private readonly held: HeldBatches | undefined,
    private readonly onEnded: () => void,
  ) {}

  /** Adds a file to the merge; nothing more is handed on until it gives its first event. */
  add(target: MergeTarget): FileEvents {
    const lane = new Lane(target);
    this.lanes.push(lane);
    return {
      request: (req, handle) => {
        if (handle >= 0) this.held?.hold(handle);
        lane.push(REQUEST, req.time, req, handle);
        this.run();
      },
      skip: (line, s) => {
        lane.push(SKIP, 0, s, line);
        this.run();
      },
      end: () => {
        lane.push(END, 0, null, 0);
        this.run();
      },
      pace: () => {
        if (lane.size <= QUEUE_LIMIT) return undefined;
        return new Promise<void>((resolve) => (lane.waiting = resolve));
      },
    };
  }

  /** Hands on everything the queues decide; stops at the first file that has nothing queued and has not ended. */
  private run(): void {
    if (this.busy) return; // called again from a target (a new file joining): the loop below goes on
    this.busy = true;
    try {
      for (;;) {
        let pick: Lane | null = null;
        for (const lane of this.lanes) {
          if (lane.size === 0) return;
          const at = lane.head;
          if (lane.kinds[at] !== REQUEST) {
            pick = lane;
            break;
          }
          // A request far ahead of the next one in its file (a clock glitch, a bogus time) goes on
          // at once, in its file's order: else its file would wait behind it until the others
          // reached that time. The time-order window deals with it (held apart: reorder.ts).
          if (lane.size === 1) return; // its next event tells
          if (lane.kinds[at + 1] === REQUEST && lane.times[at + 1]! < lane.times[at]! - GLITCH_MS) {
            pick = lane;
            break;
          }
          if (pick === null || lane.times[lane.head]! < pick.times[pick.head]!) pick = lane;
        }
        if (pick === null) return;
        this.deliver(pick);
      }
    } finally {
      this.busy = false;
    }
  }

  private deliver(lane: Lane): void {
    const i = lane.head;
    const kind = lane.kinds[i]!;
    const item = lane.items[i]!;
    const n = lane.numbers[i]!;
    lane.take();
    if (lane.waiting && lane.size <= QUEUE_LIMIT / 2) {
      const resume = lane.waiting;
      lane.waiting = null;
      resume();
    }
    if (kind === REQUEST) {
      lane.target.request(item as ApiRequest, n);
      if (n >= 0) this.held?.release(n); // the target holds it now, if it keeps it
    } else if (kind === SKIP) lane.target.skip(n, item as Skip);
    else {
      this.lanes.splice(this.lanes.indexOf(lane), 1); // the others keep their order (ties)
      lane.target.end();
      this.onEnded();
    }
  }
}

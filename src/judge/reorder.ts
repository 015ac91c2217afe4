import type { ApiRequest } from '../model/request.js';

/**
 * Puts requests back in time order before the stateful When checks. Gateways log a request when
 * it ends, and several workers or nodes interleave, so logs are only nearly sorted. A request is
 * held until the newest time seen is `windowMs` past it, then released in (time, arrival) order.
 * One that arrives after requests later than it were released is "late": it is released at once
 * and counted, and its rate/quota position is the best the held state can give.
 * Memory: the requests of one window, not of the input.
 */
export class Reorderer {
  // A 4-ary min-heap on (time, arrival), in three parallel arrays: the keys are read without
  // touching the requests, elements move by shifting a hole rather than by swaps, and a node's
  // four children share a cache line (half the levels of a binary heap; this runs between the
  // decoding of records, with cold caches).
  private readonly reqs: ApiRequest[] = [];
  private readonly times: number[] = [];
  private readonly seqs: number[] = [];
  private seq = 0;
  private newest = Number.NEGATIVE_INFINITY;
  private lastReleased = Number.NEGATIVE_INFINITY;
  late = 0;

  constructor(
    private readonly windowMs: number,
    private readonly release: (req: ApiRequest) => void,
  ) {}

  push(req: ApiRequest): void {
    const time = req.time;
    if (time < this.lastReleased) {
      this.late++;
      this.release(req);
      return;
    }
    if (time > this.newest) this.newest = time;
    // Fast path: nothing held and already in order with no window: pass straight through.
    if (this.windowMs === 0 && this.reqs.length === 0) {
      this.lastReleased = time;
      this.release(req);
      return;
    }
    this.insert(req, time, this.seq++);
    const horizon = this.newest - this.windowMs;
    while (this.reqs.length > 0 && this.times[0]! <= horizon) this.releaseTop();
  }

  /** Releases everything held, in order. */
  flush(): void {
    while (this.reqs.length > 0) this.releaseTop();
  }

  get held(): number {
    return this.reqs.length;
  }

  private releaseTop(): void {
    const top = this.pop();
    this.lastReleased = top.time;
    this.release(top);
  }

  private insert(req: ApiRequest, time: number, seq: number): void {
    const { reqs, times, seqs } = this;
    let i = reqs.length;
    reqs.push(req);
    times.push(time);
    seqs.push(seq);
    while (i > 0) {
      const parent = (i - 1) >> 2;
      const pt = times[parent]!;
      if (pt < time || (pt === time && seqs[parent]! < seq)) break;
      reqs[i] = reqs[parent]!;
      times[i] = pt;
      seqs[i] = seqs[parent]!;
      i = parent;
    }
    reqs[i] = req;
    times[i] = time;
    seqs[i] = seq;
  }

  private pop(): ApiRequest {
    const { reqs, times, seqs } = this;
    const top = reqs[0]!;
    const req = reqs.pop()!;
    const time = times.pop()!;
    const seq = seqs.pop()!;
    const n = reqs.length;
    if (n === 0) return top;
    // Sift the last element down from the root.
    let i = 0;
    for (;;) {
      const first = 4 * i + 1;
      if (first >= n) break;
      // The least of up to four children.
      let child = first;
      let ct = times[first]!;
      let cs = seqs[first]!;
      const last = Math.min(first + 4, n);
      for (let c = first + 1; c < last; c++) {
        const t = times[c]!;
        if (t < ct || (t === ct && seqs[c]! < cs)) {
          child = c;
          ct = t;
          cs = seqs[c]!;
        }
      }
      if (time < ct || (time === ct && seq < cs)) break;
      reqs[i] = reqs[child]!;
      times[i] = ct;
      seqs[i] = cs;
      i = child;
    }
    reqs[i] = req;
    times[i] = time;
    seqs[i] = seq;
    return top;
  }
}

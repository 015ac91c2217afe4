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
  private readonly heap: ApiRequest[] = [];
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
    if (req.time < this.lastReleased) {
      this.late++;
      this.release(req);
      return;
    }
    if (req.time > this.newest) this.newest = req.time;
    // Fast path: nothing held and already in order with no window: pass straight through.
    if (this.windowMs === 0 && this.heap.length === 0) {
      this.lastReleased = req.time;
      this.release(req);
      return;
    }
    this.insert(req, this.seq++);
    const horizon = this.newest - this.windowMs;
    while (this.heap.length > 0 && this.heap[0]!.time <= horizon) this.releaseTop();
  }

  /** Releases everything held, in order. */
  flush(): void {
    while (this.heap.length > 0) this.releaseTop();
  }

  get held(): number {
    return this.heap.length;
  }

  private releaseTop(): void {
    const top = this.pop();
    this.lastReleased = top.time;
    this.release(top);
  }

  private less(i: number, j: number): boolean {
    const a = this.heap[i]!.time;
    const b = this.heap[j]!.time;
    return a < b || (a === b && this.seqs[i]! < this.seqs[j]!);
  }

  private swap(i: number, j: number): void {
    const h = this.heap;
    const s = this.seqs;
    [h[i], h[j]] = [h[j]!, h[i]!];
    [s[i], s[j]] = [s[j]!, s[i]!];
  }

  private insert(req: ApiRequest, seq: number): void {
    this.heap.push(req);
    this.seqs.push(seq);
    let i = this.heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private pop(): ApiRequest {
    const top = this.heap[0]!;
    const lastReq = this.heap.pop()!;
    const lastSeq = this.seqs.pop()!;
    if (this.heap.length > 0) {
      this.heap[0] = lastReq;
      this.seqs[0] = lastSeq;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < this.heap.length && this.less(l, m)) m = l;
        if (r < this.heap.length && this.less(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }
}

/**
 * Puts requests back in time order before the stateful When checks. Gateways log a request when
 * it ends, and several workers or nodes interleave, so logs are only nearly sorted. A request is
 * held until the newest time seen is `windowMs` past it, then released in (time, arrival) order.
 * One that arrives after requests later than it were released is "late": it is released at once
 * and counted, and its rate/quota position is the best the held state can give.
 * Each request travels with a tag (what was worked out on its arrival) and is released with it
 * and its time, read from here: a request held for minutes is out of every cache.
 * What is held is the caller's: a request, or a number it can be recalled by (the scan holds
 * requests decoded by workers so, src/pipeline/held-batches.ts).
 * Memory: the requests of one window, not of the input.
 */
export class Reorderer<Item, Tag> {
  // A 4-ary min-heap on (time, arrival), in parallel arrays: the keys are read without
  // touching the requests, elements move by shifting a hole rather than by swaps, and a node's
  // four children share a cache line (half the levels of a binary heap; this runs between the
  // decoding of records, with cold caches).
  private readonly reqs: Item[] = [];
  private readonly tags: Tag[] = [];
  private readonly times: number[] = [];
  private readonly seqs: number[] = [];
  // Requests that arrive no earlier than every request in this queue (~40% of a gateway log,
  // all of a sorted one) wait in arrival order here instead: appending and taking are O(1), and
  // the heap holds only the stragglers. Taken from `head`; compacted now and then.
  private readonly runReqs: Item[] = [];
  private readonly runTags: Tag[] = [];
  private readonly runTimes: number[] = [];
  private readonly runSeqs: number[] = [];
  private head = 0;
  private seq = 0;
  private newest = Number.NEGATIVE_INFINITY;
  private lastReleased = Number.NEGATIVE_INFINITY;
  late = 0;

  constructor(
    private readonly windowMs: number,
    /** Gets each request with the tag it was pushed with, and its time (read here, not from the request). */
    private readonly release: (item: Item, tag: Tag, time: number) => void,
  ) {}

  /** Holds `item` (a request, or what stands for one) with its tag until its `time` comes. */
  push(item: Item, tag: Tag, time: number): void {
    if (time < this.lastReleased) {
      this.late++;
      this.release(item, tag, time);
      return;
    }
    if (time > this.newest) this.newest = time;
    // Fast path: nothing held and already in order with no window: pass straight through.
    if (this.windowMs === 0 && this.held === 0) {
      this.lastReleased = time;
      this.release(item, tag, time);
      return;
    }
    const runTimes = this.runTimes;
    if (runTimes.length === this.head || time >= runTimes[runTimes.length - 1]!) {
      this.runReqs.push(item);
      this.runTags.push(tag);
      runTimes.push(time);
      this.runSeqs.push(this.seq++);
    } else {
      this.insert(item, tag, time, this.seq++);
    }
    const horizon = this.newest - this.windowMs;
    for (;;) {
      const fromRun = this.runFirst();
      if (fromRun === null) break;
      const t = fromRun ? runTimes[this.head]! : this.times[0]!;
      if (t > horizon) break;
      this.releaseNext(fromRun);
    }
  }

  /** Replaces each item held by `f(item)`, in place: the order of release does not change. */
  replace(f: (item: Item) => Item): void {
    const { reqs, runReqs } = this;
    for (let i = 0; i < reqs.length; i++) reqs[i] = f(reqs[i]!);
    for (let i = this.head; i < runReqs.length; i++) runReqs[i] = f(runReqs[i]!);
  }

  /** Releases everything held, in order. */
  flush(): void {
    for (;;) {
      const fromRun = this.runFirst();
      if (fromRun === null) break;
      this.releaseNext(fromRun);
    }
  }

  get held(): number {
    return this.reqs.length + this.runReqs.length - this.head;
  }

  /** Whether the next request in (time, arrival) order is the run's first (true), the heap's top (false), or none is held (null). */
  private runFirst(): boolean | null {
    const inRun = this.head < this.runReqs.length;
    if (this.reqs.length === 0) return inRun ? true : null;
    if (!inRun) return false;
    const rt = this.runTimes[this.head]!;
    const ht = this.times[0]!;
    return rt < ht || (rt === ht && this.runSeqs[this.head]! < this.seqs[0]!);
  }

  private releaseNext(fromRun: boolean): void {
    let next: Item;
    let tag: Tag;
    let time: number;
    if (fromRun) {
      const head = this.head;
      next = this.runReqs[head]!;
      tag = this.runTags[head]!;
      time = this.runTimes[head]!;
      // Released: not kept alive here.
      this.runReqs[head] = undefined as Item;
      this.runTags[head] = undefined as Tag;
      this.head++;
      if (this.head === this.runReqs.length) {
        this.runReqs.length = this.runTags.length = this.runTimes.length = this.runSeqs.length = this.head = 0;
      } else if (this.head >= 4096 && 2 * this.head >= this.runReqs.length) {
        this.runReqs.splice(0, this.head);
        this.runTags.splice(0, this.head);
        this.runTimes.splice(0, this.head);
        this.runSeqs.splice(0, this.head);
        this.head = 0;
      }
    } else {
      time = this.times[0]!;
      tag = this.tags[0]!;
      next = this.pop();
    }
    this.lastReleased = time;
    this.release(next, tag, time);
  }

  private insert(req: Item, tag: Tag, time: number, seq: number): void {
    const { reqs, tags, times, seqs } = this;
    let i = reqs.length;
    reqs.push(req);
    tags.push(tag);
    times.push(time);
    seqs.push(seq);
    while (i > 0) {
      const parent = (i - 1) >> 2;
      const pt = times[parent]!;
      if (pt < time || (pt === time && seqs[parent]! < seq)) break;
      reqs[i] = reqs[parent]!;
      tags[i] = tags[parent]!;
      times[i] = pt;
      seqs[i] = seqs[parent]!;
      i = parent;
    }
    reqs[i] = req;
    tags[i] = tag;
    times[i] = time;
    seqs[i] = seq;
  }

  /** Takes the heap's top (its tag and time: read them first). */
  private pop(): Item {
    const { reqs, tags, times, seqs } = this;
    const top = reqs[0]!;
    const req = reqs.pop()!;
    const tag = tags.pop()!;
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
      tags[i] = tags[child]!;
      times[i] = ct;
      seqs[i] = cs;
      i = child;
    }
    reqs[i] = req;
    tags[i] = tag;
    times[i] = time;
    seqs[i] = seq;
    return top;
  }
}

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
 *
 * The window is measured from the newest time seen, so one record whose time is far ahead of all
 * others (a clock glitch, a bogus year 2099) would move it to that time: every record after it
 * would be released at once in arrival order, and those out of order counted late, for the rest
 * of the input. A record more than `jumpMs` ahead of every earlier one therefore moves the horizon
 * only when confirmed: a record among the next `CONFIRM_WITHIN` that is not far behind it (the
 * traffic after a quiet gap, a sparse log, a node whose clock is ahead). Until then it is held like
 * any other; if the records after it are all far behind, it stays held apart ("ahead") and is
 * released in time order when the others catch up with it, or at the end. At most `MAX_AHEAD` are
 * held apart, so that memory stays bounded whatever the log.
 */
/** A far-ahead record is confirmed by a record not far behind it among this many arrivals after it. */
const CONFIRM_WITHIN = 16;
/** At most this many records are held apart in a scan; after that the window follows every time again. */
const MAX_AHEAD = 1_000;

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
  /**
   * `newest + jumpMs`: a time beyond it is far ahead. So is the first record's, with nothing to
   * compare it with: the next records confirm it, or show that it was the glitch.
   */
  private aheadLimit = Number.NEGATIVE_INFINITY;
  private readonly jumpMs: number;
  /** Unconfirmed far-ahead records: their times and arrival numbers. */
  private readonly aheadTimes: number[] = [];
  private readonly aheadSeqs: number[] = [];
  private lastReleased = Number.NEGATIVE_INFINITY;
  late = 0;
  /**
   * Records that arrived far ahead of every earlier one, and the `CONFIRM_WITHIN` records after
   * them all far behind: held apart without moving the horizon.
   */
  ahead = 0;

  constructor(
    private readonly windowMs: number,
    /** Gets each request with the tag it was pushed with, and its time (read here, not from the request). */
    private readonly release: (item: Item, tag: Tag, time: number) => void,
  ) {
    this.jumpMs = Math.max(windowMs, 60_000);
  }

  /** Holds `item` (a request, or what stands for one) with its tag until its `time` comes. */
  push(item: Item, tag: Tag, time: number): void {
    if (time < this.lastReleased) {
      this.late++;
      this.release(item, tag, time);
      return;
    }
    if (time > this.newest) {
      if (time <= this.aheadLimit) this.advance(time);
      else this.farAhead(time);
    }
    // Fast path: nothing held and already in order with no window: pass straight through (not a
    // record held apart as far ahead: `newest` did not move to it).
    if (this.windowMs === 0 && this.held === 0 && time <= this.newest) {
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

  /** The newest time seen moves to `time`; records it brings within reach are no longer far ahead. */
  private advance(time: number): void {
    this.newest = time;
    this.aheadLimit = time + this.jumpMs;
    const times = this.aheadTimes;
    if (times.length === 0) return;
    let kept = 0;
    for (let i = 0; i < times.length; i++) {
      if (times[i]! <= this.aheadLimit) continue;
      times[kept] = times[i]!;
      this.aheadSeqs[kept++] = this.aheadSeqs[i]!;
    }
    times.length = this.aheadSeqs.length = kept;
  }

  /** A record more than `jumpMs` ahead of every earlier one (rare: not on the per-record path). */
  private farAhead(time: number): void {
    const times = this.aheadTimes;
    const seqs = this.aheadSeqs;
    const seq = this.seq;
    let kept = 0;
    let confirmed = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < times.length; i++) {
      const t = times[i]!;
      if (seq - seqs[i]! > CONFIRM_WITHIN) {
        // The records after it were all far behind it: it stays held apart until they catch up, or to the end.
        this.ahead++;
        continue;
      }
      if (time >= t - this.jumpMs) {
        // A later record not far behind it: its time was real (a gap, then traffic again).
        if (t > confirmed) confirmed = t;
        continue;
      }
      times[kept] = t;
      seqs[kept++] = seqs[i]!;
    }
    times.length = seqs.length = kept;
    // The newest time moves to the confirmed record, not to this one: this one needs its own confirmation.
    if (confirmed > this.newest) this.advance(confirmed);
    if (time <= this.aheadLimit) {
      if (time > this.newest) this.advance(time);
    } else if (this.ahead >= MAX_AHEAD) {
      this.advance(time); // enough held apart: the window follows every time again, and memory stays bounded
    } else {
      times.push(time);
      seqs.push(seq);
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
    // Far-ahead records too close to the end to tell are not counted: whatever they are, they come last.
    for (const seq of this.aheadSeqs) if (this.seq - seq > CONFIRM_WITHIN) this.ahead++;
    this.aheadTimes.length = this.aheadSeqs.length = 0;
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

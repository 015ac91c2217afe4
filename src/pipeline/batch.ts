/**
 * The requests and skips a worker thread decoded from one chunk, packed to cross threads cheaply:
 * one message per chunk, numbers in typed arrays (their buffers are transferred, not copied),
 * strings by index into one array, a field's string once while it repeats from one record to the
 * next (an empty field, a key's run), and a field of few values (method, user agent, API, tenant)
 * once while it is among that field's last RECENT strings: interleaved clients alternate a dozen
 * agents (on the benchmark, a batch of 936 records then has 3,754 strings instead of 5,425 for
 * the main thread to receive and collect; ~1% less CPU). Strings are cloned, never sliced
 * from one big string, so a request's strings that live on (an incident's key and IP) cannot pin
 * a whole chunk in memory.
 *
 * No look-up of every distinct string: hashing each fresh string into a map cost more than
 * cloning the repeats (measured: ~2.0 µs a record for the map, per chunk or kept across chunks,
 * against ~1.2 µs for cloning every string, both threads' share).
 */
import type { ApiRequest } from '../model/request.js';
import { SKIP_REASONS, Skip, type SkipReason } from '../model/skip.js';

const REASONS = Object.keys(SKIP_REASONS) as SkipReason[];
const REASON_INDEX = new Map(REASONS.map((r, i) => [r, i]));

/** Numbers per request: time, status, latencyMs, line. */
const NUMS = 4;
/** Strings per request: key, hash, id, alias, ip, method, path, userAgent, requestId, api, tenant. */
const REFS = 11;
/** Distinct strings remembered per field of few values. */
const RECENT = 8;
const AUTH_FAILURE = 1;
const EXPOSED = 2;

export interface Batch {
  /** Lines in the chunk (the next chunk's line numbers start after them). */
  lines: number;
  requests: number;
  nums: Float64Array;
  refs: Uint32Array;
  flags: Uint8Array;
  strings: string[];
  /** exposedIn, exposedKey of each request flagged EXPOSED, in order. */
  exposures: string[];
  /** Per skip: how many requests come before it, its line, its reason's index. */
  skips: Float64Array;
  skipDetails: string[];
}

/** A growable typed array. */
class Grow<T extends Float64Array | Uint32Array | Uint8Array> {
  length = 0;
  constructor(public data: T) {}
  push(v: number): void {
    if (this.length === this.data.length) {
      const bigger = new (this.data.constructor as new (n: number) => T)(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = v;
  }
  done(): T {
    return this.data.slice(0, this.length) as T;
  }
}

/** Packs one chunk's requests and skips, in the order they were decoded. */
export class BatchWriter {
  private readonly nums = new Grow(new Float64Array(NUMS * 1024));
  private readonly refs = new Grow(new Uint32Array(REFS * 1024));
  private readonly flags = new Grow(new Uint8Array(1024));
  private readonly skips = new Grow(new Float64Array(3 * 16));
  private readonly strings: string[] = [''];
  private readonly exposures: string[] = [];
  private readonly skipDetails: string[] = [];
  private requests = 0;
  /** Each field's previous string and its index. */
  private readonly lastString: string[] = new Array<string>(REFS).fill('');
  private readonly lastIndex = new Uint32Array(REFS);
  /** For fields of few values, their last RECENT distinct strings (a ring) and their indexes. */
  private readonly recentString: string[] = new Array<string>(REFS * RECENT).fill('');
  private readonly recentIndex = new Uint32Array(REFS * RECENT);
  private readonly recentNext = new Uint8Array(REFS);

  private ref(field: number, s: string): void {
    if (s === this.lastString[field]) {
      this.refs.push(this.lastIndex[field]!);
      return;
    }
    const i = this.strings.length;
    this.strings.push(s);
    this.lastString[field] = s;
    this.lastIndex[field] = i;
    this.refs.push(i);
  }

  /** As `ref`, for a field of few values that interleave (user agents): the last few are looked for. */
  private refFew(field: number, s: string): void {
    const base = field * RECENT;
    const recent = this.recentString;
    for (let k = base; k < base + RECENT; k++) {
      if (recent[k] === s) {
        this.refs.push(this.recentIndex[k]!);
        return;
      }
    }
    const i = this.strings.length;
    this.strings.push(s);
    const slot = base + this.recentNext[field]!;
    recent[slot] = s;
    this.recentIndex[slot] = i;
    this.recentNext[field] = (this.recentNext[field]! + 1) % RECENT;
    this.refs.push(i);
  }

  request(r: ApiRequest): void {
    this.nums.push(r.time);
    this.nums.push(r.status);
    this.nums.push(r.latencyMs);
    this.nums.push(r.line);
    const id = r.identity;
    this.ref(0, id.key);
    this.ref(1, id.hash);
    this.ref(2, id.id);
    this.ref(3, id.alias);
    this.ref(4, r.ip);
    this.refFew(5, r.method);
    this.ref(6, r.path);
    this.refFew(7, r.userAgent);
    this.ref(8, r.requestId);
    this.refFew(9, r.api);
    this.refFew(10, r.tenant);
    let flags = r.authFailure ? AUTH_FAILURE : 0;
    if (r.exposedIn !== undefined || r.exposedKey !== undefined) {
      flags |= EXPOSED;
      this.exposures.push(r.exposedIn ?? '', r.exposedKey ?? '');
    }
    this.flags.push(flags);
    this.requests++;
  }

  skip(line: number, s: Skip): void {
    this.skips.push(this.requests);
    this.skips.push(line);
    this.skips.push(REASON_INDEX.get(s.reason)!);
    this.skipDetails.push(s.detail);
  }

  /** The batch, and the buffers to transfer with it. */
  finish(lines: number): { batch: Batch; transfer: ArrayBuffer[] } {
    const batch: Batch = {
      lines,
      requests: this.requests,
      nums: this.nums.done(),
      refs: this.refs.done(),
      flags: this.flags.done(),
      strings: this.strings,
      exposures: this.exposures,
      skips: this.skips.done(),
      skipDetails: this.skipDetails,
    };
    return { batch, transfer: [batch.nums.buffer, batch.refs.buffer, batch.flags.buffer, batch.skips.buffer] as ArrayBuffer[] };
  }
}

export interface BatchSink {
  /** `handle`: the number the request can be recalled by from `HeldBatches` (held-batches.ts), or -1. */
  accept(req: ApiRequest, handle: number): void;
  skipAt(line: number, s: Skip): void;
}

/**
 * Request `i` of a batch, without its exposure (readBatch adds that): the same fields in the same
 * order as a format's `normalise` gives them. Recalling a request from its batch (held-batches.ts)
 * builds it again with this.
 */
export function requestAt(b: Batch, i: number, file: string, base: number): ApiRequest {
  const { nums, refs, flags, strings } = b;
  const n = i * NUMS;
  const s = i * REFS;
  return {
    time: nums[n]!,
    identity: { key: strings[refs[s]!]!, hash: strings[refs[s + 1]!]!, id: strings[refs[s + 2]!]!, alias: strings[refs[s + 3]!]! },
    ip: strings[refs[s + 4]!]!,
    method: strings[refs[s + 5]!]!,
    path: strings[refs[s + 6]!]!,
    status: nums[n + 1]!,
    latencyMs: nums[n + 2]!,
    userAgent: strings[refs[s + 7]!]!,
    requestId: strings[refs[s + 8]!]!,
    api: strings[refs[s + 9]!]!,
    tenant: strings[refs[s + 10]!]!,
    authFailure: (flags[i]! & AUTH_FAILURE) !== 0,
    file,
    line: base + nums[n + 3]!,
  };
}

/**
 * Unpacks a batch into requests and skips, in their decoded order, with line numbers made
 * absolute (`base` lines came before the chunk). Requests have the same fields, in the same
 * order, as a format's `normalise` gives them. With `first`, the handle HeldBatches.open gave
 * the batch (≥ 0), request i comes with handle `first + i`, but for those with an exposure (which
 * requestAt does not rebuild): -1.
 */
export function readBatch(b: Batch, file: string, base: number, sink: BatchSink, first = -1): void {
  const { flags, skips } = b;
  let nextSkip = 0;
  let exposure = 0;
  for (let i = 0; i <= b.requests; i++) {
    while (nextSkip < skips.length && skips[nextSkip] === i) {
      sink.skipAt(base + skips[nextSkip + 1]!, new Skip(REASONS[skips[nextSkip + 2]!]!, b.skipDetails[nextSkip / 3]!));
      nextSkip += 3;
    }
    if (i === b.requests) break;
    const req = requestAt(b, i, file, base);
    if (flags[i]! & EXPOSED) {
      req.exposedIn = b.exposures[exposure++]!;
      req.exposedKey = b.exposures[exposure++]!;
      sink.accept(req, -1);
    } else sink.accept(req, first < 0 ? -1 : first + i);
  }
}

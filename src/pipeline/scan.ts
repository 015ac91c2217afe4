/**
 * The scan pipeline, one stage per folder:
 *   read (files → lines) → decode (line → record, format detected per file)
 *   → normalise (record → ApiRequest, src/formats) → merge (several files by time, merge.ts)
 *   → judge (time order, decision table)
 *   → aggregate (incidents, counters) → report (src/report, driven by the CLI).
 */
import type { Counters } from '../aggregate/counters.js';
import { IncidentAggregator } from '../aggregate/incidents.js';
import { Judge, type Prejudged } from '../judge/judge.js';
import { Reorderer } from '../judge/reorder.js';
import type { Finding } from '../model/finding.js';
import type { ApiRequest } from '../model/request.js';
import type { Policy } from '../policy/policy.js';
import { HeldBatches } from './held-batches.js';
import { readRequests, type ReadOptions } from './requests.js';

export interface ScanOptions extends ReadOptions {
  policy: Policy;
  /** How far out of time order records may arrive and still be judged in order. */
  reorderWindowMs: number;
  /** Only requests in [since, until) are judged; the others are counted as outside the period. */
  since?: number;
  until?: number;
  /** Keep incidents per tenant too (for --split-by tenant). */
  perTenant?: boolean;
  /** Marks a finding before it is counted (suppressions). */
  decorate?: (f: Finding) => void;
  /** Extra When checks judged with the table (learned baselines). */
  extraWhen?: (req: ApiRequest) => import('../model/finding.js').Verdict;
  /** Called for each request that was judged, saying whether it gave a finding (to learn from clean ones). */
  onJudged?: (req: ApiRequest, flagged: boolean) => void;
  /** Called for each violating request, in judgement (time) order. */
  onFinding?: (f: Finding) => void;
}

/** What one tenant's report needs, and nothing of any other tenant. */
export interface TenantResult {
  aggregator: IncidentAggregator;
  parsed: number;
  first: number;
  last: number;
}

export interface ScanResult {
  counters: Counters;
  aggregator: IncidentAggregator;
  /** First and last request time among judged records; ±Infinity when none. */
  first: number;
  last: number;
  /** Requests read but outside --since/--until. */
  outsidePeriod: number;
  tenants: Map<string, TenantResult>;
}

export async function scan(opts: ScanOptions): Promise<ScanResult> {
  const aggregator = new IncidentAggregator();
  const tenants = new Map<string, TenantResult>();
  const judge = new Judge(opts.policy, opts.extraWhen);
  const since = opts.since ?? -Infinity;
  const until = opts.until ?? Infinity;
  let outsidePeriod = 0;
  let first = Infinity;
  let last = -Infinity;

  const tenantOf = (req: ApiRequest): TenantResult => {
    let t = tenants.get(req.tenant);
    if (!t) tenants.set(req.tenant, (t = { aggregator: new IncidentAggregator(), parsed: 0, first: Infinity, last: -Infinity }));
    return t;
  };
  const report = (finding: Finding | null): boolean => {
    if (finding === null) return false;
    opts.decorate?.(finding);
    aggregator.add(finding);
    if (opts.perTenant) tenantOf(finding.request).aggregator.add(finding);
    opts.onFinding?.(finding);
    return true;
  };
  // Who, Where and What as each request arrives; When and the findings in time order.
  // Requests a worker decoded wait as numbers into their batch, not as objects (held-batches.ts).
  const held = opts.held ?? (opts.pool ? new HeldBatches() : undefined);
  // The request leaving the window. One held by number is built from its batch only when
  // something reads it: most leave clean, judged on their time and prejudgement alone.
  let leaving: ApiRequest | number = -1;
  let built: ApiRequest | null = null;
  const leavingRequest = (): ApiRequest => (built ??= typeof leaving === 'number' ? held!.request(leaving) : leaving);
  const reorder = new Reorderer<ApiRequest | number, Prejudged>(opts.reorderWindowMs, (item, pre, time) => {
    leaving = item;
    built = null;
    const flagged = report(judge.finish(leavingRequest, pre, time));
    const exposed = judge.mayExpose(leavingRequest, pre) ? report(judge.exposure(leavingRequest())) : false;
    opts.onJudged?.(leavingRequest(), flagged || exposed);
    if (typeof item === 'number') held!.release(item); // after the last read: its batch may go with it
    built = null;
  });
  const read = await readRequests({ ...opts, held }, (req, handle) => {
    if (req.time < since || req.time >= until) {
      outsidePeriod++;
      return;
    }
    if (req.time < first) first = req.time;
    if (req.time > last) last = req.time;
    if (opts.perTenant) {
      const t = tenantOf(req);
      t.parsed++;
      if (req.time < t.first) t.first = req.time;
      if (req.time > t.last) t.last = req.time;
    }
    reorder.push(handle >= 0 ? held!.hold(handle) : req, judge.prejudge(req), req.time);
    if (held?.wantsCompaction) {
      // Batches kept for a few of their requests (say, one far-future time per chunk): those become objects.
      reorder.replace((item) => (typeof item === 'number' && held.sparse(item) ? held.recall(item) : item));
      held.compacted();
    }
  });
  reorder.flush();
  read.counters.late = reorder.late;
  read.counters.ahead = reorder.ahead;
  read.counters.unchecked = { ...judge.unchecked };
  return { counters: read.counters, aggregator, first, last, outsidePeriod, tenants };
}

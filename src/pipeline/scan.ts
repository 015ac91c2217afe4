/**
 * The scan pipeline, one stage per folder:
 *   read (files → lines) → decode (line → record, format detected per file)
 *   → normalise (record → ApiRequest, src/formats) → judge (time order, decision table)
 *   → aggregate (incidents, counters) → report (src/report, driven by the CLI).
 */
import type { Counters } from '../aggregate/counters.js';
import { IncidentAggregator } from '../aggregate/incidents.js';
import { Judge } from '../judge/judge.js';
import { Reorderer } from '../judge/reorder.js';
import type { Finding } from '../model/finding.js';
import type { Policy } from '../policy/policy.js';
import { readRequests, type ReadOptions } from './requests.js';

export interface ScanOptions extends ReadOptions {
  policy: Policy;
  /** How far out of time order records may arrive and still be judged in order. */
  reorderWindowMs: number;
  /** Called for each violating request, in judgement (time) order. */
  onFinding?: (f: Finding) => void;
}

export interface ScanResult {
  counters: Counters;
  aggregator: IncidentAggregator;
  /** First and last request time among parsed records; ±Infinity when none. */
  first: number;
  last: number;
}

export async function scan(opts: ScanOptions): Promise<ScanResult> {
  const aggregator = new IncidentAggregator();
  const judge = new Judge(opts.policy);
  const report = (finding: Finding | null): void => {
    if (finding === null) return;
    aggregator.add(finding);
    opts.onFinding?.(finding);
  };
  const reorder = new Reorderer(opts.reorderWindowMs, (req) => {
    report(judge.judge(req));
    if (req.exposedKey) report(judge.exposure(req));
  });
  const read = await readRequests(opts, (req) => reorder.push(req));
  reorder.flush();
  read.counters.late = reorder.late;
  read.counters.unchecked = { ...judge.unchecked };
  return { counters: read.counters, aggregator, first: read.first, last: read.last };
}

/**
 * Each run of a row against the baseline (a) run of the same round. The bench interleaves rows
 * round by round, so a round's runs share the machine's moment; on a VM whose speed drifts, the
 * spread of these ratios says how far one run's verdict can stray from the median's.
 */
export interface Timed {
  wallMs: number;
}

/**
 * Records/s of each run of a row over records/s of the (a) run of its round; [] when the two did
 * not run the same rounds (a row that failed a run stops being measured).
 */
export function perRunRatios(row: Timed[], rowRecords: number, baseline: Timed[], baselineRecords: number): number[] {
  if (row.length !== baseline.length) return [];
  return row.map((r, i) => rowRecords / r.wallMs / (baselineRecords / baseline[i]!.wallMs));
}

/** Deterministic randomness and byte cutting for tests that must not depend on luck. */

/** A pseudo-random generator (mulberry32): numbers in [0, 1), the same sequence for the same seed. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Cuts a buffer into pieces at the given byte offsets (ascending). */
export function cut(buf: Buffer, ...at: number[]): Buffer[] {
  const points = [0, ...at, buf.length];
  return points.slice(1).map((end, k) => buf.subarray(points[k]!, end));
}

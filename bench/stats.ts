/**
 * Summary statistics for benchmark samples. Percentiles use the nearest-rank method (the value at
 * rank ⌈p/100 · n⌉ of the sorted samples): every reported percentile is a latency that was really
 * observed, never an interpolation between two runs, and with n ≥ 100 the p99 is one of the slowest
 * 1% of runs rather than a blend of them.
 */

export interface Summary {
  n: number;
  min: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** The nearest-rank percentile of already sorted samples; `p` in (0, 100]. */
export function percentileSorted(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError('percentile of no samples');
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function percentile(samples: readonly number[], p: number): number {
  return percentileSorted(
    [...samples].sort((a, b) => a - b),
    p,
  );
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new RangeError('summary of no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    n: sorted.length,
    min: sorted[0]!,
    mean: sum / sorted.length,
    p50: percentileSorted(sorted, 50),
    p95: percentileSorted(sorted, 95),
    p99: percentileSorted(sorted, 99),
    max: sorted[sorted.length - 1]!,
  };
}

/** Share of requests served on a connection that was already open: 1 − connections/requests (1 when nothing was requested). */
export function reuseRatio(requests: number, connections: number): number {
  if (requests <= 0) return 1;
  return Math.max(0, 1 - connections / requests);
}

/** a / b, or undefined when either side is missing or b is 0 (a ratio we cannot state). */
export function ratio(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined || b === undefined || b === 0) return undefined;
  return a / b;
}

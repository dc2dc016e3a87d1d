/**
 * ThompsonSamplingOperator before the review: per draw, a dict of one Beta sample per variant, the
 * arg-max credited; then the weights pushed one variant at a time, each PUT in its own
 * rate-limit retry loop (`for attempt in range(self.max_rate_limit_retries + 1)`). Bench-only.
 */
import { naiveBeta } from './beta';
import { naiveJson } from './http';

export interface NaiveVariant {
  id: string;
  successes: number;
  failures: number;
}

export function naiveSampleWeights(variants: readonly NaiveVariant[], draws: number): Record<string, number> {
  const wins: Record<string, number> = {};
  for (const v of variants) wins[v.id] = 0;
  for (let d = 0; d < draws; d++) {
    const samples: Record<string, number> = {};
    for (const v of variants) samples[v.id] = naiveBeta(v.successes + 1, v.failures + 1);
    let best: string | undefined;
    let bestValue = -Infinity;
    for (const [id, value] of Object.entries(samples)) {
      if (value > bestValue) {
        best = id;
        bestValue = value;
      }
    }
    if (best !== undefined) wins[best] = (wins[best] ?? 0) + 1;
  }
  const weights: Record<string, number> = {};
  for (const [id, n] of Object.entries(wins)) weights[id] = n / draws;
  return weights;
}

export async function naivePublishWeights(
  experimentsUrl: string,
  experimentId: string,
  weights: Record<string, number>,
): Promise<void> {
  for (const [variant, weight] of Object.entries(weights)) {
    await naiveJson(`${experimentsUrl}/${encodeURIComponent(experimentId)}/weights`, {
      method: 'PUT',
      json: { weights: { [variant]: weight } },
    });
  }
}

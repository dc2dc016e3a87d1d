/**
 * Thompson sampling over Beta-Bernoulli posteriors, pure: counts in, probability-best out.
 * All variants are drawn at once over typed arrays (the Airflow operator called np.random.beta
 * once per variant per draw).
 */
import { createBetaSampler, type Rng } from './beta-sampler';

export interface VariantCounts {
  id: string;
  successes: number;
  failures: number;
}

/** Beta(alpha[i], beta[i]) for variant ids[i]. */
export interface BetaPosteriors {
  readonly ids: readonly string[];
  readonly alphas: Float64Array;
  readonly betas: Float64Array;
}

/** Uniform Beta(1, 1) prior updated with each variant's outcomes: alpha = successes + 1, beta = failures + 1. */
export function betaPosteriors(variants: readonly VariantCounts[]): BetaPosteriors {
  const alphas = new Float64Array(variants.length);
  const betas = new Float64Array(variants.length);
  variants.forEach((v, i) => {
    alphas[i] = v.successes + 1;
    betas[i] = v.failures + 1;
  });
  return { ids: variants.map((v) => v.id), alphas, betas };
}

/**
 * Monte-Carlo estimate of P(variant i has the highest conversion rate): each draw samples every
 * posterior once and credits the largest. That probability is Thompson sampling's traffic
 * allocation: routing each request to the arg-max of a fresh draw sends this share to each variant.
 * Draws can be added in slices so a caller can yield between them; the estimate depends only on
 * the RNG sequence, not on how the draws were sliced.
 */
export interface BestArmTally {
  readonly draws: number;
  addDraws(draws: number): void;
  /** Wins / draws per variant, aligned with `ids`; sums to 1 once any draw was made. */
  probabilities(): Float64Array;
}

export function createBestArmTally(posteriors: BetaPosteriors, rng: Rng): BestArmTally {
  const sampler = createBetaSampler(rng, posteriors.alphas, posteriors.betas);
  const sample = new Float64Array(sampler.size);
  const wins = new Float64Array(sampler.size);
  let draws = 0;
  return {
    get draws() {
      return draws;
    },
    addDraws(n) {
      for (let d = 0; d < n; d++) {
        sampler.draw(sample);
        let best = 0;
        for (let i = 1; i < sample.length; i++) if (sample[i]! > sample[best]!) best = i;
        wins[best]!++;
      }
      draws += n;
    },
    probabilities() {
      const p = new Float64Array(wins.length);
      if (draws > 0) for (let i = 0; i < wins.length; i++) p[i] = wins[i]! / draws;
      return p;
    },
  };
}

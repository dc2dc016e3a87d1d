/**
 * The posterior counts every sampling benchmark uses, numpy's included: a deterministic spread of
 * conversion rates (2–20%), so no variant wins every draw and the arg-max is not trivially cached.
 * numpy-anchor.ts computes the same formula in Python.
 */

export interface BenchVariant {
  id: string;
  successes: number;
  failures: number;
}

export const successesOf = (i: number): number => 5 + ((i * 7919) % 95);
export const failuresOf = (i: number): number => 50 + ((i * 104729) % 950);

export function benchVariants(n: number): BenchVariant[] {
  return Array.from({ length: n }, (_, i) => ({ id: `v${i}`, successes: successesOf(i), failures: failuresOf(i) }));
}

/** Beta(successes + 1, failures + 1) shapes, as the product's betaPosteriors builds them. */
export function benchShapes(n: number): { alphas: Float64Array; betas: Float64Array } {
  const alphas = new Float64Array(n);
  const betas = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    alphas[i] = successesOf(i) + 1;
    betas[i] = failuresOf(i) + 1;
  }
  return { alphas, betas };
}

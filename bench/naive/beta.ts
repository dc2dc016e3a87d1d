/**
 * Beta sampling as the operator did it: `np.random.beta(alpha, beta)` once per variant per draw,
 * i.e. a scalar call that builds its Gamma sampler from the shape every time (Marsaglia–Tsang
 * constants recomputed per call, Box–Muller normals from the global generator), nothing kept
 * between calls and nothing in typed arrays. Bench-only.
 */

/** One standard normal by Box–Muller; the second value of the pair is thrown away, as a scalar API does. */
function normal(): number {
  const u = 1 - Math.random(); // (0, 1]: log stays finite
  const v = Math.random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

export function naiveGamma(shape: number): number {
  if (shape < 1) return naiveGamma(shape + 1) * Math.pow(1 - Math.random(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - Math.random();
    if (u < 1 - 0.0331 * x ** 4) return d * v;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

export function naiveBeta(alpha: number, beta: number): number {
  const x = naiveGamma(alpha);
  const y = naiveGamma(beta);
  return x / (x + y);
}

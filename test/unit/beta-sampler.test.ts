import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createBetaSampler, createRng, sampleGamma, type BetaSampler, type Rng } from '../../src/sampling/beta-sampler';

const N = 200_000;

function moments(values: ArrayLike<number>): { mean: number; variance: number } {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  const mean = sum / values.length;
  let sq = 0;
  for (let i = 0; i < values.length; i++) sq += (values[i]! - mean) ** 2;
  return { mean, variance: sq / (values.length - 1) };
}

/** Within `sigmas` standard errors, or a tiny absolute slack for near-degenerate cases. */
function assertClose(actual: number, expected: number, stdErr: number, what: string, sigmas = 5): void {
  const tolerance = Math.max(sigmas * stdErr, 1e-12);
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} vs ${expected} (±${tolerance})`);
}

/** Φ by Abramowitz–Stegun 7.1.26 (|error| < 1.5e-7): far below the KS bound at these sample sizes. */
function normalCdf(x: number): number {
  const t = 1 / (1 + (0.3275911 * Math.abs(x)) / Math.SQRT2);
  const poly = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t;
  const erf = 1 - poly * Math.exp(-(x * x) / 2);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/** Kolmogorov–Smirnov distance between a sample and a CDF. */
function ksDistance(values: Float64Array, cdf: (x: number) => number): number {
  const sorted = Float64Array.from(values).sort();
  let d = 0;
  for (let i = 0; i < sorted.length; i++) {
    const f = cdf(sorted[i]!);
    d = Math.max(d, Math.abs(f - i / sorted.length), Math.abs(f - (i + 1) / sorted.length));
  }
  return d;
}

/** KS critical distance at significance 0.001. */
const ksBound = (n: number) => 1.95 / Math.sqrt(n);

/** χ² critical value for 99 degrees of freedom at significance 0.001. */
const CHI2_99 = 148.23;

/**
 * N(0, 1) in the body (KS), bin by bin (χ² over 100 equiprobable bins: sees a ziggurat that accepts
 * its wedges unchecked, which KS misses), in the tails beyond the ziggurat base (R ≈ 3.44), and symmetric.
 */
function assertNormal(values: Float64Array): void {
  const n = values.length;
  const d = ksDistance(values, normalCdf);
  assert.ok(d < ksBound(n), `KS distance ${d}`);
  const bins = new Float64Array(100);
  for (const v of values) bins[Math.min(99, Math.floor(normalCdf(v) * 100))]!++;
  const chi2 = bins.reduce((sum, count) => sum + (count - n / 100) ** 2 / (n / 100), 0);
  assert.ok(chi2 < CHI2_99, `χ² over 100 bins ${chi2}`);
  for (const [cut, p] of [
    [3.5, 4.6527e-4],
    [4, 6.3342e-5],
  ] as const) {
    const beyond = values.reduce((count, v) => count + (Math.abs(v) > cut ? 1 : 0), 0);
    assertClose(beyond / n, p, Math.sqrt((p * (1 - p)) / n), `P(|Z| > ${cut})`);
  }
  const negative = values.reduce((count, v) => count + (v < 0 ? 1 : 0), 0);
  assertClose(negative / n, 0.5, 0.5 / Math.sqrt(n), 'P(Z < 0)');
}

/** `n` draws of every pair, one array per pair. */
function drawPerPair(sampler: BetaSampler, n: number): Float64Array[] {
  const draws = Array.from({ length: sampler.size }, () => new Float64Array(n));
  const out = new Float64Array(sampler.size);
  for (let d = 0; d < n; d++) {
    sampler.draw(out);
    for (let i = 0; i < sampler.size; i++) draws[i]![d] = out[i]!;
  }
  return draws;
}

const binomial = (n: number, k: number): number => (k === 0 ? 1 : (binomial(n - 1, k - 1) * n) / k);

describe('createRng', () => {
  test('the same seed gives the same sequence; another seed gives another', () => {
    const a = createRng(1234);
    const b = createRng(1234);
    const c = createRng(1235);
    const seqA = Array.from({ length: 50 }, () => a.uniform());
    const seqB = Array.from({ length: 50 }, () => b.uniform());
    const seqC = Array.from({ length: 50 }, () => c.uniform());
    assert.deepEqual(seqA, seqB);
    assert.notDeepEqual(seqA, seqC);
  });

  test('is xoshiro128** seeded by splitmix32: the first outputs of a reference implementation', () => {
    // From the published algorithm in Python (uint32 arithmetic), independently of this code.
    const expected: Array<[number, number[]]> = [
      [1, [393288148, 2174103013, 3814759091, 2092745082, 1865176206, 2179171167]],
      [0xdeadbeef, [3842467093, 879304004, 3694663928, 2788030634, 934155191, 702880729]],
    ];
    for (const [seed, words] of expected) {
      const u = new Float64Array(words.length);
      createRng(seed).fillUniforms(u);
      assert.deepEqual(
        Array.from(u, (x) => x * 2 ** 32 - 0.5),
        words,
        `seed ${seed}`,
      );
    }
  });

  test('uniforms are in the open interval (0, 1) with mean 1/2 and variance 1/12', () => {
    const rng = createRng(7);
    const values = new Float64Array(N);
    for (let i = 0; i < N; i++) {
      const u = rng.uniform();
      assert.ok(u > 0 && u < 1);
      values[i] = u;
    }
    const { mean, variance } = moments(values);
    assertClose(mean, 0.5, Math.sqrt(1 / 12 / N), 'mean');
    assertClose(variance, 1 / 12, 0.0745 / Math.sqrt(N), 'variance'); // sd of a uniform's squared deviation ≈ 0.0745
  });

  test('bulk uniforms are uniform on (0, 1) (KS) and deterministic per seed', () => {
    const values = new Float64Array(N);
    createRng(11).fillUniforms(values);
    assert.ok(values.every((u) => u > 0 && u < 1));
    const d = ksDistance(values, (x) => x);
    assert.ok(d < ksBound(N), `KS distance ${d}`);
    const again = new Float64Array(N);
    createRng(11).fillUniforms(again);
    assert.deepEqual(again, values);
  });

  test('bulk normals follow N(0, 1) in the body (KS) and in the tails beyond the ziggurat base', () => {
    const n = 1_000_000;
    const values = new Float64Array(n);
    const rng = createRng(12);
    // Several fills of odd sizes, so buffer boundaries fall in different places.
    for (let at = 0; at < n;) {
      const size = Math.min(n - at, 4093 + (at % 7));
      rng.fillNormals(values.subarray(at, at + size));
      at += size;
    }
    assertNormal(values);
  });

  test('the tail beyond the ziggurat base has the normal shape: E[|Z| - c | |Z| > c]', () => {
    // Draws beyond R ≈ 3.44 come from the tail algorithm alone; its shape shows in the mean excess.
    const n = 4_000_000;
    const cut = 3.5;
    const values = new Float64Array(n);
    createRng(13).fillNormals(values);
    const excess: number[] = [];
    for (const v of values) if (Math.abs(v) > cut) excess.push(Math.abs(v) - cut);
    const density = Math.exp(-(cut * cut) / 2) / Math.sqrt(2 * Math.PI);
    const expected = density / (1 - normalCdf(cut)) - cut; // inverse Mills ratio minus the cut
    const got = moments(excess);
    assertClose(got.mean, expected, Math.sqrt(got.variance / excess.length), 'mean excess');
  });

  test('normals have mean 0, variance 1 and a symmetric tail', () => {
    const rng = createRng(99);
    const values = new Float64Array(N);
    let beyond2 = 0;
    for (let i = 0; i < N; i++) {
      values[i] = rng.normal();
      if (Math.abs(values[i]!) > 2) beyond2++;
    }
    const { mean, variance } = moments(values);
    assertClose(mean, 0, 1 / Math.sqrt(N), 'mean');
    assertClose(variance, 1, Math.SQRT2 / Math.sqrt(N), 'variance');
    const p = 0.0455; // P(|Z| > 2)
    assertClose(beyond2 / N, p, Math.sqrt((p * (1 - p)) / N), 'P(|Z| > 2)');
    const d = ksDistance(values, normalCdf);
    assert.ok(d < ksBound(N), `KS distance ${d}`);
  });
});

describe('sampleGamma', () => {
  // Gamma(k, 1): mean k, variance k; the sample variance's variance is (mu4 - sigma^4)/n with mu4 = 3k^2 + 6k.
  for (const shape of [0.1, 0.5, 1, 2.5, 30, 1e4]) {
    test(`Gamma(${shape}) has mean and variance ${shape}`, () => {
      const rng = createRng(shape * 1000);
      const values = new Float64Array(N);
      for (let i = 0; i < N; i++) values[i] = sampleGamma(rng, shape);
      assert.ok(values.every((v) => v >= 0 && Number.isFinite(v)));
      const { mean, variance } = moments(values);
      assertClose(mean, shape, Math.sqrt(shape / N), 'mean');
      const mu4 = 3 * shape * shape + 6 * shape;
      assertClose(variance, shape, Math.sqrt((mu4 - shape * shape) / N), 'variance', 6);
    });
  }

  test('refuses shapes that are not finite and positive', () => {
    const rng = createRng(1);
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY])
      assert.throws(() => sampleGamma(rng, bad), RangeError);
  });
});

describe('createBetaSampler', () => {
  const cases: Array<[number, number]> = [
    [1, 1],
    [0.3, 0.7],
    [0.05, 0.05],
    [2, 5],
    [11, 991],
    [1e5, 3e5],
  ];

  test('means and variances match Beta(a, b) for shapes below 1, around 1 and large', () => {
    // All pairs side by side in one sampler: the same code path the Thompson tally uses.
    const alphas = Float64Array.from(cases.map(([a]) => a));
    const betas = Float64Array.from(cases.map(([, b]) => b));
    const draws = drawPerPair(createBetaSampler(createRng(2024), alphas, betas), N);
    cases.forEach(([a, b], i) => {
      const values = draws[i]!;
      assert.ok(
        values.every((v) => v >= 0 && v <= 1 && !Number.isNaN(v)),
        `Beta(${a}, ${b}) in [0, 1]`,
      );
      const mean = a / (a + b);
      const variance = (a * b) / ((a + b) ** 2 * (a + b + 1));
      const got = moments(values);
      assertClose(got.mean, mean, Math.sqrt(variance / N), `Beta(${a}, ${b}) mean`);
      // The sample variance's standard error is var·sqrt((excess kurtosis + 2) / N).
      const excess = (6 * ((a - b) ** 2 * (a + b + 1) - a * b * (a + b + 2))) / (a * b * (a + b + 2) * (a + b + 3));
      assertClose(got.variance, variance, variance * Math.sqrt((excess + 2) / N), `Beta(${a}, ${b}) variance`, 6);
    });
  });

  test('draws follow the Beta CDF (KS), for closed forms with shapes below 1, at 1 and above', () => {
    // I_x(a, b) for integer shapes is P(Binomial(a + b - 1, x) >= a).
    const cases: Array<[number, number, (x: number) => number]> = [
      [1, 1, (x) => x],
      [0.5, 0.5, (x) => (2 / Math.PI) * Math.asin(Math.sqrt(x))],
      [0.3, 1, (x) => x ** 0.3],
      [1, 0.3, (x) => 1 - (1 - x) ** 0.3],
      [2, 5, (x) => 1 - (1 - x) ** 6 - 6 * x * (1 - x) ** 5],
      [40, 2, (x) => x ** 41 + 41 * x ** 40 * (1 - x)],
    ];
    const sampler = createBetaSampler(
      createRng(77),
      Float64Array.from(cases.map(([a]) => a)),
      Float64Array.from(cases.map(([, b]) => b)),
    );
    const draws = drawPerPair(sampler, N);
    cases.forEach(([a, b, cdf], i) => {
      const d = ksDistance(draws[i]!, cdf);
      assert.ok(d < ksBound(N), `Beta(${a}, ${b}): KS distance ${d}`);
    });
  });

  test('the normals inside the sampler are N(0, 1) in the body (KS) and beyond the ziggurat base', () => {
    // Beta(a, b) with b ≫ a is X / b for X ~ Gamma(a), and by Wilson–Hilferty (X / a)^(1/3) is
    // N(1 - 1/(9a), 1/(9a)) up to O(1/a): for a = 1e6, the sampler's own normal, rare paths included.
    const a = 1e6;
    const b = 1e13;
    const pairs = 1_000;
    const n = 4_000_000;
    const sampler = createBetaSampler(createRng(5), new Float64Array(pairs).fill(a), new Float64Array(pairs).fill(b));
    const z = new Float64Array(n);
    const out = new Float64Array(pairs);
    for (let at = 0; at < n; at += pairs) {
      sampler.draw(out);
      for (let i = 0; i < pairs; i++) {
        const x = (out[i]! / (1 - out[i]!)) * (b / a); // X / a, from X / (X + Y) with Y ≈ b
        z[at + i] = (Math.cbrt(x) - (1 - 1 / (9 * a))) / Math.sqrt(1 / (9 * a));
      }
    }
    assertNormal(z);
  });

  test('an Rng not made by createRng drives the sampler too: deterministic, and the right distribution', () => {
    // A wrapper is a different object, so the sampler seeds a stream of its own from it.
    const wrapped = (seed: number): Rng => {
      const inner = createRng(seed);
      return {
        uniform: () => inner.uniform(),
        normal: () => inner.normal(),
        fillUniforms: (o) => inner.fillUniforms(o),
        fillNormals: (o) => inner.fillNormals(o),
      };
    };
    const draw = (seed: number) =>
      drawPerPair(createBetaSampler(wrapped(seed), Float64Array.from([3]), Float64Array.from([7])), N)[0]!;
    const values = draw(31);
    assert.deepEqual(draw(31), values);
    const d = ksDistance(
      values,
      (x) => 1 - [0, 1, 2].reduce((p, j) => p + binomial(9, j) * x ** j * (1 - x) ** (9 - j), 0),
    );
    assert.ok(d < ksBound(N), `KS distance ${d}`);
  });

  test('the sampler advances the exact xoshiro128** stream of its Rng, two outputs per try', () => {
    // Its generator is written inline; a slip in it would still look random to the tests above.
    const rng = createRng(42);
    const sampler = createBetaSampler(rng, Float64Array.from([2, 3, 50]), Float64Array.from([5, 1, 7]));
    const out = new Float64Array(3);
    for (let d = 0; d < 10; d++) sampler.draw(out);
    const next = rng.uniform();
    const stream = new Float64Array(1_000);
    createRng(42).fillUniforms(stream);
    const at = stream.indexOf(next);
    // Four outputs seed the rare paths' stream, then two per Marsaglia–Tsang try.
    assert.ok(at >= 4 + 2 * 60 && (at - 4) % 2 === 0, `the next output is #${at} of the stream`);
  });

  test('samplers and scalar calls sharing one Rng continue its stream instead of repeating it', () => {
    const alphas = Float64Array.from([2, 2]);
    const betas = Float64Array.from([3, 3]);
    const rng = createRng(8);
    const first = createBetaSampler(rng, alphas, betas).draw(new Float64Array(2));
    const u = rng.uniform();
    const second = createBetaSampler(rng, alphas, betas).draw(new Float64Array(2));
    assert.notDeepEqual(second, first);
    // Replayed from the same seed, the interleaving gives the same values.
    const again = createRng(8);
    assert.deepEqual(createBetaSampler(again, alphas, betas).draw(new Float64Array(2)), first);
    assert.equal(again.uniform(), u);
    assert.deepEqual(createBetaSampler(again, alphas, betas).draw(new Float64Array(2)), second);
  });

  test('the same seed fills the same values', () => {
    const alphas = Float64Array.from([1, 3, 0.5]);
    const betas = Float64Array.from([2, 1, 0.5]);
    const draw = (seed: number) => createBetaSampler(createRng(seed), alphas, betas).draw(new Float64Array(3));
    const a = draw(5);
    const b = draw(5);
    const c = draw(6);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });

  test('tiny shapes do not produce NaN (log-space combination)', () => {
    const sampler = createBetaSampler(createRng(3), Float64Array.from([1e-3]), Float64Array.from([1e-3]));
    const out = new Float64Array(1);
    let ones = 0;
    for (let i = 0; i < 10_000; i++) {
      const v = sampler.draw(out)[0]!;
      assert.ok(v >= 0 && v <= 1, `got ${v}`);
      if (v > 0.5) ones++;
    }
    // Beta(ε, ε) is a coin flip between 0 and 1.
    assert.ok(ones > 4_500 && ones < 5_500, `${ones} draws above 0.5`);
  });

  test('refuses mismatched lengths and bad shapes', () => {
    const rng = createRng(1);
    assert.throws(() => createBetaSampler(rng, new Float64Array(2), new Float64Array(3)), RangeError);
    assert.throws(() => createBetaSampler(rng, Float64Array.from([1]), Float64Array.from([0])), /beta\[0\]/);
    const sampler = createBetaSampler(rng, Float64Array.from([1]), Float64Array.from([1]));
    assert.throws(() => sampler.draw(new Float64Array(2)), RangeError);
  });
});

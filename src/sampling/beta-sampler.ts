/**
 * Seedable Beta sampling for Thompson sampling: a xoshiro128** generator, ziggurat normals,
 * Gamma deviates by Marsaglia–Tsang, and Beta as X / (X + Y) over whole Float64Arrays of shapes.
 *
 * Hand-written rather than imported: the npm options are either unseedable (Math.random based),
 * draw one value per call through generic distribution objects, or pull in a whole stats library
 * for ~60 lines of well-known algorithms. These need a seed (reproducible runs) and tight loops
 * over typed arrays (100k variants × 1000 draws).
 */

/** A seeded source of random deviates. Not cryptographic. */
export interface Rng {
  /** Uniform in the open interval (0, 1): never 0, so `Math.log(u)` is always finite. */
  uniform(): number;
  /** Standard normal N(0, 1). */
  normal(): number;
  /** Fills `out` with uniforms in (0, 1), faster than a call per value. */
  fillUniforms(out: Float64Array): void;
  /** Fills `out` with standard normals, faster than a call per value. */
  fillNormals(out: Float64Array): void;
}

const TWO_POW_MINUS_32 = 2 ** -32;

/** Ziggurat for N(0, 1) (Marsaglia & Tsang 2000): 128 layers, 24-bit magnitudes. */
const ZIG_LAYERS = 128;
const ZIG_MASK = ZIG_LAYERS - 1;
const ZIG_SCALE = 2 ** 24;
/** Right edge of the outermost layer, and the common area of every layer, for 128 layers. */
const ZIG_R = 3.442619855899;
const ZIG_AREA = 9.91256303526217e-3;

/**
 * k: fast-accept thresholds on the magnitude; w: magnitude -> x; f: the density at each layer edge.
 * Exported (ZIGGURAT) with the layer constants so the benchmark's fused floor kernel uses these very tables.
 */
const ZIG = ((): { k: Float64Array; w: Float64Array; f: Float64Array } => {
  const k = new Float64Array(ZIG_LAYERS);
  const w = new Float64Array(ZIG_LAYERS);
  const f = new Float64Array(ZIG_LAYERS);
  const density = (x: number) => Math.exp(-0.5 * x * x);
  let dn = ZIG_R;
  let tn = dn;
  const q = ZIG_AREA / density(dn);
  k[0] = (dn / q) * ZIG_SCALE;
  k[1] = 0;
  w[0] = q / ZIG_SCALE;
  w[ZIG_MASK] = dn / ZIG_SCALE;
  f[0] = 1;
  f[ZIG_MASK] = density(dn);
  for (let i = ZIG_MASK - 1; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(ZIG_AREA / dn + density(dn)));
    k[i + 1] = (dn / tn) * ZIG_SCALE;
    tn = dn;
    f[i] = density(dn);
    w[i] = dn / ZIG_SCALE;
  }
  return { k, w, f };
})();

/** Scalar calls are served from a block of this many pre-generated 32-bit values. */
const SCALAR_BLOCK = 256;

/**
 * The xoshiro128** state behind each Rng made by createRng, so a Beta sampler can advance that very
 * stream with the state in its own locals (see createBetaSampler) instead of through method calls.
 */
const generatorStates = new WeakMap<Rng, Int32Array>();

/**
 * One xoshiro128** output from `state` (advanced in place), as an unsigned 32-bit value. The
 * reference step's chain of xors (s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= s1 << 9 of the
 * old s1; s3 = rotl(s3, 11)) folded into one assignment per word, from the old words.
 */
function next32(state: Int32Array): number {
  const s0 = state[0]!;
  const s1 = state[1]!;
  const s2 = state[2]!;
  const s3 = state[3]!;
  state[0] = s0 ^ s1 ^ s3;
  state[1] = s0 ^ s1 ^ s2;
  state[2] = s0 ^ s2 ^ (s1 << 9);
  state[3] = ((s1 ^ s3) << 11) | ((s1 ^ s3) >>> 21);
  const x = Math.imul(s1, 5);
  return Math.imul((x << 7) | (x >>> 25), 9) >>> 0;
}

const uniformOf = (bits: number): number => ((bits >>> 0) + 0.5) * TWO_POW_MINUS_32;

/**
 * The ziggurat for one 32-bit draw: low 7 bits pick the layer, bit 7 the sign, the top 24 the
 * magnitude. Callers test the fast path (~99% of draws) inline; this is the whole algorithm, so
 * it repeats that test, then takes the base layer's tail or the wedge test, drawing more bits
 * from `state` on rejection.
 */
function normalFrom(bits: number, state: Int32Array): number {
  // Disjoint bit fields: the original ziggurat reused the layer bits in the value, a known
  // correlation flaw (Doornik 2005).
  for (let j = bits >>> 0; ; j = next32(state)) {
    const layer = j & ZIG_MASK;
    const sign = 1 - ((j >>> 6) & 2); // bit 7 -> -1 or +1, without a 50/50 branch
    const m = j >>> 8;
    const x = m * ZIG.w[layer]!;
    if (m < ZIG.k[layer]!) return sign * x;
    if (layer === 0) {
      // The base layer's tail beyond R, by Marsaglia's exponential rejection.
      let t: number;
      let y: number;
      do {
        t = -Math.log(uniformOf(next32(state))) / ZIG_R;
        y = -Math.log(uniformOf(next32(state)));
      } while (y + y < t * t);
      return sign * (ZIG_R + t);
    }
    if (ZIG.f[layer]! + uniformOf(next32(state)) * (ZIG.f[layer - 1]! - ZIG.f[layer]!) < Math.exp(-0.5 * x * x))
      return sign * x;
  }
}

/** The tables, and the rare path a fused loop calls when its inline fast-path test fails. */
export const ZIGGURAT = { mask: ZIG_MASK, r: ZIG_R, tables: ZIG, normalFrom };

/** xoshiro128** (Blackman & Vigna), seeded through splitmix32; same seed, same sequence. */
export function createRng(seed: number): Rng {
  const state = new Int32Array(4);
  let sm = seed >>> 0;
  for (let i = 0; i < 4; i++) {
    sm = (sm + 0x9e3779b9) | 0;
    let z = sm;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    state[i] = z ^ (z >>> 15); // splitmix32
  }
  if ((state[0]! | state[1]! | state[2]! | state[3]!) === 0) state[0] = 1; // xoshiro's one fixed point

  /** Bulk bits for the scalar calls' block and the fill methods (the Beta sampler generates its own inline). */
  const fillBits = (out: Uint32Array, count: number): void => {
    for (let i = 0; i < count; i++) out[i] = next32(state);
  };

  const block = new Uint32Array(SCALAR_BLOCK);
  let next = SCALAR_BLOCK;
  const nextU32 = (): number => {
    if (next === SCALAR_BLOCK) {
      fillBits(block, SCALAR_BLOCK);
      next = 0;
    }
    return block[next++]!;
  };

  let scratch = new Uint32Array(0);
  const bitsFor = (count: number): Uint32Array => {
    if (scratch.length < count) scratch = new Uint32Array(count);
    fillBits(scratch, count);
    return scratch;
  };

  const rng: Rng = {
    uniform: () => uniformOf(nextU32()),
    normal: () => normalFrom(nextU32(), state),
    fillUniforms(out) {
      const bits = bitsFor(out.length);
      for (let i = 0; i < out.length; i++) out[i] = uniformOf(bits[i]!);
    },
    fillNormals(out) {
      const bits = bitsFor(out.length);
      for (let i = 0; i < out.length; i++) {
        const j = bits[i]!;
        const m = j >>> 8;
        const layer = j & ZIG_MASK;
        // The fast path inline, the rest through normalFrom (which repeats this test, then rejects).
        out[i] = m < ZIG.k[layer]! ? m * ZIG.w[layer]! * (1 - ((j >>> 6) & 2)) : normalFrom(j, state);
      }
    },
  };
  generatorStates.set(rng, state);
  return rng;
}

/**
 * Marsaglia–Tsang (2000) for shape >= 1, with d = shape - 1/3 and c = 1 / sqrt(9d) precomputed.
 * Accepts about 98% of first tries for any shape, so the loop rarely turns twice.
 */
function marsagliaTsang(rng: Rng, d: number, c: number): number {
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = rng.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng.uniform();
    const x2 = x * x;
    if (u < 1 - 0.0331 * x2 * x2) return d * v; // cheap squeeze, no log
    if (Math.log(u) < 0.5 * x2 + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** `index` names an element of `what`; the message is only built on failure (a sampler checks every pair). */
function checkShape(shape: number, what: string, index?: number): void {
  if (!(shape > 0) || !Number.isFinite(shape)) {
    throw new RangeError(
      `${index === undefined ? what : `${what}[${index}]`} must be a finite number > 0, got ${shape}`,
    );
  }
}

/** One Gamma(shape, 1) deviate. Shapes below 1 use the boost Gamma(a) = Gamma(a + 1) · U^(1/a). */
export function sampleGamma(rng: Rng, shape: number): number {
  checkShape(shape, 'gamma shape');
  const boosted = shape < 1 ? shape + 1 : shape;
  const d = boosted - 1 / 3;
  const g = marsagliaTsang(rng, d, 1 / Math.sqrt(9 * d));
  return shape < 1 ? g * Math.pow(rng.uniform(), 1 / shape) : g;
}

/** Draws one Beta deviate per (alpha[i], beta[i]) pair, all pairs per call, from the RNG it was made with. */
export interface BetaSampler {
  readonly size: number;
  /** Fills `out` (length `size`) with one draw per pair and returns it. */
  draw(out: Float64Array): Float64Array;
}

/**
 * The Beta draw for a pair with a shape below 1, from Gamma(shape + 1) deviates gx and gy and the
 * boost U^(1/shape) of each side below 1 (inv = 1/shape, or 0 for no boost). Combined in log
 * space: U^(1/a) underflows to 0 for small a, and X / (X + Y) would then be 0/0.
 */
function boostedBeta(gx: number, gy: number, invA: number, invB: number, state: Int32Array): number {
  const logX = Math.log(gx) + (invA === 0 ? 0 : Math.log(uniformOf(next32(state))) * invA);
  const logY = Math.log(gy) + (invB === 0 ? 0 : Math.log(uniformOf(next32(state))) * invB);
  return 1 / (1 + Math.exp(logY - logX));
}

/** A xoshiro128** state from four 32-bit words (all zeros, its one fixed point, is nudged off). */
function stateFrom(word: () => number): Int32Array {
  const state = Int32Array.from({ length: 4 }, word);
  if ((state[0]! | state[1]! | state[2]! | state[3]!) === 0) state[0] = 1;
  return state;
}

/** The generator a sampler advances: createRng's own state, or for any other Rng a stream seeded from it. */
const generatorStateOf = (rng: Rng): Int32Array => generatorStates.get(rng) ?? stateFrom(() => rng.uniform() * 2 ** 32);

/** Pairs per call of a sampler's inner loop. */
const SPAN = 1024;

/**
 * One fused loop per draw: the Marsaglia–Tsang constants of every shape are precomputed once, and
 * the generator state lives in locals for the whole pass, with xoshiro128**, the ziggurat's fast
 * path and the Gamma rejection loop inline. Calls (a method per deviate, or refills of normal and
 * uniform buffers) cost boxed doubles and typed-array round trips per value: the buffered kernel
 * this replaced drew a third fewer Betas per second. Only the rare paths (the ziggurat's tail and
 * wedges, ~1% of normals; the boost of shapes below 1) are calls, and they draw from a second
 * stream of their own, so the hot loop never writes its state back mid-pass. Consumption order is fixed, so the
 * same seed gives the same values however the draws are split into calls.
 */
export function createBetaSampler(rng: Rng, alphas: Float64Array, betas: Float64Array): BetaSampler {
  const size = alphas.length;
  if (betas.length !== size) throw new RangeError(`alphas (${size}) and betas (${betas.length}) differ in length`);
  // Per pair: [dA, cA, dB, cB], interleaved so one draw reads one cache line. Shapes below 1 are
  // boosted by 1 here, and their 1/shape kept in `inv` (0: no boost), read only if any pair has one.
  const k = new Float64Array(size * 4);
  const inv = new Float64Array(size * 2);
  let boosted = false;
  for (let i = 0; i < size; i++) {
    const a = alphas[i]!;
    const b = betas[i]!;
    checkShape(a, 'alpha', i);
    checkShape(b, 'beta', i);
    const dA = (a < 1 ? a + 1 : a) - 1 / 3;
    const dB = (b < 1 ? b + 1 : b) - 1 / 3;
    k[i * 4] = dA;
    k[i * 4 + 1] = 1 / Math.sqrt(9 * dA);
    k[i * 4 + 2] = dB;
    k[i * 4 + 3] = 1 / Math.sqrt(9 * dB);
    if (a < 1) inv[i * 2] = 1 / a;
    if (b < 1) inv[i * 2 + 1] = 1 / b;
    boosted ||= a < 1 || b < 1;
  }
  const state = generatorStateOf(rng);
  const rare = stateFrom(() => next32(state));

  /** Draws pairs [from, to) into `out`, with the generator state in locals for the span. */
  const drawSpan = (out: Float64Array, from: number, to: number): void => {
    let s0 = state[0]!;
    let s1 = state[1]!;
    let s2 = state[2]!;
    let s3 = state[3]!;
    for (let i = from; i < to; i++) {
      let gx = 0;
      let gy = 0;
      for (let side = 0; side < 4; side += 2) {
        const d = k[i * 4 + side]!;
        const c = k[i * 4 + side + 1]!;
        let g: number;
        for (;;) {
          // Two xoshiro128** outputs: w for the uniform, then j for the normal (w is wasted when
          // v <= 0). Each step's six chained xors are folded into one assignment per word, from
          // the old words (as in next32); the two steps written out beat a 2-turn loop by ~6%.
          let p = Math.imul(s1, 5);
          const w = Math.imul((p << 7) | (p >>> 25), 9);
          const n0 = s0 ^ s1 ^ s3;
          const n1 = s0 ^ s1 ^ s2;
          const n2 = s0 ^ s2 ^ (s1 << 9);
          const n3 = ((s1 ^ s3) << 11) | ((s1 ^ s3) >>> 21);
          p = Math.imul(n1, 5);
          const j = Math.imul((p << 7) | (p >>> 25), 9);
          s0 = n0 ^ n1 ^ n3;
          s1 = n0 ^ n1 ^ n2;
          s2 = n0 ^ n2 ^ (n1 << 9);
          s3 = ((n1 ^ n3) << 11) | ((n1 ^ n3) >>> 21);

          const m = j >>> 8;
          const layer = j & ZIG_MASK;
          let x: number;
          if (m < ZIG.k[layer]!) {
            x = m * ZIG.w[layer]! * (1 - ((j >>> 6) & 2));
          } else {
            x = normalFrom(j, rare);
          }
          // Marsaglia–Tsang, as in marsagliaTsang.
          let v = 1 + c * x;
          if (v <= 0) continue;
          v = v * v * v;
          const u = uniformOf(w);
          const x2 = x * x;
          if (u < 1 - 0.0331 * x2 * x2 || Math.log(u) < 0.5 * x2 + d * (1 - v + Math.log(v))) {
            g = d * v;
            break;
          }
        }
        if (side === 0) gx = g;
        else gy = g;
      }
      out[i] =
        boosted && (inv[i * 2] !== 0 || inv[i * 2 + 1] !== 0)
          ? boostedBeta(gx, gy, inv[i * 2]!, inv[i * 2 + 1]!, rare)
          : gx / (gx + gy);
    }
    state[0] = s0;
    state[1] = s1;
    state[2] = s2;
    state[3] = s3;
  };

  return {
    size,
    draw(out) {
      if (out.length !== size) throw new RangeError(`out has length ${out.length}, expected ${size}`);
      // In spans, so that V8 optimizes drawSpan as a whole function, once every line of it has run,
      // rather than only by on-stack replacement inside its loop: with 100,000 pairs per call, the
      // code it settled on drew ~15% fewer Betas per second.
      for (let from = 0; from < size; from += SPAN) drawSpan(out, from, Math.min(size, from + SPAN));
      return out;
    },
  };
}

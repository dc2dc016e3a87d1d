/**
 * The sampling floor: Beta(a, b) = X / (X + Y) with X, Y ~ Gamma by Marsaglia–Tsang, normals by a
 * 128-layer ziggurat, bits from xoshiro128** — the product's algorithms, fused into one loop over
 * every draw and pair with every hot value in a local, the generator state included. Beside the
 * product's createBetaSampler it drops a call and bookkeeping per draw and, as shapes must be ≥ 1
 * (true for Beta-Bernoulli posteriors with a uniform prior), the small-shape boost. What
 * JavaScript on this machine can do for this algorithm family.
 */

import { ZIGGURAT } from '../../src/sampling/beta-sampler';

const TWO_POW_MINUS_32 = 2 ** -32;
// The product sampler's own ziggurat tables and rare path (~1% of normals): the floor differs in
// how the loop is fused, not in its numbers.
const { mask: MASK, normalFrom } = ZIGGURAT;
const { k: K, w: W } = ZIGGURAT.tables;

export interface FloorSampler {
  /** Fills `out` (one slot per shape pair) with one Beta draw per pair, `draws` times; answers the sum of the last draw (keeps the work observable). */
  draw(draws: number, out: Float64Array): number;
}

export function createFloorSampler(alphas: Float64Array, betas: Float64Array, seed: number): FloorSampler {
  const n = alphas.length;
  // Per pair: d and c for X, then for Y.
  const dc = new Float64Array(n * 4);
  for (let i = 0; i < n; i++) {
    const a = alphas[i]!;
    const b = betas[i]!;
    if (!(a >= 1 && b >= 1)) throw new RangeError(`the floor kernel takes shapes >= 1, got (${a}, ${b}) at ${i}`);
    dc[i * 4] = a - 1 / 3;
    dc[i * 4 + 1] = 1 / Math.sqrt(9 * (a - 1 / 3));
    dc[i * 4 + 2] = b - 1 / 3;
    dc[i * 4 + 3] = 1 / Math.sqrt(9 * (b - 1 / 3));
  }
  const state = new Int32Array(4);
  let sm = seed >>> 0;
  for (let i = 0; i < 4; i++) {
    sm = (sm + 0x9e3779b9) | 0;
    let z = sm;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    state[i] = z ^ (z >>> 15);
  }
  if ((state[0]! | state[1]! | state[2]! | state[3]!) === 0) state[0] = 1;
  // The rare path's extra bits: a second stream, so the loop's own state never leaves its locals.
  const rare = Int32Array.from(state, (s) => Math.imul(s, 0x2c1b3c6d) | 1);

  return {
    draw(draws, out) {
      if (out.length !== n) throw new RangeError(`out has length ${out.length}, expected ${n}`);
      let s0 = state[0]!;
      let s1 = state[1]!;
      let s2 = state[2]!;
      let s3 = state[3]!;
      for (let d = 0; d < draws; d++) {
        for (let i = 0; i < n; i++) {
          let gx = 0;
          let gy = 0;
          for (let side = 0; side < 4; side += 2) {
            const dd = dc[i * 4 + side]!;
            const c = dc[i * 4 + side + 1]!;
            let g: number;
            for (;;) {
              // Two xoshiro128** outputs (for the uniform, then the normal) and the state two
              // steps on, in closed form: the reference step applied twice, its xors folded.
              let r = Math.imul(s1, 5);
              const ubits = Math.imul((r << 7) | (r >>> 25), 9);
              const s1Next = s0 ^ s1 ^ s2;
              r = Math.imul(s1Next, 5);
              const bits = Math.imul((r << 7) | (r >>> 25), 9);
              const s3Next = ((s1 ^ s3) << 11) | ((s1 ^ s3) >>> 21);
              const s0Next2 = s2 ^ s3 ^ s3Next;
              const s1Next2 = s0 ^ s3 ^ (s1 << 9);
              s2 = s1 ^ s2 ^ s3 ^ ((s0 ^ s2) << 9);
              s3 = ((s1Next ^ s3Next) << 11) | ((s1Next ^ s3Next) >>> 21);
              s0 = s0Next2;
              s1 = s1Next2;
              const m = bits >>> 8;
              const layer = bits & MASK;
              const x = m < K[layer]! ? m * W[layer]! * (1 - ((bits >>> 6) & 2)) : normalFrom(bits, rare);
              let v = 1 + c * x;
              if (v <= 0) continue;
              v = v * v * v;
              const u = ((ubits >>> 0) + 0.5) * TWO_POW_MINUS_32;
              const x2 = x * x;
              if (u < 1 - 0.0331 * x2 * x2 || Math.log(u) < 0.5 * x2 + dd * (1 - v + Math.log(v))) {
                g = dd * v;
                break;
              }
            }
            if (side === 0) gx = g;
            else gy = g;
          }
          out[i] = gx / (gx + gy);
        }
      }
      state[0] = s0;
      state[1] = s1;
      state[2] = s2;
      state[3] = s3;
      let sum = 0;
      for (let i = 0; i < n; i++) sum += out[i]!;
      return sum;
    },
  };
}

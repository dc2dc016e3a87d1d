/**
 * The sampling floor: Beta(a, b) = X / (X + Y) with X, Y ~ Gamma by Marsaglia–Tsang, normals by a
 * 128-layer ziggurat, bits from xoshiro128** — the product's algorithms, fused into one loop with
 * every hot value in a local: random bits are generated in bulk and consumed straight from the
 * block (no intermediate arrays of normals and uniforms, no per-pair bookkeeping, no activity).
 * Shapes must be ≥ 1 (true for Beta-Bernoulli posteriors with a uniform prior), which drops the
 * small-shape boost branch. What JavaScript on this machine can do for this algorithm family.
 */

import { ZIGGURAT } from '../../src/sampling/beta-sampler';

const BLOCK = 4096;
const TWO_POW_MINUS_32 = 2 ** -32;
// The product sampler's own ziggurat tables and constants: the floor differs in how the loop is fused, not in its numbers.
const { mask: MASK, r: R } = ZIGGURAT;
const { k: K, w: W, f: F } = ZIGGURAT.tables;

/** A block of random bits and the generator state behind it; `at` is the next unread index. */
interface Bits {
  block: Uint32Array;
  at: number;
  state: Int32Array;
}

function refill(bits: Bits): void {
  const { block, state } = bits;
  let s0 = state[0]!;
  let s1 = state[1]!;
  let s2 = state[2]!;
  let s3 = state[3]!;
  for (let i = 0; i < BLOCK; i++) {
    const x = Math.imul(s1, 5);
    block[i] = Math.imul((x << 7) | (x >>> 25), 9);
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >>> 21);
  }
  state[0] = s0;
  state[1] = s1;
  state[2] = s2;
  state[3] = s3;
  bits.at = 0;
}

function next32(bits: Bits): number {
  if (bits.at === BLOCK) refill(bits);
  return bits.block[bits.at++]!;
}

/** The ziggurat's rare path (~3% of draws): the base layer's tail, or the wedge test; redraws on rejection. */
function normalSlow(first: number, bits: Bits): number {
  for (let j = first; ; j = next32(bits)) {
    const layer = j & MASK;
    const sign = 1 - ((j >>> 6) & 2);
    const m = j >>> 8;
    const x = m * W[layer]!;
    if (m < K[layer]!) return sign * x;
    if (layer === 0) {
      let t: number;
      let y: number;
      do {
        t = -Math.log((next32(bits) + 0.5) * TWO_POW_MINUS_32) / R;
        y = -Math.log((next32(bits) + 0.5) * TWO_POW_MINUS_32);
      } while (y + y < t * t);
      return sign * (R + t);
    }
    const u = (next32(bits) + 0.5) * TWO_POW_MINUS_32;
    if (F[layer]! + u * (F[layer - 1]! - F[layer]!) < Math.exp(-0.5 * x * x)) return sign * x;
  }
}

export interface FloorSampler {
  /** Fills `out` (one slot per shape pair) with one Beta draw per pair, `draws` times; answers the sum of every draw (keeps the work observable). */
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
  const bits: Bits = { block: new Uint32Array(BLOCK), at: BLOCK, state };

  return {
    draw(draws, out) {
      if (out.length !== n) throw new RangeError(`out has length ${out.length}, expected ${n}`);
      const block = bits.block;
      let at = bits.at;
      let sum = 0;
      for (let d = 0; d < draws; d++) {
        for (let i = 0; i < n; i++) {
          let gx = 0;
          let gy = 0;
          for (let side = 0; side < 4; side += 2) {
            const dd = dc[i * 4 + side]!;
            const c = dc[i * 4 + side + 1]!;
            let g: number;
            for (;;) {
              if (at === BLOCK) {
                refill(bits);
                at = 0;
              }
              const j = block[at++]!;
              const m = j >>> 8;
              const layer = j & MASK;
              let x: number;
              if (m < K[layer]!) {
                x = m * W[layer]! * (1 - ((j >>> 6) & 2));
              } else {
                bits.at = at;
                x = normalSlow(j, bits);
                at = bits.at;
              }
              let v = 1 + c * x;
              if (v <= 0) continue;
              v = v * v * v;
              if (at === BLOCK) {
                refill(bits);
                at = 0;
              }
              const u = (block[at++]! + 0.5) * TWO_POW_MINUS_32;
              const x2 = x * x;
              if (u < 1 - 0.0331 * x2 * x2 || Math.log(u) < 0.5 * x2 + dd * (1 - v + Math.log(v))) {
                g = dd * v;
                break;
              }
            }
            if (side === 0) gx = g;
            else gy = g;
          }
          const beta = gx / (gx + gy);
          out[i] = beta;
          sum += beta;
        }
      }
      bits.at = at;
      return sum;
    },
  };
}

/**
 * Seeded randomness for the simulator. Every random value is derived from a hash of its inputs, so
 * the same seed and the same request sequence always produce the same answers.
 */

/** A source of uniform numbers in [0, 1). */
export type Rng = () => number;

/** FNV-1a, 32-bit, over UTF-16 code units: cheap and stable, enough to spread seeds apart. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32: tiny, fast and good enough for simulation (not for cryptography). */
export function mulberry32(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An RNG determined by its parts, e.g. rngFor(seed, 'social.posts', 3). */
export function rngFor(...parts: Array<string | number>): Rng {
  return mulberry32(hash32(parts.join('\u0000')));
}

/** Integer in [min, max], inclusive. */
export function randomInt(rng: Rng, min: number, max: number): number {
  return min + Math.floor(rng() * (max - min + 1));
}

/** One element of a non-empty list. */
export function pick<T>(rng: Rng, items: readonly T[]): T {
  const item = items[Math.floor(rng() * items.length)];
  if (item === undefined) throw new RangeError('pick from an empty list');
  return item;
}

/** Standard normal variate (Box–Muller); consumes exactly two draws so callers stay in step. */
export function normal(rng: Rng): number {
  const u = rng();
  return normalFrom(u, rng());
}

/** Box–Muller from two uniforms in [0, 1), for callers that need the draws for other things too. */
export function normalFrom(u: number, v: number): number {
  return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v); // 1 - u: log(0) is -Infinity
}

/**
 * A request deadline that follows the upstream's observed latency instead of a fixed guess: a few
 * times its tail latency, clamped. A fixed timeout is either too tight for a slow day or so loose
 * that a hung request holds a worker slot for ten seconds.
 */
export interface AdaptiveTimeoutOptions {
  /** How many recent latencies to remember. */
  window: number;
  /** Which percentile of the window to scale (e.g. 99). */
  percentile: number;
  /** Multiple of that percentile allowed before giving up. */
  factor: number;
  minMs: number;
  maxMs: number;
  /** Used until `minSamples` latencies have been seen. */
  initialMs: number;
  minSamples: number;
}

export const DEFAULT_ADAPTIVE_TIMEOUT: AdaptiveTimeoutOptions = {
  window: 200,
  percentile: 99,
  factor: 3,
  minMs: 250,
  maxMs: 10_000,
  initialMs: 5_000,
  minSamples: 20,
};

/** The timeout for a set of latency samples: pure, so it is tested with plain numbers. */
export function timeoutFromLatencies(samples: readonly number[], options: AdaptiveTimeoutOptions): number {
  if (samples.length < Math.max(1, options.minSamples)) return clamp(options.initialMs, options.minMs, options.maxMs);
  const sorted = [...samples].sort((a, b) => a - b);
  // Nearest-rank percentile: always an observed value, never an interpolation past the max.
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((options.percentile / 100) * sorted.length)));
  return clamp(Math.round(sorted[rank - 1]! * options.factor), options.minMs, options.maxMs);
}

export interface AdaptiveTimeout {
  /** The deadline to use for the next request. */
  current(): number;
  /**
   * Records one request's latency. Record a timed-out request as the timeout it hit: otherwise a
   * slowdown past the current deadline would leave no samples and the deadline could never grow.
   */
  observe(latencyMs: number): void;
}

/** Keeps the last `window` latencies in a ring buffer; the timeout is recomputed only when they change. */
export function createAdaptiveTimeout(overrides: Partial<AdaptiveTimeoutOptions> = {}): AdaptiveTimeout {
  const options = { ...DEFAULT_ADAPTIVE_TIMEOUT, ...overrides };
  if (!(options.window >= 1 && options.minMs <= options.maxMs && options.factor > 0)) {
    throw new RangeError('adaptive timeout needs window >= 1, minMs <= maxMs and factor > 0');
  }
  const samples: number[] = [];
  let next = 0;
  let cached: number | undefined;
  return {
    current: () => (cached ??= timeoutFromLatencies(samples, options)),
    observe(latencyMs) {
      if (!Number.isFinite(latencyMs) || latencyMs < 0) return;
      samples[next] = latencyMs;
      next = (next + 1) % options.window;
      cached = undefined;
    },
  };
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

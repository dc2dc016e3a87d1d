import type { Simulator } from '../../src/sim/server';

export interface Burst {
  /** When the first and last request of the burst were seen (sampling time, ms since epoch). */
  start: number;
  end: number;
  requests: number;
}

export interface RequestTrace {
  bursts: Burst[];
  /** Quiet time between consecutive bursts, in ms (a lower bound of the true gap is this minus 2 × the sampling interval). */
  gaps: number[];
  total: number;
}

/**
 * Samples the simulator's request count for one route every `everyMs` and groups arrivals into
 * bursts separated by at least `quietMs` without a request: one burst per activity attempt when the
 * attempt's requests go out together, so the gaps are the backoff the server applied between attempts.
 */
export function trackRequests(
  sim: Simulator,
  route: string,
  { everyMs = 10, quietMs = 60 } = {},
): { now(): RequestTrace; stop(): RequestTrace } {
  const count = () => sim.stats().routes[route]?.requests ?? 0;
  const base = count();
  let last = base;
  const bursts: Burst[] = [];
  const take = () => {
    const now = Date.now();
    const n = count();
    if (n === last) return;
    const current = bursts.at(-1);
    if (current && now - current.end <= quietMs) {
      current.end = now;
      current.requests += n - last;
    } else {
      bursts.push({ start: now, end: now, requests: n - last });
    }
    last = n;
  };
  const timer = setInterval(take, everyMs);
  timer.unref();
  const trace = (): RequestTrace => ({
    bursts: bursts.map((b) => ({ ...b })),
    gaps: bursts.slice(1).map((b, i) => b.start - bursts[i]!.end),
    total: last - base,
  });
  return {
    /** The trace so far; sampling goes on. */
    now() {
      take();
      return trace();
    },
    stop() {
      take();
      clearInterval(timer);
      return trace();
    },
  };
}

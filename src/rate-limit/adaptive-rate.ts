/**
 * The adaptive rate of one upstream (AIMD, as TCP does it): an answer saying "slow down" halves the
 * rate and pauses the upstream until its Retry-After; clean answers add back a little each second,
 * quickly up to just under the rate that was refused, then slowly, never past the configured ceiling.
 * The same rule runs in Redis for the fleet (shared-state.ts, with these constants as arguments) and
 * in memory for a worker on its own.
 */
export const AIMD = {
  /** A slow-down answer multiplies the rate by this. */
  decrease: 0.5,
  /** The rate at a slow-down, times this, is where the quick climb back stops. */
  recoverTo: 0.9,
  /** Below the recovery point, each clean second adds half the distance to it, but at least this share of the ceiling. */
  quickStep: 0.05,
  /** Past it, each clean second adds this share of the ceiling: probing for room slowly keeps refusals rare. */
  probeStep: 0.005,
  /** The rate never goes below this share of the ceiling. */
  floor: 0.05,
  /** Clean seconds: at most one increase per this many ms, fleet-wide. */
  increaseEveryMs: 1_000,
  /**
   * Refusals of requests sent within this long after a decrease do not decrease again: the upstream's
   * window was already spent when they went out, so they say nothing about the new rate.
   */
  decreaseGuardMs: 1_000,
} as const;

/** What every worker reads: the rate in force (requests/s, for the whole fleet) and until when the upstream is paused. */
export interface RateState {
  rate: number;
  /** Epoch ms; the upstream takes nothing before then. 0 when not paused. */
  pausedUntil: number;
  /** Where the quick climb stops (0: none yet, climb slowly from the start). */
  recoverTo: number;
  /** Epoch ms of the last decrease; answers to requests admitted before it do not decrease again. */
  lastDecrease: number;
  /** Epoch ms of the last change of rate. */
  lastChange: number;
}

export const initialState = (ceiling: number): RateState => ({
  rate: ceiling,
  pausedUntil: 0,
  recoverTo: 0,
  lastDecrease: 0,
  lastChange: 0,
});

/**
 * A slow-down answer (429, 503 with Retry-After, or RateLimit-Remaining 0) to a request admitted at
 * `admittedAt`: pause for `pauseMs`, and decrease unless the rate was lowered shortly before (or after)
 * that request went out.
 */
export function slowDown(
  s: RateState,
  ceiling: number,
  now: number,
  pauseMs: number,
  admittedAt: number,
  decrease: boolean,
): RateState {
  const next = { ...s, pausedUntil: Math.max(s.pausedUntil, now + pauseMs) };
  if (!decrease || admittedAt < s.lastDecrease + AIMD.decreaseGuardMs) return next;
  return {
    ...next,
    rate: Math.max(ceiling * AIMD.floor, s.rate * AIMD.decrease),
    recoverTo: s.rate * AIMD.recoverTo,
    lastDecrease: now,
    lastChange: now,
  };
}

/** Clean answers were seen: at most once per `increaseEveryMs`, and not while paused, the rate climbs. */
export function climb(s: RateState, ceiling: number, now: number): RateState {
  if (s.rate >= ceiling || now < s.pausedUntil || now - s.lastChange < AIMD.increaseEveryMs) return s;
  const step =
    s.rate < s.recoverTo ? Math.max((s.recoverTo - s.rate) / 2, ceiling * AIMD.quickStep) : ceiling * AIMD.probeStep;
  const target = s.rate < s.recoverTo ? Math.min(s.recoverTo, s.rate + step) : s.rate + step;
  return { ...s, rate: Math.min(ceiling, target), lastChange: now };
}

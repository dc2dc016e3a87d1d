/** Wall-clock time, injected so that Retry-After dates, cache TTLs and breaker cool-downs are testable. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

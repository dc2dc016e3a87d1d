import { MAX_RETRY_AFTER_MS } from '../http/retry-after';

type Headers = Record<string, string | string[] | undefined>;

/** What an upstream's quota headers say: requests left, and when the quota refills (ms from now). */
export interface QuotaSignal {
  remaining: number;
  resetMs?: number;
}

/** Reset values above this are epoch seconds (GitHub's X-RateLimit-Reset), below it seconds from now. */
const EPOCH_SECONDS = 1_000_000_000;

/**
 * Reads `RateLimit-Remaining`/`RateLimit-Reset`, the `X-RateLimit-*` pair, or the combined IETF draft
 * header `RateLimit: limit=100, remaining=0, reset=3`. Undefined when the upstream sends none.
 */
export function readQuota(headers: Headers, nowMs: number): QuotaSignal | undefined {
  const first = (name: string) => {
    const v = headers[name];
    return (Array.isArray(v) ? v[0] : v)?.trim();
  };
  let remaining = first('ratelimit-remaining') ?? first('x-ratelimit-remaining');
  let reset = first('ratelimit-reset') ?? first('x-ratelimit-reset');
  const combined = first('ratelimit');
  if (remaining === undefined && combined) {
    remaining = /(?:^|[,;\s])(?:r|remaining)=(\d+)/.exec(combined)?.[1];
    reset ??= /(?:^|[,;\s])(?:t|reset)=(\d+)/.exec(combined)?.[1];
  }
  if (remaining === undefined || !/^\d+$/.test(remaining)) return undefined;
  const signal: QuotaSignal = { remaining: Number(remaining) };
  if (reset !== undefined && /^\d+(\.\d+)?$/.test(reset)) {
    const value = Number(reset);
    const ms = value > EPOCH_SECONDS ? value * 1000 - nowMs : value * 1000;
    signal.resetMs = Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
  }
  return signal;
}

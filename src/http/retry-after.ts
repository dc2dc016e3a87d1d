/** Used when a 429 carries no usable Retry-After: long enough not to hammer, short enough to recover. */
export const DEFAULT_RETRY_AFTER_MS = 1_000;
/** An upstream asking for more than this is capped: Temporal retries again later anyway. */
export const MAX_RETRY_AFTER_MS = 5 * 60_000;

/**
 * Parses Retry-After (RFC 9110: delay-seconds or an HTTP-date) into milliseconds from `nowMs`,
 * clamped to [0, MAX_RETRY_AFTER_MS]; absent or unparseable values give the default.
 */
export function parseRetryAfter(header: string | string[] | undefined, nowMs: number): number {
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  if (!value) return DEFAULT_RETRY_AFTER_MS;
  // Only a value with letters can be an HTTP-date; Date.parse would read '-5' as a year.
  const ms = /^\d+$/.test(value) ? Number(value) * 1000 : /[a-z]/i.test(value) ? Date.parse(value) - nowMs : NaN;
  if (Number.isNaN(ms)) return DEFAULT_RETRY_AFTER_MS;
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}

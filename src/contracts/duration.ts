// Pure (the `ms` parser): what the SDK itself uses to read durations, in workflow code too.
import { msToNumber, type Duration } from '@temporalio/common/lib/time';
import { z } from 'zod';
import { describeValue } from './describe-value';

/** Milliseconds in a duration string ("30s", "1 minute") or number, or undefined when it is not one. */
export function durationMs(value: unknown): number | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  try {
    const ms = msToNumber(value as Duration);
    return Number.isFinite(ms) ? ms : undefined;
  } catch {
    return undefined;
  }
}

/** A duration of at least `minMs`, as Temporal's timers and retry policies take it. */
export function durationAtLeast(minMs: number, example = '"30s" or "1 minute"') {
  return z.custom<Duration>().superRefine((value, ctx) => {
    const ms = durationMs(value);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `must be a duration such as ${example}, got ${describeValue(value)}` });
    } else if (ms < minMs) {
      ctx.addIssue({ code: 'custom', message: `must be at least ${minMs} ms, got ${describeValue(value)}` });
    }
  });
}

import { compileRetryPolicy, type RetryPolicy } from '@temporalio/common';
import { z } from 'zod';
import { describeValue } from './describe-value';
import { durationAtLeast } from './duration';
import { NON_RETRYABLE_TYPES } from './failure-types';
import { jsonObject } from './json-object';

/**
 * The activity retry policy when a workflow's input does not override it: capped exponential
 * backoff, a few attempts; bad input and permanent upstream errors are never retried.
 */
export const DEFAULT_RETRY: RetryPolicy = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '60s',
  maximumAttempts: 5,
  nonRetryableErrorTypes: NON_RETRYABLE_TYPES,
};

const interval = durationAtLeast(1, '"500ms" or "2s"');
const atLeastOne = (i: { input?: unknown }) => `must be a number of at least 1, got ${describeValue(i.input)}`;
const positiveInt = (i: { input?: unknown }) => `must be a positive integer, got ${describeValue(i.input)}`;
const typeNames = 'must be an array of error type names';

/**
 * A per-run override of the activities' retry policy (every workflow's optional `retry`), checked as
 * the server and the SDK would after merging it onto DEFAULT_RETRY (as `withRetry` does), so a bad one
 * fails the run instead of every workflow task that schedules an activity.
 */
export const retryOverride = jsonObject({
  initialInterval: interval.optional(),
  backoffCoefficient: z.number({ error: atLeastOne }).min(1, { error: atLeastOne }).optional(),
  maximumInterval: interval.optional(),
  maximumAttempts: z
    .number({ error: positiveInt })
    .int({ error: positiveInt })
    .min(1, { error: positiveInt })
    .optional(),
  nonRetryableErrorTypes: z
    .array(z.string({ error: typeNames }).min(1, { error: typeNames }).max(200, { error: typeNames }), {
      error: typeNames,
    })
    .max(100, { error: typeNames })
    .optional(),
}).superRefine((retry, ctx) => {
  try {
    compileRetryPolicy({ ...DEFAULT_RETRY, ...retry });
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: err instanceof Error ? err.message : String(err) });
  }
});

export type RetryOverride = z.output<typeof retryOverride>;

/**
 * A workflow whose input is one activity's input plus `retry`. The workflow checks `retry`; the
 * activity checks the rest before it calls anything, since only the worker knows the configured
 * service names.
 */
export function activityInputWithRetry<T extends object>() {
  const schema = z.looseObject(
    { retry: retryOverride.optional() },
    {
      error: (issue) =>
        issue.code === 'invalid_type' ? `must be a JSON object, got ${describeValue(issue.input)}` : undefined,
    },
  );
  // Typed as the activity's input: its fields pass through unchecked here, to be checked by the activity.
  return schema as unknown as z.ZodType<T & { retry?: RetryOverride }, T & { retry?: z.input<typeof retryOverride> }>;
}

import type { ActivityOptions, RetryPolicy } from '@temporalio/workflow';

/**
 * The retry and timeout choice for each activity, in one place (what the Airflow operators' hand-written
 * retry loops did). Capped exponential backoff, a few attempts; bad input and permanent upstream
 * errors are never retried. A 429's Retry-After overrides the backoff for that one retry.
 */
export const NON_RETRYABLE_TYPES = ['InvalidInput', 'ForbiddenOrigin', 'ResponseTooLargeError', 'MalformedResponseError'];

export const DEFAULT_RETRY: RetryPolicy = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '60s',
  maximumAttempts: 5,
  nonRetryableErrorTypes: NON_RETRYABLE_TYPES,
};

export const activityPolicies = {
  checkHealth: { startToCloseTimeout: '1 minute', retry: { ...DEFAULT_RETRY, maximumAttempts: 3 } },
} satisfies Record<string, ActivityOptions>;

/** Per-run override of a policy's retry settings (from workflow input). */
export function withRetry(options: ActivityOptions, retry: RetryPolicy | undefined): ActivityOptions {
  return retry ? { ...options, retry: { ...options.retry, ...retry } } : options;
}

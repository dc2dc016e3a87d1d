import { ActivityCancellationType, type ActivityOptions, type RetryPolicy } from '@temporalio/workflow';
import { DEFAULT_RETRY } from '../contracts/retry';

/**
 * The retry and timeout choice for each activity, in one place (what the Airflow operators' hand-written
 * retry loops did). Capped exponential backoff, a few attempts; bad input and permanent upstream
 * errors are never retried. A 429's Retry-After overrides the backoff for that one retry.
 * Every workflow takes an optional `retry` in its input that overrides these per run (DEFAULT_RETRY
 * and the override's rules are in contracts/retry.ts).
 */

export const activityPolicies = {
  checkHealth: { startToCloseTimeout: '1 minute', retry: { ...DEFAULT_RETRY, maximumAttempts: 3 } },
  // Heartbeats after every page: a dead worker is noticed within the heartbeat timeout and the
  // retry resumes from the last heartbeat instead of starting the batch over.
  // On cancel, wait for the activity to stop (it learns at its next heartbeat, aborts its requests and
  // keeps partial output for a later resume) instead of abandoning it mid-write.
  scrapeAccounts: {
    startToCloseTimeout: '10 minutes',
    heartbeatTimeout: '10s',
    retry: DEFAULT_RETRY,
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  },
  discardAccounts: { startToCloseTimeout: '1 minute', retry: DEFAULT_RETRY },
  advanceWatermarks: { startToCloseTimeout: '5 minutes', retry: DEFAULT_RETRY },
  loadAccountIds: { startToCloseTimeout: '1 minute', retry: DEFAULT_RETRY },
  extractPatterns: { startToCloseTimeout: '5 minutes', heartbeatTimeout: '30s', retry: DEFAULT_RETRY },
  extractPatternsFromSink: { startToCloseTimeout: '30 minutes', heartbeatTimeout: '30s', retry: DEFAULT_RETRY },
  // A run's evidence is one statement over its outcomes: a million posts fit in minutes, not hours.
  recordRunEvidence: { startToCloseTimeout: '10 minutes', retry: DEFAULT_RETRY },
  recordOutcomes: { startToCloseTimeout: '1 minute', retry: DEFAULT_RETRY },
  evidenceTotals: { startToCloseTimeout: '1 minute', retry: DEFAULT_RETRY },
  sampleWeights: { startToCloseTimeout: '1 minute', retry: DEFAULT_RETRY },
  publishWeights: { startToCloseTimeout: '1 minute', retry: DEFAULT_RETRY },
  collectMetrics: { startToCloseTimeout: '2 minutes', retry: { ...DEFAULT_RETRY, maximumAttempts: 3 } },
} satisfies Record<string, ActivityOptions>;

/** Per-run override of a policy's retry settings (from workflow input). */
export function withRetry(options: ActivityOptions, retry: RetryPolicy | undefined): ActivityOptions {
  return retry ? { ...options, retry: { ...options.retry, ...retry } } : options;
}

import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../contracts/failure-types';
import { ForbiddenOriginError, RateLimitedError, UpstreamError } from '../http/errors';
import { SupersededAttemptError } from '../sink/types';

/**
 * Turns a typed upstream error into the Temporal failure that tells the server what to do next:
 * a 429 becomes a retryable failure whose next attempt waits exactly Retry-After (the worker slot
 * is freed instead of sleeping), permanent errors become non-retryable, anything else is left as is.
 */
export function toActivityFailure(err: unknown): unknown {
  if (err instanceof RateLimitedError) {
    return ApplicationFailure.create({
      type: FailureType.RateLimited,
      message: err.message,
      nextRetryDelay: err.retryAfterMs,
      cause: err,
    });
  }
  if (err instanceof UpstreamError) {
    return ApplicationFailure.create({
      type: err.name,
      message: err.message,
      nonRetryable: !err.retryable,
      cause: err,
    });
  }
  if (err instanceof SupersededAttemptError) {
    return ApplicationFailure.create({
      type: FailureType.SupersededAttempt,
      message: err.message,
      nonRetryable: true,
      cause: err,
    });
  }
  if (err instanceof ForbiddenOriginError) {
    return ApplicationFailure.create({ type: FailureType.ForbiddenOrigin, message: err.message, nonRetryable: true });
  }
  return err;
}

/**
 * Every ApplicationFailure type viralflow raises or names in a retry policy, written once: activities
 * throw them, workflows and retry policies match on them, tests assert them.
 */
export const FailureType = {
  /** Bad input: never retried, names the field. */
  InvalidInput: 'InvalidInput',
  /** A 429: retried after exactly Retry-After. */
  RateLimited: 'RateLimited',
  /** A URL outside the configured origins: never retried. */
  ForbiddenOrigin: 'ForbiddenOrigin',
  /** An upstream body over its limit (`ResponseTooLargeError`'s name): never retried. */
  ResponseTooLarge: 'ResponseTooLargeError',
  /** An upstream body that is not what its schema says (`MalformedResponseError`'s name): never retried. */
  MalformedResponse: 'MalformedResponseError',
  /** The bandit has no variants to weigh yet. */
  NoVariants: 'NoVariants',
  /** A stage read other counts than the scrape recorded (contracts/completeness.ts): never retried. */
  IncompleteResults: 'IncompleteResults',
  /** Every metrics source failed and not all of them were rate limits: retry the whole collection. */
  MetricsUnavailable: 'MetricsUnavailable',
  /** A newer attempt owns an account's output (`SupersededAttemptError`'s name): this stale attempt stops, never retried. */
  SupersededAttempt: 'SupersededAttemptError',
} as const;

export type FailureTypeName = (typeof FailureType)[keyof typeof FailureType];

/** Types no activity retry policy retries: the same input would fail the same way. */
export const NON_RETRYABLE_TYPES: FailureTypeName[] = [
  FailureType.InvalidInput,
  FailureType.ForbiddenOrigin,
  FailureType.ResponseTooLarge,
  FailureType.MalformedResponse,
  FailureType.SupersededAttempt,
];

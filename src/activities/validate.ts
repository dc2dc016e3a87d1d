import { ApplicationFailure } from '@temporalio/common';
import type { z } from 'zod';
import { FailureType } from '../contracts/failure-types';

/**
 * Validates an activity's input at the boundary. Bad input is a non-retryable failure whose
 * message names each offending field, so the Web UI says what to fix and Temporal never retries it.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, activity: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : 'input'}: ${i.message}`);
  const more = result.error.issues.length > 5 ? ` (+${result.error.issues.length - 5} more)` : '';
  throw ApplicationFailure.create({
    type: FailureType.InvalidInput,
    message: `invalid ${activity} input: ${problems.join('; ')}${more}`,
    nonRetryable: true,
    details: [result.error.issues.slice(0, 20).map((i) => ({ path: i.path.map(String), message: i.message }))],
  });
}

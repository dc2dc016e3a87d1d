import { ApplicationFailure } from '@temporalio/workflow';

/** Fails the workflow (not just a task) with the same non-retryable type activities use for bad input. */
export function invalidInput(workflow: string, field: string, problem: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`invalid ${workflow} input: ${field}: ${problem}`, 'InvalidInput');
}

export function requireInt(workflow: string, field: string, value: unknown, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidInput(workflow, field, `must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

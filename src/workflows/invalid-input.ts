import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure } from '@temporalio/workflow';

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

/** True for an InvalidInput failure, raised here or by an activity or child workflow (through its ActivityFailure/ChildWorkflowFailure). */
export function isInvalidInput(err: unknown): boolean {
  let root = err;
  while ((root instanceof ActivityFailure || root instanceof ChildWorkflowFailure) && root.cause) root = root.cause;
  return root instanceof ApplicationFailure && root.type === 'InvalidInput';
}

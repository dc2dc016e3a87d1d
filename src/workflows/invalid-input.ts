import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure } from '@temporalio/workflow';
import type { z } from 'zod';
import { FailureType } from '../contracts/failure-types';
import { firstProblem, refusal, type InputProblem } from '../contracts/input-error';

/** Fails the workflow (not just a task) with the same non-retryable type activities use for bad input. */
export function invalidInput(workflow: string, field: string, problem: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(
    refusal(`${workflow} input`, { field, message: problem }),
    FailureType.InvalidInput,
  );
}

/**
 * The workflow's input, parsed by its contract, or a non-retryable InvalidInput naming the field.
 * Workflows call it before reading anything of their input: a throw from workflow code is not a failed
 * run but a failed workflow task, which Temporal retries forever (a stuck run). So nothing here may
 * throw anything else, not even for input no schema foresaw.
 */
export function parseWorkflowInput<S extends z.ZodType>(workflow: string, schema: S, input: unknown): z.output<S> {
  return parseOrRefuse(schema, input, (problem) => invalidInput(workflow, problem.field, problem.message));
}

/** As parseWorkflowInput, for an update's or signal's argument (`subject` names it in the refusal). */
export function parseArgument<S extends z.ZodType>(subject: string, schema: S, input: unknown): z.output<S> {
  return parseOrRefuse(
    schema,
    input,
    (problem) => ApplicationFailure.nonRetryable(refusal(subject, problem), FailureType.InvalidInput),
    subject,
  );
}

function parseOrRefuse<S extends z.ZodType>(
  schema: S,
  input: unknown,
  refuse: (problem: InputProblem) => ApplicationFailure,
  root = 'input',
): z.output<S> {
  let problem: InputProblem;
  try {
    const result = schema.safeParse(input);
    if (result.success) return result.data;
    problem = firstProblem(result.error, schema, root);
  } catch (err) {
    problem = { field: root, message: `could not be checked (${err instanceof Error ? err.message : String(err)})` };
  }
  throw refuse(problem);
}

/** True for an InvalidInput failure, raised here or by an activity or child workflow (through its ActivityFailure/ChildWorkflowFailure). */
export function isInvalidInput(err: unknown): boolean {
  let root = err;
  while ((root instanceof ActivityFailure || root instanceof ChildWorkflowFailure) && root.cause) root = root.cause;
  return root instanceof ApplicationFailure && root.type === FailureType.InvalidInput;
}

import { compileRetryPolicy } from '@temporalio/common';
// Pure (the `ms` parser): what the SDK itself uses to read durations in workflow code.
import { msToNumber, type Duration } from '@temporalio/common/lib/time';
import type { RetryPolicy } from '@temporalio/workflow';
import { invalidInput } from './invalid-input';
import { DEFAULT_RETRY } from './policies';

/**
 * Checks shared by every workflow's entry point. Anything a workflow reads from its input before
 * these checks is a crash of workflow code, which Temporal does not fail but retries as a workflow
 * task forever (a stuck run); so each workflow runs them first, and bad input fails the run with a
 * non-retryable InvalidInput naming the field, before any activity (and so any upstream call).
 */

export type InputObject = Record<string, unknown>;

/** The input must be a JSON object (not null, an array or a scalar). */
export function requireObject(workflow: string, input: unknown, field = 'input'): InputObject {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw invalidInput(workflow, field, `must be a JSON object, got ${describe(input)}`);
  }
  return input as InputObject;
}

/** Refuses keys the workflow does not know: a typo (`maxPostPerAccount`) would otherwise be silently ignored. */
export function requireKnownKeys(workflow: string, input: InputObject, known: readonly string[], prefix = ''): void {
  const unknown = Object.keys(input).filter((k) => !known.includes(k));
  if (unknown.length) {
    throw invalidInput(workflow, `${prefix}${unknown[0]}`, `is not a known field (known: ${known.join(', ')})`);
  }
}

const RETRY_FIELDS = ['initialInterval', 'backoffCoefficient', 'maximumInterval', 'maximumAttempts', 'nonRetryableErrorTypes'] as const;

/**
 * A per-run retry override, checked as the server and the SDK would (and merged onto the default
 * policy as `withRetry` does), so a bad one fails the run instead of every workflow task that schedules an activity.
 */
export function checkRetry(workflow: string, retry: unknown): RetryPolicy | undefined {
  if (retry === undefined) return undefined;
  const r = requireObject(workflow, retry, 'retry');
  requireKnownKeys(workflow, r, RETRY_FIELDS, 'retry.');
  for (const field of ['initialInterval', 'maximumInterval'] as const) {
    const v = r[field];
    if (v === undefined) continue;
    let ms: number;
    try {
      if (typeof v !== 'string' && typeof v !== 'number') throw new TypeError();
      ms = msToNumber(v as Duration);
    } catch {
      throw invalidInput(workflow, `retry.${field}`, `must be a duration such as "500ms" or "2s", got ${describe(v)}`);
    }
    if (!Number.isFinite(ms) || ms < 1) throw invalidInput(workflow, `retry.${field}`, `must be at least 1 ms, got ${describe(v)}`);
  }
  const b = r.backoffCoefficient;
  if (b !== undefined && (typeof b !== 'number' || !Number.isFinite(b) || b < 1)) {
    throw invalidInput(workflow, 'retry.backoffCoefficient', `must be a number of at least 1, got ${describe(b)}`);
  }
  const m = r.maximumAttempts;
  if (m !== undefined && (typeof m !== 'number' || !Number.isSafeInteger(m) || m < 1)) {
    throw invalidInput(workflow, 'retry.maximumAttempts', `must be a positive integer, got ${describe(m)}`);
  }
  const types = r.nonRetryableErrorTypes;
  if (types !== undefined && (!Array.isArray(types) || types.length > 100 || !types.every((t) => typeof t === 'string' && t.length > 0 && t.length <= 200))) {
    throw invalidInput(workflow, 'retry.nonRetryableErrorTypes', 'must be an array of error type names');
  }
  try {
    compileRetryPolicy({ ...DEFAULT_RETRY, ...(r as RetryPolicy) });
  } catch (err) {
    throw invalidInput(workflow, 'retry', (err as Error).message);
  }
  return r as RetryPolicy;
}

/** A duration workflow code will hand to a timer or condition: a string such as "1 minute" or a number of ms. */
export function checkDuration(workflow: string, field: string, value: unknown, minMs: number): void {
  if (value === undefined) return;
  let ms: number;
  try {
    if (typeof value !== 'string' && typeof value !== 'number') throw new TypeError();
    ms = msToNumber(value as Duration);
  } catch {
    throw invalidInput(workflow, field, `must be a duration such as "30s" or "1 minute", got ${describe(value)}`);
  }
  if (!Number.isFinite(ms) || ms < minMs) throw invalidInput(workflow, field, `must be at least ${minMs} ms, got ${describe(value)}`);
}

/** A short JSON rendering of a bad value for messages (never more than 60 characters of it). */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

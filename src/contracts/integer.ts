import { z } from 'zod';
import { describeValue } from './describe-value';

/** A (safe) integer from `min` to `max`, refused in one message that gives the range and the value. */
export function intIn(min: number, max: number) {
  const error = (issue: { input?: unknown }) =>
    `must be an integer from ${min} to ${max}, got ${describeValue(issue.input)}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}

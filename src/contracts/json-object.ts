import { z } from 'zod';
import { describeValue } from './describe-value';

/**
 * An input object: a JSON object (not null, an array or a scalar) with only the fields in `shape`.
 * Unknown fields are refused: a typo (`maxPostPerAccount`) would otherwise be silently ignored.
 */
export function jsonObject<S extends z.core.$ZodLooseShape>(shape: S) {
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'invalid_type' ? `must be a JSON object, got ${describeValue(issue.input)}` : undefined,
  });
}

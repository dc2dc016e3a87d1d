import type { z } from 'zod';

/**
 * Hand-written checks standing in for a zod schema on the hot path (every post of every page). A
 * check may answer true only for a value the schema accepts and would return unchanged: same keys,
 * same order, no stripping, no coercion. Then the value is used as it is, without zod's walk and
 * copy; anything else (false) goes through the schema, which stays the rule and writes the errors.
 * test/unit/exact-check.test.ts holds each check to that against its schema with generated values.
 */
const checks = new WeakMap<z.ZodType, (value: unknown) => boolean>();

/** Registers `check` for `schema`; answers the schema, for `const s = withExactCheck(z.object(…), isS)`. */
export function withExactCheck<S extends z.ZodType>(schema: S, check: (value: unknown) => boolean): S {
  checks.set(schema, check);
  return schema;
}

/** Whether `value` passed `schema`'s exact check, so `schema.parse(value)` would answer it unchanged. */
export function acceptsAsIs(schema: z.ZodType, value: unknown): boolean {
  return checks.get(schema)?.(value) ?? false;
}

/** `value` is a plain object (as JSON.parse makes them) whose own enumerable keys are exactly `keys`, in that order. */
export function hasExactKeys(value: unknown, keys: readonly string[]): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) return false;
  let i = 0;
  for (const key in value) {
    if (!Object.hasOwn(value, key) || key !== keys[i++]) return false;
  }
  return i === keys.length;
}

import type { z } from 'zod';

/** Marks a refusal about the input's shape as a whole: it is named before any field's own problem. */
export const STRUCTURAL = { structural: true } as const;

/**
 * `schema`, refusing an input that gives none or more than one of `keys` (alternative sources of the
 * same thing). Checked even when a field is also wrong: which source was meant is the first question.
 */
export function withExactlyOne<T extends z.ZodObject>(schema: T, keys: readonly string[]) {
  return schema.refine((input: Record<string, unknown>) => keys.filter((k) => input[k] !== undefined).length === 1, {
    path: [keys[0]!],
    message: `give exactly one of ${keys.join(' or ')}`,
    params: STRUCTURAL,
    when: (payload) => typeof payload.value === 'object' && payload.value !== null && !Array.isArray(payload.value),
  });
}

import { z } from 'zod';
import { STRUCTURAL } from './exactly-one';

/** One refused field of an input: the dotted path (`accountIds.3`, `retry.maximumAttempts`) and why. */
export interface InputProblem {
  field: string;
  message: string;
}

/**
 * The problem a refusal names, from a schema's parse error: the first unknown field if there is one
 * (a misspelt option is the likeliest mistake), then a problem with the input's shape as a whole
 * (see STRUCTURAL), otherwise the first issue. Workflows, the client and
 * the CLI word every refusal through this, so the same input is refused in the same words everywhere.
 */
export function firstProblem(error: z.ZodError, schema: z.ZodType, root = 'input'): InputProblem {
  const issue =
    error.issues.find((i) => i.code === 'unrecognized_keys') ??
    error.issues.find((i) => i.code === 'custom' && i.params?.structural === STRUCTURAL.structural) ??
    error.issues[0];
  if (!issue) return { field: root, message: 'is not valid' };
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    const known = objectAt(schema, issue.path);
    const list = known ? ` (known: ${Object.keys(known.shape).join(', ')})` : '';
    return { field: [...path, issue.keys[0]].join('.'), message: `is not a known field${list}` };
  }
  return { field: path.length ? path.join('.') : root, message: issue.message };
}

/** The refusal's one-line text: `invalid <subject>: <field>: <message>`. */
export function refusal(subject: string, problem: InputProblem): string {
  return `invalid ${subject}: ${problem.field}: ${problem.message}`;
}

/** The object schema at `path` inside `schema` (through optionals, defaults, arrays and records). */
function objectAt(schema: z.ZodType, path: readonly PropertyKey[]): z.ZodObject | undefined {
  let current: unknown = schema;
  for (let i = 0; ; i++) {
    current = unwrap(current);
    if (i === path.length) return current instanceof z.ZodObject ? current : undefined;
    const key = path[i];
    if (current instanceof z.ZodObject) current = (current.shape as Record<PropertyKey, unknown>)[key as string];
    else if (current instanceof z.ZodArray) current = current.element;
    else if (current instanceof z.ZodRecord) current = current.valueType;
    else return undefined;
  }
}

function unwrap(schema: unknown): unknown {
  let s = schema;
  for (;;) {
    if (s instanceof z.ZodOptional || s instanceof z.ZodDefault || s instanceof z.ZodNullable) s = s.unwrap();
    else if (s instanceof z.ZodPipe) s = s.in;
    else return s;
  }
}

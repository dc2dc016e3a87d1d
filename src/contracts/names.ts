import { z } from 'zod';
import { describeValue } from './describe-value';

/**
 * The names workflow input gives (accounts, runs, experiments, files, services, variants). Each is
 * safe as a URL path segment, a file name and a header value: no separators, no `%`, and never the
 * dot-segments `.` or `..` (they match the character class but would leave the folder or URL path).
 */

/** The characters of a name (a regex character class body; `-` last, so it is literal): letters, digits, `_ . -`. */
const SAFE_CHARS = 'A-Za-z0-9_.-';
/** A variant's: also `:`. */
const VARIANT_CHARS = 'A-Za-z0-9_.:-';
const isDotSegment = (s: string) => s === '.' || s === '..';

/** A rule of 1 to `max` characters from `chars` (a regex character class body), `.` and `..` excluded. */
function safeName(chars: string, max: number) {
  const pattern = new RegExp(`^[${chars}]{1,${max}}$`);
  return (value: unknown): boolean => typeof value === 'string' && pattern.test(value) && !isDotSegment(value);
}

/** One schema per rule; `message` is the refusal, built from the refused value. */
function nameSchema(test: (value: unknown) => boolean, message: (input: unknown) => string) {
  const error = (issue: { input?: unknown }) => message(issue.input);
  return z.string({ error }).refine(test, { error });
}

export const ACCOUNT_ID_MAX = 64;
export const isAccountId = safeName(SAFE_CHARS, ACCOUNT_ID_MAX);
/** An account on the social upstream: a path segment of its API and a file name in the sink. */
export const accountId = nameSchema(
  isAccountId,
  (v) => `${describeValue(v, 80)} is not an account ID (1-${ACCOUNT_ID_MAX} of A-Z a-z 0-9 _ . -)`,
);

/** Names a scrape run's sink location; every attempt and re-run of the run writes to the same place. */
export const runKey = nameSchema(
  safeName(SAFE_CHARS, 128),
  () => 'must be 1-128 characters of A-Z a-z 0-9 _ . - (not "." or "..")',
);

/** The run key a workflow ID gives: its characters outside the rule replaced by `_`. */
export function runKeyFor(workflowId: string): string {
  const key = workflowId.replace(new RegExp(`[^${SAFE_CHARS}]`, 'g'), '_').slice(0, 128);
  return isDotSegment(key) ? key.replace(/\./g, '_') : key;
}

/** An experiment on the experiments upstream (a URL path segment there) and the bandit entity's ID suffix. */
export const experimentId = nameSchema(
  safeName(SAFE_CHARS, 128),
  () => 'must be 1-128 of A-Z a-z 0-9 _ . - (and not "." or "..")',
);

/** A file under `<dataDir>/accounts/`: workflow input names files, never paths. */
export const accountsFileName = nameSchema(
  safeName(SAFE_CHARS, 128),
  () => 'must be a file name under <dataDir>/accounts/ (A-Z a-z 0-9 _ . -)',
);

/** An account list in the results store (`viralflow accounts import --name`). */
export const accountListName = nameSchema(
  safeName(SAFE_CHARS, 128),
  () => 'must be 1-128 characters of A-Z a-z 0-9 _ . - (not "." or "..")',
);

/** A service name as configuration spells it (whether it is configured is the worker's to say). */
export const serviceName = nameSchema(
  (v): boolean => typeof v === 'string' && /^[a-z0-9][a-z0-9_.-]{0,62}$/i.test(v),
  (v) => `${describeValue(v, 80)} is not a service name`,
);

export const VARIANT_MAX = 128;
const variantChars = safeName(VARIANT_CHARS, VARIANT_MAX);
/**
 * A bandit variant, which is an engine pattern name: a key of the weights the experiments API
 * stores. `__proto__` matches the characters but is dropped from records by zod and many JSON
 * libraries, so it is refused outright.
 */
export const isVariantName = (value: unknown): boolean => variantChars(value) && value !== '__proto__';
export const variantName = nameSchema(
  isVariantName,
  () => `must be 1-${VARIANT_MAX} of A-Z a-z 0-9 _ . : - (not "__proto__")`,
);

/** A hand-recorded outcome's ID (`viralflow bandit record --id`): the same ID is counted once. */
export const outcomeId = nameSchema(
  safeName(SAFE_CHARS, 128),
  () => 'must be 1-128 characters of A-Z a-z 0-9 _ . - (not "." or "..")',
);

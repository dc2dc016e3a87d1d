import { z } from 'zod';
import { describeValue } from './describe-value';
import { jsonObject } from './json-object';
import { retryOverride, type RetryOverride } from './retry';

/** Most services one check or collection names. */
export const MAX_SERVICES = 500;

/** The configured services a check or collection names: all of them when absent. */
export function configuredServices(configured: readonly string[]) {
  return z
    .array(z.enum(configured as [string, ...string[]]))
    .min(1)
    .max(MAX_SERVICES);
}

/**
 * The checkHealth activity's input, built from the configured service names: workflow input names
 * services, configuration locates them.
 */
export function healthCheckInput(configured: readonly string[]) {
  return jsonObject({
    services: configuredServices(configured).optional(),
    /** Per-service deadline. @default 2000 */
    timeoutMs: z.number().int().min(10).max(60_000).default(2_000),
    /** An answer slower than this counts as degraded (default: half the timeout). */
    degradedAfterMs: z.number().int().min(1).max(60_000).optional(),
  });
}
export type HealthCheckInput = z.input<ReturnType<typeof healthCheckInput>>;

/**
 * A workflow whose input is one activity's input plus `retry`. The workflow checks `retry`; the
 * activity checks the rest before it calls anything, since only the worker knows the configured
 * service names.
 */
export function activityInputWithRetry<T extends object>() {
  const schema = z.looseObject(
    { retry: retryOverride.optional() },
    { error: (issue) => (issue.code === 'invalid_type' ? `must be a JSON object, got ${describeValue(issue.input)}` : undefined) },
  );
  // Typed as the activity's input: its fields pass through unchecked here, to be checked by the activity.
  return schema as unknown as z.ZodType<T & { retry?: RetryOverride }, T & { retry?: z.input<typeof retryOverride> }>;
}

export const healthCheckWorkflowInput = activityInputWithRetry<HealthCheckInput>();
export type HealthCheckWorkflowInput = z.input<typeof healthCheckWorkflowInput>;

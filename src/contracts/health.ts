import { z } from 'zod';
import { jsonObject } from './json-object';
import { activityInputWithRetry } from './retry';

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

export const healthCheckWorkflowInput = activityInputWithRetry<HealthCheckInput>();
export type HealthCheckWorkflowInput = z.input<typeof healthCheckWorkflowInput>;

import { z } from 'zod';
import { configuredServices } from './health';
import { jsonObject } from './json-object';
import { activityInputWithRetry } from './retry';

export const METRICS_FORMATS = ['prometheus', 'json'] as const;
export type MetricsFormat = (typeof METRICS_FORMATS)[number];

/** The collectMetrics activity's input, built from the configured service names. */
export function collectMetricsInput(configured: readonly string[]) {
  return jsonObject({
    services: configuredServices(configured).optional(),
    /** Both when absent. */
    formats: z.array(z.enum(METRICS_FORMATS)).min(1).max(METRICS_FORMATS.length).optional(),
    /** Per-request deadline. @default 2000 */
    timeoutMs: z.number().int().min(10).max(60_000).default(2_000),
  });
}
export type CollectMetricsInput = z.input<ReturnType<typeof collectMetricsInput>>;

export const collectMetricsWorkflowInput = activityInputWithRetry<CollectMetricsInput>();
export type CollectMetricsWorkflowInput = z.input<typeof collectMetricsWorkflowInput>;

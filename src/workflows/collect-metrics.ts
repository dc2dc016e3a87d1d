import { proxyActivities, type RetryPolicy } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { activityPolicies, withRetry } from './policies';

type CollectMetricsInput = NonNullable<Parameters<Activities['collectMetrics']>[0]>;
type CollectMetricsResult = Awaited<ReturnType<Activities['collectMetrics']>>;

export type CollectMetricsWorkflowInput = CollectMetricsInput & { retry?: RetryPolicy };

/** MetricsCollectorOperator's DAG: one collection across services, meant for a cron schedule. */
export async function collectMetricsWorkflow(input: CollectMetricsWorkflowInput = {} as CollectMetricsWorkflowInput): Promise<CollectMetricsResult> {
  const { retry, ...collect } = input;
  const { collectMetrics } = proxyActivities<Activities>(withRetry(activityPolicies.collectMetrics, retry));
  return collectMetrics(collect as CollectMetricsInput);
}

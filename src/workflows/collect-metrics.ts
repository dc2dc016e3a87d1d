import { proxyActivities, type RetryPolicy } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { checkRetry, requireObject } from './input-checks';
import { activityPolicies, withRetry } from './policies';

type CollectMetricsInput = NonNullable<Parameters<Activities['collectMetrics']>[0]>;
type CollectMetricsResult = Awaited<ReturnType<Activities['collectMetrics']>>;

export type CollectMetricsWorkflowInput = CollectMetricsInput & { retry?: RetryPolicy };

/** MetricsCollectorOperator's DAG: one collection across services, meant for a cron schedule. */
export async function collectMetricsWorkflow(input: CollectMetricsWorkflowInput = {} as CollectMetricsWorkflowInput): Promise<CollectMetricsResult> {
  // The other fields are checked by the activity's strict schema, before it calls anything.
  const { retry, ...collect } = requireObject('collectMetricsWorkflow', input) as CollectMetricsWorkflowInput;
  checkRetry('collectMetricsWorkflow', retry);
  const { collectMetrics } = proxyActivities<Activities>(withRetry(activityPolicies.collectMetrics, retry));
  return collectMetrics(collect as CollectMetricsInput);
}

import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { collectMetricsWorkflowInput, type CollectMetricsWorkflowInput } from '../contracts/metrics';
import { parseWorkflowInput } from './invalid-input';
import { activityPolicies, withRetry } from './policies';
import { collectMetricsSummary } from './summaries';

export type { CollectMetricsWorkflowInput } from '../contracts/metrics';
type CollectMetricsResult = Awaited<ReturnType<Activities['collectMetrics']>>;

/** MetricsCollectorOperator's DAG: one collection across services, meant for a cron schedule. */
export async function collectMetricsWorkflow(raw: CollectMetricsWorkflowInput = {}): Promise<CollectMetricsResult> {
  // The other fields are the activity's, checked by its contract before it calls anything.
  const { retry, ...collect } = parseWorkflowInput('collectMetricsWorkflow', collectMetricsWorkflowInput, raw);
  const { collectMetrics } = proxyActivities<Activities>(withRetry(activityPolicies.collectMetrics, retry));
  return collectMetrics.executeWithOptions({ summary: collectMetricsSummary(collect) }, [collect]);
}

import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { HealthReport } from '../activities/health';
import { healthCheckWorkflowInput, type HealthCheckWorkflowInput } from '../contracts/health';
import { parseWorkflowInput } from './invalid-input';
import { activityPolicies, withRetry } from './policies';
import { healthCheckSummary } from './summaries';

export type { HealthCheckWorkflowInput } from '../contracts/health';

/** One-shot health check across services, meant for a cron schedule; the report says what is down and which circuits are open. */
export async function healthCheckWorkflow(raw: HealthCheckWorkflowInput = {}): Promise<HealthReport> {
  // The other fields are the activity's, checked by its contract before it calls anything.
  const { retry, ...check } = parseWorkflowInput('healthCheckWorkflow', healthCheckWorkflowInput, raw);
  const { checkHealth } = proxyActivities<Activities>(withRetry(activityPolicies.checkHealth, retry));
  return checkHealth.executeWithOptions({ summary: healthCheckSummary(check) }, [check]);
}

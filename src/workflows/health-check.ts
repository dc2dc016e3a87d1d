import { proxyActivities, type RetryPolicy } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { HealthCheckInput, HealthReport } from '../activities/health';
import { checkRetry, requireObject } from './input-checks';
import { activityPolicies, withRetry } from './policies';

export interface HealthCheckWorkflowInput extends HealthCheckInput {
  retry?: RetryPolicy;
}

/** One-shot health check across services, meant for a cron schedule; the report says what is down and which circuits are open. */
export async function healthCheckWorkflow(input: HealthCheckWorkflowInput = {}): Promise<HealthReport> {
  // The other fields are checked by the activity's strict schema, before it calls anything.
  const { retry, ...check } = requireObject('healthCheckWorkflow', input) as HealthCheckWorkflowInput;
  checkRetry('healthCheckWorkflow', retry);
  const { checkHealth } = proxyActivities<Activities>(withRetry(activityPolicies.checkHealth, retry));
  return checkHealth(check);
}

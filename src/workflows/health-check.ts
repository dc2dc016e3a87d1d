import { proxyActivities, type RetryPolicy } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { HealthCheckInput, HealthReport } from '../activities/health';
import { activityPolicies, withRetry } from './policies';

export interface HealthCheckWorkflowInput extends HealthCheckInput {
  retry?: RetryPolicy;
}

/** One-shot health check across services, meant for a cron schedule; the report says what is down and which circuits are open. */
export async function healthCheckWorkflow(input: HealthCheckWorkflowInput = {}): Promise<HealthReport> {
  const { retry, ...check } = input;
  const { checkHealth } = proxyActivities<Activities>(withRetry(activityPolicies.checkHealth, retry));
  return checkHealth(check);
}

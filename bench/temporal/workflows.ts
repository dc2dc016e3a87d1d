/**
 * The bench worker's workflow bundle: every product workflow, plus short bench workflows that
 * drive activities in the shapes measured (one after another for latency, all at once for
 * throughput, nothing at all for workflow throughput). Workflow code: imports only the SDK, types
 * and the product's policies.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { ScrapeAccountsInput } from '../../src/activities/scraper';
import { activityPolicies } from '../../src/workflows/policies';
import type { BenchActivities } from './activities';

export * from '../../src/workflows';

const { benchNoop } = proxyActivities<BenchActivities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 1 },
});
const { scrapeAccounts } = proxyActivities<BenchActivities>({
  ...activityPolicies.scrapeAccounts,
  retry: { maximumAttempts: 1 },
});

/** A workflow that completes in its first task: what a workflow costs on its own. */
export async function benchEmptyWorkflow(): Promise<void> {
  // Deliberately nothing.
}

/** `count` no-op activities one after another: each one's schedule-to-close is read from this history. */
export async function benchSequentialNoopWorkflow(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await benchNoop();
}

/** `count` scrapeAccounts activities one after another, same batch each time. */
export async function benchSequentialScrapeWorkflow(input: {
  count: number;
  batch: ScrapeAccountsInput;
}): Promise<void> {
  for (let i = 0; i < input.count; i++) await scrapeAccounts(input.batch);
}

/** `count` no-op activities scheduled at once: the worker's activity throughput at saturation. */
export async function benchFanOutNoopWorkflow(count: number): Promise<void> {
  await Promise.all(Array.from({ length: count }, () => benchNoop()));
}

import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import type { ViralPipelineInput } from '../../src/contracts/pipeline';
import type { Simulator } from '../../src/sim/server';

/**
 * A small pipeline whose scrape is slow in known places, so a test can look at it mid-run: 30 accounts
 * in 3 batches run one at a time, and one account in each of batches 2 and 3 answers its posts pages
 * slowly (25 posts in pages of 5: five slow requests each). Batch 1 finishes at once; each later batch
 * waits for its slow account, a window of several seconds in which the details stay put.
 */
export const SLOW_PIPELINE = {
  accounts: 30,
  batches: 3,
  batchSize: 10,
  postsPerAccount: 25,
  slowAccounts: ['meta-15', 'meta-25'],
  /** Per posts page of a slow account: five of them, each far below the scraper's 5 s request timeout. */
  slowPageMs: 1_500,
} as const;

export function slowPipelineInput(experimentId: string): ViralPipelineInput {
  return {
    accountIds: Array.from({ length: SLOW_PIPELINE.accounts }, (_, i) => `meta-${String(i + 1).padStart(2, '0')}`),
    batchSize: SLOW_PIPELINE.batchSize,
    maxConcurrentBatches: 1,
    pageSize: 5,
    experimentId,
  };
}

/** Turns the slow accounts on (or off, with 0) in the simulator. */
export function slowDown(sim: Simulator, ms: number = SLOW_PIPELINE.slowPageMs): void {
  for (const account of SLOW_PIPELINE.slowAccounts)
    sim.setKnobs(`social.posts:${account}`, ms ? { latencyMs: ms } : undefined);
}

/** What the Web UI reads for a run's current details: the SDK's built-in metadata query. */
export async function currentDetails(client: Client, workflowId: string): Promise<string> {
  const metadata = await client.workflow
    .getHandle(workflowId)
    .query<{ currentDetails?: string }>('__temporal_workflow_metadata');
  return metadata.currentDetails ?? '';
}

/** The static summaries on a run's history events (activities, children, timers), in event order. */
export async function eventSummaries(client: Client, workflowId: string): Promise<string[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).flatMap((event: temporal.api.history.v1.IHistoryEvent) => {
    const payload = event.userMetadata?.summary;
    return payload ? [defaultPayloadConverter.fromPayload<string>(payload)] : [];
  });
}

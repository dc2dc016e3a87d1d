/**
 * Activity schedule-to-close latency through a real Temporal server: a bench workflow runs the
 * activity N times one after another, and each execution's latency is read from the history
 * (ActivityTaskScheduled.eventTime → ActivityTaskCompleted.eventTime, server clock). The first
 * `warmup` executions are dropped.
 */
import type { Client } from '@temporalio/client';
import type { LatencyResult } from '../results-model';
import { summarize } from '../stats';
import { ACCOUNT_IDS, PAGE_SIZE } from '../variants/scraper/workload';
import { activitySpans, type ActivitySpan } from './history';
import type { benchSequentialNoopWorkflow, benchSequentialScrapeWorkflow } from './workflows';

const SOURCE = 'history event times: ActivityTaskScheduled → ActivityTaskStarted → ActivityTaskCompleted';

function latencyOf(activity: string, spans: ActivitySpan[]): LatencyResult {
  return {
    activity,
    source: SOURCE,
    executions: spans.length,
    scheduleToCloseMs: summarize(spans.map((s) => s.closedMs - s.scheduledMs)),
    scheduleToStartMs: summarize(spans.map((s) => s.startedMs - s.scheduledMs)),
    startToCloseMs: summarize(spans.map((s) => s.closedMs - s.startedMs)),
  };
}

export async function noopLatency(
  client: Client,
  taskQueue: string,
  warmup: number,
  count: number,
): Promise<LatencyResult> {
  const handle = await client.workflow.start<typeof benchSequentialNoopWorkflow>('benchSequentialNoopWorkflow', {
    taskQueue,
    workflowId: `bench-noop-latency-${Date.now()}`,
    args: [warmup + count],
  });
  await handle.result();
  return latencyOf('benchNoop (no-op)', activitySpans(await handle.fetchHistory()).slice(warmup));
}

export async function scraperLatency(
  client: Client,
  taskQueue: string,
  warmup: number,
  count: number,
): Promise<LatencyResult> {
  const handle = await client.workflow.start<typeof benchSequentialScrapeWorkflow>('benchSequentialScrapeWorkflow', {
    taskQueue,
    workflowId: `bench-scrape-latency-${Date.now()}`,
    args: [
      {
        count: warmup + count,
        batch: { accountIds: ACCOUNT_IDS, runKey: 'bench-temporal-scrape', pageSize: PAGE_SIZE },
      },
    ],
  });
  await handle.result();
  return latencyOf(
    `scrapeAccounts (${ACCOUNT_IDS.length} accounts, the scraper benchmark's batch)`,
    activitySpans(await handle.fetchHistory()).slice(warmup),
  );
}

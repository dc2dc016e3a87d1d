/** viralPipelineWorkflow end to end over N accounts, against its floor: its stages run one after another, each bounded by its own I/O. */
import type { Client } from '@temporalio/client';
import type { ViralPipelineResult } from '../../src/workflows/pipeline';
import { independentRequestsFloorMs, scraperFloor } from '../floor';
import type { PipelineRun } from '../results-model';
import { PAGE_SIZE, PAGES } from '../variants/scraper/workload';
import { CONNECTIONS, LATENCY_MS, SERVICES } from '../workload';
import { criticalActivityRounds } from './activity-rounds';
import { workflowSpanMs } from './history';
import { stageSpans } from './stage-spans';

/** `dispatchMs`: the dev server's measured schedule-to-close of a no-op activity, counted once per activity round. */
export async function runPipeline(
  client: Client,
  taskQueue: string,
  accounts: number,
  run: number,
  dispatchMs = 0,
): Promise<PipelineRun> {
  const accountIds = Array.from({ length: accounts }, (_, i) => `acct-${i}`);
  const started = performance.now();
  const handle = await client.workflow.start('viralPipelineWorkflow', {
    taskQueue,
    workflowId: `bench-pipeline-${accounts}-${run}-${Date.now()}`,
    args: [{ accountIds, pageSize: PAGE_SIZE }],
  });
  const result = (await handle.result()) as ViralPipelineResult;
  const clientMs = performance.now() - started;
  const history = await handle.fetchHistory();
  const historyMs = workflowSpanMs(history);
  const activityRounds = await criticalActivityRounds(client, handle.workflowId, history);

  const engineRequests = result.patterns?.requests ?? 0;
  const metricsRequests = result.metrics?.requests ?? 0;
  const health = independentRequestsFloorMs(SERVICES.length, CONNECTIONS, LATENCY_MS);
  const scrape = scraperFloor({ accounts, pages: PAGES, connections: CONNECTIONS, latencyMs: LATENCY_MS });
  const patterns = independentRequestsFloorMs(engineRequests, CONNECTIONS, LATENCY_MS);
  const metrics = independentRequestsFloorMs(metricsRequests, CONNECTIONS, LATENCY_MS);
  const stagesMs = health + scrape.ms + patterns + metrics;
  const dispatchTotalMs = activityRounds * dispatchMs;
  return {
    accounts,
    run,
    historyMs,
    clientMs,
    stagesFloorMs: stagesMs,
    stages: stageSpans(history),
    activityRounds,
    dispatchMs,
    floorMs: stagesMs + dispatchTotalMs,
    floorFormula:
      `health ${health} + scrape ${scrape.ms} (${scrape.rounds} optimal rounds) + patterns ⌈${engineRequests}/${CONNECTIONS}⌉·L = ${patterns}` +
      ` + metrics ⌈${metricsRequests}/${CONNECTIONS}⌉·L = ${metrics} ms` +
      ` + dispatch ${activityRounds} activity rounds × ${dispatchMs.toFixed(1)} ms = ${dispatchTotalMs.toFixed(0)} ms`,
    scraped: result.scrape?.scraped ?? 0,
    posts: result.scrape?.posts ?? 0,
    engineRequests,
    engineCacheMisses: result.patterns?.cache.misses ?? 0,
    failures: result.failures.map((f) => `${f.stage}: ${f.reason}`),
  };
}

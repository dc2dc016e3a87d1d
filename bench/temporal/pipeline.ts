/** viralPipelineWorkflow end to end over N accounts, against its floor: its stages run one after another, each bounded by its own I/O. */
import type { Client } from '@temporalio/client';
import type { ViralPipelineResult } from '../../src/workflows/pipeline';
import { independentRequestsFloorMs, scraperFloor } from '../floor';
import type { PipelineRun } from '../results-model';
import { PAGE_SIZE, PAGES } from '../variants/scraper/workload';
import { CONNECTIONS, LATENCY_MS, SERVICES } from '../workload';
import { workflowSpanMs } from './history';

export async function runPipeline(client: Client, taskQueue: string, accounts: number, run: number): Promise<PipelineRun> {
  const accountIds = Array.from({ length: accounts }, (_, i) => `acct-${i}`);
  const started = performance.now();
  const handle = await client.workflow.start('viralPipelineWorkflow', {
    taskQueue,
    workflowId: `bench-pipeline-${accounts}-${run}-${Date.now()}`,
    args: [{ accountIds, pageSize: PAGE_SIZE }],
  });
  const result = (await handle.result()) as ViralPipelineResult;
  const clientMs = performance.now() - started;
  const historyMs = workflowSpanMs(await handle.fetchHistory());

  const engineRequests = result.patterns?.requests ?? 0;
  const metricsRequests = result.metrics?.requests ?? 0;
  const health = independentRequestsFloorMs(SERVICES.length, CONNECTIONS, LATENCY_MS);
  const scrape = scraperFloor({ accounts, pages: PAGES, connections: CONNECTIONS, latencyMs: LATENCY_MS });
  const patterns = independentRequestsFloorMs(engineRequests, CONNECTIONS, LATENCY_MS);
  const metrics = independentRequestsFloorMs(metricsRequests, CONNECTIONS, LATENCY_MS);
  return {
    accounts,
    run,
    historyMs,
    clientMs,
    floorMs: health + scrape.ms + patterns + metrics,
    floorFormula:
      `health ${health} + scrape ${scrape.ms} (${scrape.rounds} optimal rounds) + patterns ⌈${engineRequests}/${CONNECTIONS}⌉·L = ${patterns}` +
      ` + metrics ⌈${metricsRequests}/${CONNECTIONS}⌉·L = ${metrics} ms`,
    scraped: result.scrape?.scraped ?? 0,
    posts: result.scrape?.posts ?? 0,
    engineRequests,
    engineCacheMisses: result.patterns?.cache.misses ?? 0,
    failures: result.failures.map((f) => `${f.stage}: ${f.reason}`),
  };
}

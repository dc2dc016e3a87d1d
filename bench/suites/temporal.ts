/**
 * Everything measured through a real Temporal dev server. Phase 1: one worker process polling
 * workflows and activities (as `viralflow worker` runs): latency, throughput, the pipeline, its
 * RSS. Phase 2 (split-workers.ts): a workflow-only worker plus activity-only workers that differ
 * only in the metrics interceptor (the overhead, A/B/A/B…) or in V8 heap limits; the
 * activity-only RSS comes from the same processes.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { LatencyResult, PipelineRun, TemporalResult, ThroughputResult, WorkerMemory } from '../results-model';
import { withCpuSplit } from '../temporal/cpu-split';
import { startBenchTemporal } from '../temporal/env';
import { noopLatency, scraperLatency } from '../temporal/latency';
import { runIncremental } from '../temporal/incremental';
import { runPipeline } from '../temporal/pipeline';
import { activityThroughput, workflowThroughput } from '../temporal/throughput';
import { memoryRow } from '../temporal/memory-row';
import { runSplitWorkers, type SplitCounts } from '../temporal/split-workers';
import { startWorkerChild } from '../temporal/worker-handle';
import type { WorkerSample } from '../temporal/worker-protocol';
import type { SuiteOptions } from './operators';

export const TEMPORAL_SCENARIOS = ['latency', 'throughput', 'pipeline', 'incremental', 'interceptor'] as const;
export type TemporalScenario = (typeof TEMPORAL_SCENARIOS)[number];

interface Counts extends Omit<SplitCounts, 'tunedWorker'> {
  /** The single worker's activity fan-out: workflows × activities each. */
  fanOut: [workflows: number, perWorkflow: number];
  noop: [warmup: number, count: number];
  scrape: [warmup: number, count: number];
  emptyWorkflows: number;
  healthWorkflows: number;
  pipelineRuns: number;
  /** No-op activities measured for the pipeline floor's dispatch term. */
  dispatch: [warmup: number, count: number];
  /** Accounts of the incremental scenario's scrapes. */
  incrementalAccounts: number;
}

const COUNTS: Record<'quick' | 'full', Counts> = {
  quick: {
    noop: [3, 30],
    scrape: [1, 5],
    fanOut: [2, 100],
    emptyWorkflows: 50,
    healthWorkflows: 25,
    pipelineRuns: 1,
    dispatch: [3, 20],
    pipelineAccounts: [100],
    incrementalAccounts: 1_000,
    interceptorPairs: 2,
    interceptorFanOut: [2, 100],
    micro: [50_000, 3],
    settleMs: 1_000,
  },
  full: {
    noop: [20, 200],
    scrape: [3, 60],
    fanOut: [4, 500],
    emptyWorkflows: 300,
    healthWorkflows: 100,
    pipelineRuns: 2,
    dispatch: [10, 100],
    pipelineAccounts: [100, 1_000],
    incrementalAccounts: 10_000,
    interceptorPairs: 3,
    interceptorFanOut: [4, 250],
    micro: [200_000, 5],
    settleMs: 3_000,
  },
};

export async function runTemporalSuite(
  selected: ReadonlySet<TemporalScenario>,
  options: SuiteOptions,
): Promise<TemporalResult> {
  const counts = COUNTS[options.quick ? 'quick' : 'full'];
  const log = options.log;
  const env = await startBenchTemporal(options.dataDir, log);
  log(`  dev server ${env.server.address} (${env.cliPath})`);
  const latency: LatencyResult[] = [];
  const throughput: ThroughputResult[] = [];
  const pipeline: PipelineRun[] = [];
  const memory: WorkerMemory[] = [];
  let interceptor: TemporalResult['interceptor'];
  let incremental: TemporalResult['incremental'];
  let dispatch: LatencyResult | undefined;
  const memoryOf = (worker: string, idle: WorkerSample, loaded: WorkerSample, load: string) =>
    memory.push(memoryRow(worker, idle, loaded, load));

  try {
    if (['latency', 'throughput', 'pipeline', 'incremental'].some((n) => selected.has(n as TemporalScenario))) {
      const queue = `bench-single-${process.pid}`;
      const worker = await startWorkerChild('single', env.workerSpec([queue], 'all', true));
      const label = 'one worker: workflows + activities (as `viralflow worker`)';
      try {
        await sleep(counts.settleMs);
        const idle = await worker.sample();
        log(`  single worker idle RSS ${idle.rssMB.toFixed(0)} MB`);
        if (selected.has('latency')) {
          await worker.mark();
          latency.push(await noopLatency(env.client, queue, ...counts.noop));
          latency.push(await scraperLatency(env.client, queue, ...counts.scrape));
          for (const l of latency)
            log(
              `  latency ${l.activity}: p50 ${l.scheduleToCloseMs.p50.toFixed(1)} ms, p99 ${l.scheduleToCloseMs.p99.toFixed(1)} ms`,
            );
          memoryOf(label, idle, await worker.sample(), 'sequential no-op and scrapeAccounts activities');
        }
        if (selected.has('throughput')) {
          await worker.mark();
          const serverPid = env.server.process.pid;
          const loads = [
            () => activityThroughput(env.client, queue, ...counts.fanOut),
            () => workflowThroughput(env.client, queue, 'benchEmptyWorkflow', counts.emptyWorkflows),
            () => workflowThroughput(env.client, queue, 'healthCheckWorkflow', counts.healthWorkflows),
          ];
          for (const load of loads) {
            const { result, cpu } = await withCpuSplit(serverPid, worker, load);
            throughput.push({ ...result, cpu });
            log(`  throughput ${result.what}: ${result.perSecond.toFixed(0)}/s`);
          }
          memoryOf(label, idle, await worker.sample(), 'no-op activity fan-out, then concurrent workflows');
        }
        if (selected.has('pipeline')) {
          // The floor's dispatch term: this server's per-activity hand-off, measured on this worker now.
          dispatch = await noopLatency(env.client, queue, ...counts.dispatch);
          await worker.mark();
          for (const accounts of counts.pipelineAccounts) {
            for (let run = 1; run <= counts.pipelineRuns; run++) {
              const p = await runPipeline(env.client, queue, accounts, run, dispatch.scheduleToCloseMs.p50);
              pipeline.push(p);
              log(
                `  pipeline ${accounts} accounts #${run}: ${p.historyMs.toFixed(0)} ms (floor ${p.floorMs.toFixed(0)} ms: stages ${p.stagesFloorMs} + ` +
                  `${p.activityRounds} rounds × ${p.dispatchMs.toFixed(1)} ms dispatch), engine requests ${p.engineRequests}`,
              );
            }
          }
          memoryOf(
            label,
            idle,
            await worker.sample(),
            `viralPipelineWorkflow over ${counts.pipelineAccounts.join(' and ')} accounts`,
          );
        }
        if (selected.has('incremental')) {
          incremental = await runIncremental(env.client, queue, env.sim, counts.incrementalAccounts);
          for (const r of incremental.runs)
            log(
              `  incremental ${incremental.accounts} accounts, ${r.label}: ${r.historyMs.toFixed(0)} ms, ${r.requests} requests, ` +
                `${r.postsRead} posts read, ${r.postsStored} stored`,
            );
        }
      } finally {
        await worker.stop();
      }
    }

    if (selected.has('interceptor')) {
      const split = await runSplitWorkers(env, { ...counts, tunedWorker: !options.quick }, log);
      interceptor = split.interceptor;
      memory.push(...split.memory);
    }
  } finally {
    await env.close();
  }
  return {
    devServer: env.cliPath,
    eagerActivities: env.eagerActivities,
    ...(dispatch && { dispatch }),
    latency,
    throughput,
    pipeline,
    memory,
    ...(interceptor && { interceptor }),
    ...(incremental && { incremental }),
  };
}

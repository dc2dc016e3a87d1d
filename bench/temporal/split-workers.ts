/**
 * Split workers: one workflow-only worker serving every queue; two bench activity-only workers that differ
 * only in the metrics interceptor (on / off, loaded alternately A/B/A/B… with the same no-op fan-out so drift
 * hits both alike); and the worker as shipped (`bin/viralflow.js worker`, see shipped-worker.ts) for the
 * memory rows: activity-only under the largest pipeline, then (in full runs) the same started with Node's
 * defaults, then a shipped `all` worker running the pipeline alone.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { InterceptorResult, InterceptorRound, WorkerMemory } from '../results-model';
import type { BenchTemporal } from './env';
import { interceptorMicroUs } from './interceptor-micro';
import { memoryRow } from './memory-row';
import { runPipeline } from './pipeline';
import { activityThroughput } from './throughput';
import { startShippedWorker } from './shipped-worker';
import { startWorkerChild, type WorkerHandle } from './worker-handle';
import type { WorkerSample } from './worker-protocol';

export interface SplitCounts {
  /** The no-op load of each A/B round, and after the pipeline on the activity-only workers. */
  interceptorFanOut: [workflows: number, perWorkflow: number];
  pipelineAccounts: number[];
  interceptorPairs: number;
  micro: [iterations: number, rounds: number];
  settleMs: number;
  /** Also run the shipped activity worker with Node's default heap limits (the comparison for the sized one). */
  tunedWorker: boolean;
}

export const SHIPPED_ACTIVITY_WORKER =
  'activity-only worker as shipped (`bin/viralflow.js worker`, VIRALFLOW_WORKER_ROLE=activities, nothing else set)';
export const SHIPPED_ALL_WORKER = 'one worker as shipped (`bin/viralflow.js worker`, role all, nothing else set)';

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

export async function runSplitWorkers(
  env: BenchTemporal,
  counts: SplitCounts,
  log: (line: string) => void,
): Promise<{ interceptor: InterceptorResult; memory: WorkerMemory[] }> {
  const tag = process.pid;
  const queues = {
    with: `bench-with-${tag}`,
    without: `bench-without-${tag}`,
    shipped: `bench-shipped-${tag}`,
    tuned: `bench-tuned-${tag}`,
    all: `bench-all-${tag}`,
  };
  const started: WorkerHandle[] = [];
  const memory: WorkerMemory[] = [];
  try {
    const workflowQueues = [
      queues.with,
      queues.without,
      queues.shipped,
      ...(counts.tunedWorker || process.env.BENCH_BASELINE_ROOT ? [queues.tuned] : []),
    ];
    const workflows = await startWorkerChild('workflows', env.workerSpec(workflowQueues, 'workflows', true));
    started.push(workflows);
    const workers = {
      with: await startWorkerChild('activities+interceptor', env.workerSpec([queues.with], 'activities', true)),
      without: await startWorkerChild('activities', env.workerSpec([queues.without], 'activities', false)),
    };
    started.push(workers.with, workers.without);
    const shipped = await startShippedWorker('activities as shipped', env, {
      role: 'activities',
      taskQueue: queues.shipped,
    });
    started.push(shipped);
    // The comparison: Node's defaults (full runs), or BENCH_BASELINE_ROOT, another build's bin/ and dist/ (a before/after).
    const baselineRoot = process.env.BENCH_BASELINE_ROOT;
    const tuned = baselineRoot
      ? await startShippedWorker('activities, baseline build', env, {
          role: 'activities',
          taskQueue: queues.tuned,
          root: baselineRoot,
        })
      : counts.tunedWorker
        ? await startShippedWorker("activities, Node's defaults", env, {
            role: 'activities',
            taskQueue: queues.tuned,
            nodeDefaults: true,
          })
        : undefined;
    if (tuned) started.push(tuned);
    await sleep(counts.settleMs);
    const idle = {
      with: await workers.with.sample(),
      without: await workers.without.sample(),
      shipped: await shipped.sample(),
      workflows: await workflows.sample(),
      tuned: await tuned?.sample(),
    };
    await workflows.mark();

    const [fanWorkflows, perWorkflow] = counts.interceptorFanOut;
    // One unmeasured round each first: the activity path is compiled (JIT) by then, in both.
    for (const variant of ['with', 'without'] as const)
      await activityThroughput(env.client, queues[variant], fanWorkflows, perWorkflow);
    const rounds: InterceptorRound[] = [];
    const peaks: Record<'with' | 'without', WorkerSample> = { with: idle.with, without: idle.without };
    for (let round = 1; round <= counts.interceptorPairs; round++) {
      for (const variant of ['with', 'without'] as const) {
        await workers[variant].mark();
        const t = await activityThroughput(env.client, queues[variant], fanWorkflows, perWorkflow);
        const s = await workers[variant].sample();
        peaks[variant] = {
          ...s,
          peakRssMB: Math.max(peaks[variant].peakRssMB, s.peakRssMB),
          peakHeapUsedMB: Math.max(peaks[variant].peakHeapUsedMB, s.peakHeapUsedMB),
        };
        rounds.push({
          variant,
          round,
          activities: t.count,
          perSecond: t.perSecond,
          workerCpuUsPerActivity: s.cpuUs / t.count,
        });
        log(
          `  interceptor ${variant} #${round}: ${t.perSecond.toFixed(0)} activities/s, worker CPU ${(s.cpuUs / t.count).toFixed(0)} µs/activity`,
        );
      }
    }
    const noopLoad = `no-op fan-outs (${counts.interceptorPairs} × ${fanWorkflows * perWorkflow} activities)`;
    memory.push(
      memoryRow('bench activity worker (no-op A/B), metrics interceptor on', idle.with, peaks.with, noopLoad),
    );
    memory.push(memoryRow('bench activity worker (no-op A/B), no interceptor', idle.without, peaks.without, noopLoad));

    // Real work on the worker as shipped: the largest pipeline, scraping and all.
    const accounts = Math.max(...counts.pipelineAccounts);
    const pipelineLoad = `viralPipelineWorkflow over ${accounts.toLocaleString('en')} accounts`;
    const loadWith = async (worker: WorkerHandle, queue: string, label: string, idleSample: WorkerSample) => {
      await worker.mark();
      const p = await runPipeline(env.client, queue, accounts, 1);
      const s = await worker.sample();
      log(
        `  ${worker.label}: pipeline ${accounts} accounts ${p.historyMs.toFixed(0)} ms; RSS idle ${idleSample.rssMB.toFixed(0)} MB, peak ${s.peakRssMB.toFixed(0)} MB, worker CPU ${(s.cpuUs / 1e6).toFixed(1)} s`,
      );
      memory.push(memoryRow(label, idleSample, s, pipelineLoad));
    };
    await loadWith(shipped, queues.shipped, SHIPPED_ACTIVITY_WORKER, idle.shipped);
    if (tuned && idle.tuned) {
      await loadWith(
        tuned,
        queues.tuned,
        baselineRoot
          ? `activity-only worker, baseline build in ${baselineRoot} (experiment)`
          : "activity-only worker, `node bin/viralflow.js worker`: Node's default heap limits and malloc settings (experiment)",
        idle.tuned,
      );
    }
    memory.push(
      memoryRow(
        'workflow-only worker (all split queues)',
        idle.workflows,
        await workflows.sample(),
        'all of the above',
      ),
    );

    // The shipped `all` worker (the default role: workflows and activities in one process), on its own.
    for (const w of [shipped, tuned]) await w?.stop();
    const all = await startShippedWorker('all as shipped', env, { role: 'all', taskQueue: queues.all });
    started.push(all);
    await sleep(counts.settleMs);
    await loadWith(all, queues.all, SHIPPED_ALL_WORKER, await all.sample());

    const micro = await interceptorMicroUs(...counts.micro);
    const of = (v: 'with' | 'without') => rounds.filter((r) => r.variant === v);
    const thrWith = mean(of('with').map((r) => r.perSecond));
    const thrWithout = mean(of('without').map((r) => r.perSecond));
    const cpuWith = mean(of('with').map((r) => r.workerCpuUsPerActivity));
    const cpuWithout = mean(of('without').map((r) => r.workerCpuUsPerActivity));
    return {
      interceptor: {
        rounds,
        throughputOverheadPercent: ((thrWithout - thrWith) / thrWithout) * 100,
        cpuOverheadPercent: ((cpuWith - cpuWithout) / cpuWithout) * 100,
        microUsPerActivity: micro.overheadUs,
        microOverheadPercent: (micro.overheadUs / cpuWithout) * 100,
      },
      memory,
    };
  } finally {
    for (const w of started.reverse()) await w.stop();
  }
}

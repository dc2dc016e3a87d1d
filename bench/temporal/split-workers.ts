/**
 * Split workers: one workflow-only worker serving every queue, and activity-only workers that
 * differ in one thing each: the metrics interceptor (on / off, loaded alternately A/B/A/B… with
 * the same no-op fan-out so drift hits both alike), and, in full runs, memory settings: every worker
 * starts with the heap limits bin/viralflow.js gives it (shippedLaunch), and one more activity-only
 * worker starts with Node's defaults instead (what the worker had before it sized itself).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { InterceptorResult, InterceptorRound, WorkerMemory } from '../results-model';
import type { BenchTemporal } from './env';
import { interceptorMicroUs } from './interceptor-micro';
import { memoryRow } from './memory-row';
import { runPipeline } from './pipeline';
import { activityThroughput } from './throughput';
import { startWorkerChild, type WorkerHandle } from './worker-handle';
import type { WorkerSample } from './worker-protocol';

export interface SplitCounts {
  /** The no-op load of each A/B round, and after the pipeline on the activity-only workers. */
  interceptorFanOut: [workflows: number, perWorkflow: number];
  pipelineAccounts: number[];
  interceptorPairs: number;
  micro: [iterations: number, rounds: number];
  settleMs: number;
  /** Also run an activity worker with Node's default heap limits (the comparison for the shipped ones). */
  tunedWorker: boolean;
}

/** Node's defaults: no heap flags, glibc's default malloc settings. */
const NODE_DEFAULTS = { execArgv: [], env: {} };

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

export async function runSplitWorkers(
  env: BenchTemporal,
  counts: SplitCounts,
  log: (line: string) => void,
): Promise<{ interceptor: InterceptorResult; memory: WorkerMemory[] }> {
  const tag = process.pid;
  const queues = { with: `bench-with-${tag}`, without: `bench-without-${tag}`, tuned: `bench-tuned-${tag}` };
  const started: WorkerHandle[] = [];
  const memory: WorkerMemory[] = [];
  try {
    const workflowQueues = [queues.with, queues.without, ...(counts.tunedWorker ? [queues.tuned] : [])];
    const workflows = await startWorkerChild('workflows', env.workerSpec(workflowQueues, 'workflows', true));
    started.push(workflows);
    const workers = {
      with: await startWorkerChild('activities+interceptor', env.workerSpec([queues.with], 'activities', true)),
      without: await startWorkerChild('activities', env.workerSpec([queues.without], 'activities', false)),
    };
    started.push(workers.with, workers.without);
    const tuned = counts.tunedWorker
      ? await startWorkerChild(
          "activities, Node's defaults",
          env.workerSpec([queues.tuned], 'activities', true),
          NODE_DEFAULTS,
        )
      : undefined;
    if (tuned) started.push(tuned);
    await sleep(counts.settleMs);
    const idle = {
      with: await workers.with.sample(),
      without: await workers.without.sample(),
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
    memory.push(memoryRow('activity-only worker, metrics interceptor on', idle.with, peaks.with, noopLoad));
    memory.push(memoryRow('activity-only worker, no interceptor', idle.without, peaks.without, noopLoad));

    // Real work on the activity-only worker: the largest pipeline, scraping and all.
    const accounts = Math.max(...counts.pipelineAccounts);
    const pipelineLoad = `viralPipelineWorkflow over ${accounts.toLocaleString('en')} accounts, then a no-op fan-out of ${fanWorkflows * perWorkflow}`;
    const loadWith = async (worker: WorkerHandle, queue: string, label: string, idleSample: WorkerSample) => {
      await worker.mark();
      const p = await runPipeline(env.client, queue, accounts, 1);
      const t = await activityThroughput(env.client, queue, fanWorkflows, perWorkflow);
      log(
        `  ${worker.label}: pipeline ${accounts} accounts ${p.historyMs.toFixed(0)} ms, fan-out ${t.perSecond.toFixed(0)}/s`,
      );
      memory.push(memoryRow(label, idleSample, await worker.sample(), pipelineLoad));
    };
    await loadWith(workers.with, queues.with, 'activity-only worker, metrics interceptor on', idle.with);
    if (tuned && idle.tuned) {
      await loadWith(
        tuned,
        queues.tuned,
        "activity-only worker, interceptor on, Node's default heap limits and malloc settings (experiment)",
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

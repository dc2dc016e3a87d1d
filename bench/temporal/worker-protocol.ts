/** Messages between the bench and a worker child (its RSS is the worker's alone). */

export interface WorkerChildSpec {
  address: string;
  namespace: string;
  /** One Worker per queue in this process. */
  taskQueues: string[];
  /** What the worker polls: workflow tasks, activity tasks, or both (as `viralflow worker` does). */
  mode: 'all' | 'workflows' | 'activities';
  /** The metrics interceptor createViralflowWorker always adds. */
  interceptor: boolean;
  bundlePath: string;
  simUrl: string;
  dataDir: string;
  /** Experiments only: workflow-task poller settings the product leaves at the SDK defaults (10 pollers, 0.2 of them non-sticky). */
  pollers?: { maxConcurrentWorkflowTaskPolls?: number; nonStickyToStickyPollRatio?: number };
}

export interface WorkerSample {
  rssMB: number;
  heapUsedMB: number;
  /** Anonymous resident memory (Linux RssAnon): RSS without file-backed pages (node binary, native libraries); 0 elsewhere. */
  anonMB: number;
  /** Since the last mark. */
  peakRssMB: number;
  peakHeapUsedMB: number;
  peakAnonMB: number;
  cpuUs: number;
}

export type WorkerRequest = { type: 'mark' } | { type: 'sample' } | { type: 'stop' };
export type WorkerReply =
  | { type: 'ready' }
  | { type: 'sample'; sample: WorkerSample }
  | { type: 'stopped' }
  | { type: 'failed'; message: string };

export function isWorkerReply(m: unknown): m is WorkerReply {
  return typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string';
}

export function isWorkerRequest(m: unknown): m is WorkerRequest {
  return (
    typeof m === 'object' && m !== null && ['mark', 'sample', 'stop'].includes(String((m as { type?: unknown }).type))
  );
}

/** Parent side of a bench worker child: start it, mark a measurement window, sample it, stop it. */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { loadConfig } from '../../src/config';
import { workerMemoryPlan } from '../../src/memory/launch-settings';
import {
  isWorkerReply,
  type WorkerChildSpec,
  type WorkerReply,
  type WorkerRequest,
  type WorkerSample,
} from './worker-protocol';

export interface WorkerHandle {
  readonly label: string;
  /** Starts a window: peak RSS and CPU count from here. */
  mark(): Promise<WorkerSample>;
  sample(): Promise<WorkerSample>;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 60_000;

export interface WorkerLaunch {
  env?: Record<string, string>;
  execArgv?: string[];
}

/**
 * How bin/viralflow.js starts a worker of this role when the user sets nothing (no VIRALFLOW_MEMORY_MB,
 * no NODE_OPTIONS; this machine's cgroup limit, if any): the same plan, from the same code.
 */
export function shippedLaunch(mode: WorkerChildSpec['mode']): WorkerLaunch {
  const plan = workerMemoryPlan(loadConfig({ VIRALFLOW_WORKER_ROLE: mode }), {});
  return { execArgv: plan.nodeFlags, env: plan.env };
}

/** `launch` changes how the process starts (environment, Node flags); by default as `viralflow worker` starts. */
export function startWorkerChild(
  label: string,
  spec: WorkerChildSpec,
  launch: WorkerLaunch = shippedLaunch(spec.mode),
): Promise<WorkerHandle> {
  const inherited = { ...process.env };
  delete inherited.MALLOC_ARENA_MAX;
  delete inherited.MALLOC_MMAP_THRESHOLD_;
  delete inherited.NODE_OPTIONS;
  const child: ChildProcess = fork(join(__dirname, 'worker-child.js'), [JSON.stringify(spec)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: launch.execArgv ?? [],
    env: { ...inherited, ...launch.env },
  });
  const waiting: Array<(s: WorkerSample) => void> = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const request = (message: WorkerRequest) =>
    new Promise<WorkerSample>((resolve, reject) => {
      if (!child.connected) return reject(new Error(`${label} worker is gone`));
      waiting.push(resolve);
      child.send(message);
    });

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`${label} worker did not start within ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    child.on('message', (message: unknown) => {
      if (!isWorkerReply(message)) return;
      const reply: WorkerReply = message;
      if (reply.type === 'ready') {
        clearTimeout(timer);
        resolve({
          label,
          mark: () => request({ type: 'mark' }),
          sample: () => request({ type: 'sample' }),
          async stop() {
            if (child.connected) child.send({ type: 'stop' } satisfies WorkerRequest);
            const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
            await exited;
            clearTimeout(killer);
          },
        });
      } else if (reply.type === 'sample') {
        waiting.shift()?.(reply.sample);
      } else if (reply.type === 'failed') {
        clearTimeout(timer);
        reject(new Error(`${label} worker failed:\n${reply.message}`));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${label} worker exited (${code}) before it was ready`));
    });
  });
}

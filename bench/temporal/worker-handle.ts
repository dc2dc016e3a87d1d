/** Parent side of a bench worker child: start it, mark a measurement window, sample it, stop it. */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { isWorkerReply, type WorkerChildSpec, type WorkerReply, type WorkerRequest, type WorkerSample } from './worker-protocol';

export interface WorkerHandle {
  readonly label: string;
  /** Starts a window: peak RSS and CPU count from here. */
  mark(): Promise<WorkerSample>;
  sample(): Promise<WorkerSample>;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 60_000;

/** `launch` changes how the process starts (environment, Node flags), for experiments on the worker's footprint. */
export function startWorkerChild(
  label: string,
  spec: WorkerChildSpec,
  launch: { env?: Record<string, string>; execArgv?: string[] } = {},
): Promise<WorkerHandle> {
  const child: ChildProcess = fork(join(__dirname, 'worker-child.js'), [JSON.stringify(spec)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: launch.execArgv ?? [],
    env: { ...process.env, ...launch.env },
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

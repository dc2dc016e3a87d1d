/** Runs a load and says whose CPU it took: the dev server, the worker child, this process (client and simulator). */
import type { CpuSplit } from '../results-model';
import { processCpuMs } from '../measure/process-cpu';
import type { WorkerHandle } from './worker-handle';

export async function withCpuSplit<T>(
  serverPid: number | undefined,
  worker: WorkerHandle,
  load: () => Promise<T>,
): Promise<{ result: T; cpu: CpuSplit }> {
  const server = processCpuMs(serverPid);
  const workerBefore = (await worker.sample()).cpuUs;
  const self = process.cpuUsage();
  const result = await load();
  const serverAfter = processCpuMs(serverPid);
  const own = process.cpuUsage(self);
  const workerAfter = (await worker.sample()).cpuUs;
  return {
    result,
    cpu: {
      ...(server !== undefined && serverAfter !== undefined && { serverMs: serverAfter - server }),
      workerMs: (workerAfter - workerBefore) / 1000,
      benchMs: (own.user + own.system) / 1000,
    },
  };
}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startSimulator, type Simulator } from '../../src/sim/server';
import type { SimConfig } from '../../src/sim/types';
import { resolveTemporalCli } from '../../src/temporal/cli-path';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { DEV_SERVER_SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes';
import { whenFrontendHealthy } from './temporal-env';
import { logLine } from './test-log';
import { startWorkerProcess, workerEnv, type WorkerProcess } from './worker-process';

export interface ProcessEnv {
  server: DevServer;
  sim: Simulator;
  client: Client;
  taskQueue: string;
  dataDir: string;
  /** The environment of a worker process on this env's server, task queue, simulator and data dir, plus `extra`. */
  workerVars(extra?: Record<string, string>): Record<string, string>;
  /** Starts `viralflow worker` as a process; it is stopped (SIGKILL if it must) by `close`. */
  startWorker(extra?: Record<string, string>): Promise<WorkerProcess>;
  close(): Promise<void>;
}

/**
 * A real dev server (in memory), the simulator in this process, a client, and workers as separate
 * `viralflow worker` processes: what the fault tests kill, signal and measure.
 */
export async function startProcessEnv(options: { sim?: SimConfig } = {}): Promise<ProcessEnv> {
  const cli = await resolveTemporalCli();
  const server = await startDevServer({
    cliPath: cli.path,
    searchAttributes: DEV_SERVER_SEARCH_ATTRIBUTES,
    onOutput: (line) => logLine('temporal server', line),
  });
  const sim = await startSimulator({ seed: 7, ...options.sim });
  const connection = await whenFrontendHealthy(() => Connection.connect({ address: server.address }));
  const client = new Client({ connection });
  const taskQueue = `faults-${process.pid}-${Date.now()}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'viralflow-faults-'));
  const workers: WorkerProcess[] = [];
  const workerVars = (extra: Record<string, string> = {}) =>
    workerEnv({
      TEMPORAL_ADDRESS: server.address,
      VIRALFLOW_TASK_QUEUE: taskQueue,
      VIRALFLOW_UPSTREAM_URL: sim.url,
      VIRALFLOW_DATA_DIR: dataDir,
      ...extra,
    });
  return {
    server,
    sim,
    client,
    taskQueue,
    dataDir,
    workerVars,
    async startWorker(extra) {
      const w = await startWorkerProcess(workerVars(extra));
      workers.push(w);
      return w;
    },
    async close() {
      await Promise.all(workers.map((w) => w.stop(5_000)));
      await connection.close();
      await sim.close();
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

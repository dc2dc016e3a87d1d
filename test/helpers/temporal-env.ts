import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Runtime, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { DepsOverrides } from '../../src/activities/deps';
import { loadConfig, type ViralflowConfig } from '../../src/config';
import { createMetrics, type ViralflowMetrics } from '../../src/metrics/registry';
import { startSimulator, type Simulator } from '../../src/sim/server';
import type { SimConfig } from '../../src/sim/types';
import { resolveTemporalCli } from '../../src/temporal/cli-path';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { workflowBundlerOptions } from '../../src/temporal/workflow-bundle';
import { createViralflowWorker, type ViralflowWorker } from '../../src/worker';
import { DEV_SERVER_SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes';
import { bufferedLogger, flushLog, logLine } from './test-log';

export interface TemporalEnv {
  server: DevServer;
  client: Client;
  connection: NativeConnection;
  sim: Simulator;
  config: ViralflowConfig;
  metrics: ViralflowMetrics;
  worker: ViralflowWorker;
  taskQueue: string;
  close(): Promise<void>;
}

let runtimeInstalled = false;
let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** The workflow bundle, built once per test process (webpack takes a second or two). */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({
    workflowsPath: require.resolve('../../src/workflows'),
    logger: bufferedLogger('WARN'),
    ...workflowBundlerOptions,
  });
  return bundle;
}

export interface TemporalEnvOptions {
  sim?: SimConfig;
  /** Worker configuration; a function gets the simulator's URL (e.g. to point one API at another path of it). */
  env?: Record<string, string> | ((simUrl: string) => Record<string, string>);
  deps?: DepsOverrides;
}

/** Sends the SDK's logs (worker, activities, workflows, core) to the test log: printed only for a failing test. */
export function installTestRuntime(): void {
  if (runtimeInstalled) return;
  Runtime.install({ logger: bufferedLogger() });
  runtimeInstalled = true;
}

/**
 * A real Temporal dev server (the CLI's `server start-dev`, in memory), the upstream simulator and one
 * viralflow worker on a task queue of its own, wired like production. One per test file.
 * Logs go to the test log (./test-log); if the env cannot start, they are printed with the error.
 */
export async function startTemporalEnv(options: TemporalEnvOptions = {}): Promise<TemporalEnv> {
  installTestRuntime();
  try {
    return await launchTemporalEnv(options);
  } catch (err) {
    flushLog('starting the Temporal test environment failed');
    throw err;
  }
}

async function launchTemporalEnv(options: TemporalEnvOptions): Promise<TemporalEnv> {
  // What has started so far, stopped in reverse if a later step fails: a dev server left running
  // would keep the test process alive after its file has failed.
  const started: Array<() => Promise<void>> = [];
  const stopStarted = async () => {
    for (const stop of started.reverse()) await stop().catch(() => undefined);
  };
  try {
    const cli = await resolveTemporalCli();
    const server = await startDevServer({
      cliPath: cli.path,
      searchAttributes: DEV_SERVER_SEARCH_ATTRIBUTES,
      onOutput: (line) => logLine('temporal server', line),
    });
    started.push(() => server.stop());
    const sim = await startSimulator({ seed: 7, ...options.sim });
    started.push(() => sim.close());
    const taskQueue = `test-${process.pid}-${Date.now()}`;
    const config = loadConfig({
      TEMPORAL_ADDRESS: server.address,
      VIRALFLOW_TASK_QUEUE: taskQueue,
      VIRALFLOW_UPSTREAM_URL: sim.url,
      VIRALFLOW_DATA_DIR: mkdtempSync(join(tmpdir(), 'viralflow-test-')),
      ...(typeof options.env === 'function' ? options.env(sim.url) : options.env),
    });
    const connection = await whenFrontendHealthy(() => NativeConnection.connect({ address: server.address }));
    started.push(() => connection.close());
    const clientConnection = await whenFrontendHealthy(() => Connection.connect({ address: server.address }));
    started.push(() => clientConnection.close());
    const client = new Client({ connection: clientConnection, namespace: config.temporal.namespace });
    const metrics = createMetrics({ processMetrics: false });
    const worker = await createViralflowWorker({
      config,
      connection,
      metrics,
      workflowBundle: await workflowBundle(),
      deps: options.deps,
      shutdownGraceTime: '1s',
    });
    const running = worker.run();
    return {
      server,
      client,
      connection,
      sim,
      config,
      metrics,
      worker,
      taskQueue,
      async close() {
        worker.worker.shutdown();
        await running;
        await stopStarted();
      },
    };
  } catch (err) {
    await stopStarted();
    throw err;
  }
}

/**
 * The dev server listens before its frontend is ready: on a busy machine the first calls can answer
 * "Frontend is not healthy yet", or find the gRPC port not yet accepting ("Connection refused"), for a few
 * seconds. Those are retried until the deadline; any other error is not.
 */
export async function whenFrontendHealthy<T>(connect: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await connect();
    } catch (err) {
      if (Date.now() > deadline || !/not healthy yet|connection refused/i.test((err as Error).message)) throw err;
      await sleep(250);
    }
  }
}

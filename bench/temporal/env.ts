/**
 * The real Temporal side of the bench: a dev server from the resolved CLI (in memory, on free
 * ports), the simulator at L = 20 ms, the bench workflow bundle built once and written to a file
 * for worker children, and a client.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { startSimulator, type Simulator } from '../../src/sim/server';
import { resolveTemporalCli } from '../../src/temporal/cli-path';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { DEV_SERVER_SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes';
import { POSTS_PER_ACCOUNT } from '../variants/scraper/workload';
import { fixedLatencySim } from '../workload';
import type { WorkerChildSpec } from './worker-protocol';

export interface BenchTemporal {
  server: DevServer;
  /** Eager activity execution on the dev server (as viralflow starts it); BENCH_EAGER_ACTIVITIES=off for the comparison. */
  eagerActivities: boolean;
  cliPath: string;
  client: Client;
  sim: Simulator;
  /** A worker child spec for this environment, minus what differs per worker. */
  workerSpec(taskQueues: string[], mode: WorkerChildSpec['mode'], interceptor: boolean): WorkerChildSpec;
  close(): Promise<void>;
}

export async function startBenchTemporal(dataDir: string, log: (line: string) => void): Promise<BenchTemporal> {
  const cli = await resolveTemporalCli({ log });
  const eagerActivities = process.env.BENCH_EAGER_ACTIVITIES !== 'off';
  const server = await startDevServer({
    cliPath: cli.path,
    searchAttributes: DEV_SERVER_SEARCH_ATTRIBUTES,
    eagerActivities,
  });
  const sim = await startSimulator(fixedLatencySim({ postsPerAccount: POSTS_PER_ACCOUNT }));
  try {
    const bundle = await bundleWorkflowCode({
      workflowsPath: require.resolve('./workflows'),
      logger: new DefaultLogger('WARN'),
    });
    const bundlePath = join(dataDir, 'workflow-bundle.js');
    writeFileSync(bundlePath, bundle.code);
    const connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection, namespace: 'default' });
    return {
      server,
      eagerActivities,
      cliPath: cli.path,
      client,
      sim,
      workerSpec: (taskQueues, mode, interceptor) => ({
        address: server.address,
        namespace: 'default',
        taskQueues,
        mode,
        interceptor,
        bundlePath,
        simUrl: sim.url,
        dataDir,
      }),
      async close() {
        await connection.close();
        await sim.close();
        await server.stop();
      },
    };
  } catch (err) {
    await sim.close();
    await server.stop();
    throw err;
  }
}

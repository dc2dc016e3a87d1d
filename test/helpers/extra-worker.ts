import { NativeConnection } from '@temporalio/worker';
import { createMetrics, type ViralflowMetrics } from '../../src/metrics/registry';
import { createViralflowWorker, type ViralflowWorker } from '../../src/worker';
import type { TemporalEnv } from './temporal-env';
import { workflowBundle } from './temporal-env';

export interface ExtraWorker {
  identity: string;
  worker: ViralflowWorker;
  metrics: ViralflowMetrics;
  close(): Promise<void>;
}

/**
 * Another viralflow worker on the env's task queue, as a second process would be: its own
 * connection to the server, its own HTTP pool and metrics registry, the same configuration.
 */
export async function startExtraWorker(env: TemporalEnv, identity: string): Promise<ExtraWorker> {
  const connection = await NativeConnection.connect({ address: env.server.address });
  const metrics = createMetrics({ processMetrics: false });
  try {
    const worker = await createViralflowWorker({
      config: env.config,
      connection,
      metrics,
      identity,
      workflowBundle: await workflowBundle(),
      shutdownGraceTime: '1s',
    });
    const running = worker.run();
    return {
      identity,
      worker,
      metrics,
      async close() {
        worker.worker.shutdown();
        await running;
        await connection.close();
      },
    };
  } catch (err) {
    await connection.close();
    throw err;
  }
}

import { hostname } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import { NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from './activities';
import { createActivityDeps, type ActivityDeps, type DepsOverrides } from './activities/deps';
import { loadConfig, type ViralflowConfig } from './config';
import { workerMemoryPlan } from './memory/launch-settings';
import { activityMetricsInterceptor } from './metrics/interceptor';
import { createMetrics, type ViralflowMetrics } from './metrics/registry';
import { loadSources } from './sources/load-sources';
import { startMetricsServer } from './metrics/server';
import { TemporalUnreachableError } from './temporal/connection-error';
import { describeConnectionSecurity, temporalConnectionOptions } from './temporal/connection-options';
import { prebuiltWorkflowBundle, workflowBundlerOptions } from './temporal/workflow-bundle';

/** See WorkerSetup.stickyQueueScheduleToStartTimeout. */
export const DEFAULT_STICKY_QUEUE_TIMEOUT = '3s';

export interface WorkerSetup {
  config: ViralflowConfig;
  connection: NativeConnection;
  /** Pre-bundled workflow code (tests bundle once and share it); otherwise bundled from ./workflows. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  metrics?: ViralflowMetrics;
  deps?: DepsOverrides;
  /** Activity dependencies already built (and the store already migrated) by the caller; closed with the worker. */
  activityDeps?: ActivityDeps & { close(): Promise<void> };
  identity?: string;
  /** How long in-flight activities may run on after shutdown starts before they are cancelled and retried elsewhere. */
  shutdownGraceTime?: WorkerOptions['shutdownGraceTime'];
  /**
   * How long a workflow task waits on this worker's sticky queue before any worker may take it. A worker
   * that dies with workflows in its cache holds their next tasks this long; a healthy one polls its
   * sticky queue within milliseconds, and a task that does move costs a replay on another worker.
   * @default DEFAULT_STICKY_QUEUE_TIMEOUT (the SDK's own default is 10 s)
   */
  stickyQueueScheduleToStartTimeout?: WorkerOptions['stickyQueueScheduleToStartTimeout'];
}

export interface ViralflowWorker {
  worker: Worker;
  deps: ActivityDeps;
  /** Runs until shutdown (a signal or `worker.shutdown()`), then releases the HTTP pool. */
  run(): Promise<void>;
}

/** A worker with every viralflow workflow and activity, timed by the metrics interceptor. */
export async function createViralflowWorker(setup: WorkerSetup): Promise<ViralflowWorker> {
  const metrics = setup.metrics ?? createMetrics();
  const deps =
    setup.activityDeps ??
    createActivityDeps(setup.config, metrics, {
      ...setup.deps,
      sources: setup.deps?.sources ?? (await loadSources(setup.config)),
    });
  const { role } = setup.config;
  try {
    // The results store's schema, checked (and migrated) before any activity can write to it.
    if (role !== 'workflows') await deps.store.migrate();
    const workflows = role === 'activities' ? {} : workflowCode(setup.workflowBundle);
    const worker = await Worker.create({
      connection: setup.connection,
      namespace: setup.config.temporal.namespace,
      taskQueue: setup.config.temporal.taskQueue,
      identity: setup.identity ?? `viralflow-${process.pid}@${hostname()}`,
      ...workflows,
      ...(role !== 'workflows' && { activities: createActivities(deps) }),
      interceptors: { activity: [activityMetricsInterceptor(metrics)] },
      maxConcurrentActivityTaskExecutions: setup.config.maxConcurrentActivities,
      shutdownGraceTime: setup.shutdownGraceTime ?? '10s',
      stickyQueueScheduleToStartTimeout: setup.stickyQueueScheduleToStartTimeout ?? DEFAULT_STICKY_QUEUE_TIMEOUT,
      // Heartbeats carry the scraper's resume point; by default the SDK sends them only every 8 s
      // (0.8 × the 10 s heartbeat timeout), so a killed worker's retry redid up to 8 s of pages.
      maxHeartbeatThrottleInterval: '1s',
    });
    return {
      worker,
      deps,
      run: () => worker.run().finally(() => deps.close()),
    };
  } catch (err) {
    await deps.close();
    throw err;
  }
}

/** The prebuilt bundle when it is current, else the source to bundle at start-up. */
function workflowCode(
  bundle: WorkerSetup['workflowBundle'],
): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath' | 'bundlerOptions'> {
  const current = bundle ?? prebuiltWorkflowBundle();
  if (current) return { workflowBundle: current };
  console.warn('viralflow: no up-to-date prebuilt workflow bundle (run `npm run build`); bundling at start-up');
  return { workflowsPath: require.resolve('./workflows'), bundlerOptions: workflowBundlerOptions };
}

/**
 * The `viralflow worker` process: SDK core metrics on their own Prometheus port, ours on METRICS_PORT,
 * graceful shutdown on SIGINT/SIGTERM (the Runtime's default signals): polling stops, in-flight
 * activities get the grace time to finish, the rest are cancelled and retried by the server.
 */
export async function runWorker(
  config: ViralflowConfig = loadConfig(),
  /** Where the start-up line goes (the CLI's stdout). @default console.log */
  print: (line: string) => void = console.log,
): Promise<void> {
  // The same plan bin/viralflow.js started node with: a budget too small for the slots fails here too.
  const memory = workerMemoryPlan(config, process.env);
  const heapLimitMB = Math.round(getHeapStatistics().heap_size_limit / 2 ** 20);
  const sized = /--max-old-space-size/.test(`${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`);
  if (!sized) {
    console.warn(
      `viralflow: heap not sized for the ${memory.budgetMB} MB memory budget (started as \`node bin/viralflow.js\`?); ` +
        `run bin/viralflow.js as a program, or give node ${memory.nodeFlags.join(' ')}`,
    );
  }
  if (config.temporalMetricsPort > 0) {
    Runtime.install({
      telemetryOptions: {
        metrics: { prometheus: { bindAddress: `${config.metrics.host}:${config.temporalMetricsPort}` } },
      },
    });
  }
  const metrics = createMetrics();
  // The results store first: a worker that cannot store results must not take tasks (and says why).
  const activityDeps = createActivityDeps(config, metrics, { sources: await loadSources(config) });
  let connection: NativeConnection;
  try {
    if (config.role !== 'workflows') await activityDeps.store.migrate();
    connection = await NativeConnection.connect(temporalConnectionOptions(config.temporal)).catch((err: unknown) => {
      throw new TemporalUnreachableError(config.temporal.address, { cause: err });
    });
  } catch (err) {
    await activityDeps.close();
    throw err;
  }
  const metricsServer = await startMetricsServer(metrics.registry, config.metrics.host, config.metrics.port).catch(
    async (err: unknown) => {
      await Promise.all([activityDeps.close(), connection.close()]);
      throw err;
    },
  );
  try {
    const { worker, run } = await createViralflowWorker({ config, connection, metrics, activityDeps });
    print(
      `viralflow worker ${worker.options.identity} (${config.role}): namespace ${config.temporal.namespace}, task queue ${config.temporal.taskQueue}, ` +
        `Temporal ${config.temporal.address} (${describeConnectionSecurity(config.temporal)}), ` +
        `results store ${activityDeps.store.kind} ${activityDeps.store.location}, ` +
        (config.sourcesModule !== undefined ? `sources ${config.sourcesModule}, ` : '') +
        `metrics ${metricsServer.url}` +
        (config.temporalMetricsPort > 0
          ? `, SDK metrics http://${config.metrics.host}:${config.temporalMetricsPort}/metrics`
          : '') +
        `, memory budget ${memory.budgetMB} MB (${memory.source}), heap limit ${heapLimitMB} MB`,
    );
    await run();
  } finally {
    await metricsServer.close();
    await connection.close();
  }
}

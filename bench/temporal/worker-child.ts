/**
 * Child-process entry for a bench worker: Worker.create with createViralflowWorker's options (the
 * product activities built from createActivityDeps, the same slot count and grace time, the
 * metrics interceptor when asked), plus the bench workflows and the no-op activity. A process of
 * its own, so the RSS it reports is the worker's.
 */
import { hostname } from 'node:os';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import { createActivityDeps } from '../../src/activities/deps';
import { loadConfig } from '../../src/config';
import { activityMetricsInterceptor } from '../../src/metrics/interceptor';
import { createMetrics } from '../../src/metrics/registry';
import { startMemorySampler } from '../measure/memory-sampler';
import { SERVICES } from '../workload';
import { benchActivities } from './activities';
import { isWorkerRequest, type WorkerChildSpec, type WorkerReply, type WorkerSample } from './worker-protocol';

const MB = 1024 * 1024;

function send(reply: WorkerReply): void {
  process.send?.(reply);
}

function parseSpec(text: string | undefined): WorkerChildSpec {
  const spec = JSON.parse(text ?? 'null') as WorkerChildSpec | null;
  if (!spec || !Array.isArray(spec.taskQueues) || !['all', 'workflows', 'activities'].includes(spec.mode)) {
    throw new Error(`bad worker spec: ${text ?? '(none)'}`);
  }
  return spec;
}

async function main(): Promise<void> {
  const spec = parseSpec(process.argv[2]);
  // Split workers would warn that they poll only one kind of task: that is the point of them.
  Runtime.install({ logger: new DefaultLogger(spec.mode === 'all' ? 'WARN' : 'ERROR') });
  const config = loadConfig({
    TEMPORAL_ADDRESS: spec.address,
    TEMPORAL_NAMESPACE: spec.namespace,
    VIRALFLOW_UPSTREAM_URL: spec.simUrl,
    VIRALFLOW_SERVICES: SERVICES.join(','),
    VIRALFLOW_DATA_DIR: spec.dataDir,
    METRICS_PORT: '0',
    TEMPORAL_METRICS_PORT: '0',
  });
  // As `viralflow worker` makes them: process metrics on.
  const metrics = createMetrics();
  const deps = spec.mode === 'workflows' ? undefined : createActivityDeps(config, metrics);
  const connection = await NativeConnection.connect({ address: spec.address });
  const workers = await Promise.all(
    spec.taskQueues.map((taskQueue) =>
      Worker.create({
        connection,
        namespace: config.temporal.namespace,
        taskQueue,
        identity: `bench-${spec.mode}-${process.pid}@${hostname()}`,
        ...(spec.mode !== 'activities' && { workflowBundle: { codePath: spec.bundlePath } }),
        ...(deps && { activities: { ...createActivities(deps), ...benchActivities } }),
        ...(spec.interceptor && { interceptors: { activity: [activityMetricsInterceptor(metrics)] } }),
        maxConcurrentActivityTaskExecutions: config.maxConcurrentActivities,
        ...spec.pollers,
        shutdownGraceTime: '1s',
      }),
    ),
  );

  const memory = startMemorySampler(50, { anonymous: true });
  let cpuMark = process.cpuUsage();
  const sample = (): WorkerSample => {
    const now = memory.sample();
    const cpu = process.cpuUsage(cpuMark);
    const peak = memory.peak();
    return {
      rssMB: now.rssBytes / MB,
      heapUsedMB: now.heapUsedBytes / MB,
      anonMB: now.anonBytes / MB,
      peakRssMB: peak.rssBytes / MB,
      peakHeapUsedMB: peak.heapUsedBytes / MB,
      peakAnonMB: peak.anonBytes / MB,
      cpuUs: cpu.user + cpu.system,
    };
  };
  process.on('message', (message: unknown) => {
    if (!isWorkerRequest(message)) return;
    if (message.type === 'mark') {
      memory.reset();
      cpuMark = process.cpuUsage();
      send({ type: 'sample', sample: sample() });
    } else if (message.type === 'sample') {
      send({ type: 'sample', sample: sample() });
    } else {
      for (const w of workers) w.shutdown();
    }
  });

  const running = Promise.all(workers.map((w) => w.run()));
  send({ type: 'ready' });
  await running;
  memory.stop();
  await deps?.close();
  await connection.close();
  send({ type: 'stopped' });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    send({ type: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    process.exit(1);
  },
);

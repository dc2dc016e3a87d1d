import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type LogMetadata } from '@temporalio/worker';
import type { TemporalSession } from './client/connect';
import { loadConfig } from './config';
import { demoSimConfig } from './demo/demo-world';
import { DEMO_EXPERIMENT, runDemoPipeline } from './demo/demo-run';
import { createMetrics } from './metrics/registry';
import { startMetricsServer } from './metrics/server';
import { projectRoot } from './project-root';
import { startSimulator } from './sim/server';
import { resolveTemporalCli } from './temporal/cli-path';
import { temporalConnectionOptions } from './temporal/connection-options';
import { startDevServer, type DevServer } from './temporal/dev-server';
import { DEV_SERVER_SEARCH_ATTRIBUTES } from './workflows/search-attributes';
import { createViralflowWorker } from './worker';

export interface DevOptions {
  /** Keep running after the demo workflow completes (default) or stop (used by tests and CI smoke runs). */
  exitAfterDemo?: boolean;
  /** Environment to configure from. @default process.env */
  env?: Record<string, string | undefined>;
  /** Where progress lines and the demo's Web UI link go. @default console.log */
  print?: (line: string) => void;
}

/**
 * `viralflow dev`: the whole stack on one machine. The real Temporal dev server (state kept in
 * .data/temporal.db), the upstream simulator, a worker with its /metrics, and the demo: the pipeline
 * over seeded accounts (some failing on purpose), its progress, Web UI link, totals, top patterns and
 * the bandit's weights, plus a cron schedule. Ctrl-C stops everything this started.
 */
export async function runDev(options: DevOptions = {}): Promise<void> {
  const print = options.print ?? ((line: string) => console.log(line));
  const root = projectRoot();
  const dataDir = join(root, '.data');
  mkdirSync(dataDir, { recursive: true });
  const env = options.env ?? process.env;
  const base = loadConfig(env);
  const temporalPort = Number(base.temporal.address.split(':').pop()) || 7233;

  Runtime.install({
    // WARN keeps the workflow bundler's build report out of the demo's console.
    // One line per warning: the demo's deliberate failures (a 429 storm, bad accounts) retry in plain sight
    // without a stack trace each; the Web UI has the details.
    logger: new DefaultLogger('WARN', ({ level, message, meta }) => print(`[${level}] ${message}${compactMeta(meta)}`)),
    telemetryOptions:
      base.temporalMetricsPort > 0
        ? { metrics: { prometheus: { bindAddress: `${base.metrics.host}:${base.temporalMetricsPort}` } } }
        : {},
  });

  const cli = await resolveTemporalCli({ log: print });
  print(`Temporal CLI: ${cli.path} (${cli.source})`);
  let server: DevServer | undefined;
  let uiUrl = env['TEMPORAL_UI_URL']?.replace(/\/+$/, '') || 'http://localhost:8233';
  const existing = await Connection.connect({
    ...temporalConnectionOptions(base.temporal),
    connectTimeout: 1_000,
  }).catch(() => undefined);
  if (existing) {
    await existing.close();
    print(`Using the Temporal server already running at ${base.temporal.address}`);
  } else {
    server = await startDevServer({
      cliPath: cli.path,
      port: temporalPort,
      uiPort: 8233,
      dbFile: join(dataDir, 'temporal.db'),
      namespace: base.temporal.namespace,
      searchAttributes: DEV_SERVER_SEARCH_ATTRIBUTES,
    });
    uiUrl = server.uiUrl;
    print(`Temporal dev server at ${server.address} (state in .data/temporal.db), Web UI ${uiUrl}`);
  }

  const sim = await startSimulator(demoSimConfig(Number(new URL(base.social.baseUrl).port) || 8787));
  print(`Upstream simulator at ${sim.url}`);
  const config = loadConfig({ ...env, VIRALFLOW_UPSTREAM_URL: sim.url, VIRALFLOW_DATA_DIR: base.dataDir });

  const connection = await NativeConnection.connect(temporalConnectionOptions(config.temporal));
  const metrics = createMetrics();
  const metricsServer = await startMetricsServer(metrics.registry, config.metrics.host, config.metrics.port);
  const { worker, run } = await createViralflowWorker({ config, connection, metrics });
  const running = run();
  print(`Worker ${worker.options.identity} on task queue ${config.temporal.taskQueue}; metrics ${metricsServer.url}`);

  const clientConnection = await Connection.connect(temporalConnectionOptions(config.temporal));
  const client = new Client({ connection: clientConnection, namespace: config.temporal.namespace });
  const session: TemporalSession = {
    client,
    address: config.temporal.address,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    uiUrl,
    close: () => clientConnection.close(),
  };
  try {
    await runDemoPipeline(session, { print });
  } catch (err) {
    // The stack stays up (it is what the user asked for); the demo's failure is said, not hidden.
    print(`The demo pipeline did not complete: ${err instanceof Error ? err.message : String(err)}`);
    if (options.exitAfterDemo) process.exitCode = 1;
  }
  print(`Metrics: ${metricsServer.url}`);
  print(`Try: npx viralflow bandit show ${DEMO_EXPERIMENT} | npx viralflow doctor | npx viralflow list`);

  if (options.exitAfterDemo) worker.shutdown();
  else print('Running; press Ctrl-C to stop the worker, simulator and dev server.');
  try {
    await running;
  } finally {
    print('Worker stopped; closing the simulator and the dev server…');
    await clientConnection.close();
    await connection.close();
    await metricsServer.close();
    await sim.close();
    await server?.stop();
    print('Stopped.');
  }
}

/** `scrapeAccounts attempt 1 (pipeline/scrape): rate limited; retry after 1000 ms` from a worker log entry's metadata. */
function compactMeta(meta: LogMetadata | undefined): string {
  if (!meta) return '';
  const what = [
    meta['activityType'] ?? meta['workflowType'],
    meta['attempt'] !== undefined && `attempt ${String(meta['attempt'])}`,
  ]
    .filter(Boolean)
    .join(' ');
  const where = meta['workflowId'] ? ` (${String(meta['workflowId'])})` : '';
  const error = meta['error'] instanceof Error ? `: ${meta['error'].message}` : '';
  return what || where || error ? `: ${what}${where}${error}` : '';
}

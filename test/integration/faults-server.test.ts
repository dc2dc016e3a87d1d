/**
 * The Temporal server goes away and comes back: a dev server persisting to SQLite is stopped (SIGTERM)
 * or crashes (SIGKILL) in the middle of a scrape fan-out and while a schedule fires, then is started
 * again on the same ports with the same database. The worker (its NativeConnection untouched) and the client reconnect by themselves;
 * the run completes exactly once and the schedule keeps firing.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection, ScheduleOverlapPolicy } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../../src/config';
import { createMetrics } from '../../src/metrics/registry';
import { startSimulator, type Simulator } from '../../src/sim/server';
import { resolveTemporalCli } from '../../src/temporal/cli-path';
import { freePort, startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { createViralflowWorker, type ViralflowWorker } from '../../src/worker';
import { scrapeAccountsWorkflow } from '../../src/workflows/scrape';
import { DEV_SERVER_SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes';
import { activityRecords, workflowTaskFailures } from '../helpers/history-facts';
import { pollUntil } from '../helpers/poll';
import { assertSinkExactlyOnce } from '../helpers/sink-files';
import { installTestRuntime, workflowBundle } from '../helpers/temporal-env';
import { logLine } from '../helpers/test-log';

const SEED = 5;
const POSTS = 20;

describe('Temporal server restart (SQLite state) while workflows and a schedule run', () => {
  let cliPath: string;
  let dir: string;
  let ports: { port: number; uiPort: number };
  let server: DevServer | undefined;
  let sim: Simulator;
  let clientConnection: Connection;
  let client: Client;
  let connection: NativeConnection;
  let worker: ViralflowWorker;
  let running: Promise<void>;
  const taskQueue = `restart-${process.pid}`;

  const startServer = async () =>
    startDevServer({
      cliPath,
      ...ports,
      dbFile: join(dir, 'temporal.db'),
      searchAttributes: DEV_SERVER_SEARCH_ATTRIBUTES,
      onOutput: (line) => logLine('temporal server', line),
    });

  before(async () => {
    // While the server is down, core logs each retried call at WARN: expected here, and kept in the test log.
    installTestRuntime();
    cliPath = (await resolveTemporalCli()).path;
    dir = mkdtempSync(join(tmpdir(), 'viralflow-restart-'));
    ports = { port: await freePort(), uiPort: await freePort() };
    server = await startServer();
    sim = await startSimulator({ seed: SEED, postsPerAccount: POSTS, knobs: { 'social.posts': { latencyMs: 300 } } });
    const config = loadConfig({
      TEMPORAL_ADDRESS: server.address,
      VIRALFLOW_TASK_QUEUE: taskQueue,
      VIRALFLOW_UPSTREAM_URL: sim.url,
      VIRALFLOW_DATA_DIR: join(dir, 'data'),
    });
    clientConnection = await Connection.connect({ address: server.address });
    client = new Client({ connection: clientConnection });
    connection = await NativeConnection.connect({ address: server.address });
    worker = await createViralflowWorker({
      config,
      connection,
      metrics: createMetrics({ processMetrics: false }),
      workflowBundle: await workflowBundle(),
      shutdownGraceTime: '1s',
    });
    running = worker.run();
  });

  after(async () => {
    if (worker && worker.worker.getState() === 'RUNNING') worker.worker.shutdown();
    await running?.catch(() => undefined);
    await connection?.close();
    await clientConnection?.close();
    await sim?.close();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** SIGTERM (`stop`) or SIGKILL (`crash`: no chance to flush anything) the server, wait, start it again on the same ports and database. */
  const bringDown = async (how: 'stop' | 'crash') => {
    if (how === 'stop') return server!.stop();
    const exited = new Promise((resolve) => server!.process.once('exit', resolve));
    server!.process.kill('SIGKILL');
    await exited;
  };

  for (const how of ['stop', 'crash'] as const) {
    test(
      `${how} and restart mid-run: the run completes exactly once, the schedule fires again, the same worker carries on`,
      { timeout: 120_000 },
      async () => {
        sim.reset();
        const schedule = await client.schedule.create({
          scheduleId: `restart-health-${how}`,
          spec: { intervals: [{ every: '2s' }] },
          policies: { overlap: ScheduleOverlapPolicy.ALLOW_ALL },
          action: {
            type: 'startWorkflow',
            workflowType: 'healthCheckWorkflow',
            taskQueue,
            args: [{ timeoutMs: 2_000 }],
          },
        });
        await pollUntil(
          'a scheduled run',
          async () => ((await schedule.describe()).info.recentActions.length >= 1 ? true : undefined),
          { timeoutMs: 30_000, intervalMs: 50 },
        );
        // Then the scrape: four batches one after another (~1.3 s each), so whatever the server's stop takes,
        // the last batches can only be scheduled after the restart.
        const accountIds = Array.from({ length: 40 }, (_, i) => `${how}-${i}`);
        const handle = await client.workflow.start(scrapeAccountsWorkflow, {
          taskQueue,
          workflowId: `fault-restart-${how}`,
          args: [
            { accountIds, batchSize: 10, maxConcurrentBatches: 1, pageSize: 5, retry: { initialInterval: '200ms' } },
          ],
        });
        const pages = () => sim.stats().routes['social.posts']?.requests ?? 0;
        await pollUntil('the first batch half done', () => (pages() >= 20 ? true : undefined), {
          timeoutMs: 30_000,
          intervalMs: 20,
        });

        const stoppedAt = Date.now();
        await bringDown(how);
        const pagesWhileDown = pages();
        await sleep(2_000); // down for a while: polls and completions fail and are retried by the SDK
        // From the moment the new server is launched: it serves gRPC (and the worker catches up) before
        // startServer has seen its Web UI port open too.
        const restartedAt = Date.now();
        server = await startServer();

        const summary = await handle.result();
        const completedMs = Date.now() - restartedAt;
        assert.equal(summary.scraped, 40);
        assert.equal(summary.failedTotal, 0);
        assertSinkExactlyOnce(join(dir, 'data'), summary.runKey, { accountIds, seed: SEED, postsPerAccount: POSTS });
        const history = await handle.fetchHistory();
        assert.deepEqual(workflowTaskFailures(history), []);
        const activities = activityRecords(history);
        assert.ok(
          activities.every((a) => a.outcome === 'completed' && a.identity === worker.worker.options.identity),
          'all on the one worker',
        );
        assert.ok(
          activities.some((a) => (a.closedAt ?? 0) > restartedAt),
          'activities completed after the restart began',
        );
        assert.equal(worker.worker.getState(), 'RUNNING', 'the worker never stopped');

        // The schedule survived the restart: it starts runs after it, which this worker completes.
        const firedAfter = await pollUntil(
          'a scheduled run started after the restart to complete',
          async () => {
            const { info } = await schedule.describe();
            for (const action of info.recentActions) {
              if (action.takenAt.getTime() <= restartedAt) continue;
              const run = await client.workflow.getHandle(action.action.workflow.workflowId).describe();
              if (run.status.name === 'COMPLETED') return action;
            }
            return undefined;
          },
          { timeoutMs: 30_000, intervalMs: 250 },
        );
        await schedule.delete();
        console.log(
          `faults-server (${how}): server down ${restartedAt - stoppedAt} ms (at ${pagesWhileDown}/160 pages); scrape completed ` +
            `${completedMs} ms after the restart; schedule fired again at +${firedAfter.takenAt.getTime() - restartedAt} ms; ` +
            `retried batches: ${activities.filter((a) => (a.attempt ?? 1) > 1).length}`,
        );
      },
    );
  }
});

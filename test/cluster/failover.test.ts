/**
 * `npm run test:cluster`: the production topology, run for real on this machine. Two Temporal server
 * nodes (built from the server's Go module) on one PostgreSQL, HAProxy in front of their frontends,
 * viralflow's results store in the same PostgreSQL, three `viralflow worker` processes with separate
 * data folders talking only to the load balancer, Prometheus scraping the nodes, HAProxy and the workers.
 * A node is SIGKILLed in the middle of a 5,000-account pipeline, then a worker; the node is restarted.
 * The figures (takeover, rejoin, stalls, schedule lateness, peak RSS) are printed as test diagnostics.
 */
import assert from 'node:assert/strict';
import { appendFileSync, chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { Client, Connection, ScheduleOverlapPolicy } from '@temporalio/client';
import { msToNumber } from '@temporalio/common/lib/time';
import { Client as PgClient } from 'pg';
import { startCluster, type Cluster } from '../../src/cluster/supervisor';
import { projectRoot } from '../../src/project-root';
import { socialPosts } from '../../src/sim/data';
import { startSimulator, type Simulator } from '../../src/sim/server';
import type { SimStats } from '../../src/sim/types';
import { createPostgresStore } from '../../src/store/postgres/postgres-store';
import { freePort } from '../../src/temporal/dev-server';
import type { ViralPipelineResult } from '../../src/workflows/pipeline';
import { activityPolicies } from '../../src/workflows/policies';
import { EXPERIMENT_KEY, PIPELINE_KEY } from '../../src/workflows/search-attributes';
import { auditSchedule, counterTotal, longestStallIn, ownedShards, stallMeter } from '../helpers/cluster-probes';
import { TEMPORAL_SERVER_METRIC_NAMES } from '../helpers/metric-names';
import { pollUntil } from '../helpers/poll';
import { startPrometheus, type PrometheusServer } from '../helpers/prometheus-server';
import { expectOk, json, viralflow } from '../helpers/viralflow-cli';
import { startWorkerProcess, workerEnv, type WorkerProcess } from '../helpers/worker-process';

const SEED = 13;
const ACCOUNTS = 5_000;
const POSTS = 8;
const SHARDS = 16;
const SCHEDULE_EVERY_MS = 2_000;
/**
 * What tells a slow handover from a cluster that stopped serving. Work lost in a shard or task-queue move
 * comes back through Temporal's own timeouts: a workflow task's 10 s (CI once saw a 24.4 s rejoin stall
 * end 1 s after a worker's completion of a workflow task was refused as "not found"), a scrape's 10 s heartbeat
 * timeout, the patterns stage's 30 s one. A poll stuck on an old owner waits out the matching service's
 * 60 s long poll (`matching.longPollExpirationInterval`). The bound sits between the two.
 */
const STUCK_POLL_MS = 45_000;
const HEARTBEAT_TIMEOUT_MS = msToNumber(activityPolicies.scrapeAccounts.heartbeatTimeout);
/** Progress lines as they happen (the runner shows test output only at the end), when this names a file. */
const STEP_LOG = process.env.VIRALFLOW_CLUSTER_TEST_LOG;
const step = (line: string) => STEP_LOG && appendFileSync(STEP_LOG, `${new Date().toISOString()} ${line}\n`);

describe('a two-node Temporal cluster on PostgreSQL behind HAProxy, three workers, a node killed', () => {
  let dir: string;
  let cluster: Cluster;
  let sim: Simulator;
  let prometheus: PrometheusServer;
  let workers: WorkerProcess[] = [];
  let connection: Connection;
  let client: Client;
  const taskQueue = 'viralflow-cluster';
  const figures: Record<string, unknown> = {};

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'viralflow-cluster-'));
    chmodSync(dir, 0o711); // PostgreSQL runs as the postgres user and must reach its data folder inside
    // A subnet of its own per run, so a developer's `viralflow cluster` (127.0.10.x) is never in the way.
    const subnet = `127.${100 + (process.pid % 100)}.${Math.floor(Math.random() * 250) + 1}`;
    const started = Date.now();
    cluster = await startCluster({
      dataDir: join(dir, 'cluster'),
      nodes: 2,
      nodeSubnet: subnet,
      listen: `127.0.0.1:${await freePort()}`,
      statsListen: `127.0.0.1:${await freePort()}`,
      numHistoryShards: SHARDS,
      fastUnsafe: true,
      log: () => {},
    });
    figures.clusterStartMs = Date.now() - started;
    step(`cluster up in ${figures.clusterStartMs as number} ms`);
    // Two page requests and a profile per account at 100 ms each: I/O-bound, like the real APIs.
    sim = await startSimulator({
      seed: SEED,
      postsPerAccount: POSTS,
      knobs: { 'social.profile': { latencyMs: 100 }, 'social.posts': { latencyMs: 100 } },
    });
    workers = await Promise.all(
      [1, 2, 3].map((i) =>
        startWorkerProcess(
          workerEnv({
            TEMPORAL_ADDRESS: cluster.address,
            VIRALFLOW_TASK_QUEUE: taskQueue,
            VIRALFLOW_UPSTREAM_URL: sim.url,
            VIRALFLOW_DATA_DIR: mkdtempSync(join(dir, `worker-${i}-`)),
            VIRALFLOW_DATABASE_URL: cluster.resultsStoreUrl!,
          }),
        ),
      ),
    );
    prometheus = await startPrometheus({
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: [join(projectRoot(), 'ops', 'prometheus', 'alerts.yml')],
      scrape_configs: [
        { job_name: 'temporal', static_configs: [{ targets: cluster.nodes.map((n) => new URL(n.metricsUrl).host) }] },
        { job_name: 'haproxy', static_configs: [{ targets: [new URL(cluster.loadBalancer.metricsUrl).host] }] },
        { job_name: 'viralflow', static_configs: [{ targets: workers.map((w) => new URL(w.metricsUrl).host) }] },
      ],
    });
    step('workers and Prometheus up');
    connection = await Connection.connect({ address: cluster.address });
    client = new Client({ connection, namespace: cluster.namespace });
  });

  after(async () => {
    await connection?.close().catch(() => undefined);
    await Promise.all(workers.map((w) => w.stop(5_000)));
    await prometheus?.close();
    await sim?.close();
    if (cluster) {
      figures.peakRssMb = Object.fromEntries(cluster.nodes.map((n) => [n.name, Math.round(n.process.peakRssMb())]));
      await cluster.stop();
    }
    console.log(`cluster figures: ${JSON.stringify(figures, null, 2)}`);
    // With a step log, the cluster's data and logs stay for a look afterwards.
    if (STEP_LOG) step(`cluster data and logs kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  });

  const pipelineName = `nightly-${process.pid}`;
  const experimentId = `exp-${process.pid}`;
  let result: ViralPipelineResult;

  test('a 5,000-account pipeline completes through a node SIGKILL, a worker SIGKILL and the node rejoining; a 2 s schedule keeps firing', async (t: TestContext) => {
    const [nodeA, nodeB] = cluster.nodes as [Cluster['nodes'][0], Cluster['nodes'][0]];
    const before = await Promise.all([ownedShards(nodeA.metricsUrl), ownedShards(nodeB.metricsUrl)]);
    assert.equal(before[0]! + before[1]!, SHARDS, `the shards are split between the nodes (${before})`);
    assert.ok(before[0]! > 0 && before[1]! > 0, `both nodes own shards before the kill (${before})`);

    const scheduleId = `health-every-2s-${process.pid}`;
    await client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: SCHEDULE_EVERY_MS }] },
      // Runs are named `<workflowId>-<scheduled time>`: the audit reads the scheduled time from the ID.
      action: {
        type: 'startWorkflow',
        workflowId: scheduleId,
        workflowType: 'healthCheckWorkflow',
        taskQueue,
        args: [{ services: ['api'] }],
      },
      // Every action is its own run: a run held up by the failover must not make the next one "skipped".
      policies: { overlap: ScheduleOverlapPolicy.ALLOW_ALL, catchupWindow: '1 minute' },
    });
    const scheduleFrom = Date.now() + SCHEDULE_EVERY_MS;

    // The pipeline's own upstream work (the schedule's health checks are not counted).
    const simRequests = async () => {
      const stats = (await (
        await fetch(`${sim.url}/_sim/stats`, { signal: AbortSignal.timeout(5_000) })
      ).json()) as SimStats;
      return ['social.profile', 'social.posts', 'engine.extract'].reduce(
        (n, route) => n + (stats.routes[route]?.requests ?? 0),
        0,
      );
    };
    const requestsBefore = await simRequests();
    const accountIds = Array.from({ length: ACCOUNTS }, (_, i) => `acct-${i}`);
    const started = Date.now();
    const handle = await client.workflow.start('viralPipelineWorkflow', {
      taskQueue,
      workflowId: `pipeline-${pipelineName}`,
      args: [
        {
          accountIds,
          maxPostsPerAccount: POSTS,
          pageSize: 4,
          batchSize: 10,
          maxConcurrentBatches: 3,
          chunkSize: 1_000,
          maxConcurrentChunks: 2,
          experimentId,
        },
      ],
      typedSearchAttributes: [{ key: PIPELINE_KEY, value: pipelineName }],
    });
    const requests = stallMeter(simRequests);
    t.after(() => requests.stop()); // also when an assertion ends the test early
    const progressLog = setInterval(
      () =>
        void simRequests().then(
          (n) => step(`upstream requests: ${n - requestsBefore}`),
          () => {},
        ),
      10_000,
    );
    t.after(() => clearInterval(progressLog));

    // Mid-run: a fifth of the upstream requests made (a profile and two pages per account).
    await pollUntil(
      'a fifth of the accounts scraped',
      async () => (await simRequests()) - requestsBefore >= (ACCOUNTS * 3) / 5 || undefined,
      {
        timeoutMs: 120_000,
        intervalMs: 100,
      },
    );
    step('killing node A');
    const killedAt = Date.now();
    figures.killedAtUpstreamRequests = `${(await simRequests()) - requestsBefore} of ${ACCOUNTS * 3} scrape requests`;
    await nodeA.kill();
    step('node A killed');

    // Takeover: node B owns every shard.
    await pollUntil(
      'node B to own every shard',
      async () => ((await ownedShards(nodeB.metricsUrl)) === SHARDS ? true : undefined),
      {
        timeoutMs: 60_000,
        intervalMs: 100,
      },
    );
    const takeoverMs = Date.now() - killedAt;
    step(`takeover after ${takeoverMs} ms`);
    figures.takeoverMs = takeoverMs;
    await pollUntil(
      'HAProxy to mark node A down',
      async () => ((await cluster.loadBalancer.backendStatus())[nodeA.name]?.startsWith('DOWN') ? true : undefined),
      {
        timeoutMs: 10_000,
      },
    );

    // Each fault after the cluster has recovered from the last (work flowing again), so each one's own
    // disruption is what is measured, not two membership changes overlapping.
    const workResumed = async (what: string) => {
      const from = await simRequests();
      await pollUntil(what, async () => ((await simRequests()) - from >= 300 ? true : undefined), {
        timeoutMs: 60_000,
        intervalMs: 100,
      });
    };
    await workResumed('work to flow again after the takeover');
    figures.workResumedAfterKillMs = Date.now() - killedAt;

    // A worker crashes on top; the other two take its activities when their heartbeats time out.
    step('HAProxy marked node A down, work resumed; killing worker 3');
    const victim = workers[2]!;
    const workerKilledAt = Date.now();
    victim.kill('SIGKILL');
    await victim.exited;
    figures.workerKilledAtUpstreamRequests = `${(await simRequests()) - requestsBefore} of ${ACCOUNTS * 3} scrape requests`;

    await workResumed('work to flow on after the worker kill');

    // Node A restarted: it rejoins the ring and takes back shards.
    step('restarting node A');
    const restartAt = Date.now();
    await nodeA.restart();
    figures.nodeRestartToHealthyMs = Date.now() - restartAt;
    await pollUntil(
      'node A to own shards again',
      async () => {
        const [a, b] = await Promise.all([ownedShards(nodeA.metricsUrl), ownedShards(nodeB.metricsUrl)]);
        return a! > 0 && b! < SHARDS && a! + b! === SHARDS ? [a, b] : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 200 },
    );
    figures.rejoinMs = Date.now() - restartAt;
    step(`node A rejoined after ${figures.rejoinMs as number} ms`);
    const historyWorkAtRejoin = await counterTotal(nodeA.metricsUrl, 'persistence_requests', 'service_name="history"');

    result = (await handle.result()) as ViralPipelineResult;
    const pipelineMs = Date.now() - started;
    step(`pipeline done in ${pipelineMs} ms`);
    figures.pipelineMs = pipelineMs;
    const stalls = await requests.stop();
    figures.longestWorkerStallMs = stalls.longestStallMs;
    // Attributed by when they began: node kill to worker kill, worker kill to restart, restart on.
    const failoverStall = longestStallIn(stalls, killedAt - 1_000, workerKilledAt);
    const workerKillStall = longestStallIn(stalls, workerKilledAt, restartAt);
    const rejoinStall = longestStallIn(stalls, restartAt);
    figures.failoverStall = failoverStall && {
      ms: failoverStall.ms,
      startedAfterKillMs: failoverStall.from - killedAt,
    };
    figures.workerKillStall = workerKillStall && {
      ms: workerKillStall.ms,
      startedAfterKillMs: workerKillStall.from - workerKilledAt,
    };
    figures.rejoinStall = rejoinStall && { ms: rejoinStall.ms, startedAfterRestartMs: rejoinStall.from - restartAt };

    // The schedule over the whole run, up to a moment its last action has had time to start.
    await new Promise((r) => setTimeout(r, SCHEDULE_EVERY_MS + 1_000));
    const scheduleTo = Date.now() - SCHEDULE_EVERY_MS - 1_000;
    const audit = await pollUntil(
      'the schedule runs in the visibility store',
      async () => {
        const a = await auditSchedule(client, scheduleId, SCHEDULE_EVERY_MS, scheduleFrom, scheduleTo);
        return a.missed.length === 0 ? a : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 1_000 },
    ).catch(async () => auditSchedule(client, scheduleId, SCHEDULE_EVERY_MS, scheduleFrom, scheduleTo));
    const described = await client.schedule.getHandle(scheduleId).describe();
    await client.schedule.getHandle(scheduleId).delete();
    figures.schedule = {
      expected: audit.expected,
      fired: audit.fired,
      missed: audit.missed,
      late: audit.late.length,
      maxDelayMs: audit.maxDelayMs,
      missedCatchupWindow: described.info.numActionsMissedCatchupWindow,
      skippedOverlap: described.info.numActionsSkippedOverlap,
    };
    t.diagnostic(`takeover ${takeoverMs} ms, rejoin ${figures.rejoinMs as number} ms, pipeline ${pipelineMs} ms`);
    t.diagnostic(
      `stalls: failover ${JSON.stringify(figures.failoverStall)}, worker kill ${JSON.stringify(figures.workerKillStall)}, rejoin ${JSON.stringify(figures.rejoinStall)}`,
    );
    t.diagnostic(`schedule ${JSON.stringify(figures.schedule)}`);

    // The run: every account scraped, every stage done.
    assert.deepEqual(result.failures, [], 'no stage failed');
    assert.equal(result.scrape?.accounts, ACCOUNTS);
    assert.equal(result.scrape?.scraped, ACCOUNTS, 'every account scraped');
    assert.equal(result.scrape?.failedTotal, 0);
    assert.equal(result.scrape?.posts, ACCOUNTS * POSTS);
    assert.equal(result.patterns?.posts, ACCOUNTS * POSTS, 'the patterns stage read every post back');

    // The workers, through the load balancer, never stopped for much longer than the takeover took:
    // after it, the matching service's task queues are reloaded on their new owner and pollers are
    // answered again (measured 0-2 s).
    const failoverBound = takeoverMs + 3_000;
    assert.ok(
      (failoverStall?.ms ?? 0) <= failoverBound,
      `failover stall ${failoverStall?.ms} ms vs takeover ${takeoverMs} ms (${JSON.stringify(stalls.stalls)})`,
    );
    // A dead worker costs at most its lost activities' heartbeat timeout: the workflows it had cached move
    // after the sticky timeout (3 s), its batches are retried elsewhere when their heartbeats stop.
    const workerKillBound = HEARTBEAT_TIMEOUT_MS + 3_000;
    assert.ok(
      (workerKillStall?.ms ?? 0) <= workerKillBound,
      `worker kill stall ${workerKillStall?.ms} ms vs heartbeat timeout ${HEARTBEAT_TIMEOUT_MS} ms (${JSON.stringify(stalls.stalls)})`,
    );
    // When node A comes back, shards and task queues move to it again: stalls of 2-9 s on 2 cores, 24 s
    // once (SQL persistence has no shard ownership assertion, so the server cannot let the old owner
    // linger until the new one holds a shard, and a task caught in the move waits for its timeout).
    // What no stall may reach is the long poll a poll left behind on an old owner would wait out: that
    // is a cluster that stopped serving, not a slow handover.
    assert.ok(
      stalls.longestStallMs <= STUCK_POLL_MS,
      `longest stall ${stalls.longestStallMs} ms (${JSON.stringify(stalls.stalls)})`,
    );

    // The schedule kept firing: nothing missed; lateness is reported.
    assert.deepEqual(audit.missed, [], `every fire time has its run (${audit.fired}/${audit.expected})`);
    assert.equal(described.info.numActionsMissedCatchupWindow, 0);

    // The restarted node took work: history persistence calls on it after the rejoin.
    const historyWorkNow = await counterTotal(nodeA.metricsUrl, 'persistence_requests', 'service_name="history"');
    assert.ok(
      historyWorkNow! > historyWorkAtRejoin!,
      `node A's history service worked after rejoining (${historyWorkAtRejoin} → ${historyWorkNow})`,
    );
    figures.nodeAHistoryPersistenceRequestsAfterRejoin = historyWorkNow! - historyWorkAtRejoin!;
  });

  test('every post exactly once in the PostgreSQL results store', async () => {
    assert.ok(result, 'the pipeline ran');
    const runKey = result.scrape!.runKey;
    const db = new PgClient({ connectionString: cluster.resultsStoreUrl });
    await db.connect();
    try {
      const [counts] = (
        await db.query<{ posts: string; distinct_posts: string; complete: string; accounts: string }>(
          `SELECT (SELECT count(*) FROM posts WHERE run_key = $1) AS posts,
                  (SELECT count(DISTINCT (account_id, post_id)) FROM posts WHERE run_key = $1) AS distinct_posts,
                  (SELECT count(*) FROM accounts WHERE run_key = $1 AND state = 'complete') AS complete,
                  (SELECT count(*) FROM accounts WHERE run_key = $1) AS accounts`,
          [runKey],
        )
      ).rows;
      assert.equal(Number(counts!.accounts), ACCOUNTS, 'one account row per account');
      assert.equal(Number(counts!.complete), ACCOUNTS, 'every account complete');
      assert.equal(Number(counts!.posts), ACCOUNTS * POSTS, 'posts: none lost, none twice');
      assert.equal(Number(counts!.distinct_posts), ACCOUNTS * POSTS);
    } finally {
      await db.end();
    }
    // And read back through the store, post by post, against the simulator's truth.
    const store = createPostgresStore({ url: cluster.resultsStoreUrl!, poolMax: 2 });
    try {
      const seen = new Map<string, string[]>();
      for await (const post of store.readPosts(runKey)) {
        const ids = seen.get(post.accountId) ?? [];
        ids.push(post.id);
        seen.set(post.accountId, ids);
      }
      assert.equal(seen.size, ACCOUNTS);
      let lost = 0;
      let duplicated = 0;
      for (const [account, ids] of seen) {
        const truth = socialPosts(SEED, account, 0, POSTS, POSTS).map((p) => p.id);
        lost += truth.filter((id) => !ids.includes(id)).length;
        duplicated += ids.length - new Set(ids).size;
        assert.deepEqual(ids, truth, `${account}: its posts exactly once, in order`);
      }
      figures.postsLost = lost;
      figures.postsDuplicated = duplicated;
    } finally {
      await store.close();
    }
  });

  test('membership lists both nodes again, and HAProxy routes to both', async () => {
    const db = new PgClient({ connectionString: cluster.postgres.superuserUrl('temporal') });
    await db.connect();
    try {
      const rows = await pollUntil(
        'both nodes alive in cluster_membership',
        async () => {
          const { rows } = await db.query<{ address: string; roles: number[] }>(
            `SELECT rpc_address AS address, array_agg(DISTINCT role ORDER BY role) AS roles
               FROM cluster_membership WHERE record_expiry > now() AND last_heartbeat > now() - interval '30 seconds'
              GROUP BY 1 ORDER BY 1`,
          );
          return rows.length === 2 ? rows : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 1_000 },
      );
      assert.deepEqual(rows.map((r) => r.address).sort(), cluster.nodes.map((n) => n.ip).sort());
      for (const row of rows)
        assert.equal(row.roles.length, 4, `${row.address}: frontend, history, matching and worker`);
      figures.membership = rows;
    } finally {
      await db.end();
    }
    const status = await pollUntil(
      'HAProxy to mark both nodes up',
      async () => {
        const s = await cluster.loadBalancer.backendStatus();
        return Object.values(s).every((v) => v === 'UP') && Object.keys(s).length === 2 ? s : undefined;
      },
      { timeoutMs: 10_000 },
    );
    assert.deepEqual(Object.keys(status).sort(), ['node-a', 'node-b']);
  });

  test('viralflow list filters by pipeline and experiment on this cluster', async () => {
    const env = {
      TEMPORAL_ADDRESS: cluster.address,
      TEMPORAL_NAMESPACE: cluster.namespace,
      VIRALFLOW_TASK_QUEUE: taskQueue,
    };
    const ids = await pollUntil(
      'the pipeline and its children in the visibility store',
      async () => {
        const runs = json<Array<{ workflowId: string }>>(
          expectOk(await viralflow(['list', '--pipeline', pipelineName, '--limit', '50', '--json'], env)),
        );
        return runs.length >= 3 ? runs.map((r) => r.workflowId).sort() : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 1_000 },
    );
    const pipelineId = `pipeline-${pipelineName}`;
    // The pipeline and the stages it started carry the attribute.
    assert.deepEqual(ids, [pipelineId, `${pipelineId}/patterns`, `${pipelineId}/scrape`].sort());
    const bandit = json<Array<{ workflowId: string }>>(
      expectOk(await viralflow(['list', '--experiment', experimentId, '--json'], env)),
    );
    assert.deepEqual(
      bandit.map((r) => r.workflowId),
      [`bandit-${experimentId}`],
    );
    const none = json<unknown[]>(expectOk(await viralflow(['list', '--pipeline', 'no-such-pipeline', '--json'], env)));
    assert.deepEqual(none, []);
    // The attribute is a real indexed field on this cluster's SQL visibility store, not a memo.
    const [run] = json<Array<{ workflowId: string }>>(
      expectOk(await viralflow(['list', '--pipeline', pipelineName, '--type', 'pipeline', '--json'], env)),
    );
    assert.equal(run?.workflowId, pipelineId);
    const found: string[] = [];
    for await (const w of client.workflow.list({ query: `${EXPERIMENT_KEY.name} = '${experimentId}'` }))
      found.push(w.workflowId);
    assert.deepEqual(found, [`bandit-${experimentId}`]);
  });

  test('Prometheus scrapes both server nodes, HAProxy and the workers; the alert rules evaluate on real server metrics', async () => {
    const up = await pollUntil(
      'both nodes scraped',
      async () => {
        const r = await prometheus.query('up{job="temporal"} == 1');
        return r.length === 2 ? r : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 1_000 },
    );
    assert.deepEqual(
      up.map((s) => s.metric.instance).sort(),
      cluster.nodes.map((n) => new URL(n.metricsUrl).host).sort(),
    );
    const shards = await prometheus.query('sum(numshards_gauge{service_name="history"})');
    assert.equal(Number(shards[0]?.value[1]), SHARDS, 'the scraped shard counts add up to every shard');
    const persistence = await prometheus.query(
      'histogram_quantile(0.99, sum by (le) (rate(persistence_latency_bucket{service_name="history"}[1m])))',
    );
    assert.ok(Number(persistence[0]?.value[1]) > 0, 'server persistence latency is scraped');
    const backends = await prometheus.query('haproxy_server_status{proxy="temporal_frontends"}');
    assert.ok(backends.length >= 2, 'HAProxy backends are scraped');
    const workersUp = await prometheus.query('up{job="viralflow"}');
    assert.equal(workersUp.length, 3);
    assert.deepEqual(
      workersUp.map((s) => s.value[1]).sort(),
      ['0', '1', '1'],
      'the killed worker is down, the other two up',
    );
    // The server metric names ops/ relies on (test/helpers/metric-names.ts) are what a real node exposes.
    const exposed = await (await fetch(cluster.nodes[1]!.metricsUrl)).text();
    for (const name of TEMPORAL_SERVER_METRIC_NAMES)
      assert.match(exposed, new RegExp(`^${name}\\{`, 'm'), `${name} on a server node`);
    const rules = await prometheus.rules();
    const serverRules = rules.filter((r) => r.name.startsWith('Temporal'));
    assert.ok(serverRules.length >= 2, `server-side alert rules loaded (${serverRules.map((r) => r.name)})`);
    for (const rule of rules) assert.equal(rule.health, 'ok', `${rule.name}: ${rule.lastError ?? ''}`);
  });
});

/**
 * `npm run bench:cluster`: scaling out on the production topology. The same I/O-bound job (a scrape
 * over the simulator at a fixed 100 ms per request, each worker with a small HTTP pool) with 1, 2 and 3
 * `viralflow worker` processes on a two-node cluster (`startCluster`: PostgreSQL, two server nodes,
 * HAProxy). Reports throughput, efficiency against one worker, and where the machine's CPU went
 * (server nodes, PostgreSQL, workers, HAProxy, simulator + this process) during each run.
 *
 *   npm run bench:cluster -- [--accounts 600] [--connections 4] [--workers 1,2,3]
 *
 * Writes dist/bench/results/cluster-scaling.json and prints a markdown table.
 */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { startCluster } from '../src/cluster/supervisor';
import { projectRoot } from '../src/project-root';
import { startSimulator } from '../src/sim/server';
import type { SimStats } from '../src/sim/types';
import { freePort } from '../src/temporal/dev-server';
import type { ScrapeSummary } from '../src/workflows/scrape';
import { startWorkerProcess, workerEnv, type WorkerProcess } from '../test/helpers/worker-process';

const LATENCY_MS = 100;
const POSTS = 8;
const PAGE = 4;
/** A profile and two pages per account, one after the other. */
const REQUESTS_PER_ACCOUNT = 1 + POSTS / PAGE;
const TICKS_PER_SECOND = 100;

interface Run {
  workers: number;
  accounts: number;
  seconds: number;
  accountsPerSecond: number;
  requestsPerSecond: number;
  /** Throughput over (workers × one worker's throughput). */
  efficiency: number;
  /** The ceiling the pools allow: workers × connections / latency. */
  poolCeilingRequestsPerSecond: number;
  /** CPU seconds per second of wall time (1.0 = one core busy), by component. */
  cpuCores: Record<string, number>;
  loadAverage: number;
}

async function main() {
  const { values } = parseArgs({
    options: {
      accounts: { type: 'string', default: '600' },
      connections: { type: 'string', default: '4' },
      workers: { type: 'string', default: '1,2,3' },
    },
  });
  const accounts = Number(values.accounts);
  const connections = Number(values.connections);
  const counts = values.workers!.split(',').map(Number);
  const dir = mkdtempSync(join(tmpdir(), 'viralflow-scaling-'));
  chmodSync(dir, 0o711);
  const log = (line: string) => console.error(line);
  const cluster = await startCluster({
    dataDir: join(dir, 'cluster'),
    nodeSubnet: `127.${100 + (process.pid % 100)}.250`,
    listen: `127.0.0.1:${await freePort()}`,
    statsListen: `127.0.0.1:${await freePort()}`,
    fastUnsafe: true,
    log,
  });
  const sim = await startSimulator({
    seed: 3,
    postsPerAccount: POSTS,
    knobs: { 'social.profile': { latencyMs: LATENCY_MS }, 'social.posts': { latencyMs: LATENCY_MS } },
  });
  const connection = await Connection.connect({ address: cluster.address });
  const client = new Client({ connection, namespace: cluster.namespace });
  const runs: Run[] = [];
  try {
    for (const n of counts) {
      const taskQueue = `scaling-${n}`;
      const workers: WorkerProcess[] = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          startWorkerProcess(
            workerEnv({
              TEMPORAL_ADDRESS: cluster.address,
              VIRALFLOW_TASK_QUEUE: taskQueue,
              VIRALFLOW_UPSTREAM_URL: sim.url,
              VIRALFLOW_DATA_DIR: mkdtempSync(join(dir, `w${n}-${i}-`)),
              VIRALFLOW_DATABASE_URL: cluster.resultsStoreUrl!,
              VIRALFLOW_HTTP_CONNECTIONS: String(connections),
              VIRALFLOW_MAX_CONCURRENT_ACTIVITIES: '4',
            }),
          ),
        ),
      );
      try {
        const scrape = async (id: string, count: number) => {
          const handle = await client.workflow.start('scrapeAccountsWorkflow', {
            taskQueue,
            workflowId: id,
            // Enough batches in flight to keep every worker's slots busy; small batches so the last
            // ones do not leave workers idle for long.
            args: [
              {
                accountIds: Array.from({ length: count }, (_, i) => `${id}-${i}`),
                maxPostsPerAccount: POSTS,
                pageSize: PAGE,
                batchSize: 5,
                maxConcurrentBatches: 4 * n + 2,
              },
            ],
          });
          const summary = (await handle.result()) as ScrapeSummary;
          if (summary.scraped !== count) throw new Error(`${id}: ${summary.scraped}/${count} accounts scraped`);
        };
        await scrape(`warmup-${n}-${Date.now()}`, 20 * n); // connections opened, code paths warm
        const requestsBefore = await simRequests(sim.url);
        const cpuBefore = cpuByComponent(cluster, workers);
        const started = Date.now();
        await scrape(`measured-${n}-${Date.now()}`, accounts);
        const seconds = (Date.now() - started) / 1000;
        const cpuAfter = cpuByComponent(cluster, workers);
        const requests = (await simRequests(sim.url)) - requestsBefore;
        const cpuCores = Object.fromEntries(
          Object.keys(cpuAfter).map((k) => [
            k,
            round((cpuAfter[k]! - (cpuBefore[k] ?? 0)) / TICKS_PER_SECOND / seconds, 2),
          ]),
        );
        const run: Run = {
          workers: n,
          accounts,
          seconds: round(seconds, 1),
          accountsPerSecond: round(accounts / seconds, 1),
          requestsPerSecond: round(requests / seconds, 1),
          efficiency: 0,
          poolCeilingRequestsPerSecond: (n * connections * 1000) / LATENCY_MS,
          cpuCores,
          loadAverage: round(loadavg()[0]!, 2),
        };
        runs.push(run);
        log(
          `${n} worker(s): ${run.accountsPerSecond} accounts/s, ${run.requestsPerSecond} requests/s, CPU ${JSON.stringify(cpuCores)}`,
        );
      } finally {
        await Promise.all(workers.map((w) => w.stop(10_000)));
      }
    }
  } finally {
    await connection.close();
    await sim.close();
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const one = runs.find((r) => r.workers === 1);
  for (const r of runs) r.efficiency = one ? round(r.accountsPerSecond / (r.workers * one.accountsPerSecond), 2) : NaN;

  const components = Object.keys(runs[0]?.cpuCores ?? {});
  const table = [
    `Scaling on a two-node cluster (${cpus().length} cores): ${accounts} accounts × ${REQUESTS_PER_ACCOUNT} requests at ${LATENCY_MS} ms, ${connections} connections and 4 activity slots per worker`,
    '',
    `| workers | time | accounts/s | requests/s | pool ceiling req/s | vs 1 worker | efficiency | ${components.map((c) => `CPU ${c}`).join(' | ')} | load avg |`,
    `|---|---|---|---|---|---|---|${components.map(() => '---').join('|')}|---|`,
    ...runs.map(
      (r) =>
        `| ${r.workers} | ${r.seconds} s | ${r.accountsPerSecond} | ${r.requestsPerSecond} | ${r.poolCeilingRequestsPerSecond} | ${one ? round(r.accountsPerSecond / one.accountsPerSecond, 2) : '–'}× | ${r.efficiency} | ${components.map((c) => r.cpuCores[c]).join(' | ')} | ${r.loadAverage} |`,
    ),
    '',
    'CPU columns are cores busy on average during the run (CPU seconds / wall seconds) per component.',
  ].join('\n');
  console.log(table);
  const out = join(projectRoot(), 'dist', 'bench', 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(
    join(out, 'cluster-scaling.json'),
    `${JSON.stringify({ at: new Date().toISOString(), cores: cpus().length, runs }, null, 2)}\n`,
  );
  writeFileSync(join(out, 'cluster-scaling.md'), `${table}\n`);
}

async function simRequests(url: string): Promise<number> {
  const stats = (await (await fetch(`${url}/_sim/stats`)).json()) as SimStats;
  return (stats.routes['social.profile']?.requests ?? 0) + (stats.routes['social.posts']?.requests ?? 0);
}

/** utime + stime in clock ticks, per component, from /proc (PostgreSQL: the postmaster and its backends). */
function cpuByComponent(
  cluster: Awaited<ReturnType<typeof startCluster>>,
  workers: WorkerProcess[],
): Record<string, number> {
  const all = processTable();
  const ticks = (pid: number | undefined) => (pid ? (all.get(pid)?.ticks ?? 0) : 0);
  const withChildren = (pid: number | undefined) =>
    pid ? ticks(pid) + [...all.values()].filter((p) => p.ppid === pid).reduce((n, p) => n + p.ticks, 0) : 0;
  return {
    'server nodes': cluster.nodes.reduce((n, node) => n + ticks(node.process.pid), 0),
    postgres: withChildren(cluster.postgres.pid),
    workers: workers.reduce((n, w) => n + ticks(w.pid), 0),
    haproxy: withChildren(cluster.loadBalancer.process.pid),
    'sim + bench': ticks(process.pid),
  };
}

function processTable(): Map<number, { ppid: number; ticks: number }> {
  const table = new Map<number, { ppid: number; ticks: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command (which may hold spaces) start after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      table.set(Number(entry), { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // exited while we read
    }
  }
  return table;
}

function round(n: number, digits: number): number {
  return Math.round(n * 10 ** digits) / 10 ** digits;
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exit(1);
  },
);

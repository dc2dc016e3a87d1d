/**
 * Pipeline wall time over 2,000 accounts with each results store, through a real dev server and real
 * `viralflow worker` processes against the simulator at the bench's fixed 20 ms:
 *
 *   ndjson x1     one worker, the NDJSON folder (the embedded default; one machine)
 *   postgres x1   one worker, PostgreSQL (the store's own cost, same worker count)
 *   postgres x3   three workers, each with its own data folder, one PostgreSQL (scale-out)
 *
 * Not part of `npm run bench`'s suites (it starts PostgreSQL and three worker processes, several minutes
 * on 2 cores): run it on its own, with nothing else loading the machine.
 *
 *   npm run build && node dist/bench/pipeline-stores.js [--runs 3] [--accounts 2000] [--only "postgres x3"]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { Client as PgClient } from 'pg';
import { startLocalPostgres } from '../src/postgres/local-server';
import { projectRoot } from '../src/project-root';
import { startSimulator } from '../src/sim/server';
import { resolveTemporalCli } from '../src/temporal/cli-path';
import { startDevServer } from '../src/temporal/dev-server';
import type { ViralPipelineResult } from '../src/workflows/pipeline';
import { DEV_SERVER_SEARCH_ATTRIBUTES } from '../src/workflows/search-attributes';
import { PAGE_SIZE, POSTS_PER_ACCOUNT } from './variants/scraper/workload';
import { fixedLatencySim } from './workload';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const RUNS = arg('runs', 3);
/** `--only "postgres x3"` runs one setup. */
const ONLY = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const ACCOUNTS = arg('accounts', 2_000);

/** `viralflow worker` as its own process; resolves once it printed its start-up line. */
async function startWorker(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(projectRoot(), 'bin', 'viralflow.js'), 'worker'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  for (const deadline = Date.now() + 60_000; !/^viralflow worker \S+ /m.test(output); await sleep(50)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`worker did not start:\n${output}`);
  }
  return child;
}

async function stopWorkers(workers: ChildProcess[]): Promise<void> {
  await Promise.all(
    workers.map((w) =>
      w.exitCode !== null
        ? Promise.resolve()
        : new Promise<void>((resolve) => (w.once('exit', () => resolve()), w.kill('SIGTERM'))),
    ),
  );
}

async function main(): Promise<void> {
  const cli = await resolveTemporalCli();
  const server = await startDevServer({ cliPath: cli.path, searchAttributes: DEV_SERVER_SEARCH_ATTRIBUTES });
  const sim = await startSimulator(fixedLatencySim({ postsPerAccount: POSTS_PER_ACCOUNT }));
  const pgDir = mkdtempSync(join(tmpdir(), 'vf-bench-pg-'));
  const pg = await startLocalPostgres({ dataDir: pgDir });
  const folders: string[] = [];
  const client = new Client({ connection: await Connection.connect({ address: server.address }) });
  const accountIds = Array.from({ length: ACCOUNTS }, (_, i) => `acct-${i}`);
  const rows: string[] = [];
  try {
    const admin = new PgClient({ connectionString: pg.superuserUrl() });
    await admin.connect();
    await admin.query("CREATE ROLE viralflow LOGIN PASSWORD 'bench'");
    await admin.query('CREATE DATABASE viralflow OWNER viralflow');
    await admin.end();
    const databaseUrl = `postgres://viralflow:bench@${pg.host}:${pg.port}/viralflow`;
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(
        (e): e is [string, string] => e[1] !== undefined && !/^(TEMPORAL_|VIRALFLOW_|METRICS_|REDIS_URL$)/.test(e[0]),
      ),
    );

    const setups: Array<{ name: string; workers: number; store: Record<string, string> }> = [
      { name: 'ndjson x1', workers: 1, store: {} },
      { name: 'postgres x1', workers: 1, store: { VIRALFLOW_DATABASE_URL: databaseUrl } },
      { name: 'postgres x3', workers: 3, store: { VIRALFLOW_DATABASE_URL: databaseUrl } },
    ];
    for (const [s, setup] of setups.entries()) {
      if (ONLY !== undefined && setup.name !== ONLY) continue;
      const taskQueue = `pipeline-stores-${s}`;
      const workers = await Promise.all(
        Array.from({ length: setup.workers }, () => {
          const dir = mkdtempSync(join(tmpdir(), 'vf-bench-data-'));
          folders.push(dir);
          return startWorker({
            ...inherited,
            METRICS_PORT: '0',
            TEMPORAL_METRICS_PORT: '0',
            TEMPORAL_ADDRESS: server.address,
            VIRALFLOW_TASK_QUEUE: taskQueue,
            VIRALFLOW_UPSTREAM_URL: sim.url,
            VIRALFLOW_DATA_DIR: dir,
            ...setup.store,
          });
        }),
      );
      const times: number[] = [];
      try {
        // One warm-up run (JIT, pools, sticky caches), then the measured runs.
        for (let run = 0; run <= RUNS; run++) {
          const started = performance.now();
          const result = (await client.workflow.execute('viralPipelineWorkflow', {
            taskQueue,
            workflowId: `pipeline-stores-${s}-${run}`,
            args: [{ accountIds, pageSize: PAGE_SIZE }],
          })) as ViralPipelineResult;
          const ms = performance.now() - started;
          if (result.failures.length || result.patterns?.posts !== ACCOUNTS * POSTS_PER_ACCOUNT) {
            const reasons = [...new Set(result.scrape?.failed.map((f) => f.reason))].slice(0, 5);
            throw new Error(
              `${setup.name}: failures ${JSON.stringify(result.failures)}; scraped ${result.scrape?.scraped}, failed ${result.scrape?.failedTotal} (${reasons.join(' | ')}); ${result.patterns?.posts} posts read`,
            );
          }
          if (run > 0) times.push(ms);
          console.error(`${setup.name} run ${run}${run ? '' : ' (warm-up)'}: ${Math.round(ms)} ms`);
        }
      } finally {
        await stopWorkers(workers);
      }
      times.sort((a, b) => a - b);
      const median = times[Math.floor(times.length / 2)]!;
      rows.push(
        `| ${setup.name} | ${(median / 1000).toFixed(1)} s | ${(times[0]! / 1000).toFixed(1)}–${(times.at(-1)! / 1000).toFixed(1)} s | ${times.length} |`,
      );
    }
  } finally {
    await pg.stop();
    await sim.close();
    await server.stop();
    rmSync(pgDir, { recursive: true, force: true });
    for (const dir of folders) rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    `viralPipelineWorkflow over ${ACCOUNTS} accounts x ${POSTS_PER_ACCOUNT} posts (pages of ${PAGE_SIZE}, simulator at 20 ms), load average at the end ${loadavg()[0]!.toFixed(1)}`,
  );
  console.log('| store x workers | median | range | runs |\n|---|---|---|---|');
  for (const row of rows) console.log(row);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);

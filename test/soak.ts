/**
 * `npm run test:soak -- [--minutes N] [--seed S]`: the fault soak. Rounds of pipelines over overlapping
 * accounts, against one PostgreSQL results store, Redis (shared rate limits) and three `viralflow worker`
 * processes (one of them on a clock 3 s fast, through Debian's faketime), while a seeded schedule injects
 * one fault per round at a moment it picks: a worker SIGKILLed, a worker SIGSTOPped past its heartbeat
 * timeout and resumed (a zombie), PostgreSQL crashed and restarted, Redis killed and restarted, a 429
 * storm, slow pages. The simulator's accounts gain posts between rounds.
 *
 * After each round it checks, from the data rather than from the code:
 * - every pipeline completed or failed loudly (an account it did not scrape is listed as failed), none past a bound;
 * - what a completed scrape says is what the store holds (accounts and posts of its run);
 * - every post the simulator has, per account, is stored (in some run), none that it does not have;
 * - the bandit's totals equal a recount of the evidence ledger, which holds one outcome per distinct post.
 * It prints a table of rounds, faults and violations; a violation names the seed that reproduces the schedule.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from '@commander-js/extra-typings';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { runKeyFor } from '../src/contracts/names';
import { socialPost } from '../src/sim/data';
import { mulberry32 } from '../src/sim/random';
import { banditWorkflowId, readEvidenceUpdate, stopSignal } from '../src/workflows/bandit-api';
import type { ViralPipelineResult } from '../src/workflows/pipeline';
import { resolveTemporalCli } from '../src/temporal/cli-path';
import { startTestDatabase, type TestDatabase } from './helpers/postgres';
import { startProcessEnv, type ProcessEnv } from './helpers/process-env';
import { startRedisServer, type RedisServer } from './helpers/redis-server';
import type { WorkerProcess } from './helpers/worker-process';
import { withPrerequisites } from './prerequisites';

const SEED_WORLD = 7; // startProcessEnv's simulator seed: the posts are a function of it
const POSTS = 6;
const PAGE_SIZE = 4;
const ACCOUNTS = Array.from({ length: 240 }, (_, i) => `soak-${String(i).padStart(3, '0')}`);
const PER_PIPELINE = 120;
const EXPERIMENT = 'soak';
/** A pipeline still running this long after its round began is a hang. */
const HANG_BOUND_MS = 240_000;
const LIBFAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';

const FAULTS = ['worker-kill', 'worker-stop', 'postgres-crash', 'redis-kill', '429-storm', 'slow-pages'] as const;
type Fault = (typeof FAULTS)[number];

interface RoundRow {
  round: number;
  fault: Fault;
  pipelines: string;
  stored: number;
  seconds: number;
  violations: string[];
}

const wholeNumber = (min: number) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`a whole number ≥ ${min}`);
  return n;
};

async function main(): Promise<number> {
  const opts = new Command('test:soak')
    .option('--minutes <n>', 'rounds start until this much time has passed', wholeNumber(1), 3)
    .option('--seed <n>', 'the fault schedule (default: from the clock, printed)', wholeNumber(0))
    .parse(process.argv)
    .opts();
  const minutes = opts.minutes;
  const seed = opts.seed ?? Date.now() % 1_000_000;
  const rng = mulberry32(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;
  console.log(`soak: ${minutes} min, seed ${seed} (npm run test:soak -- --seed ${seed} replays this schedule)`);

  let db: TestDatabase | undefined;
  let redis: RedisServer | undefined;
  let t: ProcessEnv | undefined;
  const dirs: string[] = [];
  const rows: RoundRow[] = [];
  try {
    db = await startTestDatabase();
    redis = await startRedisServer();
    t = await startProcessEnv({
      sim: {
        seed: SEED_WORLD,
        postsPerAccount: POSTS,
        knobs: { 'social.posts': { latencyMs: { dist: 'uniform', minMs: 5, maxMs: 25 } } },
      },
    });
    const base = {
      VIRALFLOW_DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      VIRALFLOW_RATE_LIMITS: 'social=400/s',
      VIRALFLOW_RATE_LIMIT_WORKERS: '3',
    };
    const skewed = existsSync(LIBFAKETIME)
      ? { LD_PRELOAD: LIBFAKETIME, FAKETIME: '+3s', FAKETIME_DONT_FAKE_MONOTONIC: '1' }
      : undefined;
    if (!skewed) console.log(`soak: ${LIBFAKETIME} missing (Debian's faketime): every worker on the host's clock`);
    const envs = [0, 1, 2].map((i) => {
      const dir = mkdtempSync(join(tmpdir(), `viralflow-soak-${i}-`));
      dirs.push(dir);
      return { ...base, VIRALFLOW_DATA_DIR: dir, ...(i === 2 && skewed) };
    });
    const workers: WorkerProcess[] = await Promise.all(envs.map((e) => t!.startWorker(e)));

    /** The round in which each account was last complete in some run, and the upstream's newest post then. */
    const lastComplete = new Map<string, number>();
    let added = 0;
    const newPostsAt: number[] = [];
    const bandited: string[] = [];
    const deadline = Date.now() + minutes * 60_000;

    for (let round = 1; Date.now() < deadline; round++) {
      const started = Date.now();
      const fault = pick(FAULTS);
      newPostsAt[round] = added;
      const violations: string[] = [];
      const windows = [0, 1].map(() => Math.floor(rng() * (ACCOUNTS.length - PER_PIPELINE)));
      const before = t.sim.stats().routes['social.posts']?.requests ?? 0;
      const handles: WorkflowHandle[] = await Promise.all(
        windows.map((from, k) =>
          t!.client.workflow.start('viralPipelineWorkflow', {
            taskQueue: t!.taskQueue,
            workflowId: `soak-${seed}-r${round}-${k}`,
            args: [
              {
                accountIds: ACCOUNTS.slice(from, from + PER_PIPELINE),
                experimentId: EXPERIMENT,
                batchSize: 20,
                maxConcurrentBatches: 4,
                pageSize: PAGE_SIZE,
                retry: { initialInterval: '200ms', maximumAttempts: 10 },
              },
            ],
          }),
        ),
      );
      const results = handles.map((h) => settle(h));

      // The moment: after a seeded number of page requests this round (every round makes more than that).
      const moment = before + 20 + Math.floor(rng() * 80);
      while ((t.sim.stats().routes['social.posts']?.requests ?? 0) < moment && Date.now() - started < 60_000)
        await sleep(10);
      const victim = Math.floor(rng() * workers.length);
      await inject(fault, { t, db, redis, workers, victim, envs });

      const settled = await Promise.race([
        Promise.all(results),
        sleep(HANG_BOUND_MS - (Date.now() - started)).then(() => undefined),
      ]);
      if (!settled) {
        violations.push(`hang: a pipeline still running ${HANG_BOUND_MS / 1000} s after the round began`);
        rows.push({ round, fault, pipelines: 'hung', stored: 0, seconds: (Date.now() - started) / 1000, violations });
        break;
      }
      let stored = 0;
      for (const [k, outcome] of settled.entries()) {
        const ids = ACCOUNTS.slice(windows[k]!, windows[k]! + PER_PIPELINE);
        // Accounts complete in the store, whatever became of the pipeline after its scrape.
        const complete = await db.admin<{ account_id: string }>(
          `SELECT account_id FROM accounts WHERE run_key = $1 AND state = 'complete'`,
          [runKeyFor(handles[k]!.workflowId)],
        );
        for (const { account_id } of complete) lastComplete.set(account_id, round);
        if (outcome.kind === 'failed') {
          if (!outcome.reason) violations.push(`pipeline ${k} failed without a reason`);
          continue;
        }
        const r = outcome.result;
        const scrape = r.scrape;
        if (!scrape) {
          violations.push(`pipeline ${k} completed without a scrape (${r.failures.map((f) => f.reason).join('; ')})`);
          continue;
        }
        if (scrape.scraped + scrape.failedTotal !== ids.length)
          violations.push(
            `pipeline ${k}: ${scrape.scraped} scraped + ${scrape.failedTotal} failed ≠ ${ids.length} accounts`,
          );
        const [row] = await db.admin<{ accounts: string; posts: string }>(
          `SELECT (SELECT count(*) FROM accounts WHERE run_key = $1 AND state = 'complete') AS accounts,
                  (SELECT count(*) FROM posts WHERE run_key = $1) AS posts`,
          [scrape.runKey],
        );
        if (Number(row!.accounts) !== scrape.scraped || Number(row!.posts) !== scrape.posts)
          violations.push(
            `pipeline ${k}: history says ${scrape.scraped} accounts / ${scrape.posts} posts, the store holds ${row!.accounts} / ${row!.posts}`,
          );
        stored += scrape.posts;
        if (r.bandit) bandited.push(scrape.runKey);
      }

      // Every post the upstream had when an account was last complete is stored, in some run; nothing else.
      const have = new Map<string, Set<string>>();
      for (const { account_id, post_id } of await db.admin<{ account_id: string; post_id: string }>(
        `SELECT DISTINCT account_id, post_id FROM posts`,
      ))
        (have.get(account_id) ?? have.set(account_id, new Set()).get(account_id)!).add(post_id);
      for (const [id, at] of lastComplete) {
        const truth = new Set<string>();
        for (let i = -newPostsAt[at]!; i < POSTS; i++) truth.add(socialPost(SEED_WORLD, id, i).id);
        const got = have.get(id) ?? new Set();
        const missing = [...truth].filter((p) => !got.has(p));
        const extra = [...got].filter((p) => !truth.has(p));
        if (missing.length || extra.length)
          violations.push(
            `${id}: ${missing.length} posts missing, ${extra.length} not upstream (complete in round ${at})`,
          );
      }

      // The bandit counts one outcome per distinct post, as a recount of the ledger says.
      const ledger = await t.client.workflow.getHandle(banditWorkflowId(EXPERIMENT)).executeUpdate(readEvidenceUpdate);
      const counted = Object.values(ledger.totals).reduce((n, c) => n + c.successes + c.failures, 0);
      const [recount] = await db.admin<{ n: string; distinct_posts: string }>(
        `SELECT (SELECT count(*) FROM evidence WHERE experiment_id = $1) AS n,
                (SELECT count(*) FROM (SELECT DISTINCT account_id, post_id FROM post_outcomes WHERE run_key = ANY ($2::text[])) d) AS distinct_posts`,
        [EXPERIMENT, bandited],
      );
      if (counted !== Number(recount!.n) || counted !== Number(recount!.distinct_posts))
        violations.push(
          `bandit counts ${counted} outcomes; the ledger holds ${recount!.n}; the recorded runs scored ${recount!.distinct_posts} distinct posts`,
        );

      const outcomes = settled.map((o) => (o.kind === 'failed' ? 'failed' : 'completed')).join(', ');
      const seconds = (Date.now() - started) / 1000;
      rows.push({ round, fault, pipelines: outcomes, stored, seconds, violations });
      console.log(
        `round ${round}: ${fault} (worker ${victim}), pipelines ${outcomes}, ${stored} posts stored, ${seconds.toFixed(1)} s` +
          (violations.length ? `\n  VIOLATION (seed ${seed}): ${violations.join('\n  VIOLATION: ')}` : ''),
      );
      const grow = Math.floor(rng() * 3);
      t.sim.addPosts(grow);
      added += grow;
    }
    await t.client.workflow
      .getHandle(banditWorkflowId(EXPERIMENT))
      .signal(stopSignal)
      .catch(() => undefined);
  } finally {
    await t?.close();
    await redis?.close();
    await db?.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }

  const violations = rows.reduce((n, r) => n + r.violations.length, 0);
  console.log('\nfault            rounds  violations');
  for (const fault of FAULTS) {
    const of = rows.filter((r) => r.fault === fault);
    console.log(
      `${fault.padEnd(16)} ${String(of.length).padStart(6)}  ${of.reduce((n, r) => n + r.violations.length, 0)}`,
    );
  }
  const pipelines = rows.length * 2;
  console.log(`\n${rows.length} rounds, ${pipelines} pipelines, ${violations} violations (seed ${seed})`);
  return violations === 0 && rows.length > 0 ? 0 : 1;
}

type Outcome = { kind: 'completed'; result: ViralPipelineResult } | { kind: 'failed'; reason: string };

async function settle(handle: WorkflowHandle): Promise<Outcome> {
  try {
    return { kind: 'completed', result: (await handle.result()) as ViralPipelineResult };
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    return { kind: 'failed', reason: err.cause?.message ?? err.message };
  }
}

interface FaultTargets {
  t: ProcessEnv;
  db: TestDatabase;
  redis: RedisServer;
  workers: WorkerProcess[];
  victim: number;
  envs: Array<Record<string, string>>;
}

async function inject(fault: Fault, { t, db, redis, workers, victim, envs }: FaultTargets): Promise<void> {
  switch (fault) {
    case 'worker-kill': {
      workers[victim]!.kill('SIGKILL');
      await workers[victim]!.exited;
      workers[victim] = await t.startWorker(envs[victim]);
      return;
    }
    case 'worker-stop': {
      // Past the scrape's 10 s heartbeat timeout: its attempts are retried elsewhere, then it wakes up a zombie.
      workers[victim]!.kill('SIGSTOP');
      await sleep(12_000);
      workers[victim]!.kill('SIGCONT');
      return;
    }
    case 'postgres-crash':
      await db.pg.kill();
      await sleep(1_000);
      await db.pg.restart();
      return;
    case 'redis-kill':
      await redis.kill();
      await sleep(3_000);
      await redis.start();
      return;
    case '429-storm':
      t.sim.setKnobs('social.posts', { rateLimitRate: 0.5, retryAfterSeconds: 1 });
      await sleep(3_000);
      t.sim.setKnobs('social.posts', undefined);
      return;
    case 'slow-pages':
      t.sim.setKnobs('social.posts', { latencyMs: { dist: 'uniform', minMs: 300, maxMs: 600 } });
      await sleep(4_000);
      t.sim.setKnobs('social.posts', undefined);
      return;
  }
}

withPrerequisites(async () => {
  const cli = await resolveTemporalCli({ log: (line) => console.log(line) });
  process.env.TEMPORAL_CLI_PATH = cli.path;
  return main();
});

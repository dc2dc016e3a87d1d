/**
 * Scaling out with the PostgreSQL results store: three `viralflow worker` processes on one task queue,
 * each with its own VIRALFLOW_DATA_DIR (no shared disk: three hosts, or three compose replicas), all
 * pointed at one PostgreSQL by VIRALFLOW_DATABASE_URL. A pipeline over 2,000 accounts, named by a list
 * imported with `viralflow accounts import`, completes although one worker is SIGKILLed mid-scrape; the
 * store then holds every post the simulator served exactly once, and the patterns stage read exactly
 * that many.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { socialPost } from '../../src/sim/data';
import type { ViralPipelineResult } from '../../src/workflows/pipeline';
import { activityRecords, workflowTaskFailures } from '../helpers/history-facts';
import { pollUntil } from '../helpers/poll';
import { startTestDatabase, type TestDatabase } from '../helpers/postgres';
import { startProcessEnv, type ProcessEnv } from '../helpers/process-env';
import { expectOk, json, viralflow } from '../helpers/viralflow-cli';
import type { WorkerProcess } from '../helpers/worker-process';

const SEED = 7; // startProcessEnv's simulator seed
const ACCOUNTS = 2_000;
const POSTS = 10; // per account: two pages of 5, so an account is often mid-pagination when the kill lands
const PAGE_SIZE = 5;
const WORKERS = 3;

describe('three workers, no shared disk, one PostgreSQL results store', () => {
  let db: TestDatabase;
  let t: ProcessEnv;
  const dirs = Array.from({ length: WORKERS }, (_, i) => mkdtempSync(join(tmpdir(), `viralflow-pg-worker-${i}-`)));
  let workers: WorkerProcess[] = [];

  before(async () => {
    db = await startTestDatabase();
    t = await startProcessEnv({
      sim: {
        seed: SEED,
        postsPerAccount: POSTS,
        knobs: { 'social.posts': { latencyMs: { dist: 'uniform', minMs: 10, maxMs: 40 } } },
      },
    });
  });
  after(async () => {
    await t?.close();
    await db?.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  test(
    `a pipeline over ${ACCOUNTS} accounts survives a SIGKILLed worker: every served post stored once, and read once`,
    { timeout: 240_000 },
    async () => {
      const storeEnv = { VIRALFLOW_DATABASE_URL: db.url };
      // Started together on an empty database: their migrations at start-up must not race.
      workers = await Promise.all(dirs.map((dir) => t.startWorker({ ...storeEnv, VIRALFLOW_DATA_DIR: dir })));
      // The list goes into the store with the CLI, as a user would: no worker reads a local file.
      const listFile = join(dirs[0]!, 'accounts.txt');
      const accountIds = Array.from({ length: ACCOUNTS }, (_, i) => `pg-${String(i).padStart(4, '0')}`);
      writeFileSync(listFile, `${accountIds.join('\n')}\n`);
      const imported = json<{ accounts: number }>(
        expectOk(
          await viralflow(['accounts', 'import', listFile, '--name', 'scale-2k', '--json'], t.workerVars(storeEnv)),
        ),
      );
      assert.equal(imported.accounts, ACCOUNTS);

      t.sim.reset();
      const workflowId = 'pg-scale-out';
      const started = Date.now();
      const handle = await t.client.workflow.start('viralPipelineWorkflow', {
        taskQueue: t.taskQueue,
        workflowId,
        args: [
          {
            accountList: 'scale-2k',
            maxPostsPerAccount: POSTS,
            pageSize: PAGE_SIZE,
            batchSize: 50,
            maxConcurrentBatches: 8,
            retry: { initialInterval: '200ms' },
          },
        ],
      });

      // A quarter of the posts served, then kill a worker that is running a scrape batch right now.
      const chunk = t.client.workflow.getHandle(`${workflowId}/scrape/chunk-0`);
      await pollUntil(
        'a quarter of the posts',
        () => (t.sim.stats().posts.distinct >= (ACCOUNTS * POSTS) / 4 ? true : undefined),
        { timeoutMs: 120_000, intervalMs: 20 },
      );
      const { raw } = await chunk.describe();
      const busy = new Set(
        (raw.pendingActivities ?? []).filter((p) => p.lastStartedTime).map((p) => p.lastWorkerIdentity),
      );
      const victim = workers.find((w) => busy.has(w.identity));
      assert.ok(victim, `a worker is running scrape batches (running on: ${[...busy].join(', ')})`);
      const killedAt = t.sim.stats().posts;
      victim.kill('SIGKILL');
      assert.equal((await victim.exited).signal, 'SIGKILL');

      const result = (await handle.result()) as ViralPipelineResult;
      const wallMs = Date.now() - started;
      const served = t.sim.stats().posts;
      const runKey = result.scrape!.runKey;

      // The scrape: every account, every post, none failed; some pages were served twice (the killed attempts' work redone).
      assert.deepEqual(result.failures, []);
      assert.equal(result.scrape?.scraped, ACCOUNTS);
      assert.equal(result.scrape?.failedTotal, 0);
      assert.equal(served.distinct, ACCOUNTS * POSTS, 'the simulator served every post');
      assert.equal(result.scrape?.posts, served.distinct);
      assert.ok(served.served > killedAt.served, 'work went on after the kill');

      // The store: exactly the posts the simulator served, each once, every account complete.
      const rows = await db.admin<{ account_id: string; post_id: string }>(
        'SELECT account_id, post_id FROM posts WHERE run_key = $1',
        [runKey],
      );
      assert.equal(rows.length, served.distinct, `${rows.length} rows for ${served.distinct} posts served`);
      const stored = new Set(rows.map((r) => `${r.account_id}/${r.post_id}`));
      assert.equal(stored.size, rows.length, 'no post twice');
      for (const id of accountIds) {
        for (let i = 0; i < POSTS; i++)
          assert.ok(stored.has(`${id}/${socialPost(SEED, id, i).id}`), `${id} post ${i} stored`);
      }
      const states = await db.admin<{ state: string; n: string }>(
        'SELECT state, count(*) AS n FROM accounts WHERE run_key = $1 GROUP BY state',
        [runKey],
      );
      assert.deepEqual(
        states.map((s) => [s.state, Number(s.n)]),
        [['complete', ACCOUNTS]],
      );

      // The patterns stage read exactly that many, whichever worker it ran on, and stored an outcome for each.
      assert.equal(result.patterns?.accounts, ACCOUNTS);
      assert.equal(result.patterns?.posts, served.distinct);
      const [outcomes] = await db.admin<{ n: string }>('SELECT count(*) AS n FROM post_outcomes WHERE run_key = $1', [
        runKey,
      ]);
      assert.equal(Number(outcomes?.n), served.distinct);

      // The kill landed on running batches, which were retried on the survivors.
      const scrapeHistory = await chunk.fetchHistory();
      assert.deepEqual(workflowTaskFailures(scrapeHistory), []);
      assert.deepEqual(workflowTaskFailures(await handle.fetchHistory()), []);
      const batches = activityRecords(scrapeHistory);
      const retried = batches.filter((a) => (a.attempt ?? 1) > 1);
      assert.ok(retried.length >= 1, 'a batch was retried after the kill');
      for (const a of retried) assert.notEqual(a.identity, victim.identity);
      // The victim was running batches when it died (asserted above), so it may have completed none; each
      // survivor completed some.
      const ranOn = new Set(batches.map((a) => a.identity));
      for (const w of workers.filter((w) => w !== victim))
        assert.ok(ranOn.has(w.identity), `${w.identity} completed batches`);
      console.log(
        `scale-out-postgres: ${ACCOUNTS} accounts x ${POSTS} posts in ${wallMs} ms with ${WORKERS} workers; SIGKILL after ${killedAt.distinct} ` +
          `distinct posts served; ${served.served - served.distinct} posts served twice; ${retried.length} batch(es) retried; ` +
          `${rows.length} rows stored, ${result.patterns?.posts} read by the patterns stage`,
      );
    },
  );
});

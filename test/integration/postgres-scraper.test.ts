import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createExtractPatterns } from '../../src/activities/engine';
import { createExtractPatternsFromSink } from '../../src/activities/patterns-from-sink';
import {
  createScrapeAccounts,
  type ScraperDeps,
  type ScrapeAccountsInput,
  type ScrapeProgress,
} from '../../src/activities/scraper';
import { socialPosts } from '../../src/sim/data';
import { createPostgresStore } from '../../src/store/postgres/postgres-store';
import type { ResultsStore } from '../../src/store/types';
import { startTestDatabase, type TestDatabase } from '../helpers/postgres';
import { runActivity } from '../helpers/run-activity';
import { collect } from '../helpers/sink-contract';
import { startSimDeps, type SimDeps } from '../helpers/sim-deps';

const SEED = 42;
const POSTS_PER_ACCOUNT = 25;
const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const simPostIds = (id: string) => socialPosts(SEED, id, 0, POSTS_PER_ACCOUNT, POSTS_PER_ACCOUNT).map((p) => p.id);

type ActivityInfo = ConstructorParameters<typeof MockActivityEnvironment>[0];

let db: TestDatabase;
let s: SimDeps;
let store: ResultsStore;
let runs = 0;
const runKey = () => `pg-run-${++runs}`;

before(async () => {
  db = await startTestDatabase();
  // The store a worker builds from its config: VIRALFLOW_DATABASE_URL selects PostgreSQL.
  s = await startSimDeps(
    { postsPerAccount: POSTS_PER_ACCOUNT },
    { VIRALFLOW_DATABASE_URL: db.url },
    {
      store: createPostgresStore({ url: db.url, connectTimeoutMs: 2_000, log: () => {} }),
    },
  );
  store = s.deps.store;
  assert.equal(store.kind, 'postgres');
  await store.migrate();
});
after(async () => {
  await s?.close();
  await db?.close();
});

const scrape = createScrapeAccountsFor();
function createScrapeAccountsFor() {
  return (input: ScrapeAccountsInput, info: ActivityInfo = {}, options: Pick<ScraperDeps, 'heartbeatEveryMs'> = {}) => {
    const env = new MockActivityEnvironment(info, { logger: new DefaultLogger('ERROR') });
    const heartbeats: ScrapeProgress[] = [];
    env.on('heartbeat', (d: ScrapeProgress) => heartbeats.push(d));
    const activity = createScrapeAccounts({
      social: s.deps.social,
      concurrency: 8,
      sinkFor: (k) => store.sinkFor(k),
      ...options,
    });
    const done = runActivity(activity, input, env).then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    return { done, heartbeats };
  };
}

/** Every account's posts, read back through the store, are exactly the simulator's, once each and in order. */
async function assertExactlyOnce(key: string, accountIds: readonly string[]) {
  const read = await collect(store.readPosts(key));
  const byAccount = new Map<string, string[]>();
  for (const p of read) byAccount.set(p.accountId, [...(byAccount.get(p.accountId) ?? []), p.id]);
  assert.deepEqual([...byAccount.keys()].sort(), [...accountIds].sort());
  for (const id of accountIds)
    assert.deepEqual(byAccount.get(id), simPostIds(id), `${id}: every post exactly once, in order`);
  const [row] = await db.admin<{ n: number; d: number }>(
    `SELECT count(*)::int AS n, count(DISTINCT (account_id, post_id))::int AS d FROM posts WHERE run_key = $1`,
    [key],
  );
  assert.deepEqual(row, { n: accountIds.length * POSTS_PER_ACCOUNT, d: accountIds.length * POSTS_PER_ACCOUNT });
  return read.length;
}

describe('scrapeAccounts on the PostgreSQL store', () => {
  test('a retry resumes from the heartbeat checkpoint (rows, not bytes): every post exactly once', async () => {
    s.sim.reset();
    const input: ScrapeAccountsInput = { accountIds: ids('hb-', 12), pageSize: 3, runKey: runKey() };
    // The first 8 accounts take the 8 slots. Seven of them are held at their third page (two pages kept);
    // hb-5's first page is held too, then answers 429 once the seven wait: they are cut off mid-pagination.
    const cutOff = input.accountIds.slice(0, 8).filter((id) => id !== 'hb-5');
    const midway = s.sim.hold({ route: 'social.posts', targets: cutOff, after: 2 });
    const limited = s.sim.hold({ route: 'social.posts', targets: ['hb-5'] });
    s.sim.setKnobs('social.posts:hb-5', { rateLimitFirst: 1, retryAfterSeconds: 1 });
    try {
      const first = scrape(input, {}, { heartbeatEveryMs: 0 });
      await Promise.all([midway.whenWaiting(cutOff.length), limited.whenWaiting(1)]);
      limited.release();
      const one = await first.done;
      assert.equal(one.ok, false);
      assert.ok(!one.ok && one.error instanceof ApplicationFailure && one.error.type === 'RateLimited');
      const last = first.heartbeats.at(-1)!;
      assert.deepEqual(
        last.partial.map((p) => p.id).sort(),
        [...cutOff].sort(),
        'the held accounts are mid-pagination',
      );
      assert.deepEqual(last.done, [], 'no account finished');
      assert.ok(
        last.partial.every((p) => p.bytes === 1 + p.posts && p.posts >= 3),
        'the checkpoint counts rows: the profile and each post',
      );

      s.sim.reset();
      const second = scrape(input, { attempt: 2, heartbeatDetails: JSON.parse(JSON.stringify(last)) });
      const two = await second.done;
      assert.ok(two.ok, two.ok ? '' : String(two.error));
      assert.equal(two.value.scraped, 12);
      assert.equal(two.value.continued, cutOff.length, 'partial accounts continued from their staged rows');
      assert.equal(two.value.posts, 12 * POSTS_PER_ACCOUNT);
      await assertExactlyOnce(input.runKey, input.accountIds);
      const [staged] = await db.admin<{ n: number }>(`SELECT count(*)::int AS n FROM staged_posts WHERE run_key = $1`, [
        input.runKey,
      ]);
      assert.equal(staged?.n, 0, 'no staged rows left behind');
    } finally {
      midway.release();
      limited.release();
    }
  });

  test('PostgreSQL restarted mid-scrape: the attempt fails, the retry completes, every post exactly once', async () => {
    s.sim.reset();
    const input: ScrapeAccountsInput = { accountIds: ids('crash-', 30), pageSize: 3, runKey: runKey() };
    // 8 slots: crash-0..9 are never held and finish; crash-10.. wait at their third page. Once 8 wait,
    // every slot holds one of them, so the first 10 are published and 8 are mid-way, all heartbeated.
    const held = input.accountIds.slice(10);
    const hold = s.sim.hold({ route: 'social.posts', targets: held, after: 2 });
    let killed = false;
    try {
      const first = scrape(input, {}, { heartbeatEveryMs: 0 });
      await hold.whenWaiting(8);
      await db.pg.kill();
      killed = true;
      hold.release();
      const one = await first.done;
      assert.equal(one.ok, false, 'the attempt fails when its store goes away');
      assert.match(String((one as { error: unknown }).error), /PostgreSQL|VIRALFLOW_DATABASE_URL/);
      assert.ok(!String((one as { error: unknown }).error).includes(db.password));
      await db.pg.restart();
      killed = false;

      s.sim.reset();
      const last = first.heartbeats.at(-1)!;
      assert.equal(last.done.length, 10, 'the accounts published before the crash are in the checkpoint');
      assert.equal(last.partial.length, 8, 'the held accounts are mid-way in the checkpoint');
      const second = scrape(input, { attempt: 2, heartbeatDetails: JSON.parse(JSON.stringify(last)) });
      const two = await second.done;
      assert.ok(two.ok, two.ok ? '' : String(two.error));
      assert.equal(two.value.scraped, 30);
      assert.equal(two.value.resumed, 10, 'accounts published before the crash are kept, not scraped again');
      // Crash recovery empties UNLOGGED tables: the staged rows are gone, so the sink answers 0 and they start over.
      assert.equal(two.value.continued, 0, 'the mid-way accounts start over: the crash emptied the staging tables');
      await assertExactlyOnce(input.runKey, input.accountIds);
    } finally {
      hold.release();
      if (killed) await db.pg.restart();
    }
  });

  test("the patterns stage reads the run from the store and records each post's outcome", async () => {
    s.sim.reset();
    const input: ScrapeAccountsInput = { accountIds: ids('pat-', 4), pageSize: 10, runKey: runKey() };
    const scraped = await scrape(input).done;
    assert.ok(scraped.ok);
    const extractPatterns = createExtractPatterns({ engine: s.deps.engine, cache: s.deps.engineCache });
    const patterns = createExtractPatternsFromSink({ store, extractPatterns });
    const summary = await runActivity(
      patterns,
      { runKey: input.runKey, chunkSize: 30 },
      new MockActivityEnvironment({}, { logger: new DefaultLogger('ERROR') }),
    );
    assert.equal(summary.posts, 4 * POSTS_PER_ACCOUNT);
    const rows = await db.admin<{ n: number; patterns: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT top_pattern)::int AS patterns FROM post_outcomes o
       JOIN posts p USING (run_key, account_id, post_id) WHERE o.run_key = $1`,
      [input.runKey],
    );
    assert.equal(rows[0]?.n, 4 * POSTS_PER_ACCOUNT, 'one outcome per post, each joined to its post');
    const byPattern = await db.admin<{ top_pattern: string; n: number }>(
      `SELECT coalesce(top_pattern, 'none') AS top_pattern, count(*)::int AS n FROM post_outcomes WHERE run_key = $1 GROUP BY 1`,
      [input.runKey],
    );
    for (const { top_pattern, n } of byPattern) {
      const o = summary.outcomes[top_pattern];
      assert.equal(
        (o?.successes ?? 0) + (o?.failures ?? 0),
        n,
        `${top_pattern}: the stored outcomes match the summary`,
      );
    }
  });
});

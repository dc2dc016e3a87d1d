/**
 * Running forever, on a real dev server and on both stores: the same pipeline over the same accounts,
 * again and again, while the simulator's accounts gain posts. Each run fetches only what is new (a
 * profile and one page per account when nothing is), stores only that, and the bandit counts each post once.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { banditWorkflowId, readEvidenceUpdate, stopSignal } from '../../src/workflows/bandit-api';
import { viralPipelineWorkflow, type ViralPipelineResult } from '../../src/workflows/pipeline';
import { collect } from '../helpers/sink-contract';
import { STORE_KINDS, useStoreEnv } from '../helpers/store-env';

const POSTS = 6;
const ACCOUNTS = Array.from({ length: 20 }, (_, i) => `inc-${i}`);

for (const kind of STORE_KINDS) {
  describe(`incremental scraping, run after run (${kind} store)`, () => {
    const env = useStoreEnv(kind, { postsPerAccount: POSTS });
    let runs = 0;

    const experimentId = `inc-${kind}`;
    /** One pipeline run, with the social requests it made and the posts its run key holds. */
    const run = async (extra: { mode?: 'full' } = {}) => {
      const before = env().sim.stats().routes;
      const result = (await env().client.workflow.execute(viralPipelineWorkflow, {
        taskQueue: env().taskQueue,
        workflowId: `inc-${kind}-${++runs}`,
        args: [{ accountIds: ACCOUNTS, experimentId, batchSize: 10, pageSize: 4, ...extra }],
      })) as ViralPipelineResult;
      const after = env().sim.stats().routes;
      const delta = (route: string) => (after[route]?.requests ?? 0) - (before[route]?.requests ?? 0);
      assert.deepEqual(result.failures, []);
      const stored = await collect(env().worker.deps.store.readPosts(result.scrape!.runKey));
      return { result, profiles: delta('social.profile'), pages: delta('social.posts'), stored };
    };
    const banditTotal = async () => {
      const read = await env()
        .client.workflow.getHandle(banditWorkflowId(experimentId))
        .executeUpdate(readEvidenceUpdate);
      return Object.values(read.totals).reduce((n, c) => n + c.successes + c.failures, 0);
    };

    test('first run reads everything; the next, with nothing new, one page per account and no posts', async () => {
      env().sim.reset();
      const one = await run();
      assert.equal(one.stored.length, ACCOUNTS.length * POSTS);
      assert.equal(one.pages, ACCOUNTS.length * Math.ceil(POSTS / 4));
      assert.equal(await banditTotal(), ACCOUNTS.length * POSTS);

      const two = await run();
      assert.equal(two.profiles, ACCOUNTS.length, 'one profile per account');
      assert.equal(two.pages, ACCOUNTS.length, 'one page per account: it starts at the newest post already stored');
      assert.equal(two.stored.length, 0, 'nothing new is stored');
      assert.equal(two.result.scrape?.scraped, ACCOUNTS.length, 'every account is still scraped');
      assert.deepEqual(two.result.scrape?.observed, {
        newPosts: 0,
        refreshedPosts: 0,
        unchangedAccounts: ACCOUNTS.length,
      });
      assert.equal(two.result.patterns, null, 'no posts to score');
      assert.deepEqual(
        two.result.skipped.map((s) => s.stage),
        ['patterns', 'bandit'],
      );
      assert.equal(await banditTotal(), ACCOUNTS.length * POSTS, 'the bandit is unchanged');
    });

    test('posts added upstream between runs: the next run stores exactly them, the bandit grows by them', async () => {
      env().sim.addPosts(3);
      const three = await run();
      assert.equal(three.pages, ACCOUNTS.length, '3 new posts and the known newest fit one page of 4');
      assert.equal(three.stored.length, ACCOUNTS.length * 3);
      const ids = new Set(three.stored.map((p) => p.id));
      assert.equal(ids.size, ACCOUNTS.length * 3);
      assert.ok(
        [...ids].every((id) => /-n[123]$/.test(id)),
        'only the posts added upstream',
      );
      assert.deepEqual(three.result.scrape?.observed, { newPosts: 60, refreshedPosts: 0, unchangedAccounts: 0 });
      assert.deepEqual(three.result.bandit?.evidence, { added: 60, moved: 0, unchanged: 0 });
      assert.equal(await banditTotal(), ACCOUNTS.length * (POSTS + 3));

      env().sim.addPosts(5); // more than a page: the run pages on until it reaches the mark
      const four = await run();
      assert.equal(four.pages, ACCOUNTS.length * 2);
      assert.equal(four.stored.length, ACCOUNTS.length * 5);
      assert.equal(await banditTotal(), ACCOUNTS.length * (POSTS + 8));
    });

    test("mode 'full' reads everything again and counts none of it twice", async () => {
      const full = await run({ mode: 'full' });
      assert.equal(full.stored.length, ACCOUNTS.length * (POSTS + 8));
      assert.deepEqual(full.result.bandit?.evidence, { added: 0, moved: 0, unchanged: ACCOUNTS.length * (POSTS + 8) });
      assert.equal(await banditTotal(), ACCOUNTS.length * (POSTS + 8));
      await env().client.workflow.getHandle(banditWorkflowId(experimentId)).signal(stopSignal);
    });
  });
}

/**
 * The whole pipeline through a plugged-in source: a worker configured with VIRALFLOW_SOURCES_MODULE
 * (the offset-pagination example) and VIRALFLOW_SOCIAL_URL on the simulator's `/v2/` API, on a real
 * Temporal dev server. A 429 ends the first scrape attempt mid-pagination; Temporal's retry resumes
 * from the offsets in its heartbeat. Counts are checked against what the simulator served.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { posteriorsQuery, banditWorkflowId } from '../../src/workflows/bandit-api';
import { viralPipelineWorkflow } from '../../src/workflows/pipeline';
import type { ScrapeResult } from '../../src/activities/scraper';
import { readPosts } from '../../src/sink/ndjson-sink';
import type { NdjsonSinkRef } from '../../src/sink/types';
import { startTemporalEnv, type TemporalEnv } from '../helpers/temporal-env';

const EXAMPLE_MODULE = require.resolve('../../src/sources/offset-example-source');
const POSTS = 30;
const ACCOUNTS = Array.from({ length: 60 }, (_, i) => `x-${i}`);

describe('viralPipelineWorkflow through the offset-pagination example source', () => {
  let t: TemporalEnv;
  before(async () => {
    t = await startTemporalEnv({
      sim: {
        postsPerAccount: POSTS,
        missingAccounts: ['x-13'],
        knobs: {
          'social.posts': { latencyMs: 25 },
          // x-3's profile answers 429 once, late, while the other accounts of its batch are mid-pagination.
          'social.profile:x-3': { latencyMs: 120, rateLimitFirst: 1, retryAfterSeconds: 1 },
        },
      },
      env: (simUrl) => ({ VIRALFLOW_SOCIAL_URL: `${simUrl}/v2`, VIRALFLOW_SOURCES_MODULE: EXAMPLE_MODULE }),
    });
  });
  after(() => t?.close());

  test('scrapes, scores and feeds the bandit every post the other API served, once; the retry resumed at offsets', async () => {
    assert.equal(t.config.sourcesModule, EXAMPLE_MODULE);
    const handle = await t.client.workflow.start(viralPipelineWorkflow, {
      taskQueue: t.taskQueue,
      workflowId: 'pipeline-plugged',
      args: [{ accountIds: ACCOUNTS, experimentId: 'exp-plugged', batchSize: 30, pageSize: 5 }],
    });
    const result = await handle.result();
    assert.deepEqual(result.failures, []);
    assert.deepEqual(result.skipped, []);
    const scraped = ACCOUNTS.length - 1;
    assert.equal(result.scrape?.scraped, scraped);
    assert.deepEqual(
      result.scrape?.failed.map((f) => [f.accountId, f.status]),
      [['x-13', 404]],
    );

    const served = t.sim.stats();
    assert.equal(served.routes['unmatched'], undefined, 'every social request went to a /v2 route');
    assert.equal(served.posts.distinct, scraped * POSTS, 'the simulator served every post of every account');
    assert.equal(result.scrape?.posts, served.posts.distinct);
    assert.equal(result.patterns?.posts, served.posts.distinct);
    assert.equal(result.bandit?.outcomesSent, served.posts.distinct);
    const posteriors = await t.client.workflow.getHandle(banditWorkflowId('exp-plugged')).query(posteriorsQuery);
    assert.equal(
      posteriors.reduce((n, p) => n + p.successes + p.failures, 0),
      served.posts.distinct,
    );

    // Each post stored once, read back through the product's reader.
    const ref: NdjsonSinkRef = { kind: 'ndjson', dir: `${t.config.dataDir}/scrape/${result.scrape!.runKey}` };
    const keys = new Set<string>();
    for await (const post of readPosts(ref)) {
      const key = `${post.accountId}/${post.id}`;
      assert.ok(!keys.has(key), `${key} stored twice`);
      keys.add(key);
    }
    assert.equal(keys.size, served.posts.distinct);

    // The batch with x-3 (run by the scrape child itself: the list is small): its first attempt was rate limited; the attempt that completed continued accounts
    // from the offsets (cursors) of the first attempt's last heartbeat instead of starting them over.
    const history = await t.client.workflow.getHandle('pipeline-plugged/scrape').fetchHistory();
    const completed = (history.events ?? []).flatMap((e) => {
      const payload = e.activityTaskCompletedEventAttributes?.result?.payloads?.[0]?.data;
      const result = payload && (JSON.parse(Buffer.from(payload).toString('utf8')) as ScrapeResult);
      // Batches only (the scrape's last activity moves the marks).
      return result && 'scraped' in result ? [result] : [];
    });
    const started = (history.events ?? []).flatMap((e) => e.activityTaskStartedEventAttributes?.attempt ?? []);
    assert.equal(completed.length, 2, 'two batches of 30');
    assert.ok(Math.max(...started) >= 2, `attempts ${started.join(',')}: the first was rate limited`);
    const continued = Math.max(...completed.map((c) => c.continued));
    assert.ok(continued >= 1, `continued ${continued}: the retry resumed accounts mid-pagination`);
    // Served twice: at most the one page each account of the batch had in flight at the 429 (30 x 5), not pages redone.
    const twice = served.posts.served - served.posts.distinct;
    assert.ok(twice <= 30 * 5, `${twice} posts served twice`);
    console.log(`pipeline-plugged: attempts ${started.join(',')}, continued ${continued}, ${twice} posts served twice`);
  });
});

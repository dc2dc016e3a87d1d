import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { ViralPipelineResult } from '../../src/workflows/pipeline';
import { scrapeAccountsWorkflow } from '../../src/workflows/scrape';
import { startTemporalEnv, type TemporalEnv } from '../helpers/temporal-env';
import { saveHistory } from '../helpers/histories';

const POSTS = 12; // per account; pages of 5 -> 3 page requests + 1 profile request per account

describe('scrapeAccountsWorkflow on a real Temporal dev server', () => {
  let t: TemporalEnv;
  before(async () => {
    t = await startTemporalEnv({ sim: { postsPerAccount: POSTS, missingAccounts: ['gone-1'] } });
  });
  after(() => t?.close());

  const run = (id: string, input: object) =>
    t.client.workflow.execute(scrapeAccountsWorkflow, { taskQueue: t.taskQueue, workflowId: id, args: [input] });
  const accounts = (n: number, prefix = 'acct') => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
  /** Post IDs per account in the sink, read straight from the NDJSON files. */
  const sinkPosts = (runKey: string) => {
    const dir = join(t.config.dataDir, 'scrape', runKey);
    const byAccount = new Map<string, string[]>();
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ndjson'))) {
      const lines = readFileSync(join(dir, file), 'utf8').trim().split('\n').slice(1); // line 1: profile
      byAccount.set(
        file.replace(/\.ndjson$/, ''),
        lines.map((l) => (JSON.parse(l) as { id: string }).id),
      );
    }
    return byAccount;
  };

  test('fans out batches; every account is scraped exactly once or listed as failed; duplicates dropped', async () => {
    t.sim.reset();
    const ids = [...accounts(23), 'gone-1', 'acct-3'];
    const summary = await run('scrape-basic', { accountIds: ids, batchSize: 5, maxConcurrentBatches: 3, pageSize: 5 });
    assert.equal(summary.duplicatesDropped, 1);
    assert.equal(summary.accounts, 24);
    assert.equal(summary.scraped, 23);
    assert.deepEqual(
      summary.failed.map((f) => f.accountId),
      ['gone-1'],
    );
    assert.match(summary.failed[0]!.reason, /404/);
    assert.equal(summary.batches.length, 5);
    assert.equal(summary.posts, 23 * POSTS);
    const sink = sinkPosts(summary.runKey);
    assert.equal(sink.size, 23);
    for (const [account, posts] of sink) {
      assert.equal(posts.length, POSTS, account);
      assert.equal(new Set(posts).size, POSTS, `${account} has duplicate posts`);
    }
    await saveHistory(t, 'scrape-basic');
  });

  test('an accounts file that repeats IDs: each account scraped once, the repeats counted, the pipeline completes', async () => {
    t.sim.reset();
    // 30 IDs, then the same 30 again, then 10 of them a third time: what an exported list often looks like.
    const ids = accounts(30, 'dup');
    mkdirSync(join(t.config.dataDir, 'accounts'), { recursive: true });
    writeFileSync(join(t.config.dataDir, 'accounts', 'dups.txt'), [...ids, ...ids, ...ids.slice(0, 10)].join('\n'));
    const summary = await run('scrape-dups', { accountsFile: 'dups.txt', batchSize: 10, chunkSize: 20, pageSize: 5 });
    assert.equal(summary.accounts, 30);
    assert.equal(summary.duplicatesDropped, 40);
    assert.equal(summary.scraped, 30);
    assert.equal(summary.posts, 30 * POSTS);
    const sink = sinkPosts(summary.runKey);
    assert.deepEqual([...sink.keys()].sort(), [...ids].sort());
    for (const [id, posts] of sink) assert.equal(new Set(posts).size, POSTS, `${id}: every post once`);

    const pipeline = (await t.client.workflow.execute('viralPipelineWorkflow', {
      taskQueue: t.taskQueue,
      workflowId: 'pipeline-dups',
      args: [{ accountsFile: 'dups.txt', batchSize: 10, pageSize: 5, mode: 'full' }],
    })) as ViralPipelineResult;
    assert.deepEqual(pipeline.failures, []);
    assert.equal(pipeline.scrape?.duplicatesDropped, 40);
    assert.equal(pipeline.patterns?.accounts, 30);
    assert.equal(pipeline.patterns?.posts, 30 * POSTS);
  });

  test('large jobs go through child workflows per chunk, each history small', async () => {
    t.sim.reset();
    const summary = await run('scrape-chunked', {
      accountIds: accounts(60, 'big'),
      chunkSize: 20,
      batchSize: 10,
      maxConcurrentChunks: 2,
    });
    assert.equal(summary.chunks, 3);
    assert.equal(summary.scraped, 60);
    assert.deepEqual(
      [...new Set(summary.batches.map((b) => b.batch))].sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5],
    );
    const parent = await t.client.workflow.getHandle('scrape-chunked').fetchHistory();
    const child = await t.client.workflow.getHandle('scrape-chunked/chunk-1').fetchHistory();
    // The parent: three children, and the marks moved once at the end.
    assert.ok((parent.events?.length ?? 0) < 50, `parent history ${parent.events?.length}`);
    assert.ok((child.events?.length ?? 0) < 40, `child history ${child.events?.length}`);
    await saveHistory(t, 'scrape-chunked');
  });

  test('a retried activity resumes from its heartbeat: finished accounts are not fetched again', async () => {
    t.sim.reset();
    // acct-7 answers slowly, then with a 429: by then its 9 siblings are done and heartbeated.
    t.sim.setKnobs('social.posts:res-7', { latencyMs: 400, rateLimitFirst: 1, retryAfterSeconds: 1 });
    const ids = accounts(10, 'res');
    const summary = await run('scrape-resume', {
      accountIds: ids,
      batchSize: 10,
      pageSize: 5,
      retry: { initialInterval: '100ms' },
    });
    assert.equal(summary.scraped, 10);
    const stats = t.sim.stats();
    // The 9 finished accounts are fetched once; only the interrupted res-7 starts over (it had no page yet).
    // Without resume the second attempt would fetch all 10 profiles again (20 in all).
    assert.equal(stats.routes['social.profile']?.requests, 11, JSON.stringify(stats.routes['social.profile']));
    const history = await t.client.workflow.getHandle('scrape-resume').fetchHistory();
    const scrapes = new Set(
      (history.events ?? [])
        .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'scrapeAccounts')
        .map((e) => String(e.eventId)),
    );
    const attempts = (history.events ?? [])
      .filter((e) => scrapes.has(String(e.activityTaskStartedEventAttributes?.scheduledEventId)))
      .map((e) => e.activityTaskStartedEventAttributes!.attempt);
    assert.deepEqual(attempts, [2], 'the completed attempt was the second');
    for (const posts of sinkPosts(summary.runKey).values()) assert.equal(new Set(posts).size, posts.length);
    await saveHistory(t, 'scrape-resume');
  });

  test('a batch that runs out of attempts leaves nothing in the store: what earlier attempts finished is discarded', async () => {
    t.sim.reset();
    // bad-0's posts always answer 503 (retryable): its batch fails for good, after its siblings were completed.
    t.sim.setKnobs('social.posts:bad-0', { errorRate: 1, errorStatus: 503 });
    const ids = accounts(6, 'bad');
    const summary = await run('scrape-batch-fails', {
      accountIds: [...ids, ...accounts(3, 'good')],
      batchSize: 6,
      pageSize: 5,
      retry: { initialInterval: '100ms', maximumAttempts: 2 },
    });
    assert.equal(summary.failedTotal, 6);
    assert.equal(summary.scraped, 3);
    assert.match(summary.batches.find((b) => b.error)?.error ?? '', /503/);
    // The store holds exactly the accounts the summary counts as scraped: a reader's count agrees with it.
    assert.deepEqual([...sinkPosts(summary.runKey).keys()].sort(), accounts(3, 'good'));
    const history = await t.client.workflow.getHandle('scrape-batch-fails').fetchHistory();
    const discards = history.events?.filter(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'discardAccounts',
    );
    assert.equal(discards?.length, 1);
  });

  test('rides out a 429 storm by waiting Retry-After between attempts, not by hot-looping', async () => {
    t.sim.reset();
    t.sim.setKnobs('social.profile', { rateLimitFirst: 6, retryAfterSeconds: 1 });
    const started = Date.now();
    const summary = await run('scrape-storm', {
      accountIds: accounts(4, 'storm'),
      batchSize: 4,
      retry: { initialInterval: '100ms', maximumAttempts: 10 },
    });
    const elapsed = Date.now() - started;
    assert.equal(summary.scraped, 4);
    const profile = t.sim.stats().routes['social.profile'];
    // The storm's 6 refusals, then one answer per account. A refusal whose request the client had already
    // given up on (a sibling's 429 ends the attempt) is counted as a request, not always as a 429 written.
    assert.ok((profile?.requests ?? 0) >= 6 + 4, `${profile?.requests} profile requests`);
    assert.ok((profile?.byStatus['429'] ?? 0) >= 1);
    const history = await t.client.workflow.getHandle('scrape-storm').fetchHistory();
    const attempt =
      history.events?.find((e) => e.activityTaskStartedEventAttributes)?.activityTaskStartedEventAttributes?.attempt ??
      0;
    // Each attempt sees at most 4 concurrent 429s, so the storm takes a few attempts, each a Retry-After (1 s) apart.
    assert.ok(attempt >= 2 && attempt <= 7, `attempt ${attempt}`);
    assert.ok(elapsed >= (attempt - 1) * 900, `${elapsed} ms for ${attempt} attempts: Retry-After not honoured`);
    // One request per account per attempt at most: attempts, not requests, absorb the storm.
    assert.ok(
      (profile?.requests ?? 0) <= attempt * 4,
      `${profile?.requests} profile requests in ${attempt} attempts: hot loop`,
    );
  });

  test('bad input fails the workflow at once with a message naming the field', async () => {
    for (const [input, field] of [
      [{ accountIds: [] }, /accountIds/],
      [{ accountIds: ['ok', '../etc'] }, /accountIds\.1/],
      [{ accountIds: ['a'], maxPostsPerAccount: -1 }, /maxPostsPerAccount/],
      [{ accountIds: ['a'], accountsFile: 'x' }, /exactly one/],
      [{ accountsFile: 'x', accountList: 'x' }, /exactly one of accountIds, accountsFile or accountList/],
      [
        { accountList: '../lists/x' },
        /accountList: must be the name of a list imported with viralflow accounts import/,
      ],
    ] as const) {
      await assert.rejects(run(`scrape-bad-${String(field)}`, input), (err: unknown) => {
        assert.ok(err instanceof WorkflowFailedError);
        assert.ok(err.cause instanceof ApplicationFailure);
        assert.equal(err.cause.type, 'InvalidInput');
        assert.match(err.cause.message, field);
        return true;
      });
    }
    // A list that was never imported: the loading activity says so (not retried), and the run fails with it.
    await assert.rejects(run('scrape-bad-no-list', { accountList: 'never-imported' }), (err: unknown) => {
      assert.ok(err instanceof WorkflowFailedError);
      const root = err.cause?.cause;
      assert.ok(root instanceof ApplicationFailure, String(err.cause));
      assert.equal(root.type, 'InvalidInput');
      assert.match(
        root.message,
        /no account list named "never-imported" in the results store \(load it with: viralflow accounts import <file> --name never-imported\)/,
      );
      return true;
    });
  });
});

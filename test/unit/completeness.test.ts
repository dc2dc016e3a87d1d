/**
 * The completeness guard: a stage that reads other counts than the scrape recorded fails with a
 * non-retryable IncompleteResults naming the likely cause, and the patterns activity fails before it
 * sends anything to the engine when accounts are missing.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createActivities, type Activities } from '../../src/activities';
import type { PatternsSummary } from '../../src/activities/patterns-from-sink';
import type { ScrapeResult } from '../../src/activities/scraper';
import { completenessFailure } from '../../src/contracts/completeness';
import { rejectsWith } from '../helpers/failures';
import { startSimDeps, type SimDeps } from '../helpers/sim-deps';

const STORE_HINT =
  /Likely cause: the workers do not share one results store.*Set VIRALFLOW_DATABASE_URL on every worker/;

describe('completenessFailure', () => {
  const base = { runKey: 'run-1', expected: { accounts: 200, posts: 5_000 }, reader: 'worker w-2' };

  test('agreeing counts pass', () => {
    assert.equal(completenessFailure({ ...base, read: { accounts: 200, posts: 5_000 } }), undefined);
    assert.equal(
      completenessFailure({ ...base, read: { accounts: 200 } }),
      undefined,
      'accounts listed, posts not yet read',
    );
    assert.equal(
      completenessFailure({ ...base, expected: { accounts: 0, posts: 0 }, read: { accounts: 0, posts: 0 } }),
      undefined,
    );
  });

  test('a shortfall in posts or accounts is a non-retryable IncompleteResults naming the shared store', () => {
    for (const read of [
      { accounts: 100, posts: 2_500 },
      { accounts: 0, posts: 0 },
      { accounts: 200, posts: 4_999 },
      { accounts: 199 },
    ]) {
      const failure = completenessFailure({ ...base, read });
      assert.ok(failure, JSON.stringify(read));
      assert.equal(failure.type, 'IncompleteResults');
      assert.equal(failure.nonRetryable, true);
      assert.match(
        failure.message,
        /results of run run-1 are incomplete: the scrape recorded 200 accounts with 5000 posts, but worker w-2 found/,
      );
      assert.match(failure.message, STORE_HINT);
      assert.deepEqual(failure.details, [{ runKey: 'run-1', expected: base.expected, read }]);
    }
  });

  test('more than the scrape recorded is refused too, with the stale-run cause', () => {
    const failure = completenessFailure({ ...base, read: { accounts: 201, posts: 5_025 } });
    assert.equal(failure?.type, 'IncompleteResults');
    assert.match(
      failure!.message,
      /are not the scrape's: .* found 201 accounts with 5025 posts\. Likely cause: the store holds output of an earlier run under the same run key/,
    );
  });

  test('with maxPosts, posts are checked up to the limit and accounts not at all', () => {
    assert.equal(completenessFailure({ ...base, maxPosts: 1_000, read: { accounts: 40, posts: 1_000 } }), undefined);
    assert.equal(completenessFailure({ ...base, maxPosts: 9_000, read: { accounts: 200, posts: 5_000 } }), undefined);
    assert.match(
      completenessFailure({ ...base, maxPosts: 1_000, read: { accounts: 10, posts: 250 } })!.message,
      /incomplete.*maxPosts 1000/,
    );
  });
});

describe('extractPatternsFromSink with expect', () => {
  let s: SimDeps;
  let dataDir: string;
  let activities: Activities;
  let scraped: ScrapeResult;
  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'viralflow-completeness-'));
    s = await startSimDeps({ postsPerAccount: 7 }, { VIRALFLOW_DATA_DIR: dataDir });
    activities = createActivities(s.deps);
    scraped = await call<ScrapeResult>('scrapeAccounts', { runKey: 'half', accountIds: ['c-1', 'c-2', 'c-3', 'c-4'] });
  });
  after(async () => {
    await s?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  function call<T>(name: keyof Activities, input: unknown): Promise<T> {
    const env = new MockActivityEnvironment({}, { logger: new DefaultLogger('ERROR') });
    return env.run(activities[name] as (i: unknown) => Promise<T>, input);
  }

  test('counts as recorded: the summary says what it read', async () => {
    assert.equal(scraped.scraped, 4);
    assert.equal(scraped.posts, 28);
    const summary = await call<PatternsSummary>('extractPatternsFromSink', {
      runKey: 'half',
      expect: { accounts: 4, posts: 28 },
    });
    assert.equal(summary.accounts, 4);
    assert.equal(summary.posts, 28);
  });

  test('accounts missing from this store: fails before any engine request', async () => {
    const engineBefore = s.sim.stats().routes['engine.extract']?.requests ?? 0;
    const failure = await rejectsWith(
      call('extractPatternsFromSink', { runKey: 'half', expect: { accounts: 8, posts: 56 } }),
      'IncompleteResults',
      /results of run half are incomplete: the scrape recorded 8 accounts with 56 posts, but the worker on .* \(pid \d+\), reading the NDJSON folder .*, found 4 accounts\./,
      STORE_HINT,
    );
    assert.equal(failure.nonRetryable, true);
    assert.equal(s.sim.stats().routes['engine.extract']?.requests ?? 0, engineBefore, 'the engine was not called');
  });

  test('posts missing (accounts all there): fails once they are read', async () => {
    await rejectsWith(
      call('extractPatternsFromSink', { runKey: 'half', expect: { accounts: 4, posts: 30 } }),
      'IncompleteResults',
      /recorded 4 accounts with 30 posts, but .* found 4 accounts with 28 posts/,
    );
  });

  test('a run this worker never saw: 0 of N accounts', async () => {
    await rejectsWith(
      call('extractPatternsFromSink', { runKey: 'elsewhere', expect: { accounts: 200, posts: 5_000 } }),
      'IncompleteResults',
      /found 0 accounts\./,
      STORE_HINT,
    );
  });

  test('without expect nothing is checked (the standalone default)', async () => {
    const summary = await call<PatternsSummary>('extractPatternsFromSink', { runKey: 'elsewhere' });
    assert.equal(summary.posts, 0);
  });
});

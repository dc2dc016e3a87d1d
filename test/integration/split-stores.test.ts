/**
 * Workers that do not share a results store: two `viralflow worker` processes on one task queue, each
 * with its own VIRALFLOW_DATA_DIR (two hosts, or two compose replicas, with the NDJSON folder). The
 * scrape's batches and the patterns stage land on whichever worker is free, so a stage can read a
 * folder that holds part of the run, or none of it. The completeness guard turns that into a loud
 * IncompleteResults failure: no run completes with a partial count.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { EXIT } from '../../src/cli';
import type { ExtractPatternsWorkflowResult } from '../../src/workflows/patterns';
import type { ViralPipelineResult } from '../../src/workflows/pipeline';
import type { ScrapeSummary } from '../../src/workflows/scrape';
import { workflowFailure, workflowTaskFailures } from '../helpers/history-facts';
import { startProcessEnv, type ProcessEnv } from '../helpers/process-env';
import { viralflow } from '../helpers/viralflow-cli';
import type { WorkerProcess } from '../helpers/worker-process';

const ACCOUNTS = 200;
const POSTS = 25; // the simulator's default per account
const STORE_HINT =
  /Likely cause: the workers do not share one results store .* Set VIRALFLOW_DATABASE_URL on every worker/;

describe('split results stores (NDJSON, a data folder per worker): the guard fails loudly', () => {
  let t: ProcessEnv;
  const dirs = [0, 1].map((i) => mkdtempSync(join(tmpdir(), `viralflow-split-${i}-`)));
  const workers: WorkerProcess[] = [];
  const accountIds = Array.from({ length: ACCOUNTS }, (_, i) => `split-${i}`);

  before(async () => {
    t = await startProcessEnv();
    for (const dir of dirs) workers.push(await t.startWorker({ VIRALFLOW_DATA_DIR: dir }));
  });
  after(async () => {
    await t?.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  test(
    `pipelines over ${ACCOUNTS} accounts either complete with every post or fail with IncompleteResults`,
    { timeout: 180_000 },
    async () => {
      const outcomes = { complete: 0, incomplete: 0 };
      // Where the batches and the patterns stage run is the server's choice: run rounds of pipelines until
      // the split has shown at least once (a run is whole only when all three activities shared a worker).
      for (let round = 0; round < 3 && outcomes.incomplete === 0; round++) {
        await Promise.all(
          [0, 1, 2, 3].map(async (i) => {
            const workflowId = `split-pipeline-${round}-${i}`;
            const handle = await t.client.workflow.start('viralPipelineWorkflow', {
              taskQueue: t.taskQueue,
              workflowId,
              // 'full': each round reads every post again (an incremental one would find nothing new).
              args: [{ accountIds, mode: 'full' }],
            });
            try {
              const result = (await handle.result()) as ViralPipelineResult;
              // Complete only when the stage read the whole run from the store it saw.
              assert.equal(result.scrape?.posts, ACCOUNTS * POSTS);
              assert.equal(
                result.patterns?.accounts,
                ACCOUNTS,
                `${workflowId}: completed having read ${result.patterns?.accounts} accounts`,
              );
              assert.equal(
                result.patterns?.posts,
                ACCOUNTS * POSTS,
                `${workflowId}: completed having read ${result.patterns?.posts} posts`,
              );
              assert.deepEqual(result.failures, []);
              outcomes.complete++;
            } catch (err) {
              if (!(err instanceof WorkflowFailedError)) throw err;
              const failure = workflowFailure(await handle.fetchHistory());
              assert.equal(failure?.type, 'IncompleteResults', failure?.message);
              assert.match(
                failure!.message,
                new RegExp(
                  `^patterns stage: results of run ${workflowId} are incomplete: the scrape recorded ${ACCOUNTS} accounts with ${ACCOUNTS * POSTS} posts, but .* found (0|100) accounts`,
                ),
              );
              assert.match(failure!.message, STORE_HINT);
              // The patterns child failed with it too, and was not retried: no host has the rest.
              const child = await t.client.workflow.getHandle(`${workflowId}/patterns`).fetchHistory();
              assert.equal(workflowFailure(child)?.type, 'IncompleteResults');
              const attempts = (child.events ?? [])
                .filter((e) => e.activityTaskStartedEventAttributes)
                .map((e) => e.activityTaskStartedEventAttributes!.attempt);
              assert.deepEqual(attempts, [1]);
              outcomes.incomplete++;
            }
            assert.deepEqual(workflowTaskFailures(await handle.fetchHistory()), []);
          }),
        );
      }
      console.log(
        `split-stores: ${outcomes.complete} pipelines complete (every activity on one worker), ${outcomes.incomplete} failed with IncompleteResults`,
      );
      assert.ok(outcomes.incomplete >= 1, 'the split showed');
    },
  );

  test(
    'the standalone patterns workflow states the expectation: fails on the other worker, completes on the one that scraped',
    { timeout: 120_000 },
    async () => {
      const scrape = (await t.client.workflow.execute('scrapeAccountsWorkflow', {
        taskQueue: t.taskQueue,
        workflowId: 'split-scrape',
        // 'full': the pipelines above scraped these accounts; an incremental run would find nothing new to read.
        args: [{ accountIds: accountIds.slice(0, 20), batchSize: 20, mode: 'full' }],
      })) as ScrapeSummary;
      assert.equal(scrape.posts, 20 * POSTS);
      const history = await t.client.workflow.getHandle('split-scrape').fetchHistory();
      const scrapedOn = history.events!.find((e) => e.activityTaskStartedEventAttributes)!
        .activityTaskStartedEventAttributes!.identity;
      const holder = workers.findIndex((w) => w.identity === scrapedOn);
      assert.ok(holder >= 0, `scraped on ${scrapedOn}`);
      const other = 1 - holder;
      const expect = { accounts: scrape.scraped, posts: scrape.posts };
      const patterns = (workflowId: string, scrapeInput: Record<string, unknown>) =>
        t.client.workflow.execute('extractPatternsWorkflow', {
          taskQueue: t.taskQueue,
          workflowId,
          args: [{ scrape: { runKey: scrape.runKey, ...scrapeInput } }],
        });

      // Bad expectations are bad input, refused before any activity.
      for (const [i, bad] of [
        { accounts: -1, posts: 0 },
        { accounts: 1 },
        { accounts: 1, posts: 2, extra: 3 },
        'all',
      ].entries()) {
        await assert.rejects(patterns(`split-patterns-bad-${i}`, { expect: bad }), (err: unknown) => {
          assert.ok(err instanceof WorkflowFailedError);
          return true;
        });
        const failure = workflowFailure(await t.client.workflow.getHandle(`split-patterns-bad-${i}`).fetchHistory());
        assert.equal(failure?.type, 'InvalidInput', failure?.message);
        assert.match(failure!.message, /scrape\.expect/);
      }

      // Only the worker without the scrape's folder polls: the stage finds none of it.
      await workers[holder]!.stop();
      await assert.rejects(patterns('split-patterns-other', { expect }), WorkflowFailedError);
      const failure = workflowFailure(await t.client.workflow.getHandle('split-patterns-other').fetchHistory());
      assert.equal(failure?.type, 'IncompleteResults');
      assert.match(
        failure!.message,
        /the scrape recorded 20 accounts with 500 posts, but the worker on .* found 0 accounts\./,
      );
      assert.match(failure!.message, STORE_HINT);
      // What a user sees: `--wait` exits 1 with the reason on stderr.
      const cli = await viralflow(
        [
          'start',
          'patterns',
          '--id',
          'split-patterns-cli',
          '--input',
          JSON.stringify({ scrape: { runKey: scrape.runKey, expect } }),
          '--wait',
        ],
        { TEMPORAL_ADDRESS: t.server.address, VIRALFLOW_TASK_QUEUE: t.taskQueue },
        60_000,
      );
      assert.equal(cli.code, EXIT.failed, cli.stderr);
      assert.match(cli.stderr, /IncompleteResults|results of run split-scrape are incomplete/);
      assert.match(cli.stderr, /VIRALFLOW_DATABASE_URL/);
      // Without the expectation the same read "succeeds" over nothing: what the guard is for.
      const blind = (await patterns('split-patterns-blind', {})) as ExtractPatternsWorkflowResult;
      assert.equal(blind.source === 'scrape' && blind.result.posts, 0);

      // The worker that holds the folder: every post, and the summary says what was read.
      workers[holder] = await t.startWorker({ VIRALFLOW_DATA_DIR: dirs[holder]! });
      await workers[other]!.stop();
      const whole = (await patterns('split-patterns-holder', { expect })) as ExtractPatternsWorkflowResult;
      assert.equal(whole.source, 'scrape');
      if (whole.source === 'scrape') assert.deepEqual([whole.result.accounts, whole.result.posts], [20, 500]);
    },
  );
});

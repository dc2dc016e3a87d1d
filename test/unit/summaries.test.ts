import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { chunk } from '../../src/workflows/bounded';
import { pipelineDetails, scrapeDetails, stageOutcomeLine } from '../../src/workflows/details';
import { initialProgress, type FanOutProgress } from '../../src/workflows/progress';
import {
  MAX_SUMMARY_LENGTH,
  pipelineSummary,
  scrapeBatchSummary,
  scrapeChunkSummary,
  scrapeSummary,
  startSummary,
  summaryLine,
} from '../../src/workflows/summaries';

const ids = (n: number, prefix = 'acct') => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

describe('static summaries', () => {
  test('a scrape counts its distinct accounts and the batches it will run, with the contract defaults', () => {
    assert.equal(scrapeSummary({ accountIds: [...ids(240), ...ids(10)] }), 'scrape 240 accounts in 3 batches');
    assert.equal(scrapeSummary({ accountIds: ['a'], batchSize: 5 }), 'scrape 1 account in 1 batch');
    assert.equal(
      scrapeSummary({ accountList: 'nightly', batchSize: 50 }),
      'scrape account list "nightly" in batches of 50',
    );
    assert.equal(scrapeSummary({ accountsFile: 'a.txt' }), 'scrape accounts file "a.txt" in batches of 100');
  });

  test("a chunked scrape's batch count is what the workflow runs: batches per chunk, chunk by chunk", () => {
    for (const [accounts, batchSize, chunkSize] of [
      [11, 3, 5],
      [12_000, 1_000, 5_000],
      [10_001, 7, 5_000],
      [5, 10, 2],
    ] as const) {
      const run = chunk(ids(accounts), chunkSize).reduce((n, c) => n + chunk(c, batchSize).length, 0);
      const chunks = Math.ceil(accounts / chunkSize);
      assert.equal(
        scrapeSummary({ accountIds: ids(accounts), batchSize, chunkSize }),
        `scrape ${accounts} accounts in ${run} batches${chunks > 1 ? ` (${chunks} chunks)` : ''}`,
      );
    }
  });

  test("batches and chunks are numbered from 1, with the whole job's number inside a chunk", () => {
    assert.equal(
      scrapeBatchSummary({ index: 2, of: 8, accounts: 100, firstBatch: 0 }),
      'scrape batch 3/8: 100 accounts',
    );
    assert.equal(
      scrapeBatchSummary({ index: 2, of: 50, accounts: 100, firstBatch: 50 }),
      'scrape batch 53 (3/50 in this chunk): 100 accounts',
    );
    assert.equal(
      scrapeChunkSummary({ index: 1, of: 3, accounts: 5_000, batchSize: 100, firstBatch: 50 }),
      'scrape chunk 2/3: 5000 accounts, batches 51–100',
    );
  });

  test('every summary is one line of at most MAX_SUMMARY_LENGTH characters', () => {
    assert.equal(summaryLine('a\n b\t c'), 'a b c');
    const long = pipelineSummary({ accountList: 'l'.repeat(120), experimentId: 'e'.repeat(100) });
    assert.equal(long.length, MAX_SUMMARY_LENGTH);
    assert.ok(long.endsWith('…'));
    assert.ok(long.startsWith('pipeline: scrape account list "lll'));
  });

  test('a client start gets the summary of the checked input, and none for input the workflow will refuse', () => {
    const input = { accountIds: ids(30), batchSize: 10, experimentId: 'exp' };
    assert.equal(startSummary('viralPipelineWorkflow', input), pipelineSummary(input));
    assert.equal(
      startSummary('viralPipelineWorkflow', input),
      'pipeline: scrape 30 accounts in 3 batches → patterns → bandit exp → metrics',
    );
    assert.equal(startSummary('healthCheckWorkflow', { services: ['api', 'auth'] }), 'health check of 2 services');
    assert.equal(startSummary('collectMetricsWorkflow', {}), 'collect metrics from all configured services');
    assert.equal(startSummary('banditWorkflow', { experimentId: 'x' }), 'bandit for experiment x');
    assert.equal(startSummary('extractPatternsWorkflow', { scrape: { runKey: 'r1' } }), 'patterns for run r1');
    for (const [type, bad] of [
      ['viralPipelineWorkflow', { accountIds: 'a,b' }],
      ['scrapeAccountsWorkflow', { accountIds: [] }],
      ['scrapeAccountsWorkflow', { accountIds: ['a'], accountList: 'l' }],
      ['banditWorkflow', { experimentId: '..' }],
      ['healthCheckWorkflow', null],
      ['toString', {}],
      ['someoneElsesWorkflow', {}],
    ] as const) {
      assert.equal(startSummary(type, bad), undefined, `${type} ${JSON.stringify(bad)}`);
    }
  });
});

describe('current details', () => {
  const progress = (p: Partial<FanOutProgress>): FanOutProgress => ({ ...initialProgress('scrape'), ...p });

  test('a scrape says it is loading before it knows its totals, then counts', () => {
    assert.equal(scrapeDetails(progress({})), '**Scraping**: loading the accounts');
    assert.equal(
      scrapeDetails(
        progress({
          batchesDone: 2,
          batchesTotal: 4,
          accountsDone: 20,
          accountsTotal: 40,
          scraped: 19,
          failed: 1,
          posts: 1,
        }),
      ),
      '**Scraping**: 2 of 4 batches, 20 of 40 accounts\n\n- 19 scraped, 1 failed\n- 1 post stored so far',
    );
  });

  test("a pipeline's failed or skipped stage says why, briefly, on its own line", () => {
    const reason = `Activity task failed: ${'x'.repeat(200)}`;
    const failed = stageOutcomeLine('scrape', 'failed', reason);
    assert.ok(failed.startsWith('scrape failed: Activity task failed: xxx') && failed.endsWith('…'), failed);
    assert.equal(
      pipelineDetails({
        stages: ['health', 'scrape', 'patterns', 'bandit', 'metrics'],
        progress: progress({ stage: 'metrics' }),
        finished: {
          health: 'health: 4 of 5 services up (down: billing)',
          scrape: failed,
          patterns: stageOutcomeLine('patterns', 'skipped', 'no scraped posts'),
          bandit: stageOutcomeLine('bandit', 'skipped', 'no outcomes'),
        },
        scrapeChildId: 'p/scrape',
      }),
      [
        '**Stage 5 of 5: metrics** · health: 4 of 5 services up (down: billing)',
        '',
        `- ${failed}`,
        '- patterns skipped: no scraped posts',
        '- bandit skipped: no outcomes',
      ].join('\n'),
    );
  });
});

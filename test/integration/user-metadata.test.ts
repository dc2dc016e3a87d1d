/**
 * What the Web UI reads, through the client: every run viralflow starts carries a static summary (the
 * client's start, each child, each activity, schedule actions), and long runs answer the SDK's
 * `__temporal_workflow_metadata` query with current details whose numbers move as the run goes.
 * The Chromium test (web-ui.test.ts) checks the same things on the page.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connectViralflow, type ViralflowClient } from '../../src/client/client';
import { DEFAULT_SERVICES } from '../../src/config';
import type { ViralPipelineResult } from '../../src/workflows/pipeline';
import { progressQuery } from '../../src/workflows/progress';
import { pollUntil } from '../helpers/poll';
import { currentDetails, eventSummaries, SLOW_PIPELINE, slowDown, slowPipelineInput } from '../helpers/slow-pipeline';
import { startTemporalEnv, type TemporalEnv } from '../helpers/temporal-env';
import { advanceMarksSummary } from '../../src/workflows/summaries';

describe('user metadata: summaries and current details', () => {
  let t: TemporalEnv;
  let vf: ViralflowClient;
  const stamp = Date.now();
  const experimentId = `meta-exp-${stamp}`;
  const pipelineId = `meta-pipeline-${stamp}`;
  const scrapeId = `${pipelineId}/scrape`;
  let result: ViralPipelineResult;

  before(async () => {
    t = await startTemporalEnv();
    vf = await connectViralflow({ address: t.server.address, taskQueue: t.taskQueue, uiUrl: t.server.uiUrl });
  });
  after(async () => {
    await vf?.close();
    await t?.close();
  });

  test('a running pipeline: its summary, and details that follow the scrape batch by batch', async () => {
    slowDown(t.sim);
    const started = await vf.startWorkflow('pipeline', slowPipelineInput(experimentId), { workflowId: pipelineId });
    const description = await t.client.workflow.getHandle(pipelineId).describe();
    assert.equal(
      await description.staticSummary(),
      `pipeline: scrape 30 accounts in 3 batches → patterns → bandit ${experimentId} → metrics`,
    );

    // Batch 1 is done and batch 2 waits for its slow account: the scrape child says so, in numbers.
    const afterBatch1 = await pollUntil(
      'the scrape child to report batch 1 of 3',
      async () => {
        const details = await currentDetails(t.client, scrapeId);
        return details.includes('1 of 3 batches') ? details : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    assert.equal(
      afterBatch1,
      '**Scraping**: 1 of 3 batches, 10 of 30 accounts\n\n- 10 scraped, 0 failed\n- 250 posts stored so far',
    );
    // The progress query (what `--wait` prints) counts the same.
    const progress = await t.client.workflow.getHandle(scrapeId).query(progressQuery);
    assert.deepEqual(
      { batches: progress.batchesDone, accounts: progress.accountsDone, posts: progress.posts },
      { batches: 1, accounts: 10, posts: 250 },
    );
    assert.equal(
      await currentDetails(t.client, pipelineId),
      `**Stage 2 of 5: scrape**: batches and accounts in \`${scrapeId}\` · health: 5 of 5 services up`,
    );

    // The details move on with the scrape.
    await pollUntil(
      'the scrape child to report batch 2 of 3',
      async () =>
        (await currentDetails(t.client, scrapeId)).includes('2 of 3 batches, 20 of 30 accounts') ? true : undefined,
      { timeoutMs: 60_000, intervalMs: 100 },
    );

    result = (await vf.result(started.workflowId)) as ViralPipelineResult;
    slowDown(t.sim, 0);
    assert.equal(result.scrape?.scraped, SLOW_PIPELINE.accounts);
  });

  test("the finished runs' details: the scrape's totals, and each pipeline stage's outcome", async () => {
    assert.ok(result, 'the previous test ran the pipeline');
    const posts = SLOW_PIPELINE.accounts * SLOW_PIPELINE.postsPerAccount;
    assert.equal(
      await currentDetails(t.client, scrapeId),
      `**Scrape done**: 3 of 3 batches, 30 of 30 accounts\n\n- 30 scraped, 0 failed\n- ${posts} posts stored`,
    );
    const patterns = Object.keys(result.patterns!.outcomes).length;
    assert.equal(
      await currentDetails(t.client, pipelineId),
      [
        `**Pipeline done** · health: 5 of 5 services up; metrics: ${DEFAULT_SERVICES.length} services collected`,
        '',
        `- scrape: 30 of 30 accounts scraped, ${posts} posts, 3 batches`,
        `- patterns: ${patterns} pattern${patterns === 1 ? '' : 's'} over ${posts} posts`,
        `- bandit: evidence for bandit-${experimentId}: ${posts} outcomes added, 0 moved, 0 already counted`,
      ].join('\n'),
    );
  });

  test('children and activities carry summaries worded from their input', async () => {
    assert.ok(result, 'the first test ran the pipeline');
    const runKey = result.scrape!.runKey;
    const summaryOf = async (id: string) => (await t.client.workflow.getHandle(id).describe()).staticSummary();
    assert.equal(await summaryOf(scrapeId), 'scrape 30 accounts in 3 batches');
    assert.equal(await summaryOf(`${pipelineId}/patterns`), `patterns for run ${runKey}: 30 accounts, 750 posts`);
    assert.equal(
      await summaryOf(`bandit-${experimentId}`),
      `bandit for experiment ${experimentId}, ${result.bandit!.variants.length} variants`,
    );

    // In each history, the started event carries the run's own summary, and the event that scheduled a
    // child or an activity carries that one's.
    assert.deepEqual(await eventSummaries(t.client, pipelineId), [
      `pipeline: scrape 30 accounts in 3 batches → patterns → bandit ${experimentId} → metrics`,
      'health check of all configured services',
      'scrape 30 accounts in 3 batches',
      `patterns for run ${runKey}: 30 accounts, 750 posts`,
      `bandit for experiment ${experimentId}, ${result.bandit!.variants.length} variants`,
      `collect metrics from ${DEFAULT_SERVICES.length} services`,
    ]);
    assert.deepEqual(await eventSummaries(t.client, scrapeId), [
      'scrape 30 accounts in 3 batches',
      'scrape batch 1/3: 10 accounts',
      'scrape batch 2/3: 10 accounts',
      'scrape batch 3/3: 10 accounts',
      advanceMarksSummary,
    ]);
    assert.deepEqual(await eventSummaries(t.client, `${pipelineId}/patterns`), [
      `patterns for run ${runKey}: 30 accounts, 750 posts`,
      `engine over the posts of run ${runKey}: 30 accounts, 750 posts`,
    ]);
  });

  test("the bandit entity's details count the outcomes the pipeline sent and say when weights were computed", async () => {
    assert.ok(result, 'the first test ran the pipeline');
    const sent = result.bandit!.outcomesSent;
    const details = await pollUntil(
      'the bandit to have weighed every outcome',
      async () => {
        const d = await currentDetails(t.client, `bandit-${experimentId}`);
        return d.includes(`weights on ${sent} outcomes, computed at`) ? d : undefined;
      },
      { timeoutMs: 30_000 },
    );
    const variants = result.bandit!.variants.length;
    assert.match(
      details,
      new RegExp(
        `^\\*\\*Experiment ${experimentId}\\*\\*\n\n- ${sent} outcomes over ${variants} variants\n` +
          `- weights on ${sent} outcomes, computed at \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC\n` +
          // Publication keeps its 1-minute cadence: on a slow machine the first may have happened already.
          `- (not published yet|published version \\d+ \\(${sent} outcomes\\) at .* UTC)$`,
      ),
    );
    const summaries = await eventSummaries(t.client, `bandit-${experimentId}`);
    assert.ok(summaries.includes(`weigh ${variants} variants on ${sent} outcomes (Thompson sampling)`), `${summaries}`);
    // The pause after each computation is a timer, named too.
    assert.ok(summaries.includes('pause 2 seconds before weighing newer outcomes'), `${summaries}`);
  });

  test("a schedule's action carries the summary of what it starts, and a changed input gets a new one", async () => {
    const scheduleId = `meta-schedule-${stamp}`;
    await vf.createSchedule({
      scheduleId,
      workflow: 'health',
      cron: '0 0 1 1 *',
      input: { services: ['api', 'auth'] },
    });
    try {
      const actionSummary = async () => {
        const { action } = await t.client.schedule.getHandle(scheduleId).describe();
        return action.type === 'startWorkflow' ? action.staticSummary : undefined;
      };
      assert.equal(await actionSummary(), 'health check of 2 services');
      await vf.updateSchedule(scheduleId, { workflow: 'metrics' });
      assert.equal(await actionSummary(), 'collect metrics from 2 services');
      await vf.updateSchedule(scheduleId, { input: { services: ['api'] } });
      assert.equal(await actionSummary(), 'collect metrics from 1 service');
    } finally {
      await vf.deleteSchedule(scheduleId);
    }
  });
});

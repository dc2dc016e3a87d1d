import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import {
  banditWorkflowId,
  outcomeSignal,
  posteriorsQuery,
  publishNowUpdate,
  recordOutcomeUpdate,
  stopSignal,
  weightsQuery,
} from '../../src/workflows/bandit-api';
import { banditWorkflow } from '../../src/workflows/bandit';
import { collectMetricsWorkflow } from '../../src/workflows/collect-metrics';
import { extractPatternsWorkflow } from '../../src/workflows/patterns';
import { viralPipelineWorkflow } from '../../src/workflows/pipeline';
import { progressQuery } from '../../src/workflows/progress';
import { PIPELINE_KEY } from '../../src/workflows/search-attributes';
import { banditState } from '../../src/client/bandit';
import type { TemporalSession } from '../../src/client/connect';
import { saveHistory } from '../helpers/histories';
import { pollUntil } from '../helpers/poll';
import { startTemporalEnv, type TemporalEnv } from '../helpers/temporal-env';

describe('banditWorkflow and viralPipelineWorkflow on a real Temporal dev server', () => {
  let t: TemporalEnv;
  before(async () => {
    t = await startTemporalEnv({ sim: { postsPerAccount: 6, missingAccounts: ['p-13', 'p-500'] } });
  });
  after(() => t?.close());

  test('bandit: validated update answers the posterior, queries read state, continue-as-new keeps it', async () => {
    const workflowId = banditWorkflowId('exp-can');
    const handle = await t.client.workflow.start(banditWorkflow, {
      taskQueue: t.taskQueue,
      workflowId,
      args: [
        {
          experimentId: 'exp-can',
          variants: ['a', 'b'],
          publishEvery: '1 hour',
          continueAsNewAfterEvents: 30,
          seed: 1,
        },
      ],
    });
    const firstRun = handle.firstExecutionRunId;
    const posterior = await handle.executeUpdate(recordOutcomeUpdate, {
      args: [{ variant: 'a', successes: 3, failures: 1 }],
    });
    assert.deepEqual(posterior, { variant: 'a', successes: 3, failures: 1, alpha: 4, beta: 2, mean: 4 / 6 });
    const rejected = (field: RegExp) => (err: unknown) =>
      err instanceof WorkflowUpdateFailedError &&
      err.cause instanceof ApplicationFailure &&
      field.test(err.cause.message);
    await assert.rejects(
      handle.executeUpdate(recordOutcomeUpdate, { args: [{ variant: '../x', successes: 1 }] }),
      rejected(/variant/),
    );
    await assert.rejects(
      handle.executeUpdate(recordOutcomeUpdate, { args: [{ variant: 'a', successes: -1 }] }),
      rejected(/successes/),
    );
    // Enough updates to cross 30 events: the entity continues as new and must carry every count.
    for (let i = 0; i < 20; i++) {
      await handle.executeUpdate(recordOutcomeUpdate, { args: [{ variant: i % 2 ? 'a' : 'b', successes: 1 }] });
    }
    const latest = t.client.workflow.getHandle(workflowId);
    const { runId } = await latest.describe();
    assert.notEqual(runId, firstRun, 'continued as new');
    const posteriors = await latest.query(posteriorsQuery);
    assert.deepEqual(
      posteriors.map((p) => [p.variant, p.successes, p.failures]),
      [
        ['a', 13, 1],
        ['b', 10, 0],
      ],
    );
    const weights = await latest.executeUpdate(publishNowUpdate);
    assert.ok(Math.abs(Object.values(weights.weights).reduce((s, w) => s + w, 0) - 1) < 1e-9);
    assert.ok(weights.publishedVersion && weights.publishedVersion >= 1);
    assert.deepEqual(await latest.query(weightsQuery), weights);
    const published = (await (await fetch(`${t.sim.url}/experiments/exp-can/weights`)).json()) as {
      weights: Record<string, number>;
    };
    assert.deepEqual(published.weights, weights.weights);
    await latest.signal(stopSignal);
    const final = await latest.result();
    assert.equal(final.outcomes, 24); // 3 + 1 from the first update, then 20 single successes
    await saveHistory(t, workflowId);
  });

  test('bandit: weights answer as soon as outcomes arrive; publication keeps its hourly cadence', async () => {
    const experimentId = 'exp-early';
    const handle = await t.client.workflow.start('banditWorkflow', {
      taskQueue: t.taskQueue,
      workflowId: banditWorkflowId(experimentId),
      args: [{ experimentId, publishEvery: '1 hour', seed: 3 }],
    });
    assert.equal(await handle.query(weightsQuery), null, 'no evidence, no weights');
    // Signals, as the pipeline sends them: fire and forget, nothing waits on the entity.
    await handle.signal(outcomeSignal, { variant: 'hook', successes: 40, failures: 10 });
    await handle.signal(outcomeSignal, { variant: 'humor', successes: 5, failures: 45 });
    const first = await pollUntil(
      'weights from the first 100 outcomes',
      async () => {
        const w = await handle.query(weightsQuery);
        return w?.basedOnOutcomes === 100 ? w : undefined;
      },
      { timeoutMs: 10_000 },
    );
    assert.ok(Math.abs(Object.values(first.weights).reduce((s, w) => s + w, 0) - 1) < 1e-9);
    assert.ok(first.weights['hook']! > first.weights['humor']!, JSON.stringify(first.weights));
    assert.equal(first.publishedVersion, undefined, 'computed, not published');

    // More evidence is weighed again, still without publishing; `banditState` (bandit show) reads the same.
    await handle.signal(outcomeSignal, { variant: 'humor', successes: 200 });
    const session: TemporalSession = {
      client: t.client,
      address: t.server.address,
      namespace: t.config.temporal.namespace,
      taskQueue: t.taskQueue,
      uiUrl: 'http://localhost:8233',
      close: async () => undefined, // the env owns the connection
    };
    // banditState waits (up to freshWithinMs) for weights that cover every outcome: no polling here.
    const state = await banditState(session, experimentId, { freshWithinMs: 10_000 });
    assert.equal(state.weights?.basedOnOutcomes, 300);
    assert.ok(state.weights!.weights['humor']! > state.weights!.weights['hook']!, JSON.stringify(state.weights));
    assert.equal(
      (await fetch(`${t.sim.url}/experiments/${experimentId}/weights`)).status,
      404,
      'nothing published before the hour',
    );

    // Publishing on demand sends the weights already computed from every outcome.
    const published = await handle.executeUpdate(publishNowUpdate);
    assert.deepEqual([published.basedOnOutcomes, published.publishedVersion], [300, 1]);
    assert.deepEqual(published.weights, state.weights!.weights);
    const stored = (await (await fetch(`${t.sim.url}/experiments/${experimentId}/weights`)).json()) as {
      weights: unknown;
    };
    assert.deepEqual(stored.weights, published.weights);
    await handle.signal(stopSignal);
    await handle.result();
    await saveHistory(t, banditWorkflowId(experimentId)); // the weights-on-evidence path, for replay
  });

  test('pipeline over 1,000 accounts: every account scraped once or listed as failed; all stages report', async () => {
    t.sim.reset();
    const accountIds = Array.from({ length: 1000 }, (_, i) => `p-${i}`);
    const started = Date.now();
    const handle = await t.client.workflow.start(viralPipelineWorkflow, {
      taskQueue: t.taskQueue,
      workflowId: 'pipeline-1k',
      args: [
        { accountIds, experimentId: 'exp-pipe', batchSize: 100, maxConcurrentBatches: 4, chunkSize: 500, pageSize: 10 },
      ],
      typedSearchAttributes: [{ key: PIPELINE_KEY, value: 'pipeline-1k' }],
    });
    const result = await handle.result();
    const wallMs = Date.now() - started;
    assert.deepEqual(result.failures, []);
    assert.deepEqual(result.skipped, []);
    assert.equal(result.scrape?.accounts, 1000);
    assert.equal(result.scrape?.scraped, 998);
    assert.deepEqual(result.scrape?.failed.map((f) => f.accountId).sort(), ['p-13', 'p-500']);
    const dir = join(t.config.dataDir, 'scrape', result.scrape!.runKey);
    const files = readdirSync(dir).filter((f) => f.endsWith('.ndjson'));
    assert.equal(files.length, 998);
    let posts = 0;
    for (const f of files) {
      const ids = readFileSync(join(dir, f), 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => (JSON.parse(l) as { id: string }).id);
      assert.equal(new Set(ids).size, ids.length, `${f} has duplicates`);
      posts += ids.length;
    }
    assert.equal(posts, 998 * 6);
    assert.equal(result.patterns?.posts, 998 * 6);
    assert.ok(result.bandit && result.bandit.outcomesSent === 998 * 6);
    assert.equal(result.health?.unavailable.length, 0);
    assert.ok(result.metrics, 'metrics stage ran');
    // The children carry the pipeline's search attribute, so the whole run is one search in the Web UI.
    const found = [];
    for await (const wf of t.client.workflow.list({ query: `ViralflowPipeline = 'pipeline-1k'` }))
      found.push(wf.workflowId);
    assert.ok(found.includes('pipeline-1k/scrape'), `found ${found.join(',')}`);
    const history = await handle.fetchHistory();
    console.log(`pipeline-1k: ${wallMs} ms wall, pipeline history ${history.events?.length} events`);
    assert.ok((history.events?.length ?? 0) < 100);
    const bandit = t.client.workflow.getHandle(banditWorkflowId('exp-pipe'));
    const posteriors = await bandit.query(posteriorsQuery);
    assert.equal(
      posteriors.reduce((n, p) => n + p.successes + p.failures, 0),
      998 * 6,
    );
    await saveHistory(t, 'pipeline-1k');
    await saveHistory(t, 'pipeline-1k/scrape');
    await saveHistory(t, 'pipeline-1k/scrape/chunk-0');
    await saveHistory(t, 'pipeline-1k/patterns');
    await bandit.signal(stopSignal);
  });

  test('one-shot collectMetricsWorkflow and extractPatternsWorkflow (items) for cron schedules', async () => {
    t.sim.reset();
    t.sim.setKnobs('services.metrics:billing', { errorRate: 1 });
    const metrics = await t.client.workflow.execute(collectMetricsWorkflow, {
      taskQueue: t.taskQueue,
      workflowId: 'collect-1',
      args: [{ formats: ['prometheus'] }],
    });
    assert.deepEqual(
      metrics.failures.map((f) => f.service),
      ['billing'],
    );
    assert.equal(metrics.services.filter((s) => s.ok).length, 4);
    assert.ok(Object.keys(metrics.aggregates).length > 0);
    const patterns = await t.client.workflow.execute(extractPatternsWorkflow, {
      taskQueue: t.taskQueue,
      workflowId: 'patterns-items',
      args: [
        {
          items: [
            { id: 'x', text: 'a cat video' },
            { id: 'y', text: 'a cat video' },
            { id: 'z', text: 'tax tips' },
          ],
        },
      ],
    });
    assert.equal(patterns.source, 'items');
    if (patterns.source === 'items') {
      assert.equal(patterns.result.uniqueTexts, 2);
      assert.equal(patterns.result.results[0]?.viralityScore, patterns.result.results[1]?.viralityScore);
    }
    await saveHistory(t, 'collect-1');
    await saveHistory(t, 'patterns-items');
    t.sim.reset();
  });

  test('cancelling a pipeline cancels its running child and activities cleanly', async () => {
    t.sim.reset();
    t.sim.setKnobs('social.posts', { latencyMs: 2_000 });
    const handle = await t.client.workflow.start(viralPipelineWorkflow, {
      taskQueue: t.taskQueue,
      workflowId: 'pipeline-cancel',
      // Several 2-second pages per account: the activity learns of the cancel at its next heartbeat, mid-run.
      args: [{ accountIds: ['c-1', 'c-2', 'c-3'], pageSize: 2 }],
    });
    for (let i = 0; i < 100 && (await handle.query(progressQuery)).stage !== 'scrape'; i++)
      await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300)); // the scrape activity is now waiting on the slow upstream
    await handle.cancel();
    await assert.rejects(
      handle.result(),
      (err: unknown) => err instanceof WorkflowFailedError && err.cause instanceof CancelledFailure,
    );
    const child = await t.client.workflow.getHandle('pipeline-cancel/scrape').describe();
    assert.equal(child.status.name, 'CANCELLED');
    const childHistory = await t.client.workflow.getHandle('pipeline-cancel/scrape').fetchHistory();
    assert.ok(
      childHistory.events?.some((e) => e.activityTaskCanceledEventAttributes),
      'the scrape activity was cancelled',
    );
    t.sim.reset();
  });
});

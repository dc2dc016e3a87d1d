/**
 * Evidence counted once per post, on a real dev server and on both stores: the same pipeline again
 * (reading every post again), two pipelines at once over overlapping accounts, a matured outcome,
 * hand-recorded outcomes with an id, and a bandit that continues as new between runs. The bandit entity's totals are always the ledger's.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { banditWorkflow } from '../../src/workflows/bandit';
import {
  banditWorkflowId,
  evidenceQuery,
  posteriorsQuery,
  readEvidenceUpdate,
  recordOutcomeUpdate,
  stopSignal,
} from '../../src/workflows/bandit-api';
import { viralPipelineWorkflow, type ViralPipelineResult } from '../../src/workflows/pipeline';
import type { VariantCounts } from '../../src/store/evidence';
import { STORE_KINDS, useStoreEnv } from '../helpers/store-env';

const POSTS = 6;
const accounts = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `ev-${from + i}`);
const total = (counts: VariantCounts) => Object.values(counts).reduce((n, c) => n + c.successes + c.failures, 0);

for (const kind of STORE_KINDS) {
  describe(`evidence counted once per post (${kind} store)`, () => {
    const env = useStoreEnv(kind, { postsPerAccount: POSTS });
    let runs = 0;

    const pipeline = (experimentId: string, accountIds: string[], extra: { successThreshold?: number } = {}) =>
      env().client.workflow.execute(viralPipelineWorkflow, {
        taskQueue: env().taskQueue,
        workflowId: `ev-${kind}-${++runs}`,
        // 'full': every run reads every post again, so each run offers the ledger posts it has seen before
        // (incremental runs would not fetch them: incremental-scrape.test.ts).
        args: [{ accountIds, experimentId, batchSize: 10, pageSize: 4, mode: 'full', ...extra }],
      }) as Promise<ViralPipelineResult>;
    const bandit = (experimentId: string): WorkflowHandle<typeof banditWorkflow> =>
      env().client.workflow.getHandle(banditWorkflowId(experimentId));
    /** The entity reads the ledger now, then its posteriors: the counts it weighs. */
    const entityTotals = async (experimentId: string) => {
      const read = await bandit(experimentId).executeUpdate(readEvidenceUpdate);
      const posteriors = await bandit(experimentId).query(posteriorsQuery);
      return { read, counted: posteriors.reduce((n, p) => n + p.successes + p.failures, 0) };
    };

    test('the same pipeline again counts nothing again; the entity weighs exactly the distinct posts', async () => {
      const exp = `again-${kind}`;
      const ids = accounts(0, 20);
      const one = await pipeline(exp, ids);
      assert.deepEqual(one.failures, []);
      assert.deepEqual(one.bandit?.evidence, { added: 20 * POSTS, moved: 0, unchanged: 0 });
      const first = await entityTotals(exp);
      assert.equal(total(first.read.totals), 20 * POSTS);
      assert.equal(first.counted, 20 * POSTS);

      const two = await pipeline(exp, ids);
      assert.deepEqual(two.bandit?.evidence, { added: 0, moved: 0, unchanged: 20 * POSTS }, 'every post seen before');
      assert.equal(two.bandit?.outcomesSent, 0);
      const second = await entityTotals(exp);
      assert.deepEqual(second.read.totals, first.read.totals, 'the ledger is unchanged');
      assert.equal(second.counted, 20 * POSTS, 'the bandit weighs each post once');
      assert.deepEqual(await env().worker.deps.store.evidenceTotals(exp), second.read.totals, 'a recount agrees');
      await bandit(exp).signal(stopSignal);
    });

    test('two pipelines at once over overlapping accounts: one outcome per distinct post', async () => {
      const exp = `overlap-${kind}`;
      const [a, b] = await Promise.all([pipeline(exp, accounts(0, 30)), pipeline(exp, accounts(10, 40))]);
      assert.deepEqual([...a.failures, ...b.failures], []);
      const added = a.bandit!.evidence!.added + b.bandit!.evidence!.added;
      assert.equal(added, 40 * POSTS, 'the 20 shared accounts were added by one run, not both');
      assert.equal(a.bandit!.evidence!.unchanged + b.bandit!.evidence!.unchanged, 20 * POSTS);
      const { read, counted } = await entityTotals(exp);
      assert.equal(total(read.totals), 40 * POSTS);
      assert.equal(counted, 40 * POSTS);
      await bandit(exp).signal(stopSignal);
    });

    test('a matured outcome moves from failure to success, never adds a second; totals stay the ledger', async () => {
      const exp = `mature-${kind}`;
      const ids = accounts(40, 50);
      const one = await pipeline(exp, ids);
      const before = await entityTotals(exp);
      const failures = Object.values(before.read.totals).reduce((n, c) => n + c.failures, 0);
      assert.ok(failures > 0, 'some posts are below the default threshold');
      // A threshold of 0 makes every post a success: what a post whose metrics crossed the line looks like.
      const two = await pipeline(exp, ids, { successThreshold: 0 });
      assert.deepEqual(two.bandit?.evidence, { added: 0, moved: failures, unchanged: 10 * POSTS - failures });
      const after = await entityTotals(exp);
      assert.equal(total(after.read.totals), total(before.read.totals), 'as many outcomes as posts');
      assert.equal(
        Object.values(after.read.totals).reduce((n, c) => n + c.successes, 0),
        10 * POSTS,
        'every post now a success',
      );
      assert.equal(after.counted, 10 * POSTS);
      assert.ok(one.bandit);
      await bandit(exp).signal(stopSignal);
    });

    test('outcomes recorded with an id count once, across continue-as-new; without one they add up', async () => {
      const exp = `manual-${kind}`;
      const handle = await env().client.workflow.start(banditWorkflow, {
        taskQueue: env().taskQueue,
        workflowId: banditWorkflowId(exp),
        args: [{ experimentId: exp, publishEvery: '1 hour', continueAsNewAfterEvents: 20 }],
      });
      const record = (outcome: { id?: string; variant: string; successes?: number; failures?: number }) =>
        handle.executeUpdate(recordOutcomeUpdate, { args: [outcome] });
      const legacy = await record({ variant: 'a', successes: 2 });
      assert.equal(legacy.successes, 2);
      let p = await record({ id: 'order-1', variant: 'a', successes: 3, failures: 1 });
      assert.deepEqual([p.successes, p.failures], [5, 1], 'the legacy 2 stay beside the ledger 3/1');
      // The same id again, many times: enough events for the entity to continue as new in between.
      for (let i = 0; i < 8; i++) p = await record({ id: 'order-1', variant: 'a', successes: 3, failures: 1 });
      assert.deepEqual([p.successes, p.failures], [5, 1], 'order-1 counted once');
      const { runId } = await env().client.workflow.getHandle(banditWorkflowId(exp)).describe();
      assert.notEqual(runId, handle.firstExecutionRunId, 'the entity continued as new meanwhile');
      const latest = bandit(exp);
      const ledger = await latest.query(evidenceQuery);
      assert.deepEqual(ledger, {
        base: { a: { successes: 2, failures: 0 } },
        totals: { a: { successes: 3, failures: 1 } },
      });
      p = await latest.executeUpdate(recordOutcomeUpdate, { args: [{ id: 'order-2', variant: 'b', failures: 2 }] });
      assert.deepEqual([p.variant, p.successes, p.failures], ['b', 0, 2]);
      assert.deepEqual(await env().worker.deps.store.evidenceTotals(exp), {
        a: { successes: 3, failures: 1 },
        b: { successes: 0, failures: 2 },
      });
      await latest.signal(stopSignal);
    });
  });
}

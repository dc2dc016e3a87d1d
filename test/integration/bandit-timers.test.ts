/**
 * The bandit entity's timers on a real dev server, with short durations (the time-skipping server is a
 * download this machine cannot reach): weights published on the `publishEvery` cadence, a failed
 * publication retried on a later tick, and continue-as-new while the publication timer is pending.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import type { PublishedWeights } from '../../src/sim/types';
import { banditWorkflow } from '../../src/workflows/bandit';
import {
  banditWorkflowId,
  outcomeSignal,
  posteriorsQuery,
  publishNowUpdate,
  recordOutcomeUpdate,
  stopSignal,
  weightsQuery,
  type BanditWorkflowInput,
} from '../../src/workflows/bandit-api';
import { activityRecords, workflowTaskFailures } from '../helpers/history-facts';
import { saveHistory } from '../helpers/histories';
import { pollUntil } from '../helpers/poll';
import { startTemporalEnv, type TemporalEnv } from '../helpers/temporal-env';

type History = Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;
type Event = NonNullable<History['events']>[number];

describe('banditWorkflow timers on a real Temporal dev server', () => {
  let t: TemporalEnv;
  before(async () => {
    t = await startTemporalEnv();
  });
  after(() => t?.close());

  const start = (input: BanditWorkflowInput) =>
    t.client.workflow.start(banditWorkflow, {
      taskQueue: t.taskQueue,
      workflowId: banditWorkflowId(input.experimentId),
      args: [input],
    });

  /** What the experiments API holds for `experimentId` (read past any fault knob on it), or undefined before a PUT. */
  const published = async (experimentId: string): Promise<PublishedWeights | undefined> => {
    const res = await fetch(`${t.sim.url}/experiments/${experimentId}/weights?sim_errorRate=0`);
    if (res.status === 404) return undefined;
    assert.equal(res.status, 200, `GET weights of ${experimentId}`);
    return (await res.json()) as PublishedWeights;
  };
  const publishedVersion = (experimentId: string, version: number) =>
    pollUntil(
      `version ${version} of ${experimentId}'s weights at the experiments API`,
      async () => {
        const p = await published(experimentId);
        return p && p.version >= version ? p : undefined;
      },
      { timeoutMs: 30_000 },
    );

  const history = async (workflowId: string, runId?: string) =>
    t.client.workflow.getHandle(workflowId, runId).fetchHistory();
  const publications = (h: History) => activityRecords(h).filter((r) => r.activityType === 'publishWeights');
  /**
   * Timers of `seconds` duration (started, and fired if they fired). The entity runs two: its publication
   * tick (`publishEvery`) and the weights-on-evidence recompute pause (2 s); the tests give them different
   * durations to tell them apart.
   */
  const timersOf = (h: History, seconds: number) => {
    const events = h.events ?? [];
    const started = events.filter(
      (e) => Number(e.timerStartedEventAttributes?.startToFireTimeout?.seconds) === seconds,
    );
    const ids = new Set(started.map((e) => e.timerStartedEventAttributes?.timerId));
    const fired = events.filter((e) => ids.has(e.timerFiredEventAttributes?.timerId));
    return { started, fired };
  };
  const eventMs = (e: Event) => optionalTsToMs(e.eventTime) ?? NaN;

  test('weights are published on the publishEvery cadence, and only when outcomes arrived since', async () => {
    const id = 'timer-cadence';
    // 4 s ticks: unlike the 2 s recompute pause, and room for the weights to be computed before the first.
    const handle = await start({ experimentId: id, variants: ['a', 'b'], publishEvery: '4 seconds', seed: 1 });
    await handle.executeUpdate(recordOutcomeUpdate, { args: [{ variant: 'a', successes: 2 }] });

    // Weights on evidence: the query answers computed weights before any publication.
    const computed = await pollUntil('weights computed from the first outcomes', async () => {
      const w = await handle.query(weightsQuery);
      return w?.basedOnOutcomes === 2 ? w : undefined;
    });
    assert.equal(computed.publishedVersion, undefined, 'computed weights are not published ones');
    assert.equal(await published(id), undefined, 'nothing is published before the first tick');
    assert.equal(publications(await history(handle.workflowId)).length, 0);

    // Nothing but the timer publishes here: no publishNow update is sent and the entity is not stopped.
    const first = await publishedVersion(id, 1);
    assert.deepEqual(first.weights, computed.weights, 'the tick publishes the weights computed on evidence');
    const weights = await handle.query(weightsQuery);
    assert.equal(weights?.basedOnOutcomes, 2);
    assert.equal(weights?.publishedVersion, 1);
    assert.deepEqual(weights?.weights, first.weights);

    // Two more ticks with no new outcomes publish nothing.
    const ticks = timersOf(await history(handle.workflowId), 4).fired.length;
    await pollUntil(
      'two more ticks of the publication timer',
      async () => (timersOf(await history(handle.workflowId), 4).fired.length >= ticks + 2 ? true : undefined),
      { timeoutMs: 20_000 },
    );
    assert.equal((await published(id))?.version, 1);

    // A new outcome is weighed at once and published on the next tick, not before.
    await handle.executeUpdate(recordOutcomeUpdate, { args: [{ variant: 'b', failures: 1 }] });
    const recomputed = await pollUntil('weights computed from the new outcome', async () => {
      const w = await handle.query(weightsQuery);
      return w?.basedOnOutcomes === 3 ? w : undefined;
    });
    await publishedVersion(id, 2);
    const latest = await handle.query(weightsQuery);
    assert.equal(latest?.basedOnOutcomes, 3);
    assert.equal(latest?.publishedVersion, 2);
    assert.deepEqual(latest?.weights, recomputed.weights);

    const h = await history(handle.workflowId);
    const events = h.events ?? [];
    const publication = timersOf(h, 4);
    const recompute = timersOf(h, 2);
    assert.equal(
      publication.started.length + recompute.started.length,
      events.filter((e) => e.timerStartedEventAttributes).length,
      'every timer is a 4 s publication tick or a 2 s recompute pause',
    );
    assert.ok(publication.fired.length >= 4, `${publication.fired.length} publication ticks`);
    assert.ok(recompute.started.length >= 2, `${recompute.started.length} recompute pauses`);
    const fires = publication.fired.map(eventMs);
    for (let i = 1; i < fires.length; i++) {
      // The server never fires a timer early; each tick is a new 4 s timer started after the last one fired.
      assert.ok(
        fires[i]! - fires[i - 1]! >= 3_900,
        `tick ${i} came ${fires[i]! - fires[i - 1]!} ms after the previous one`,
      );
    }
    const pubs = publications(h);
    assert.deepEqual(
      pubs.map((r) => r.outcome),
      ['completed', 'completed'],
    );
    // Each publication follows a tick of its own: a publication tick fired after the previous one was scheduled.
    const tickIds = publication.fired.map((e) => Number(e.eventId));
    let previous = 0;
    for (const pub of pubs) {
      assert.ok(
        tickIds.some((id) => id > previous && id < pub.scheduledEventId),
        `a publication tick between events ${previous} and ${pub.scheduledEventId} (publishWeights)`,
      );
      previous = pub.scheduledEventId;
    }
    await handle.signal(stopSignal);
    const final = await handle.result();
    assert.equal(final.outcomes, 3);
  });

  test('a publication that fails after its retries is tried again on a later tick; the counts are kept', async () => {
    const id = 'timer-retry';
    const knob = `experiments.weights:${id}`;
    t.sim.setKnobs(knob, { errorRate: 1, errorStatus: 503 });
    try {
      const handle = await start({ experimentId: id, variants: ['a', 'b'], publishEvery: '1 second', seed: 2 });
      await handle.executeUpdate(recordOutcomeUpdate, { args: [{ variant: 'a', successes: 1, failures: 1 }] });

      // The activity's own policy (5 attempts, 1-8 s apart) gives up first: ~15 s of 503s.
      const failed = await pollUntil(
        'publishWeights to fail after its retries',
        async () => publications(await history(handle.workflowId)).find((r) => r.outcome === 'failed'),
        { timeoutMs: 60_000, intervalMs: 500 },
      );
      assert.equal(failed.attempt, 5);
      assert.match(failed.failure ?? '', /503/);
      assert.equal(await published(id), undefined);
      assert.equal((await handle.describe()).status.name, 'RUNNING', 'a failed publication does not end the entity');
      // Weights on evidence: computed at once, answered by the query, though not published.
      const unpublished = await handle.query(weightsQuery);
      assert.equal(unpublished?.basedOnOutcomes, 2);
      assert.equal(unpublished?.publishedVersion, undefined);

      t.sim.setKnobs(knob, undefined);
      const healed = await publishedVersion(id, 1);
      assert.deepEqual(Object.keys(healed.weights).sort(), ['a', 'b']);
      const weights = await handle.query(weightsQuery);
      assert.equal(weights?.basedOnOutcomes, 2);
      assert.deepEqual(weights?.weights, healed.weights);
      assert.equal(weights?.publishedVersion, 1);

      const h = await history(handle.workflowId);
      const outcomes = publications(h).map((r) => r.outcome);
      assert.equal(outcomes[0], 'failed');
      assert.equal(outcomes.at(-1), 'completed');
      assert.deepEqual(workflowTaskFailures(h), []);
      await handle.signal(stopSignal);
      assert.equal((await handle.result()).outcomes, 2);
      await saveHistory(t, handle.workflowId);
    } finally {
      t.sim.setKnobs(knob, undefined);
    }
  });

  test('continue-as-new while the publication timer is pending keeps the counts and publishes them in the new run', async () => {
    const id = 'timer-can';
    const handle = await start({
      experimentId: id,
      variants: ['a', 'b'],
      publishEvery: '5 seconds',
      continueAsNewAfterEvents: 10,
      seed: 3,
    });
    const firstRun = handle.firstExecutionRunId;
    // Each update adds about five events, and the weights computed on evidence a sampleWeights activity:
    // by the second or third update history crosses 10 and the entity continues as new, long before its
    // first 5 s tick. An update after that lands on the new run.
    let sent = 0;
    for (const variant of ['a', 'b', 'a']) {
      await handle.executeUpdate(recordOutcomeUpdate, { args: [{ variant, successes: 1 }] });
      sent++;
    }
    const latest = t.client.workflow.getHandle(handle.workflowId);
    const { runId } = await pollUntil('the entity to continue as new', async () => {
      const d = await latest.describe();
      return d.runId !== firstRun ? d : undefined;
    });
    const firstHistory = await history(handle.workflowId, firstRun);
    const events = firstHistory.events ?? [];
    assert.ok(
      events.some((e) => e.workflowExecutionContinuedAsNewEventAttributes),
      'the first run continued as new',
    );
    const tick = timersOf(firstHistory, 5);
    assert.equal(tick.started.length, 1, 'the first run had its publication timer running');
    assert.equal(tick.fired.length, 0, 'the first run continued as new before its publication timer fired');
    assert.equal(publications(firstHistory).length, 0);
    // Continuing as new with its sampleWeights still open failed the workflow task and the update in it.
    assert.deepEqual(workflowTaskFailures(firstHistory), []);

    assert.deepEqual(
      (await latest.query(posteriorsQuery)).map((p) => [p.variant, p.successes, p.failures]),
      [
        ['a', 2, 0],
        ['b', 1, 0],
      ],
    );
    // The outcomes the first run had not published yet are published by the new run's first tick.
    const weights = await publishedVersion(id, 1);
    assert.deepEqual(Object.keys(weights.weights).sort(), ['a', 'b']);
    assert.equal((await latest.query(weightsQuery))?.basedOnOutcomes, sent);

    await latest.signal(stopSignal);
    const final = await latest.result();
    assert.equal(final.outcomes, sent);
    assert.ok(final.generation >= 1, `generation ${final.generation}`);
    // With 10 events as the limit a later run may continue as new again before its tick (the refresh's
    // sampleWeights and the patch markers fill it): across the runs after the first, one publication.
    const later: Array<{ runId: string; publications: number }> = [];
    for (let next: string | undefined = runId; next;) {
      const h = await history(handle.workflowId, next);
      later.push({ runId: next, publications: publications(h).length });
      next =
        (h.events ?? []).find((e) => e.workflowExecutionContinuedAsNewEventAttributes)
          ?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
    }
    assert.equal(
      later.reduce((n, r) => n + r.publications, 0),
      1,
      `publications per run after the first: ${later.map((r) => r.publications).join(', ')}`,
    );
    const publisher = later.find((r) => r.publications === 1)!;
    // The run that published carried outcomes.
    await saveHistory(t, handle.workflowId, { runId: publisher.runId, name: 'bandit-timer-can-second-run' });
  });
  test('a stop that arrives while the entity waits to continue as new ends it; it is not carried into a new run and lost', async () => {
    const id = 'stop-during-can';
    const limit = 40;
    const hold = t.sim.hold({ route: 'experiments.weights' });
    try {
      const handle = await start({
        experimentId: id,
        variants: ['a', 'b'],
        publishEvery: '1 hour',
        continueAsNewAfterEvents: limit,
      });
      await handle.executeUpdate(recordOutcomeUpdate, { args: [{ variant: 'a', successes: 1 }] });
      // A publication in flight (its PUT held at the simulator): continue-as-new must wait for its handler.
      const publishing = handle.executeUpdate(publishNowUpdate).catch((err: unknown) => err);
      await hold.whenWaiting(1);
      for (let i = 0; (await handle.describe()).historyLength < limit + 5; i++)
        await handle.signal(outcomeSignal, { variant: i % 2 ? 'a' : 'b', failures: 1 });
      // History is past the limit, the last task done: the entity waits for the publication before continuing as new.
      await pollUntil('the entity idle past its event limit', async () => {
        const events = (await history(handle.workflowId)).events ?? [];
        return events.at(-1)?.workflowTaskCompletedEventAttributes ? true : undefined;
      });
      await handle.signal(stopSignal);
      hold.release();
      await publishing;
      // This run's own end (a continue-as-new rejects with WorkflowContinuedAsNewError instead of following it).
      const final = await t.client.workflow
        .getHandle(handle.workflowId, handle.firstExecutionRunId, { followRuns: false })
        .result();
      assert.equal(final.generation, 0, 'the run that was stopped ended, it did not continue as new');
      const described = await t.client.workflow.getHandle(banditWorkflowId(id)).describe();
      assert.equal(described.status.name, 'COMPLETED');
      assert.equal(described.runId, handle.firstExecutionRunId, 'no later run was started');
    } finally {
      hold.release();
    }
  });
});

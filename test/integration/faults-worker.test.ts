/**
 * Worker faults, with workers as real `viralflow worker` processes: one SIGKILLed in the middle of a
 * scrape fan-out and replaced, one SIGTERMed while its activities run. Either way the run completes
 * and the sink holds every account exactly once. And the worker that has a workflow cached SIGKILLed:
 * the workflow's next task moves to another worker after the sticky timeout.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { activityPolicies } from '../../src/workflows/policies';
import { scrapeAccountsWorkflow } from '../../src/workflows/scrape';
import { msToNumber, optionalTsToMs } from '@temporalio/common/lib/time';
import { DEFAULT_STICKY_QUEUE_TIMEOUT } from '../../src/worker';
import { activityRecords, workflowTaskFailures } from '../helpers/history-facts';
import { pollUntil } from '../helpers/poll';
import { startProcessEnv, type ProcessEnv } from '../helpers/process-env';
import { assertSinkExactlyOnce } from '../helpers/sink-files';
import type { WorkerProcess } from '../helpers/worker-process';

const SEED = 7; // startProcessEnv's simulator seed
const POSTS = 20; // per account, pages of 5: a profile and 4 page requests per account
const PAGE_LATENCY_MS = 300;
const HEARTBEAT_TIMEOUT_MS = msToNumber(activityPolicies.scrapeAccounts.heartbeatTimeout);
const STICKY_TIMEOUT_MS = msToNumber(DEFAULT_STICKY_QUEUE_TIMEOUT);

describe('worker faults: SIGKILL mid-fan-out, SIGTERM with activities in flight', () => {
  let t: ProcessEnv;
  before(async () => {
    t = await startProcessEnv({
      sim: { seed: SEED, postsPerAccount: POSTS, knobs: { 'social.posts': { latencyMs: PAGE_LATENCY_MS } } },
    });
  });
  after(() => t?.close());

  const accounts = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
  const postsRequests = () => t.sim.stats().routes['social.posts']?.requests ?? 0;
  const start = (workflowId: string, accountIds: string[]) =>
    t.client.workflow.start(scrapeAccountsWorkflow, {
      taskQueue: t.taskQueue,
      workflowId,
      args: [{ accountIds, batchSize: 10, maxConcurrentBatches: 2, pageSize: 5, retry: { initialInterval: '200ms' } }],
    });

  test(
    'SIGKILL in the middle of a fan-out: a new worker finishes it, every account exactly once',
    { timeout: 90_000 },
    async () => {
      t.sim.reset();
      const first = await t.startWorker();
      const ids = accounts('kill', 40); // 4 batches, 2 at a time, 160 page requests at 300 ms each
      const handle = await start('fault-kill', ids);
      // A third of the pages fetched: both first batches are mid-pagination, with heartbeats behind them.
      await pollUntil('a third of the pages', () => (postsRequests() >= 50 ? true : undefined), {
        timeoutMs: 30_000,
        intervalMs: 20,
      });
      const killedAt = Date.now();
      first.kill('SIGKILL');
      const exit = await first.exited;
      assert.equal(exit.signal, 'SIGKILL');
      const requestsAtKill = postsRequests();

      const second = await t.startWorker();
      const summary = await handle.result();
      const recoveredMs = Date.now() - killedAt;

      assert.equal(summary.scraped, 40);
      assert.equal(summary.failedTotal, 0);
      assert.equal(summary.posts, 40 * POSTS);
      assertSinkExactlyOnce(t.dataDir, summary.runKey, { accountIds: ids, seed: SEED, postsPerAccount: POSTS });

      const history = await handle.fetchHistory();
      assert.deepEqual(workflowTaskFailures(history), []);
      const activities = activityRecords(history);
      const retried = activities.filter((a) => (a.attempt ?? 1) > 1);
      assert.ok(retried.length >= 1, 'the kill landed on running activities, which were retried');
      for (const a of retried) assert.equal(a.identity, second.identity, 'the retry ran on the new worker');
      for (const a of activities) assert.equal(a.outcome, 'completed');
      // Detection: the server times out the lost attempts' heartbeats, then the retry starts on the new worker.
      const retryStartedMs = Math.min(...retried.map((a) => a.startedAt ?? Infinity)) - killedAt;
      assert.ok(retryStartedMs >= HEARTBEAT_TIMEOUT_MS - 1_000, `retry started ${retryStartedMs} ms after the kill`);
      // The lost attempts are noticed by their heartbeat timeout, then retried on the new worker.
      assert.ok(recoveredMs < HEARTBEAT_TIMEOUT_MS + 15_000, `recovered in ${recoveredMs} ms`);
      const total = postsRequests();
      // Resume from the last heartbeat: only pages after each in-flight account's checkpoint are fetched again.
      assert.ok(total <= 160 + 2 * 10 * 4, `${total} page requests for 160 pages`);
      console.log(
        `faults-worker: SIGKILL after ${requestsAtKill}/160 page requests; first retry started ${retryStartedMs} ms after the kill ` +
          `(heartbeatTimeout ${HEARTBEAT_TIMEOUT_MS} ms), completed ${recoveredMs} ms after it; ${retried.length} batch(es) retried on the new worker; ` +
          `${total} page requests in all (${total - 160} fetched again)`,
      );
      assert.deepEqual(await second.stop(), { code: 0, signal: null });
    },
  );

  test(
    'SIGTERM with activities running: they finish within the grace time, the process exits 0, another worker does the rest',
    { timeout: 90_000 },
    async () => {
      t.sim.reset();
      const leaving: WorkerProcess = await t.startWorker();
      const ids = accounts('term', 40);
      const handle = await start('fault-term', ids);
      // Wait until the leaving worker is running a batch (the server's own record of who runs what).
      await pollUntil(
        'an activity running on the worker to be stopped',
        async () => {
          const { raw } = await handle.describe();
          return raw.pendingActivities?.some((p) => p.lastWorkerIdentity === leaving.identity && p.lastStartedTime)
            ? true
            : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 50 },
      );
      const staying = t.startWorker(); // starts up while the leaving one drains
      const termAt = Date.now();
      leaving.kill('SIGTERM');
      const exit = await leaving.exited;
      const drainedMs = Date.now() - termAt;
      assert.deepEqual(exit, { code: 0, signal: null }, `exit status; output:\n${leaving.output().slice(-2000)}`);
      assert.ok(drainedMs < 10_000 + 5_000, `drained in ${drainedMs} ms (shutdownGraceTime 10 s)`);
      const other = await staying;

      const summary = await handle.result();
      assert.equal(summary.scraped, 40);
      assert.equal(summary.failedTotal, 0);
      assertSinkExactlyOnce(t.dataDir, summary.runKey, { accountIds: ids, seed: SEED, postsPerAccount: POSTS });

      const history = await handle.fetchHistory();
      assert.deepEqual(workflowTaskFailures(history), []);
      const activities = activityRecords(history);
      // Nothing was cut off and retried elsewhere: every batch completed in its first attempt.
      for (const a of activities)
        assert.deepEqual([a.outcome, a.attempt], ['completed', 1], `batch scheduled as event ${a.scheduledEventId}`);
      const finishedByLeaving = activities.filter((a) => a.identity === leaving.identity);
      const drained = finishedByLeaving.filter((a) => (a.closedAt ?? 0) >= termAt - 50);
      assert.ok(drained.length >= 1, 'the stopped worker completed, after the SIGTERM, what it had started');
      assert.ok(
        activities.some((a) => a.identity === other.identity),
        'the remaining batches ran on the other worker',
      );
      console.log(
        `faults-worker: SIGTERM -> exit 0 in ${drainedMs} ms, ${drained.length} batch(es) finished during the drain, ` +
          `${activities.filter((a) => a.identity === other.identity).length} on the other worker`,
      );
      assert.deepEqual(await other.stop(), { code: 0, signal: null });
    },
  );

  test(
    'SIGTERM with an activity longer than the grace time: it is cut off after 10 s and retried on the other worker, still exactly once',
    { timeout: 90_000 },
    async () => {
      t.sim.reset();
      // 3 pages of 4 s per account: 12 s of work per batch, past the 10 s shutdownGraceTime.
      t.sim.setKnobs('social.posts', { latencyMs: 4_000 });
      const leaving = await t.startWorker();
      const ids = accounts('long', 6);
      const handle = await t.client.workflow.start(scrapeAccountsWorkflow, {
        taskQueue: t.taskQueue,
        workflowId: 'fault-term-long',
        args: [{ accountIds: ids, batchSize: 6, pageSize: 7, retry: { initialInterval: '200ms' } }],
      });
      await pollUntil(
        'the batch running on the worker to be stopped, past its first pages',
        async () => {
          const { raw } = await handle.describe();
          const running = raw.pendingActivities?.some(
            (p) => p.lastWorkerIdentity === leaving.identity && p.lastStartedTime,
          );
          return running && postsRequests() >= ids.length ? true : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 50 },
      );
      const staying = t.startWorker();
      const termAt = Date.now();
      leaving.kill('SIGTERM');
      const exit = await leaving.exited;
      const drainedMs = Date.now() - termAt;
      const other = await staying;
      const summary = await handle.result();
      const doneMs = Date.now() - termAt;
      t.sim.setKnobs('social.posts', { latencyMs: PAGE_LATENCY_MS });

      assert.deepEqual(exit, { code: 0, signal: null }, `exit status; output:\n${leaving.output().slice(-2000)}`);
      assert.ok(
        drainedMs >= 9_000 && drainedMs < 10_000 + 5_000,
        `the worker waited the grace time, then stopped: ${drainedMs} ms`,
      );
      assert.equal(summary.scraped, ids.length);
      assertSinkExactlyOnce(t.dataDir, summary.runKey, { accountIds: ids, seed: SEED, postsPerAccount: POSTS });
      const history = await handle.fetchHistory();
      assert.deepEqual(workflowTaskFailures(history), []);
      const [batch] = activityRecords(history);
      assert.equal(batch!.outcome, 'completed');
      assert.equal(batch!.attempt, 2, 'cut off at the end of the grace time, then retried');
      assert.equal(batch!.identity, other.identity);
      console.log(
        `faults-worker: SIGTERM during a 12 s batch -> exit 0 after ${drainedMs} ms (grace 10 s); retried on the other worker, ` +
          `run done ${doneMs} ms after the SIGTERM; ${postsRequests()} page requests for ${ids.length * 3} pages`,
      );
      assert.deepEqual(await other.stop(), { code: 0, signal: null });
    },
  );

  test(
    'SIGKILL of the worker holding a workflow in its cache: the next workflow task runs elsewhere after the sticky timeout',
    { timeout: 90_000 },
    async () => {
      t.sim.reset();
      // Workflows on two workers, activities on a third, so the kill takes the workflow's cache and no activity.
      const roles = {
        workflows: { VIRALFLOW_WORKER_ROLE: 'workflows' },
        activities: { VIRALFLOW_WORKER_ROLE: 'activities' },
      };
      const [one, two, activities] = await Promise.all([
        t.startWorker(roles.workflows),
        t.startWorker(roles.workflows),
        t.startWorker(roles.activities),
      ]);
      const ids = accounts('sticky', 6); // 3 batches one after another, ~1.5 s each
      const handle = await t.client.workflow.start(scrapeAccountsWorkflow, {
        taskQueue: t.taskQueue,
        workflowId: 'fault-kill-sticky',
        args: [{ accountIds: ids, batchSize: 2, maxConcurrentBatches: 1, pageSize: 5 }],
      });
      await pollUntil(
        'the first batch running',
        async () => {
          const { raw } = await handle.describe();
          return raw.pendingActivities?.some((p) => p.lastStartedTime) ? true : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 20 },
      );
      // The worker that completed the last workflow task has the workflow cached: its next task goes there.
      const completedBy = (await handle.fetchHistory()).events
        ?.filter((e) => e.workflowTaskCompletedEventAttributes)
        .at(-1)?.workflowTaskCompletedEventAttributes?.identity;
      const [holder, survivor] = completedBy === one.identity ? [one, two] : [two, one];
      assert.equal(holder.identity, completedBy, 'only the workflow workers of this test poll the task queue');
      const killedAt = Date.now();
      holder.kill('SIGKILL');
      await holder.exited;

      const summary = await handle.result();
      assert.equal(summary.scraped, ids.length);
      const events = (await handle.fetchHistory()).events ?? [];
      const at = (e: (typeof events)[number]) => optionalTsToMs(e.eventTime) ?? 0;
      // The batch running at the kill completes; the workflow task it schedules waits on the dead worker's
      // sticky queue, times out there, and is started by the survivor.
      const completed = events.find((e) => e.activityTaskCompletedEventAttributes && at(e) >= killedAt)!;
      const nextStarted = events.find(
        (e) => e.workflowTaskStartedEventAttributes && Number(e.eventId) > Number(completed.eventId),
      )!;
      assert.equal(nextStarted.workflowTaskStartedEventAttributes?.identity, survivor.identity);
      assert.ok(
        events.some((e) => Number(e.eventId) > Number(completed.eventId) && e.workflowTaskTimedOutEventAttributes),
        'the task first waited on the sticky queue of the dead worker',
      );
      const waitedMs = at(nextStarted) - at(completed);
      assert.ok(
        waitedMs >= STICKY_TIMEOUT_MS - 500 && waitedMs < STICKY_TIMEOUT_MS + 2_000,
        `next workflow task started ${waitedMs} ms after the batch completed (sticky timeout ${STICKY_TIMEOUT_MS} ms)`,
      );
      console.log(
        `faults-worker: SIGKILL of the workflow's cache holder; its next workflow task started on the other worker ${waitedMs} ms ` +
          `after it was due (sticky timeout ${STICKY_TIMEOUT_MS} ms; the SDK's default is 10 s)`,
      );
      await Promise.all([survivor.stop(), activities.stop()]);
    },
  );
});

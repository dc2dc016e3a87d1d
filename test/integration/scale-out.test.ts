/**
 * Scaling out: two workers (each with its own server connection, HTTP pool and metrics, as two
 * processes would have) poll one task queue, and a fan-out of runs is shared between them. Where
 * each activity ran is read from the server's own record, the workflow histories.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { healthCheckWorkflow } from '../../src/workflows/health-check';
import { startExtraWorker, type ExtraWorker } from '../helpers/extra-worker';
import { startTemporalEnv, type TemporalEnv } from '../helpers/temporal-env';

const RUNS = 30;
const UPSTREAM_LATENCY_MS = 50;

describe('scale-out: two workers on one task queue', () => {
  let t: TemporalEnv;
  let second: ExtraWorker;

  before(async () => {
    t = await startTemporalEnv({ sim: { knobs: { 'services.health': { latencyMs: UPSTREAM_LATENCY_MS } } } });
    second = await startExtraWorker(t, `scale-out-b-${process.pid}`);
  });
  after(async () => {
    await second?.close();
    await t?.close();
  });

  test(`${RUNS} concurrent health checks run their activities on both workers`, async () => {
    const first = t.worker.worker.options.identity;
    assert.notEqual(first, second.identity);

    const ids = Array.from({ length: RUNS }, (_, i) => `scale-out-${i}`);
    const started = performance.now();
    const reports = await Promise.all(
      ids.map((workflowId) =>
        t.client.workflow.execute(healthCheckWorkflow, {
          taskQueue: t.taskQueue,
          workflowId,
          args: [{ timeoutMs: 2_000 }],
        }),
      ),
    );
    const elapsedMs = performance.now() - started;
    assert.ok(
      reports.every((r) => r.available.length === 5),
      'every run saw all five services',
    );

    const ranOn = new Map<string, number>();
    for (const workflowId of ids) {
      const history = await t.client.workflow.getHandle(workflowId).fetchHistory();
      const starts = (history.events ?? []).filter((e) => e.activityTaskStartedEventAttributes);
      assert.equal(starts.length, 1, `${workflowId}: one activity attempt`);
      const identity = starts[0]!.activityTaskStartedEventAttributes!.identity ?? '';
      ranOn.set(identity, (ranOn.get(identity) ?? 0) + 1);
    }
    console.log(
      `scale-out: ${RUNS} runs in ${Math.round(elapsedMs)} ms; activities per worker: ${JSON.stringify(Object.fromEntries(ranOn))}`,
    );
    assert.deepEqual(
      [...ranOn.keys()].sort(),
      [first, second.identity].sort(),
      'activities ran on exactly these two workers',
    );
    for (const [identity, count] of ranOn) assert.ok(count >= 2, `${identity} took a real share (${count} of ${RUNS})`);

    // Each worker's own histogram counts exactly the executions the server says it ran.
    const successes = async (registry: typeof t.metrics.registry) => {
      const metric = await registry.getSingleMetric('viralflow_activity_execution_seconds')!.get();
      return (
        metric.values
          // A histogram's get() lists bucket, sum and count samples, told apart by metricName.
          .filter((v) => (v as { metricName?: string }).metricName?.endsWith('_count'))
          .filter((v) => v.labels.activity === 'checkHealth' && v.labels.outcome === 'success')
          .reduce((sum, v) => sum + v.value, 0)
      );
    };
    assert.equal(await successes(t.metrics.registry), ranOn.get(first));
    assert.equal(await successes(second.metrics.registry), ranOn.get(second.identity));
  });
});

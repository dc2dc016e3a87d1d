import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, ActivityFailure } from '@temporalio/common';
import { startMetricsServer } from '../../src/metrics/server';
import { healthCheckWorkflow } from '../../src/workflows/health-check';
import { saveHistory } from '../helpers/histories';
import { startTemporalEnv, type TemporalEnv } from '../helpers/temporal-env';

describe('healthCheckWorkflow on a real Temporal dev server', () => {
  let t: TemporalEnv;
  before(async () => {
    t = await startTemporalEnv();
  });
  after(() => t?.close());

  const execute = (input: object, id: string) =>
    t.client.workflow.execute(healthCheckWorkflow, { taskQueue: t.taskQueue, workflowId: id, args: [input] });

  test('runs the activity through the server and reports a down service', async () => {
    t.sim.setKnobs('services.health:billing', { errorRate: 1 });
    const report = await execute({ timeoutMs: 1_000 }, 'health-1');
    assert.deepEqual(report.unavailable, ['billing']);
    assert.equal(report.available.length, 4);
    t.sim.reset();
    await saveHistory(t, 'health-1');
  });

  test('bad input fails the workflow with a non-retryable failure, attempted once', async () => {
    const before = t.sim.stats().requests;
    await assert.rejects(execute({ services: ['nope'] }, 'health-bad'), (err: unknown) => {
      assert.ok(err instanceof WorkflowFailedError);
      assert.ok(err.cause instanceof ActivityFailure);
      assert.ok(err.cause.cause instanceof ApplicationFailure);
      assert.equal(err.cause.cause.type, 'InvalidInput');
      assert.match(err.cause.cause.message, /services\.0/);
      return true;
    });
    assert.equal(t.sim.stats().requests, before, 'no upstream call for bad input');
    const history = await t.client.workflow.getHandle('health-bad').fetchHistory();
    const scheduled = history.events?.filter((e) => e.activityTaskScheduledEventAttributes).length;
    const failedAttempt = history.events?.find(
      (e) => e.activityTaskFailedEventAttributes,
    )?.activityTaskFailedEventAttributes;
    assert.equal(scheduled, 1);
    assert.equal(failedAttempt?.retryState, 2 /* RETRY_STATE_NON_RETRYABLE_FAILURE */);
  });

  test('the interceptor records each execution in the histogram, served as Prometheus text', async () => {
    const server = await startMetricsServer(t.metrics.registry, '127.0.0.1', 0);
    try {
      const res = await fetch(server.url);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      const text = await res.text();
      assert.match(text, /^# TYPE viralflow_activity_execution_seconds histogram$/m);
      assert.match(text, /^viralflow_activity_execution_seconds_count\{activity="checkHealth",outcome="success"\} 1$/m);
      assert.match(text, /^viralflow_activity_execution_seconds_count\{activity="checkHealth",outcome="failure"\} 1$/m);
      assert.match(
        text,
        /^viralflow_activity_execution_seconds_bucket\{le="\+Inf",activity="checkHealth",outcome="success"\} 1$/m,
      );
      assert.match(text, /^viralflow_http_requests_total\{origin="http:\/\/127\.0\.0\.1:\d+",status="503"\} 1$/m);
      assert.match(text, /^viralflow_http_connection_reuse_ratio\{origin="http:\/\/127\.0\.0\.1:\d+"\} /m);
    } finally {
      await server.close();
    }
  });
});

/** Throughput at saturation through a real Temporal server, with one worker polling the queue. */
import type { Client } from '@temporalio/client';
import type { ThroughputResult } from '../results-model';
import { SERVICES } from '../workload';
import { activitySpans } from './history';
import type { benchEmptyWorkflow, benchFanOutNoopWorkflow } from './workflows';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/**
 * `workflows` workflows each scheduling `perWorkflow` no-op activities at once; activities per second
 * from the first ActivityTaskScheduled to the last ActivityTaskCompleted over all their histories.
 * Several workflows rather than one huge fan-out: a workflow may hold at most 2,000 pending activities.
 */
export async function activityThroughput(
  client: Client,
  taskQueue: string,
  workflows: number,
  perWorkflow: number,
): Promise<ThroughputResult> {
  const stamp = Date.now();
  const handles = await Promise.all(
    range(workflows).map((i) =>
      client.workflow.start<typeof benchFanOutNoopWorkflow>('benchFanOutNoopWorkflow', {
        taskQueue,
        workflowId: `bench-fanout-${stamp}-${i}`,
        args: [perWorkflow],
      }),
    ),
  );
  await Promise.all(handles.map((h) => h.result()));
  const spans = (await Promise.all(handles.map((h) => h.fetchHistory()))).flatMap(activitySpans);
  const first = Math.min(...spans.map((s) => s.scheduledMs));
  const last = Math.max(...spans.map((s) => s.closedMs));
  const seconds = (last - first) / 1000;
  return {
    what: `no-op activities: ${workflows} workflows × ${perWorkflow} scheduled at once`,
    count: spans.length,
    seconds,
    perSecond: spans.length / seconds,
    source: 'history: first ActivityTaskScheduled → last ActivityTaskCompleted',
  };
}

/** `count` workflows started at once, measured at the client from the first start to the last result. */
export async function workflowThroughput(
  client: Client,
  taskQueue: string,
  type: 'benchEmptyWorkflow' | 'healthCheckWorkflow',
  count: number,
): Promise<ThroughputResult> {
  const stamp = Date.now();
  const started = performance.now();
  const handles = await Promise.all(
    range(count).map((i) =>
      type === 'benchEmptyWorkflow'
        ? client.workflow.start<typeof benchEmptyWorkflow>('benchEmptyWorkflow', {
            taskQueue,
            workflowId: `bench-empty-${stamp}-${i}`,
            args: [],
          })
        : client.workflow.start('healthCheckWorkflow', {
            taskQueue,
            workflowId: `bench-health-${stamp}-${i}`,
            args: [{}],
          }),
    ),
  );
  await Promise.all(handles.map((h) => h.result()));
  const seconds = (performance.now() - started) / 1000;
  return {
    what:
      type === 'benchEmptyWorkflow'
        ? `empty workflows (no activity), ${count} started at once`
        : `healthCheckWorkflow (1 activity, ${SERVICES.length} upstream checks at L), ${count} started at once`,
    count,
    seconds,
    perSecond: count / seconds,
    source: 'client: first start() → last result()',
  };
}

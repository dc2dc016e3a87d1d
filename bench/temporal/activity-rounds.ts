/**
 * Activity dispatches on a workflow's critical path, read from its history and its awaited children's
 * (ids `<parent id>/…`, as the pipeline names them; the bandit it only starts is not waited for). Within
 * one history an activity counts as after every activity that closed before it was scheduled, so a
 * sliding window of 4 batches over 10 is 3 rounds; children run one after another in the pipeline.
 */
import type { Client } from '@temporalio/client';
import { activitySpans, type ActivitySpan } from './history';

type History = Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['fetchHistory']>>;

export function activityRounds(spans: ActivitySpan[]): number {
  const sorted = [...spans].sort((a, b) => a.scheduledMs - b.scheduledMs);
  const depth: number[] = [];
  sorted.forEach((s, i) => {
    let before = 0;
    for (let j = 0; j < i; j++) if (sorted[j]!.closedMs <= s.scheduledMs) before = Math.max(before, depth[j]!);
    depth.push(before + 1);
  });
  return Math.max(0, ...depth);
}

export async function criticalActivityRounds(client: Client, workflowId: string, history: History): Promise<number> {
  let rounds = activityRounds(activitySpans(history));
  for (const e of history.events ?? []) {
    const child = e.childWorkflowExecutionCompletedEventAttributes?.workflowExecution;
    if (!child?.workflowId?.startsWith(`${workflowId}/`)) continue;
    const childHistory = await client.workflow.getHandle(child.workflowId, child.runId ?? undefined).fetchHistory();
    rounds += await criticalActivityRounds(client, child.workflowId, childHistory);
  }
  return rounds;
}

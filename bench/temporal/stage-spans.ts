/** Where a pipeline's time goes: each activity and awaited child of its history, scheduled/initiated → completed. */
import type { WorkflowHandle } from '@temporalio/client';
import type { StageSpan } from '../results-model';
import { idOf, timestampMs } from './history';

type History = Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;

export function stageSpans(history: History): StageSpan[] {
  const begun = new Map<number, { stage: string; ms: number }>();
  const spans: StageSpan[] = [];
  for (const e of history.events ?? []) {
    const t = timestampMs(e.eventTime);
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) begun.set(idOf(e.eventId), { stage: scheduled.activityType?.name ?? 'activity', ms: t });
    const initiated = e.startChildWorkflowExecutionInitiatedEventAttributes;
    if (initiated) begun.set(idOf(e.eventId), { stage: initiated.workflowType?.name ?? 'child workflow', ms: t });
    const from =
      begun.get(idOf(e.activityTaskCompletedEventAttributes?.scheduledEventId)) ??
      begun.get(idOf(e.childWorkflowExecutionCompletedEventAttributes?.initiatedEventId));
    if (from && (e.activityTaskCompletedEventAttributes || e.childWorkflowExecutionCompletedEventAttributes))
      spans.push({ stage: from.stage, ms: t - from.ms });
  }
  return spans;
}

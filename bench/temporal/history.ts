/** Timings read from workflow histories: server event times, so neither the client nor the worker clock is involved. */
import type { WorkflowHandle } from '@temporalio/client';

type History = Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;
type HistoryEvent = NonNullable<History['events']>[number];
type Timestamp = { seconds?: { toNumber(): number } | number | null; nanos?: number | null } | null | undefined;
type EventId = { toNumber(): number } | number | null | undefined;

export function timestampMs(ts: Timestamp): number {
  if (!ts) throw new Error('history event without a time');
  const seconds = typeof ts.seconds === 'number' ? ts.seconds : (ts.seconds?.toNumber() ?? 0);
  return seconds * 1000 + (ts.nanos ?? 0) / 1e6;
}

export const idOf = (id: EventId): number => (typeof id === 'number' ? id : (id?.toNumber() ?? -1));

export interface ActivitySpan {
  scheduledMs: number;
  /** When a worker's poll took the task (ActivityTaskStarted): scheduled → started is the server's dispatch. */
  startedMs: number;
  closedMs: number;
}

/** ActivityTaskScheduled → ActivityTaskStarted → ActivityTaskCompleted per completed activity, in scheduling order. */
export function activitySpans(history: History): ActivitySpan[] {
  const events: HistoryEvent[] = history.events ?? [];
  const times = new Map<number, number>();
  const spans: Array<ActivitySpan & { order: number }> = [];
  for (const e of events) {
    if (e.activityTaskScheduledEventAttributes || e.activityTaskStartedEventAttributes)
      times.set(idOf(e.eventId), timestampMs(e.eventTime));
    const completed = e.activityTaskCompletedEventAttributes;
    if (completed) {
      const scheduledId = idOf(completed.scheduledEventId);
      const scheduledMs = times.get(scheduledId);
      const startedMs = times.get(idOf(completed.startedEventId));
      if (scheduledMs !== undefined && startedMs !== undefined) {
        spans.push({ scheduledMs, startedMs, closedMs: timestampMs(e.eventTime), order: scheduledId });
      }
    }
  }
  return spans
    .sort((a, b) => a.order - b.order)
    .map(({ scheduledMs, startedMs, closedMs }) => ({ scheduledMs, startedMs, closedMs }));
}

/** WorkflowExecutionStarted -> WorkflowExecutionCompleted. */
export function workflowSpanMs(history: History): number {
  const events = history.events ?? [];
  const started = events.find((e) => e.workflowExecutionStartedEventAttributes);
  const completed = events.find((e) => e.workflowExecutionCompletedEventAttributes);
  if (!started || !completed) throw new Error('history has no start or no completion');
  return timestampMs(completed.eventTime) - timestampMs(started.eventTime);
}

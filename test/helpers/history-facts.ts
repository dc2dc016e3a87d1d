import type { WorkflowHandle } from '@temporalio/client';
import { optionalTsToMs } from '@temporalio/common/lib/time';

type History = Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;
type Event = NonNullable<History['events']>[number];
type Failure = NonNullable<NonNullable<Event['activityTaskFailedEventAttributes']>['failure']>;

/** One activity as the server recorded it: only the last attempt's start is written to history. */
export interface ActivityRecord {
  activityType: string;
  scheduledEventId: number;
  startToCloseTimeoutMs?: number;
  heartbeatTimeoutMs?: number;
  /** Attempt number of the last (recorded) attempt. */
  attempt?: number;
  identity?: string;
  startedAt?: number;
  closedAt?: number;
  outcome: 'completed' | 'failed' | 'timedOut' | 'canceled' | 'open';
  /** Message of the failure (failed or timed out), and of its cause chain, joined. */
  failure?: string;
  failureType?: string;
}

const time = (e: Event | undefined) => optionalTsToMs(e?.eventTime);
const id = (v: unknown) => Number(v ?? 0);

/** Every activity in a history with its last attempt's start and end. */
export function activityRecords(history: History | undefined): ActivityRecord[] {
  const events = history?.events ?? [];
  const records = new Map<number, ActivityRecord>();
  for (const e of events) {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) {
      records.set(id(e.eventId), {
        activityType: scheduled.activityType?.name ?? '',
        scheduledEventId: id(e.eventId),
        startToCloseTimeoutMs: optionalTsToMs(scheduled.startToCloseTimeout),
        heartbeatTimeoutMs: optionalTsToMs(scheduled.heartbeatTimeout),
        outcome: 'open',
      });
      continue;
    }
    const started = e.activityTaskStartedEventAttributes;
    if (started) {
      const r = records.get(id(started.scheduledEventId));
      if (r)
        Object.assign(r, {
          attempt: started.attempt ?? undefined,
          identity: started.identity ?? undefined,
          startedAt: time(e),
        });
      continue;
    }
    const closed =
      (e.activityTaskCompletedEventAttributes && {
        outcome: 'completed' as const,
        attrs: e.activityTaskCompletedEventAttributes,
      }) ||
      (e.activityTaskFailedEventAttributes && {
        outcome: 'failed' as const,
        attrs: e.activityTaskFailedEventAttributes,
      }) ||
      (e.activityTaskTimedOutEventAttributes && {
        outcome: 'timedOut' as const,
        attrs: e.activityTaskTimedOutEventAttributes,
      }) ||
      (e.activityTaskCanceledEventAttributes && {
        outcome: 'canceled' as const,
        attrs: e.activityTaskCanceledEventAttributes,
      });
    if (closed) {
      const r = records.get(id(closed.attrs.scheduledEventId));
      if (!r) continue;
      r.outcome = closed.outcome;
      r.closedAt = time(e);
      const failure = 'failure' in closed.attrs ? closed.attrs.failure : undefined;
      if (failure) {
        r.failure = failureChain(failure);
        r.failureType =
          failure.applicationFailureInfo?.type ?? failure.cause?.applicationFailureInfo?.type ?? undefined;
      }
    }
  }
  return [...records.values()];
}

function failureChain(f: Failure | null | undefined): string {
  const parts: string[] = [];
  for (let cur = f; cur; cur = cur.cause) parts.push(cur.message ?? '');
  return parts.join(' <- ');
}

/** Workflow tasks that failed (a non-determinism, or a workflow-code crash the SDK retries forever). */
export function workflowTaskFailures(history: History | undefined): string[] {
  return (history?.events ?? [])
    .map((e) => e.workflowTaskFailedEventAttributes)
    .filter((a) => a !== undefined && a !== null)
    .map((a) => `${String(a.cause)}: ${a.failure?.message ?? ''}`);
}

/** The workflow's closing failure, its message and its cause chain, or undefined when it did not fail. */
export function workflowFailure(history: History | undefined): { type?: string; message: string } | undefined {
  const failed = (history?.events ?? []).find(
    (e) => e.workflowExecutionFailedEventAttributes,
  )?.workflowExecutionFailedEventAttributes;
  if (!failed?.failure) return undefined;
  let type: string | undefined;
  for (let cur: typeof failed.failure | null | undefined = failed.failure; cur; cur = cur.cause)
    type ??= cur.applicationFailureInfo?.type ?? undefined;
  return { type, message: failureChain(failed.failure) };
}

import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  type ScheduleDescription,
  type ScheduleExecutionResult,
  type ScheduleHandle,
  type ScheduleOverlapPolicy,
  type ScheduleSpec,
} from '@temporalio/client';
import { startSummary } from '../workflows/summaries';
import type { TemporalSession } from './connect';
import { isTimeZone, parseCron } from './cron';
import { parseDuration } from './duration';
import { NoSuchScheduleError, ScheduleExistsError, UsageError } from './errors';
import { cronsFromSpec, specFromCron } from './schedule-spec';
import { scheduleLink } from './web-ui';
import { resolveWorkflow, shortNameOf, type WorkflowName } from './workflow-types';

/** `--overlap` spellings: what happens when a run is due while the previous one still runs. */
export const OVERLAP_POLICIES = {
  skip: 'SKIP',
  'buffer-one': 'BUFFER_ONE',
  'buffer-all': 'BUFFER_ALL',
  'cancel-other': 'CANCEL_OTHER',
  'terminate-other': 'TERMINATE_OTHER',
  'allow-all': 'ALLOW_ALL',
} as const satisfies Record<string, ScheduleOverlapPolicy>;

export type OverlapName = keyof typeof OVERLAP_POLICIES;

export interface CreateScheduleOptions {
  scheduleId: string;
  /** Short name or workflow type. */
  workflow: string;
  /** Temporal cron (see cron.ts); validated before the server is called. */
  cron: string;
  /** The workflow's one argument, the same for every run. */
  input?: object;
  /** Default `skip`. */
  overlap?: OverlapName;
  /** Random delay added to each run: `30s`, or milliseconds. */
  jitter?: string | number;
  /** IANA zone the cron is read in (default UTC). */
  timezone?: string;
  paused?: boolean;
  note?: string;
}

export interface ScheduleRun {
  workflowId: string;
  runId: string;
  scheduledAt: string;
  takenAt: string;
}

export interface ScheduleInfo {
  scheduleId: string;
  workflowType: string;
  name?: WorkflowName;
  /** The cron expressions as given (rebuilt from the calendar for schedules made elsewhere). */
  cron: string[];
  timezone?: string;
  jitterMs?: number;
  overlap?: string;
  paused: boolean;
  note?: string;
  taskQueue?: string;
  input?: unknown;
  nextRuns: string[];
  recentRuns: ScheduleRun[];
  /** IDs of runs in progress (from describe; listings do not carry them). */
  running?: string[];
  actionsTaken?: number;
  skippedOverlap?: number;
  link: string;
}

/**
 * The checks createSchedule makes before calling the server (workflow name, cron, time zone, jitter,
 * overlap), for callers that want them before even connecting, as the CLI does.
 */
export function prepareSchedule(options: CreateScheduleOptions): {
  type: string;
  spec: ScheduleSpec;
  overlap: ScheduleOverlapPolicy;
} {
  if (!options.scheduleId.trim()) throw new UsageError('a schedule needs a non-empty ID');
  return {
    type: resolveWorkflow(options.workflow).type,
    spec: scheduleSpec(options.cron, options.timezone, options.jitter),
    overlap: overlapPolicy(options.overlap ?? 'skip'),
  };
}

/**
 * Creates a schedule whose action starts the workflow on the session's task queue. Runs get IDs from the
 * schedule: `<scheduleId>-<scheduled time>`. Cron, time zone, jitter and overlap are checked first;
 * a bad one never reaches the server.
 */
export async function createSchedule(session: TemporalSession, options: CreateScheduleOptions): Promise<ScheduleInfo> {
  const { type, spec, overlap } = prepareSchedule(options);
  try {
    const handle = await session.client.schedule.create({
      scheduleId: options.scheduleId,
      spec,
      action: {
        type: 'startWorkflow',
        workflowType: type,
        taskQueue: session.taskQueue,
        workflowId: options.scheduleId,
        args: [options.input ?? {}],
        ...withSummary(type, options.input ?? {}),
      },
      policies: { overlap },
      state: { paused: options.paused ?? false, ...(options.note && { note: options.note }) },
    });
    return info(session, await handle.describe());
  } catch (err) {
    if (err instanceof ScheduleAlreadyRunning) throw new ScheduleExistsError(options.scheduleId, { cause: err });
    throw err;
  }
}

export async function describeSchedule(session: TemporalSession, scheduleId: string): Promise<ScheduleInfo> {
  return info(session, await withSchedule(session, scheduleId, (handle) => handle.describe()));
}

/** Every schedule in the namespace (the listing is eventually consistent: a new schedule may take a moment to appear). */
export async function listSchedules(session: TemporalSession): Promise<ScheduleInfo[]> {
  const out: ScheduleInfo[] = [];
  for await (const s of session.client.schedule.list()) {
    const name = s.action && shortNameOf(s.action.workflowType);
    out.push({
      scheduleId: s.scheduleId,
      workflowType: s.action?.workflowType ?? '',
      ...(name && { name }),
      cron: cronsFromSpec(s.spec),
      ...(s.spec?.timezone && { timezone: s.spec.timezone }),
      paused: s.state.paused,
      ...(s.state.note && { note: s.state.note }),
      nextRuns: s.info.nextActionTimes.map((d) => d.toISOString()),
      recentRuns: s.info.recentActions.map(run),
      link: scheduleLink(session.uiUrl, session.namespace, s.scheduleId),
    });
  }
  return out;
}

export async function pauseSchedule(session: TemporalSession, scheduleId: string, note?: string): Promise<void> {
  await withSchedule(session, scheduleId, (handle) => handle.pause(note ?? 'paused with viralflow'));
}

export async function unpauseSchedule(session: TemporalSession, scheduleId: string, note?: string): Promise<void> {
  await withSchedule(session, scheduleId, (handle) => handle.unpause(note ?? 'unpaused with viralflow'));
}

/**
 * Runs the action now. Unlike the SDK's default (allow-all), the schedule's own overlap policy applies
 * unless one is given, so triggering a `skip` schedule while its run is in progress does nothing.
 */
export async function triggerSchedule(
  session: TemporalSession,
  scheduleId: string,
  overlap?: OverlapName,
): Promise<void> {
  await withSchedule(session, scheduleId, async (handle) => {
    const policy = overlap ? overlapPolicy(overlap) : (await handle.describe()).policies.overlap;
    await handle.trigger(policy);
  });
}

export interface BackfillOptions {
  start: Date;
  end: Date;
  /** Default: the schedule's own policy (with `skip`, runs due while one is in progress are dropped). */
  overlap?: OverlapName;
}

/** Takes the actions the schedule would have taken between start and end, now. */
export async function backfillSchedule(
  session: TemporalSession,
  scheduleId: string,
  options: BackfillOptions,
): Promise<void> {
  for (const [name, date] of [
    ['start', options.start],
    ['end', options.end],
  ] as const) {
    if (Number.isNaN(date.getTime())) throw new UsageError(`backfill ${name} is not a valid date`);
  }
  if (options.end <= options.start) throw new UsageError('backfill end must be after its start');
  const overlap = options.overlap && overlapPolicy(options.overlap);
  await withSchedule(session, scheduleId, async (handle) => {
    const policy = overlap ?? (await handle.describe()).policies.overlap;
    await handle.backfill({ start: options.start, end: options.end, overlap: policy });
  });
}

export interface UpdateScheduleOptions {
  workflow?: string;
  cron?: string;
  input?: object;
  overlap?: OverlapName;
  jitter?: string | number;
  timezone?: string;
  note?: string;
}

/** updateSchedule's checks, made before the server is called (the CLI makes them before connecting). */
export function prepareScheduleUpdate(changes: UpdateScheduleOptions): {
  type?: string;
  overlap?: ScheduleOverlapPolicy;
  jitterMs?: number;
} {
  if (changes.timezone !== undefined && !isTimeZone(changes.timezone))
    throw new UsageError(`unknown time zone "${changes.timezone}"`);
  // The cron is rebuilt against the schedule's current zone and jitter when the update runs; this catches syntax now.
  if (changes.cron !== undefined) scheduleSpec(changes.cron, changes.timezone, changes.jitter);
  return {
    ...(changes.workflow !== undefined && { type: resolveWorkflow(changes.workflow).type }),
    ...(changes.overlap !== undefined && { overlap: overlapPolicy(changes.overlap) }),
    ...(changes.jitter !== undefined && { jitterMs: jitter(changes.jitter) }),
  };
}

/** Changes what is given and keeps the rest; the same checks as create run before the server is called. */
export async function updateSchedule(
  session: TemporalSession,
  scheduleId: string,
  changes: UpdateScheduleOptions,
): Promise<ScheduleInfo> {
  const { type, overlap, jitterMs } = prepareScheduleUpdate(changes);
  await withSchedule(session, scheduleId, (handle) =>
    handle.update((prev) => {
      const timezone = changes.timezone ?? prev.spec.timezone;
      let spec: ScheduleSpec = {
        ...prev.spec,
        ...(jitterMs !== undefined && { jitter: jitterMs }),
        ...(timezone && { timezone }),
      };
      if (changes.cron !== undefined) {
        spec = {
          ...scheduleSpec(changes.cron, timezone || undefined, jitterMs ?? prev.spec.jitter),
          startAt: prev.spec.startAt,
          endAt: prev.spec.endAt,
        };
      }
      return {
        spec,
        action: {
          ...prev.action,
          ...(type && { workflowType: type }),
          ...(changes.input !== undefined && { args: [changes.input] }),
          // A new type or input gets its own summary (none when the input is one the workflow refuses).
          ...((type || changes.input !== undefined) &&
            withSummary(type ?? prev.action.workflowType, changes.input ?? prev.action.args?.[0] ?? {})),
        },
        policies: { ...prev.policies, ...(overlap && { overlap }) },
        state: {
          paused: prev.state.paused,
          note: changes.note ?? prev.state.note,
          remainingActions: prev.state.remainingActions,
        },
      };
    }),
  );
  return describeSchedule(session, scheduleId);
}

export async function deleteSchedule(session: TemporalSession, scheduleId: string): Promise<void> {
  await withSchedule(session, scheduleId, (handle) => handle.delete());
}

/** The action's summary in the Web UI (undefined, so none, for input the workflow would refuse). */
function withSummary(workflowType: string, input: unknown): { staticSummary: string | undefined } {
  return { staticSummary: startSummary(workflowType, input) };
}

function scheduleSpec(cron: string, timezone: string | undefined, jitterValue?: string | number): ScheduleSpec {
  return specFromCron(parseCron(cron, { timezone }), {
    timezone,
    ...(jitterValue !== undefined && { jitterMs: jitter(jitterValue) }),
  });
}

function jitter(value: string | number): number {
  const ms = typeof value === 'number' ? value : parseDuration(value, '--jitter');
  if (!Number.isFinite(ms) || ms < 0) throw new UsageError(`--jitter must not be negative, got ${value}`);
  return ms;
}

function overlapPolicy(name: string): ScheduleOverlapPolicy {
  const policy = OVERLAP_POLICIES[name as OverlapName];
  if (!policy)
    throw new UsageError(`unknown overlap policy "${name}"; use one of ${Object.keys(OVERLAP_POLICIES).join(', ')}`);
  return policy;
}

/** Runs `use` on the schedule's handle; a schedule the server does not know is a NoSuchScheduleError naming it. */
async function withSchedule<T>(
  session: TemporalSession,
  scheduleId: string,
  use: (handle: ScheduleHandle) => Promise<T>,
): Promise<T> {
  try {
    return await use(session.client.schedule.getHandle(scheduleId));
  } catch (err) {
    if (err instanceof ScheduleNotFoundError)
      throw new NoSuchScheduleError(scheduleId, session.namespace, { cause: err });
    throw err;
  }
}

const run = (r: ScheduleExecutionResult): ScheduleRun => ({
  workflowId: r.action.workflow.workflowId,
  runId: r.action.workflow.firstExecutionRunId,
  scheduledAt: r.scheduledAt.toISOString(),
  takenAt: r.takenAt.toISOString(),
});

function info(session: TemporalSession, d: ScheduleDescription): ScheduleInfo {
  const name = shortNameOf(d.action.workflowType);
  return {
    scheduleId: d.scheduleId,
    workflowType: d.action.workflowType,
    ...(name && { name }),
    cron: cronsFromSpec(d.spec),
    ...(d.spec.timezone && { timezone: d.spec.timezone }),
    ...(d.spec.jitter && { jitterMs: d.spec.jitter }),
    overlap:
      Object.entries(OVERLAP_POLICIES).find(([, policy]) => policy === d.policies.overlap)?.[0] ??
      String(d.policies.overlap),
    paused: d.state.paused,
    ...(d.state.note && { note: d.state.note }),
    taskQueue: d.action.taskQueue,
    input: d.action.args?.[0],
    nextRuns: d.info.nextActionTimes.map((t) => t.toISOString()),
    recentRuns: d.info.recentActions.map(run),
    running: d.info.runningActions.map((a) => a.workflow.workflowId),
    actionsTaken: d.info.numActionsTaken,
    skippedOverlap: d.info.numActionsSkippedOverlap,
    link: scheduleLink(session.uiUrl, session.namespace, d.scheduleId),
  };
}

import { QueryNotRegisteredError, WorkflowFailedError, type WorkflowExecutionInfo } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/common';
import { refusal } from '../contracts/input-error';
import { experimentId as experimentIdRule } from '../contracts/names';
import { banditWorkflowId } from '../workflows/bandit-api';
import { progressQuery, type FanOutProgress } from '../workflows/progress';
import { EXPERIMENT_KEY, PIPELINE_KEY } from '../workflows/search-attributes';
import { startSummary } from '../workflows/summaries';
import type { TemporalSession } from './connect';
import { NoSuchWorkflowError, UsageError, WorkflowAlreadyRunningError, WorkflowRunFailedError } from './errors';
import { failureChain } from './failure-chain';
import { workflowLink } from './web-ui';
import { resolveWorkflow, shortNameOf, type WorkflowName } from './workflow-types';

export interface StartOptions {
  /**
   * Default `<short name>-<epoch ms>`, or `bandit-<experimentId>` for the bandit entity. Starting with
   * the ID of a running workflow fails (WorkflowAlreadyRunningError); a closed one's ID may be reused.
   */
  workflowId?: string;
  /** Default: the session's task queue (VIRALFLOW_TASK_QUEUE). */
  taskQueue?: string;
}

export interface StartedWorkflow {
  workflowId: string;
  runId: string;
  name: WorkflowName;
  workflowType: string;
  taskQueue: string;
  /** The run's history in the Web UI. */
  link: string;
}

export async function startWorkflow(
  session: TemporalSession,
  nameOrType: string,
  input: object = {},
  options: StartOptions = {},
): Promise<StartedWorkflow> {
  const { name, type } = resolveWorkflow(nameOrType);
  const workflowId = options.workflowId ?? defaultWorkflowId(name, input);
  const taskQueue = options.taskQueue ?? session.taskQueue;
  const staticSummary = startSummary(type, input);
  try {
    const handle = await session.client.workflow.start(type, {
      taskQueue,
      workflowId,
      args: [input],
      ...(staticSummary && { staticSummary }),
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    });
    const runId = handle.firstExecutionRunId;
    return {
      workflowId,
      runId,
      name,
      workflowType: type,
      taskQueue,
      link: workflowLink(session.uiUrl, session.namespace, workflowId, runId),
    };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError)
      throw new WorkflowAlreadyRunningError(workflowId, { cause: err });
    throw err;
  }
}

function defaultWorkflowId(name: WorkflowName, input: object): string {
  if (name !== 'bandit') return `${name}-${Date.now()}`;
  // One entity per experiment: the ID is derived, so every client finds the same workflow.
  const experimentId = (input as { experimentId?: unknown }).experimentId;
  if (experimentId === undefined || experimentId === '') {
    throw new UsageError('the bandit workflow needs "experimentId" in its input');
  }
  // The ID names the entity: one the workflow would refuse to start (`..`) is refused here, in its words.
  const checked = experimentIdRule.safeParse(experimentId);
  if (!checked.success) {
    const message = checked.error.issues[0]?.message ?? 'is not valid';
    throw new UsageError(refusal('banditWorkflow input', { field: 'experimentId', message }));
  }
  return banditWorkflowId(checked.data);
}

/** What a waiting caller is told every `progressEveryMs`. */
export interface WaitProgress {
  workflowId: string;
  /** Since the workflow started. */
  elapsedMs: number;
  /** The workflow's `progress` query answer, for workflows that define one (scrape, pipeline). */
  progress?: FanOutProgress;
}

export interface WaitOptions {
  runId?: string;
  onProgress?: (progress: WaitProgress) => void;
  /** Default 5 s. */
  progressEveryMs?: number;
}

/**
 * Waits for the workflow's result, reporting elapsed time (and the `progress` query, when the workflow
 * answers it) periodically. A run that ends other than Completed is a WorkflowRunFailedError.
 */
export async function waitForResult(
  session: TemporalSession,
  workflowId: string,
  options: WaitOptions = {},
): Promise<unknown> {
  const handle = session.client.workflow.getHandle(workflowId, options.runId);
  const { startTime } = await handle.describe().catch((err: unknown) => rethrowNotFound(err, session, workflowId));
  let queryProgress = true;
  const tick = async () => {
    let progress: FanOutProgress | undefined;
    if (queryProgress) {
      progress = await workflowProgress(session, workflowId, options.runId).catch((err: unknown) => {
        // Workflows without the query (health, bandit, …) answer "not registered": stop asking them.
        if (err instanceof QueryNotRegisteredError) queryProgress = false;
        return undefined;
      });
    }
    options.onProgress?.({ workflowId, elapsedMs: Date.now() - startTime.getTime(), ...(progress && { progress }) });
  };
  const timer = options.onProgress ? setInterval(() => void tick(), options.progressEveryMs ?? 5_000) : undefined;
  try {
    return await handle.result();
  } catch (err) {
    if (err instanceof WorkflowFailedError)
      throw new WorkflowRunFailedError(workflowId, options.runId, failureChain(err), { cause: err });
    return rethrowNotFound(err, session, workflowId);
  } finally {
    clearInterval(timer);
  }
}

/**
 * A scrape's or pipeline's `progress` query. While a pipeline is in its scrape stage the batches and
 * accounts are its child's (`<id>/scrape`), asked directly: the pipeline only learns them when the child ends.
 * Rejects with QueryNotRegisteredError for workflows without the query.
 */
export async function workflowProgress(
  session: TemporalSession,
  workflowId: string,
  runId?: string,
): Promise<FanOutProgress> {
  const progress = await session.client.workflow.getHandle(workflowId, runId).query(progressQuery);
  if (progress.stage !== 'scrape' || progress.batchesTotal > 0) return progress;
  const child = await session.client.workflow
    .getHandle(`${workflowId}/scrape`)
    .query(progressQuery)
    .catch(() => undefined); // not started yet, or not a pipeline: the parent's own answer stands
  return child ? { ...child, stage: progress.stage } : progress;
}

/** "failed: Activity task failed: InvalidInput: invalid checkHealth input: …" */
export interface WorkflowSummary {
  workflowId: string;
  runId: string;
  workflowType: string;
  /** The short name, for viralflow's workflows. */
  name?: WorkflowName;
  /** RUNNING, COMPLETED, FAILED, CANCELLED, TERMINATED, TIMED_OUT, CONTINUED_AS_NEW. */
  status: string;
  taskQueue: string;
  startTime: string;
  closeTime?: string;
  historyLength: number;
  link: string;
}

export async function describeWorkflow(
  session: TemporalSession,
  workflowId: string,
  runId?: string,
): Promise<WorkflowSummary> {
  const description = await session.client.workflow
    .getHandle(workflowId, runId)
    .describe()
    .catch((err: unknown) => rethrowNotFound(err, session, workflowId));
  return summarize(session, description);
}

/** `viralflow list --status`: the statuses visibility queries know, by their CLI spelling. */
export const WORKFLOW_STATUSES = {
  running: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  canceled: 'Canceled',
  cancelled: 'Canceled',
  terminated: 'Terminated',
  'timed-out': 'TimedOut',
  'continued-as-new': 'ContinuedAsNew',
} as const;

export interface ListFilter {
  status?: string;
  /** Short name or workflow type. */
  workflow?: string;
  /** Runs carrying this `ViralflowPipeline` search attribute (a pipeline and its children). */
  pipeline?: string;
  /** Runs carrying this `ViralflowExperiment` search attribute (the experiment's bandit). */
  experiment?: string;
  /** Default 20. */
  limit?: number;
}

/** Recent executions, most recent first, from the visibility store (eventually consistent: a just-started run may lag). */
export async function listWorkflows(session: TemporalSession, filter: ListFilter = {}): Promise<WorkflowSummary[]> {
  const clauses: string[] = [];
  if (filter.workflow !== undefined) clauses.push(`WorkflowType = '${resolveWorkflow(filter.workflow).type}'`);
  if (filter.status !== undefined) {
    const status = WORKFLOW_STATUSES[filter.status.toLowerCase() as keyof typeof WORKFLOW_STATUSES];
    if (!status)
      throw new UsageError(
        `unknown status "${filter.status}"; use one of ${Object.keys(WORKFLOW_STATUSES).join(', ')}`,
      );
    clauses.push(`ExecutionStatus = '${status}'`);
  }
  for (const [key, value, option] of [
    [PIPELINE_KEY, filter.pipeline, 'pipeline'],
    [EXPERIMENT_KEY, filter.experiment, 'experiment'],
  ] as const) {
    if (value === undefined) continue;
    // Quotes and backslashes would end the query's string literal: refused rather than escaped.
    if (!value || /['"\\]/.test(value) || [...value].some((c) => c.charCodeAt(0) < 0x20))
      throw new UsageError(`${option}: "${value}" is empty or holds quotes, backslashes or control characters`);
    clauses.push(`${key.name} = '${value}'`);
  }
  const limit = filter.limit ?? 20;
  if (!Number.isInteger(limit) || limit < 1)
    throw new UsageError(`limit must be a positive whole number, got ${limit}`);
  const out: WorkflowSummary[] = [];
  for await (const info of session.client.workflow.list({
    query: clauses.join(' AND ') || undefined,
    pageSize: Math.min(limit, 1000),
  })) {
    out.push(summarize(session, info));
    if (out.length >= limit) break;
  }
  return out;
}

/** Requests cancellation (the workflow decides how to wind down); only a running workflow can be cancelled. */
export async function cancelWorkflow(session: TemporalSession, workflowId: string): Promise<WorkflowSummary> {
  const summary = await describeWorkflow(session, workflowId);
  if (summary.status !== 'RUNNING') {
    throw new UsageError(
      `workflow ${workflowId} is not running (its latest run is ${summary.status}); nothing to cancel`,
    );
  }
  await session.client.workflow
    .getHandle(workflowId, summary.runId)
    .cancel()
    .catch((err: unknown) => rethrowNotFound(err, session, workflowId));
  return summary;
}

function summarize(session: TemporalSession, info: Omit<WorkflowExecutionInfo, 'raw'>): WorkflowSummary {
  const name = shortNameOf(info.type);
  return {
    workflowId: info.workflowId,
    runId: info.runId,
    workflowType: info.type,
    ...(name && { name }),
    status: info.status.name,
    taskQueue: info.taskQueue,
    startTime: info.startTime.toISOString(),
    ...(info.closeTime && { closeTime: info.closeTime.toISOString() }),
    historyLength: info.historyLength,
    link: workflowLink(session.uiUrl, session.namespace, info.workflowId, info.runId),
  };
}

function rethrowNotFound(err: unknown, session: TemporalSession, workflowId: string): never {
  if (err instanceof WorkflowNotFoundError)
    throw new NoSuchWorkflowError(workflowId, session.namespace, { cause: err });
  throw err;
}

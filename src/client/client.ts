import type { Client } from '@temporalio/client';
import type { BanditCarriedState, BanditOutcome } from '../contracts/bandit';
import type { Posterior } from '../workflows/bandit-api';
import {
  banditEvidence,
  banditState,
  recordOutcome,
  refreshBanditEvidence,
  type BanditState,
  type BanditStateOptions,
  type RecordOutcomeOptions,
} from './bandit';
import { openTemporal, type ConnectOptions } from './connect';
import {
  backfillSchedule,
  createSchedule,
  deleteSchedule,
  describeSchedule,
  listSchedules,
  pauseSchedule,
  triggerSchedule,
  unpauseSchedule,
  updateSchedule,
  type BackfillOptions,
  type CreateScheduleOptions,
  type OverlapName,
  type ScheduleInfo,
  type UpdateScheduleOptions,
} from './schedules';
import { workflowLink } from './web-ui';
import type { WorkflowInput, WorkflowName, WorkflowResult } from './workflow-types';
import {
  cancelWorkflow,
  describeWorkflow,
  listWorkflows,
  startWorkflow,
  waitForResult,
  type ListFilter,
  type StartedWorkflow,
  type StartOptions,
  type WaitOptions,
  type WorkflowSummary,
} from './workflows';

/** viralflow's operations against one Temporal namespace and task queue; the CLI is a thin layer over this. */
export interface ViralflowClient {
  readonly address: string;
  readonly namespace: string;
  readonly taskQueue: string;
  readonly uiUrl: string;
  /** The underlying Temporal client, for anything not covered here. */
  readonly temporal: Client;

  /** Starts a workflow by short name (or type); fails with WorkflowAlreadyRunningError if its ID is running. */
  startWorkflow<N extends WorkflowName>(
    name: N,
    input: WorkflowInput<N>,
    options?: StartOptions,
  ): Promise<StartedWorkflow>;
  startWorkflow(nameOrType: string, input?: object, options?: StartOptions): Promise<StartedWorkflow>;
  /** Starts and waits; a run that does not complete is a WorkflowRunFailedError. */
  runWorkflow<N extends WorkflowName>(
    name: N,
    input: WorkflowInput<N>,
    options?: StartOptions & WaitOptions,
  ): Promise<WorkflowResult<N>>;
  /** The end-to-end pipeline, typed. */
  runPipeline(
    input: WorkflowInput<'pipeline'>,
    options?: StartOptions & WaitOptions,
  ): Promise<WorkflowResult<'pipeline'>>;
  result(workflowId: string, options?: WaitOptions): Promise<unknown>;
  describeWorkflow(workflowId: string, runId?: string): Promise<WorkflowSummary>;
  listWorkflows(filter?: ListFilter): Promise<WorkflowSummary[]>;
  cancelWorkflow(workflowId: string): Promise<WorkflowSummary>;
  workflowLink(workflowId: string, runId?: string): string;

  /** Update-with-start on the experiment's entity (created on first use); answers with the new posterior. */
  recordOutcome(experimentId: string, outcome: BanditOutcome, options?: RecordOutcomeOptions): Promise<Posterior>;
  banditState(experimentId: string, options?: BanditStateOptions): Promise<BanditState>;
  /** The evidence-ledger totals the entity last read (beside its base of earlier counts); null before any. */
  banditEvidence(experimentId: string): Promise<BanditCarriedState['ledger'] | null>;
  /** Has the entity read the evidence ledger now; answers with what it read. */
  refreshBanditEvidence(experimentId: string): Promise<NonNullable<BanditCarriedState['ledger']>>;

  createSchedule(options: CreateScheduleOptions): Promise<ScheduleInfo>;
  describeSchedule(scheduleId: string): Promise<ScheduleInfo>;
  listSchedules(): Promise<ScheduleInfo[]>;
  pauseSchedule(scheduleId: string, note?: string): Promise<void>;
  unpauseSchedule(scheduleId: string, note?: string): Promise<void>;
  triggerSchedule(scheduleId: string, overlap?: OverlapName): Promise<void>;
  backfillSchedule(scheduleId: string, options: BackfillOptions): Promise<void>;
  updateSchedule(scheduleId: string, changes: UpdateScheduleOptions): Promise<ScheduleInfo>;
  deleteSchedule(scheduleId: string): Promise<void>;

  close(): Promise<void>;
}

/**
 * Connects to Temporal (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, VIRALFLOW_TASK_QUEUE, TEMPORAL_UI_URL unless
 * given); an unreachable server is a TemporalUnreachableError naming the address, after a short timeout.
 */
export async function connectViralflow(options: ConnectOptions = {}): Promise<ViralflowClient> {
  const session = await openTemporal(options);
  const run = async (name: string, input: object, opts: StartOptions & WaitOptions = {}) => {
    const started = await startWorkflow(session, name, input, opts);
    return waitForResult(session, started.workflowId, { ...opts, runId: started.runId });
  };
  return {
    address: session.address,
    namespace: session.namespace,
    taskQueue: session.taskQueue,
    uiUrl: session.uiUrl,
    temporal: session.client,
    startWorkflow: (name: string, input?: object, opts?: StartOptions) => startWorkflow(session, name, input, opts),
    // The server hands back what the workflow returned; WorkflowSignatures declares what that is.
    runWorkflow: (name, input, opts) => run(name, input, opts) as Promise<never>,
    runPipeline: (input, opts) => run('pipeline', input, opts) as Promise<WorkflowResult<'pipeline'>>,
    result: (workflowId, opts) => waitForResult(session, workflowId, opts),
    describeWorkflow: (workflowId, runId) => describeWorkflow(session, workflowId, runId),
    listWorkflows: (filter) => listWorkflows(session, filter),
    cancelWorkflow: (workflowId) => cancelWorkflow(session, workflowId),
    workflowLink: (workflowId, runId) => workflowLink(session.uiUrl, session.namespace, workflowId, runId),
    recordOutcome: (experimentId, outcome, opts) => recordOutcome(session, experimentId, outcome, opts),
    banditState: (experimentId, options) => banditState(session, experimentId, options),
    banditEvidence: (experimentId) => banditEvidence(session, experimentId),
    refreshBanditEvidence: (experimentId) => refreshBanditEvidence(session, experimentId),
    createSchedule: (opts) => createSchedule(session, opts),
    describeSchedule: (scheduleId) => describeSchedule(session, scheduleId),
    listSchedules: () => listSchedules(session),
    pauseSchedule: (scheduleId, note) => pauseSchedule(session, scheduleId, note),
    unpauseSchedule: (scheduleId, note) => unpauseSchedule(session, scheduleId, note),
    triggerSchedule: (scheduleId, overlap) => triggerSchedule(session, scheduleId, overlap),
    backfillSchedule: (scheduleId, opts) => backfillSchedule(session, scheduleId, opts),
    updateSchedule: (scheduleId, changes) => updateSchedule(session, scheduleId, changes),
    deleteSchedule: (scheduleId) => deleteSchedule(session, scheduleId),
    close: () => session.close(),
  };
}

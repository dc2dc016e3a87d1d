import { setTimeout as sleep } from 'node:timers/promises';
import { WithStartWorkflowOperation, WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { WorkflowNotFoundError, type Workflow } from '@temporalio/common';
import {
  banditOutcome,
  banditWorkflowInput,
  type BanditCarriedState,
  type BanditOutcome,
  type BanditWorkflowInput,
} from '../contracts/bandit';
import { firstProblem, refusal } from '../contracts/input-error';
import {
  banditWorkflowId,
  evidenceQuery,
  posteriorsQuery,
  readEvidenceUpdate,
  recordOutcomeUpdate,
  weightsQuery,
  type BanditWeights,
  type Posterior,
} from '../workflows/bandit-api';
import { banditSummary } from '../workflows/summaries';
import type { TemporalSession } from './connect';
import { BanditUnansweredError, NoSuchWorkflowError, UsageError } from './errors';
import { workflowLink } from './web-ui';
import { WORKFLOW_TYPES } from './workflow-types';

export interface RecordOutcomeOptions {
  /** How long to wait for the entity's answer (default 30 s): without a worker it would never come. */
  timeoutMs?: number;
}

/**
 * Refuses, before anything is sent, what the entity would refuse: an experiment ID its workflow
 * cannot start with (the publish activity's rule, so `..` is never an entity) and an outcome its
 * update validator rejects, in the same words.
 */
export function checkOutcomeRequest(experimentId: string, outcome: BanditOutcome): void {
  const input: BanditWorkflowInput = { experimentId };
  const start = banditWorkflowInput.safeParse(input);
  if (!start.success) {
    const problem = refusal('banditWorkflow input', firstProblem(start.error, banditWorkflowInput));
    throw new UsageError(`the bandit entity for experiment ${experimentId} could not start: ${problem}`);
  }
  const parsed = banditOutcome.safeParse(outcome);
  if (!parsed.success) throw new UsageError(refusal('outcome', firstProblem(parsed.error, banditOutcome, 'outcome')));
}

/**
 * Records outcomes on the experiment's bandit entity and answers with the variant's new posterior. An
 * update-with-start with conflict policy USE_EXISTING: the first outcome of an experiment creates its
 * entity (`bandit-<experimentId>`), later ones go to the running one.
 */
export async function recordOutcome(
  session: TemporalSession,
  experimentId: string,
  outcome: BanditOutcome,
  options: RecordOutcomeOptions = {},
): Promise<Posterior> {
  checkOutcomeRequest(experimentId, outcome);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const input: BanditWorkflowInput = { experimentId };
  const startWorkflowOperation = new WithStartWorkflowOperation(WORKFLOW_TYPES.bandit, {
    workflowId: banditWorkflowId(experimentId),
    taskQueue: session.taskQueue,
    args: [input],
    staticSummary: banditSummary(input),
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    return await session.client.withAbortSignal(abort.signal, () =>
      session.client.workflow.executeUpdateWithStart(recordOutcomeUpdate, { args: [outcome], startWorkflowOperation }),
    );
  } catch (err) {
    if (abort.signal.aborted)
      throw new BanditUnansweredError(experimentId, session.taskQueue, timeoutMs, { cause: err });
    if (err instanceof WorkflowUpdateFailedError) {
      // An entity that failed at start (a bad experiment ID) rejects the update as "no handler": say why it failed.
      const startFailure = await entityStartFailure(startWorkflowOperation);
      if (startFailure)
        throw new UsageError(`the bandit entity for experiment ${experimentId} could not start: ${startFailure}`, {
          cause: err,
        });
      // Otherwise the entity's validator rejected the outcome: the caller's mistake, with the entity's reason.
      throw new UsageError(err.cause?.message ?? err.message, { cause: err });
    }
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

async function entityStartFailure(operation: WithStartWorkflowOperation<Workflow>): Promise<string | undefined> {
  const handle = await operation.workflowHandle().catch(() => undefined);
  if (!handle || (await handle.describe()).status.name === 'RUNNING') return undefined;
  return handle.result().then(
    () => undefined,
    (err: unknown) => (err instanceof WorkflowFailedError && err.cause ? err.cause.message : undefined),
  );
}

export interface BanditState {
  experimentId: string;
  workflowId: string;
  posteriors: Posterior[];
  /** Null until the entity has weighed its first outcomes. */
  weights: BanditWeights | null;
  link: string;
}

export interface BanditStateOptions {
  /**
   * How long to wait for weights that cover every recorded outcome: the entity weighs new outcomes
   * within a couple of seconds, so `bandit show` right after a pipeline waits for them rather than
   * printing stale ones or none. 0 answers at once. @default 5000
   */
  freshWithinMs?: number;
}

/** The entity's posteriors and its newest computed weights (queries: no outcome is recorded). */
export async function banditState(
  session: TemporalSession,
  experimentId: string,
  options: BanditStateOptions = {},
): Promise<BanditState> {
  const workflowId = banditWorkflowId(experimentId);
  const handle = session.client.workflow.getHandle(workflowId);
  const deadline = Date.now() + (options.freshWithinMs ?? 5_000);
  try {
    for (;;) {
      const [posteriors, weights] = await Promise.all([handle.query(posteriorsQuery), handle.query(weightsQuery)]);
      const outcomes = posteriors.reduce((n, p) => n + p.successes + p.failures, 0);
      const fresh = outcomes === 0 || (weights !== null && weights.basedOnOutcomes >= outcomes);
      if (fresh || Date.now() >= deadline) {
        return {
          experimentId,
          workflowId,
          posteriors,
          weights,
          link: workflowLink(session.uiUrl, session.namespace, workflowId),
        };
      }
      await sleep(FRESHNESS_POLL_MS);
    }
  } catch (err) {
    if (err instanceof WorkflowNotFoundError)
      throw new NoSuchWorkflowError(workflowId, session.namespace, { cause: err });
    throw err;
  }
}

const FRESHNESS_POLL_MS = 200;

/** The evidence totals the entity last read from the ledger (and its base); null before its first read. */
export async function banditEvidence(
  session: TemporalSession,
  experimentId: string,
): Promise<BanditCarriedState['ledger'] | null> {
  const workflowId = banditWorkflowId(experimentId);
  try {
    return await session.client.workflow.getHandle(workflowId).query(evidenceQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError)
      throw new NoSuchWorkflowError(workflowId, session.namespace, { cause: err });
    throw err;
  }
}

/** Has the entity read the ledger again (after a recount found it behind); answers with what it read. */
export async function refreshBanditEvidence(
  session: TemporalSession,
  experimentId: string,
): Promise<NonNullable<BanditCarriedState['ledger']>> {
  return session.client.workflow.getHandle(banditWorkflowId(experimentId)).executeUpdate(readEvidenceUpdate);
}

import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { BanditCarriedState, BanditOutcome, BanditWeights } from '../contracts/bandit';

export type { BanditCarriedState, BanditOutcome, BanditWeights, BanditWorkflowInput } from '../contracts/bandit';

/**
 * The bandit entity's public interface: one long-running `banditWorkflow` per experiment
 * (workflow ID `bandit-<experimentId>`), holding Beta-Bernoulli posteriors durably. Clients record
 * outcomes through the update (validated, answers with the new posterior) or the signal (fire and forget),
 * and read posteriors and weights through queries. An outcome with an `id`, and every pipeline's
 * outcomes, are evidence in the experiment's ledger in the results store, each counted once.
 */

export interface Posterior {
  variant: string;
  successes: number;
  failures: number;
  /** successes + 1 */
  alpha: number;
  /** failures + 1 */
  beta: number;
  /** alpha / (alpha + beta) */
  mean: number;
}

/** Validated; answers with the variant's new posterior. */
export const recordOutcomeUpdate = defineUpdate<Posterior, [BanditOutcome]>('recordOutcome');
/** Fire-and-forget form of recordOutcome (invalid outcomes are dropped and logged). */
export const outcomeSignal = defineSignal<[BanditOutcome]>('outcome');
/**
 * New evidence for this experiment is in the results store's ledger (the pipeline recorded a run): the
 * entity reads the ledger's totals. It carries no counts, so a repeat of it counts nothing twice.
 */
export const evidenceSignal = defineSignal('evidence');
/** Recompute and publish weights now; answers with what was published. */
export const publishNowUpdate = defineUpdate<BanditWeights, []>('publishNow');
export const posteriorsQuery = defineQuery<Posterior[]>('posteriors');
/**
 * The newest computed weights (recomputed within seconds of new outcomes, published or not), or null
 * before the first outcome.
 */
export const weightsQuery = defineQuery<BanditWeights | null>('weights');
/** The evidence ledger's totals as the entity last read them, beside its base; null before its first read. */
export const evidenceQuery = defineQuery<BanditCarriedState['ledger'] | null>('evidence');
/** Reads the evidence ledger now (after any read in flight); answers with what it read. */
export const readEvidenceUpdate = defineUpdate<NonNullable<BanditCarriedState['ledger']>, []>('readEvidence');
/** Ends the entity (its state stays in history). */
export const stopSignal = defineSignal('stop');

export const banditWorkflowId = (experimentId: string) => `bandit-${experimentId}`;

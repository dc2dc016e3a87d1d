import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { BanditOutcome, BanditWeights } from '../contracts/bandit';

export type { BanditCarriedState, BanditOutcome, BanditWeights, BanditWorkflowInput } from '../contracts/bandit';

/**
 * The bandit entity's public interface: one long-running `banditWorkflow` per experiment
 * (workflow ID `bandit-<experimentId>`), holding Beta-Bernoulli posteriors durably. Clients record
 * outcomes through the update (validated, answers with the new posterior) or the signal (fire and forget),
 * and read posteriors and weights through queries.
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
/** Recompute and publish weights now; answers with what was published. */
export const publishNowUpdate = defineUpdate<BanditWeights, []>('publishNow');
export const posteriorsQuery = defineQuery<Posterior[]>('posteriors');
/**
 * The newest computed weights (recomputed within seconds of new outcomes, published or not), or null
 * before the first outcome.
 */
export const weightsQuery = defineQuery<BanditWeights | null>('weights');
/** Ends the entity (its state stays in history). */
export const stopSignal = defineSignal('stop');

export const banditWorkflowId = (experimentId: string) => `bandit-${experimentId}`;

import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

/**
 * The bandit entity's public interface: one long-running `banditWorkflow` per experiment
 * (workflow ID `bandit-<experimentId>`), holding Beta-Bernoulli posteriors durably. Clients record
 * outcomes through the update (validated, answers with the new posterior) or the signal (fire and forget),
 * and read posteriors and weights through queries.
 */

export interface BanditOutcome {
  variant: string;
  /** Successes to add (default 0). */
  successes?: number;
  /** Failures to add (default 0). */
  failures?: number;
}

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

export interface BanditWeights {
  /** Traffic share per variant: the Monte-Carlo probability each variant is best. */
  weights: Record<string, number>;
  probabilityBest: Record<string, number>;
  /** Outcome count the weights were computed from. */
  basedOnOutcomes: number;
  /** Version the experiment API assigned when these weights were published; absent until they are. */
  publishedVersion?: number;
}

export interface BanditWorkflowInput {
  experimentId: string;
  /** Variants known from the start (more appear as outcomes name them). */
  variants?: string[];
  /** Publish weights this often while outcomes arrive (e.g. '1 minute'); default 1 minute. */
  publishEvery?: string;
  /** Seed for sampling, so a run is reproducible. */
  seed?: number;
  /** Monte-Carlo draws for probability-best (default 1000). */
  draws?: number;
  /** Continue-as-new once history has this many events (default 2000; the server's suggestion also counts). */
  continueAsNewAfterEvents?: number;
  /** Carried across continue-as-new; not for callers. */
  carried?: BanditCarriedState;
}

export interface BanditCarriedState {
  counts: Record<string, { successes: number; failures: number }>;
  outcomes: number;
  lastWeights?: BanditWeights;
  generation: number;
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

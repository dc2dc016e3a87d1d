import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  log,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  outcomeSignal,
  posteriorsQuery,
  publishNowUpdate,
  recordOutcomeUpdate,
  stopSignal,
  weightsQuery,
  type BanditCarriedState,
  type BanditOutcome,
  type BanditWeights,
  type BanditWorkflowInput,
  type Posterior,
} from './bandit-api';
import { failureReason } from './failure-reason';
import { checkDuration, requireKnownKeys, requireObject } from './input-checks';
import { invalidInput, requireInt } from './invalid-input';
import { activityPolicies } from './policies';

const VARIANT = /^[A-Za-z0-9_.:-]{1,128}$/;
const MAX_PER_OUTCOME = 1_000_000;
/** Weights are recomputed (not published) at most this often while outcomes stream in: each is an activity in history. */
const RECOMPUTE_AT_MOST_EVERY = '2 seconds';

/**
 * ThompsonSamplingOperator as a durable entity, one per experiment. Outcomes arrive through the
 * `recordOutcome` update (validated, answers with the posterior) or the `outcome` signal; queries read
 * posteriors and weights. Weights are recomputed and published on a cadence while outcomes arrive, or
 * when asked. Before history grows large the entity continues as new, carrying its counts.
 */
export async function banditWorkflow(input: BanditWorkflowInput): Promise<BanditCarriedState> {
  validate(input);
  const { sampleWeights } = proxyActivities<Activities>(activityPolicies.sampleWeights);
  const { publishWeights } = proxyActivities<Activities>(activityPolicies.publishWeights);
  const state: BanditCarriedState = input.carried ?? { counts: {}, outcomes: 0, generation: 0 };
  for (const variant of input.variants ?? []) state.counts[variant] ??= { successes: 0, failures: 0 };
  const publishEvery = input.publishEvery ?? '1 minute';
  const maxEvents = input.continueAsNewAfterEvents ?? 2_000;
  // A seed drawn from the workflow's deterministic RNG: reproducible on replay, varied across experiments.
  const seed = input.seed ?? Math.floor(Math.random() * 0xffff_ffff);
  let lastWeights: BanditWeights | null = state.lastWeights ?? null;
  let unpublished = false;
  let stopping = false;
  let publishing: Promise<BanditWeights> | undefined;
  // Histories from before weights were computed on evidence replay without the refresh loop.
  const weightsOnEvidence = patched('weights-on-evidence');
  const keepNewest = (w: BanditWeights): BanditWeights => {
    if (!lastWeights || w.basedOnOutcomes >= lastWeights.basedOnOutcomes) lastWeights = w;
    return w;
  };
  const sample = async () => {
    const variants = Object.entries(state.counts).map(([id, c]) => ({ id, ...c }));
    if (!variants.length) throw ApplicationFailure.nonRetryable('no variants to weigh yet', 'NoVariants');
    const basedOnOutcomes = state.outcomes;
    const sampled = await sampleWeights({ variants, seed: (seed + basedOnOutcomes) >>> 0, draws: input.draws });
    return { weights: sampled.weights, probabilityBest: sampled.probabilityBest, basedOnOutcomes };
  };

  const posterior = (variant: string): Posterior => {
    const { successes, failures } = state.counts[variant] ?? { successes: 0, failures: 0 };
    return { variant, successes, failures, alpha: successes + 1, beta: failures + 1, mean: (successes + 1) / (successes + failures + 2) };
  };
  const apply = (o: BanditOutcome) => {
    const c = (state.counts[o.variant] ??= { successes: 0, failures: 0 });
    c.successes += o.successes ?? 0;
    c.failures += o.failures ?? 0;
    state.outcomes += (o.successes ?? 0) + (o.failures ?? 0);
    unpublished = true;
  };

  // One publication at a time; a request during one waits for it and then publishes the newer counts.
  const publish = (): Promise<BanditWeights> => {
    const run = async (): Promise<BanditWeights> => {
      unpublished = false;
      // Weights the refresh loop already computed from every outcome are published as they are.
      const fresh = weightsOnEvidence && lastWeights?.basedOnOutcomes === state.outcomes ? lastWeights : undefined;
      const { weights, probabilityBest, basedOnOutcomes } = fresh ?? (await sample());
      const published = await publishWeights({ experimentId: input.experimentId, weights, probabilityBest });
      return keepNewest({ weights, probabilityBest, basedOnOutcomes, publishedVersion: published.version });
    };
    const next = (publishing ?? Promise.resolve()).then(run, run);
    publishing = next;
    return next;
  };

  setHandler(posteriorsQuery, () => Object.keys(state.counts).sort().map(posterior));
  setHandler(weightsQuery, () => lastWeights);
  setHandler(
    recordOutcomeUpdate,
    (o) => {
      apply(o);
      return posterior(o.variant);
    },
    { validator: validateOutcome },
  );
  setHandler(outcomeSignal, (o) => {
    try {
      validateOutcome(o);
      apply(o);
    } catch (err) {
      log.warn('dropped an invalid outcome signal', { error: (err as Error).message });
    }
  });
  setHandler(publishNowUpdate, () => publish());
  setHandler(stopSignal, () => {
    stopping = true;
  });

  // Evidence shows in the weights query at once (the first outcomes are weighed as they arrive, later
  // ones every RECOMPUTE_AT_MOST_EVERY); publication to the experiment API keeps its own cadence below.
  const stale = () => state.outcomes > 0 && state.outcomes !== lastWeights?.basedOnOutcomes;
  const refresh = async (): Promise<void> => {
    while (!stopping) {
      await condition(() => stopping || stale());
      if (stopping) return;
      await sample().then(keepNewest, (err: unknown) => log.warn('computing weights failed', { error: failureReason(err) }));
      await sleep(RECOMPUTE_AT_MOST_EVERY);
    }
  };
  if (weightsOnEvidence) void refresh();

  const historyIsLarge = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= maxEvents;
  while (!stopping) {
    const woken = await condition(() => stopping || historyIsLarge(), publishEvery);
    if (unpublished && !woken) {
      await publish().catch((err: unknown) => {
        // The experiment API being down must not end the entity: the counts are safe here, try next tick.
        unpublished = true;
        log.warn('publishing weights failed; will retry on the next tick', { error: failureReason(err) });
      });
    }
    if (!stopping && historyIsLarge()) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof banditWorkflow>({
        ...input,
        seed,
        carried: { ...state, ...(lastWeights && { lastWeights }), generation: state.generation + 1 },
      });
    }
  }
  if (unpublished && Object.keys(state.counts).length) await publish().catch(() => undefined);
  await condition(allHandlersFinished);
  return { ...state, ...(lastWeights && { lastWeights }) };
}

const WORKFLOW = 'banditWorkflow';
/** The sampling activity's own limit on draws (activities/thompson.ts MAX_DRAWS; workflow code cannot import it). */
const MAX_DRAWS = 100_000;

/** Everything the entity reads from its input, checked before it reads any of it (a crash here would be a stuck entity). */
function validate(raw: unknown): void {
  const input = requireObject(WORKFLOW, raw);
  requireKnownKeys(WORKFLOW, input, ['experimentId', 'variants', 'publishEvery', 'seed', 'draws', 'continueAsNewAfterEvents', 'carried']);
  if (typeof input.experimentId !== 'string' || !/^[A-Za-z0-9_.-]{1,128}$/.test(input.experimentId)) {
    throw invalidInput(WORKFLOW, 'experimentId', 'must be 1-128 of A-Z a-z 0-9 _ . -');
  }
  const variants = input.variants;
  if (variants !== undefined) {
    if (!Array.isArray(variants) || variants.length > 10_000) throw invalidInput(WORKFLOW, 'variants', 'must be an array of variant names');
    const bad = variants.findIndex((v) => typeof v !== 'string' || v.length < 1 || v.length > 200 || v === '__proto__');
    if (bad >= 0) throw invalidInput(WORKFLOW, `variants.${bad}`, 'must be a name of 1-200 characters (as the engine names patterns)');
  }
  checkDuration(WORKFLOW, 'publishEvery', input.publishEvery, 1_000);
  requireInt(WORKFLOW, 'seed', input.seed, 0, 0xffff_ffff);
  requireInt(WORKFLOW, 'draws', input.draws, 1, MAX_DRAWS);
  requireInt(WORKFLOW, 'continueAsNewAfterEvents', input.continueAsNewAfterEvents, 10, 1_000_000);
  if (input.carried !== undefined) {
    const carried = requireObject(WORKFLOW, input.carried, 'carried');
    const counts = requireObject(WORKFLOW, carried.counts, 'carried.counts');
    for (const [variant, c] of Object.entries(counts)) {
      const count = requireObject(WORKFLOW, c, `carried.counts.${variant}`);
      requireInt(WORKFLOW, `carried.counts.${variant}.successes`, count.successes ?? 0, 0, Number.MAX_SAFE_INTEGER);
      requireInt(WORKFLOW, `carried.counts.${variant}.failures`, count.failures ?? 0, 0, Number.MAX_SAFE_INTEGER);
    }
    requireInt(WORKFLOW, 'carried.outcomes', carried.outcomes, 0, Number.MAX_SAFE_INTEGER);
    requireInt(WORKFLOW, 'carried.generation', carried.generation, 0, Number.MAX_SAFE_INTEGER);
  }
}

function validateOutcome(o: BanditOutcome): void {
  const problem = (field: string, message: string) =>
    ApplicationFailure.nonRetryable(`invalid outcome: ${field}: ${message}`, 'InvalidInput');
  if (!o || typeof o !== 'object') throw problem('outcome', 'must be an object');
  if (typeof o.variant !== 'string' || !VARIANT.test(o.variant)) throw problem('variant', 'must be 1-128 of A-Z a-z 0-9 _ . : -');
  for (const field of ['successes', 'failures'] as const) {
    const v = o[field];
    if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > MAX_PER_OUTCOME)) {
      throw problem(field, `must be an integer from 0 to ${MAX_PER_OUTCOME}`);
    }
  }
  if (!o.successes && !o.failures) throw problem('successes', 'an outcome needs at least one success or failure');
}

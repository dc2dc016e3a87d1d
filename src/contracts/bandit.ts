import { z } from 'zod';
import { durationAtLeast } from './duration';
import { intIn } from './integer';
import { jsonObject } from './json-object';
import { experimentId, outcomeId, runKey, variantName } from './names';
import { DEFAULT_SUCCESS_THRESHOLD, successThreshold } from './patterns';

export const MAX_VARIANTS = 100_000;
export const MAX_DRAWS = 100_000;
/** Most outcomes one update or signal may add. */
export const MAX_PER_OUTCOME = 1_000_000;
/** Most outcomes one update or signal with an `id` may record: each is its own ledger entry. */
export const MAX_PER_RECORDED_OUTCOME = 10_000;

const count = z.number().int().min(0);

/** An outcome for one variant: what `bandit record`, the pipeline and the update/signal send. */
export const banditOutcome = jsonObject({
  /**
   * Makes the outcome evidence in the experiment's ledger, counted once: recording the same ID again
   * replaces it. Without one, the counts are added to the entity's own (not deduplicated).
   */
  id: outcomeId.optional(),
  variant: variantName,
  /** Successes to add. @default 0 */
  successes: intIn(0, MAX_PER_OUTCOME).optional(),
  /** Failures to add. @default 0 */
  failures: intIn(0, MAX_PER_OUTCOME).optional(),
})
  .refine((o) => Boolean(o.successes || o.failures), {
    path: ['successes'],
    message: 'an outcome needs at least one success or failure',
  })
  .refine((o) => o.id === undefined || (o.successes ?? 0) + (o.failures ?? 0) <= MAX_PER_RECORDED_OUTCOME, {
    path: ['successes'],
    message: `an outcome with an id records at most ${MAX_PER_RECORDED_OUTCOME} successes and failures`,
  });
export type BanditOutcome = z.input<typeof banditOutcome>;

export const banditWeights = z.object({
  /** Traffic share per variant: the Monte-Carlo probability each variant is best. */
  weights: z.record(z.string(), z.number()),
  probabilityBest: z.record(z.string(), z.number()),
  /** Outcome count the weights were computed from. */
  basedOnOutcomes: count,
  /** Version the experiment API assigned when they were last published, if they were. */
  publishedVersion: z.number().int().optional(),
});
export type BanditWeights = z.output<typeof banditWeights>;

/** The entity's counts, carried across continue-as-new (its own state: keys are variants it accepted). */
const variantCounts = z.record(z.string(), z.object({ successes: count.default(0), failures: count.default(0) }));

export const banditCarriedState = jsonObject({
  counts: variantCounts,
  /**
   * Once the entity reads the evidence ledger: `counts` is `base` plus the ledger's `totals` as last read.
   * `base` holds what was counted before (the entity's own counts when it first read the ledger) and
   * outcomes recorded without an id.
   */
  ledger: z.object({ base: variantCounts, totals: variantCounts }).optional(),
  outcomes: count,
  lastWeights: banditWeights.optional(),
  generation: count,
});
export type BanditCarriedState = z.output<typeof banditCarriedState>;

const variantList = 'must be an array of variant names';

export const banditWorkflowInput = jsonObject({
  experimentId,
  /** Variants known from the start (more appear as outcomes name them). */
  variants: z.array(variantName, { error: variantList }).max(10_000, { error: variantList }).optional(),
  /** Publish weights this often while outcomes arrive. @default '1 minute' */
  publishEvery: durationAtLeast(1_000).optional(),
  /** Seed for sampling, so a run is reproducible (default: drawn from the workflow's deterministic RNG). */
  seed: intIn(0, 0xffff_ffff).optional(),
  /** Monte-Carlo draws for probability-best. @default 1000 */
  draws: intIn(1, MAX_DRAWS).optional(),
  /** Continue-as-new once history has this many events (the server's suggestion also counts). @default 2000 */
  continueAsNewAfterEvents: intIn(10, 1_000_000).optional(),
  /** Carried across continue-as-new; not for callers. */
  carried: banditCarriedState.optional(),
});
export type BanditWorkflowInput = z.input<typeof banditWorkflowInput>;

/** Beta draws (variants × draws) a caller may ask for: a few seconds of CPU. */
export const MAX_SAMPLES = 50_000_000;

/** The sampleWeights activity: posteriors to draw from. */
export const sampleWeightsInput = jsonObject({
  variants: z
    .array(z.strictObject({ id: variantName, successes: count, failures: count }))
    .min(1)
    .max(MAX_VARIANTS),
  /** uint32; absent: derived from the posteriors, so the same input always gives the same answer. */
  seed: banditWorkflowInput.shape.seed,
  /** Monte-Carlo draws for probability-best; default 1000, fewer above 5,000 variants (the default budget). */
  draws: banditWorkflowInput.shape.draws,
}).superRefine((input, ctx) => {
  const seen = new Set<string>();
  let duplicates = 0;
  for (const [i, { id }] of input.variants.entries()) {
    if (seen.has(id) && duplicates++ < 5) {
      ctx.addIssue({ code: 'custom', path: ['variants', i, 'id'], message: `duplicate id ${JSON.stringify(id)}` });
    }
    seen.add(id);
  }
  if (input.draws !== undefined && input.variants.length * input.draws > MAX_SAMPLES) {
    ctx.addIssue({
      code: 'custom',
      path: ['draws'],
      message: `variants (${input.variants.length}) × draws (${input.draws}) exceeds ${MAX_SAMPLES}; lower draws`,
    });
  }
});
export type SampleWeightsInput = z.input<typeof sampleWeightsInput>;

/** Allowed slack on sum(weights) = 1: the sum of `draws` multiples of 1/draws is not exactly 1 in floating point. */
const SUM_TOLERANCE = 1e-6;

/** A share of traffic per variant: each in [0, 1]. */
const shares = z.record(variantName, z.number().min(0).max(1)).refine((r) => {
  const n = Object.keys(r).length;
  return n >= 1 && n <= MAX_VARIANTS;
}, `must have 1 to ${MAX_VARIANTS} entries`);

/** The publishWeights activity: one experiment's weights. */
export const publishWeightsInput = jsonObject({
  experimentId,
  weights: shares.refine(
    (w) => Math.abs(Object.values(w).reduce((a, b) => a + b, 0) - 1) <= SUM_TOLERANCE,
    'must sum to 1',
  ),
  probabilityBest: shares.optional(),
  timeoutMs: z.number().int().min(10).max(60_000).default(5_000),
}).superRefine((input, ctx) => {
  for (const id of Object.keys(input.probabilityBest ?? {})) {
    if (!Object.hasOwn(input.weights, id)) {
      ctx.addIssue({ code: 'custom', path: ['probabilityBest', id], message: 'is not a key of weights' });
      return;
    }
  }
});
export type PublishWeightsInput = z.input<typeof publishWeightsInput>;

/** The pipeline's recordRunEvidence activity: a scored run, recorded as an experiment's evidence. */
export const recordRunEvidenceInput = jsonObject({
  experimentId,
  runKey,
  successThreshold: successThreshold.default(DEFAULT_SUCCESS_THRESHOLD),
});
export type RecordRunEvidenceInput = z.input<typeof recordRunEvidenceInput>;

/** The bandit's recordOutcomes activity: one hand-recorded outcome with its id. */
export const recordOutcomesInput = jsonObject({
  experimentId,
  outcome: banditOutcome.refine((o) => o.id !== undefined, { path: ['id'], message: 'needs an id' }),
});
export type RecordOutcomesInput = z.input<typeof recordOutcomesInput>;

/** The bandit's evidenceTotals activity. */
export const evidenceTotalsInput = jsonObject({ experimentId });

import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { banditOutcome, banditWorkflowInput } from '../contracts/bandit';
import { FailureType } from '../contracts/failure-types';
import {
  evidenceQuery,
  evidenceSignal,
  outcomeSignal,
  posteriorsQuery,
  publishNowUpdate,
  readEvidenceUpdate,
  recordOutcomeUpdate,
  stopSignal,
  weightsQuery,
  type BanditCarriedState,
  type BanditOutcome,
  type BanditWeights,
  type BanditWorkflowInput,
  type Posterior,
} from './bandit-api';
import { banditDetails, type BanditDetails } from './details';
import { failureReason } from './failure-reason';
import { parseArgument, parseWorkflowInput } from './invalid-input';
import { activityPolicies } from './policies';
import { publishWeightsSummary, recomputePauseSummary, sampleWeightsSummary } from './summaries';

/** Weights are recomputed (not published) at most this often while outcomes stream in: each is an activity in history. */
const RECOMPUTE_AT_MOST_EVERY = '2 seconds';

/**
 * ThompsonSamplingOperator as a durable entity, one per experiment. Outcomes arrive through the
 * `recordOutcome` update (validated, answers with the posterior) or the `outcome` signal; queries read
 * posteriors and weights. Weights are recomputed and published on a cadence while outcomes arrive, or
 * when asked. Before history grows large the entity continues as new, carrying its counts.
 */
export async function banditWorkflow(raw: BanditWorkflowInput): Promise<BanditCarriedState> {
  // Checked before anything of it is read: a crash here would be a stuck entity.
  const input = parseWorkflowInput('banditWorkflow', banditWorkflowInput, raw);
  const { sampleWeights } = proxyActivities<Activities>(activityPolicies.sampleWeights);
  const { publishWeights } = proxyActivities<Activities>(activityPolicies.publishWeights);
  const { evidenceTotals } = proxyActivities<Activities>(activityPolicies.evidenceTotals);
  const { recordOutcomes } = proxyActivities<Activities>(activityPolicies.recordOutcomes);
  const state: BanditCarriedState = input.carried ?? { counts: {}, outcomes: 0, generation: 0 };
  for (const variant of input.variants ?? []) state.counts[variant] ??= { successes: 0, failures: 0 };
  const publishEvery = input.publishEvery ?? '1 minute';
  const maxEvents = input.continueAsNewAfterEvents ?? 2_000;
  // A seed drawn from the workflow's deterministic RNG: reproducible on replay, varied across experiments.
  const seed = input.seed ?? Math.floor(Math.random() * 0xffff_ffff);
  let lastWeights: BanditWeights | null = state.lastWeights ?? null;
  // Outcomes the previous run counted after its last publication (it continued as new before its tick)
  // are this run's to publish; without this they would wait for the next outcome to arrive. Patched:
  // runs from before did not, and replay as they ran.
  // Weights computed on evidence but never published (no publishedVersion) count as unpublished too: a
  // run that weighed its last outcomes and continued as new before its tick left them for this one.
  let unpublished =
    (state.outcomes !== (lastWeights?.basedOnOutcomes ?? 0) && patched('bandit-publish-carried-outcomes')) ||
    (state.outcomes > 0 && lastWeights?.publishedVersion === undefined && patched('bandit-publish-carried-evidence'));
  let stopping = false;
  let publishing: Promise<BanditWeights> | undefined;
  // Histories from before weights were computed on evidence replay without the refresh loop.
  const weightsOnEvidence = patched('weights-on-evidence');
  // For the Web UI's current details: when this run computed and published weights (workflow time).
  let computed: BanditDetails['computed'] = lastWeights && { basedOnOutcomes: lastWeights.basedOnOutcomes };
  let lastPublication: BanditDetails['published'] =
    lastWeights?.publishedVersion === undefined
      ? null
      : { version: lastWeights.publishedVersion, basedOnOutcomes: lastWeights.basedOnOutcomes };
  const showDetails = () =>
    setCurrentDetails(
      banditDetails({
        experimentId: input.experimentId,
        generation: state.generation,
        outcomes: state.outcomes,
        variants: Object.keys(state.counts).length,
        computed,
        published: lastPublication,
      }),
    );
  showDetails();
  const keepNewest = (w: BanditWeights): BanditWeights => {
    if (!lastWeights || w.basedOnOutcomes >= lastWeights.basedOnOutcomes) lastWeights = w;
    return w;
  };
  const sample = async () => {
    const variants = Object.entries(state.counts).map(([id, c]) => ({ id, ...c }));
    if (!variants.length) throw ApplicationFailure.nonRetryable('no variants to weigh yet', FailureType.NoVariants);
    const basedOnOutcomes = state.outcomes;
    const sampled = await sampleWeights.executeWithOptions(
      { summary: sampleWeightsSummary({ variants: variants.length, outcomes: basedOnOutcomes }) },
      [{ variants, seed: (seed + basedOnOutcomes) >>> 0, draws: input.draws }],
    );
    if (!computed || basedOnOutcomes >= computed.basedOnOutcomes) {
      computed = { basedOnOutcomes, at: new Date() };
      showDetails();
    }
    return { weights: sampled.weights, probabilityBest: sampled.probabilityBest, basedOnOutcomes };
  };

  const posterior = (variant: string): Posterior => {
    const { successes, failures } = state.counts[variant] ?? { successes: 0, failures: 0 };
    return {
      variant,
      successes,
      failures,
      alpha: successes + 1,
      beta: failures + 1,
      mean: (successes + 1) / (successes + failures + 2),
    };
  };
  /** An outcome without an id: added to the entity's own counts (and to the base beside the ledger's). */
  const apply = (o: BanditOutcome) => {
    for (const counts of state.ledger ? [state.counts, state.ledger.base] : [state.counts]) {
      const c = (counts[o.variant] ??= { successes: 0, failures: 0 });
      c.successes += o.successes ?? 0;
      c.failures += o.failures ?? 0;
    }
    state.outcomes += (o.successes ?? 0) + (o.failures ?? 0);
    unpublished = true;
    showDetails();
  };

  // The evidence ledger (results store) is the truth for pipelines' outcomes and outcomes with an id:
  // the entity reads its totals, never adds a signal's numbers, so repeats, retries and Resets count once.
  let evidenceStale = false;
  const toRecord: BanditOutcome[] = [];
  let evidenceBusy = false;
  let evidenceTurn: Promise<unknown> = Promise.resolve();
  /** One ledger call chain at a time (the update handler and the loop below share it). */
  const inTurn = <T>(run: () => Promise<T>): Promise<T> => {
    const next = evidenceTurn.then(run, run);
    evidenceTurn = next.catch(() => undefined);
    return next;
  };
  const readLedger = async () => {
    const totals = await evidenceTotals({ experimentId: input.experimentId });
    // The first read: everything counted so far predates the ledger and stays, as its base.
    state.ledger ??= { base: JSON.parse(JSON.stringify(state.counts)) as BanditCarriedState['counts'], totals: {} };
    state.ledger.totals = totals;
    const counts: BanditCarriedState['counts'] = {};
    for (const variant of Object.keys(state.counts)) counts[variant] = { successes: 0, failures: 0 };
    let outcomes = 0;
    for (const source of [state.ledger.base, totals])
      for (const [variant, c] of Object.entries(source)) {
        const sum = (counts[variant] ??= { successes: 0, failures: 0 });
        sum.successes += c.successes;
        sum.failures += c.failures;
        outcomes += c.successes + c.failures;
      }
    if (JSON.stringify(counts) !== JSON.stringify(state.counts)) unpublished = true;
    state.counts = counts;
    state.outcomes = outcomes;
    showDetails();
  };
  const recordWithId = (o: BanditOutcome): Promise<Posterior> =>
    inTurn(async () => {
      await recordOutcomes({ experimentId: input.experimentId, outcome: o });
      await readLedger();
      return posterior(o.variant);
    });
  const evidenceSettled = () => !evidenceBusy && !evidenceStale && toRecord.length === 0;
  const followEvidence = async (): Promise<void> => {
    for (;;) {
      await condition(() => evidenceStale || toRecord.length > 0 || stopping);
      if (!evidenceStale && toRecord.length === 0) return;
      evidenceBusy = true;
      try {
        await inTurn(async () => {
          while (toRecord.length) {
            await recordOutcomes({ experimentId: input.experimentId, outcome: toRecord[0]! });
            toRecord.shift();
          }
          evidenceStale = false;
          await readLedger();
        });
      } catch (err) {
        // The store being down must not end the entity: the evidence waits in the ledger; try again soon.
        evidenceStale = true;
        log.warn('reading the evidence ledger failed; will retry', { error: failureReason(err) });
        await sleep('10 seconds');
      } finally {
        evidenceBusy = false;
      }
    }
  };
  void followEvidence();

  // One publication at a time; a request during one waits for it and then publishes the newer counts.
  const publish = (): Promise<BanditWeights> => {
    const run = async (): Promise<BanditWeights> => {
      unpublished = false;
      // Weights the refresh loop already computed from every outcome are published as they are.
      const fresh = weightsOnEvidence && lastWeights?.basedOnOutcomes === state.outcomes ? lastWeights : undefined;
      const { weights, probabilityBest, basedOnOutcomes } = fresh ?? (await sample());
      const summary = publishWeightsSummary({
        experimentId: input.experimentId,
        variants: Object.keys(weights).length,
      });
      const published = await publishWeights.executeWithOptions({ summary }, [
        { experimentId: input.experimentId, weights, probabilityBest },
      ]);
      lastPublication = { version: published.version, basedOnOutcomes, at: new Date() };
      showDetails();
      return keepNewest({ weights, probabilityBest, basedOnOutcomes, publishedVersion: published.version });
    };
    const next = (publishing ?? Promise.resolve()).then(run, run);
    publishing = next;
    return next;
  };

  setHandler(posteriorsQuery, () => Object.keys(state.counts).sort().map(posterior));
  setHandler(weightsQuery, () => lastWeights);
  setHandler(evidenceQuery, () => state.ledger ?? null);
  setHandler(
    recordOutcomeUpdate,
    (o) => {
      if (o.id !== undefined) return recordWithId(o);
      apply(o);
      return posterior(o.variant);
    },
    { validator: (o) => void parseArgument('outcome', banditOutcome, o) },
  );
  setHandler(outcomeSignal, (o) => {
    try {
      const outcome = parseArgument('outcome', banditOutcome, o);
      if (outcome.id !== undefined) toRecord.push(outcome);
      else apply(outcome);
    } catch (err) {
      log.warn('dropped an invalid outcome signal', { error: (err as Error).message });
    }
  });
  setHandler(evidenceSignal, () => {
    evidenceStale = true;
  });
  setHandler(readEvidenceUpdate, () =>
    inTurn(async () => {
      await readLedger();
      return state.ledger!;
    }),
  );
  setHandler(publishNowUpdate, () => publish());
  setHandler(stopSignal, () => {
    stopping = true;
  });

  // Evidence shows in the weights query at once (the first outcomes are weighed as they arrive, later
  // ones every RECOMPUTE_AT_MOST_EVERY); publication to the experiment API keeps its own cadence below.
  let refreshing = false;
  const stale = () => state.outcomes > 0 && state.outcomes !== lastWeights?.basedOnOutcomes;
  const refresh = async (): Promise<void> => {
    while (!stopping) {
      await condition(() => stopping || stale());
      if (stopping) return;
      refreshing = true;
      await sample().then(keepNewest, (err: unknown) =>
        log.warn('computing weights failed', { error: failureReason(err) }),
      );
      refreshing = false;
      await sleep(RECOMPUTE_AT_MOST_EVERY, { summary: recomputePauseSummary(RECOMPUTE_AT_MOST_EVERY) });
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
      await condition(evidenceSettled);
      // Continuing as new while a refresh's sampleWeights is open fails the workflow task (UnhandledCommand)
      // when its completion lands meanwhile, and with it any update in that task: let it finish first.
      if (refreshing && patched('bandit-settle-before-continue-as-new')) await condition(() => !refreshing);
      // A stop that arrived during those waits ends the entity here; carried into a new run it would be lost.
      if (stopping && patched('bandit-stop-during-continue-as-new')) break;
      await continueAsNew<typeof banditWorkflow>({
        ...raw,
        seed,
        carried: { ...state, ...(lastWeights && { lastWeights }), generation: state.generation + 1 },
      });
    }
  }
  await condition(evidenceSettled);
  if (unpublished && Object.keys(state.counts).length)
    await publish().catch((err: unknown) =>
      log.warn('the last publication before stopping failed; the counts stay in the result', {
        error: failureReason(err),
      }),
    );
  await condition(allHandlersFinished);
  return { ...state, ...(lastWeights && { lastWeights }) };
}

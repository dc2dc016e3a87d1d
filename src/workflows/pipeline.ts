import {
  executeChild,
  getExternalWorkflowHandle,
  isCancellation,
  ParentClosePolicy,
  patched,
  ChildWorkflowCancellationType,
  proxyActivities,
  startChild,
  upsertMemo,
  workflowInfo,
  type ChildWorkflowOptions,
} from '@temporalio/workflow';
// Not re-exported by @temporalio/workflow; @temporalio/common is the sandbox-safe package it is built on.
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../activities';
import type { HealthReport } from '../activities/health';
import type { PatternsSummary } from '../activities/patterns-from-sink';
import type { EvidenceChange } from '../store/evidence';
import { banditWorkflow } from './bandit';
import { banditWorkflowId, evidenceSignal, outcomeSignal } from './bandit-api';
import { completenessFailure, incompleteResultsCause, incompleteStage } from '../contracts/completeness';
import { runKeyFor } from '../contracts/names';
import { DEFAULT_EXPERIMENT_ID, viralPipelineInput, type ViralPipelineInput } from '../contracts/pipeline';
import { SCRAPE_FIELD_NAMES } from '../contracts/scrape';
import { pipelineDetails, stageLines, stageOutcomeLine } from './details';
import { failureReason } from './failure-reason';
import { isInvalidInput, parseWorkflowInput } from './invalid-input';
import { extractPatternsWorkflow } from './patterns';
import { activityPolicies, withRetry } from './policies';
import { trackProgress } from './progress';
import { scrapeAccountsWorkflow, type ScrapeSummary } from './scrape';
import { EXPERIMENT_KEY, PIPELINE_KEY } from './search-attributes';
import { banditSummary, collectMetricsSummary, healthCheckSummary, patternsSummary, scrapeSummary } from './summaries';

type CollectMetricsResult = Awaited<ReturnType<Activities['collectMetrics']>>;

export type { ViralPipelineInput } from '../contracts/pipeline';

/** The stages in the order they run. */
const STAGES = ['health', 'scrape', 'patterns', 'bandit', 'metrics'] as const;
export type StageName = (typeof STAGES)[number];

export interface ViralPipelineResult {
  pipelineId: string;
  health: Pick<HealthReport, 'available' | 'unavailable' | 'openCircuits'> | null;
  scrape: (Omit<ScrapeSummary, 'batches'> & { batches: number }) | null;
  patterns: PatternsSummary | null;
  bandit: {
    experimentId: string;
    workflowId: string;
    /** Outcomes this run added to or moved in the experiment's evidence (before the ledger: outcomes signalled). */
    outcomesSent: number;
    variants: string[];
    /** What the run changed in the experiment's evidence ledger: posts new to it, moved, unchanged. */
    evidence?: EvidenceChange;
  } | null;
  metrics: CollectMetricsResult | null;
  /** Stages that failed, with why; later stages that needed them are in `skipped`. */
  failures: Array<{ stage: StageName; reason: string }>;
  skipped: Array<{ stage: StageName; reason: string }>;
}

/**
 * The full job, what the Airflow DAG chained: health gate -> scrape (fan-out) -> extract patterns ->
 * feed outcomes to the bandit -> collect metrics. Upstreams that the health check finds down are
 * skipped; each stage's summary, and any stage's failure, is in the result.
 */
export async function viralPipelineWorkflow(raw: ViralPipelineInput): Promise<ViralPipelineResult> {
  // Everything the stages will be given is checked before the first one runs, so before any upstream call.
  const input = parseWorkflowInput('viralPipelineWorkflow', viralPipelineInput, raw);
  const { workflowId } = workflowInfo();
  const experimentId = input.experimentId ?? DEFAULT_EXPERIMENT_ID;
  upsertMemo({ pipeline: workflowId, experimentId });
  // What each finished stage did: the run's current details in the Web UI.
  const finished: Partial<Record<StageName, string>> = {};
  const progress = trackProgress('health', (p) =>
    pipelineDetails({ stages: STAGES, progress: p, finished, scrapeChildId: `${workflowId}/scrape` }),
  );
  const note = (name: StageName, line: string) => {
    finished[name] = line;
    progress.show();
  };

  const result: ViralPipelineResult = {
    pipelineId: workflowId,
    health: null,
    scrape: null,
    patterns: null,
    bandit: null,
    metrics: null,
    failures: [],
    skipped: [],
  };
  /** Runs a stage; a failure is recorded (cancellation is not: it ends the pipeline). */
  const stage = async <T>(name: StageName, run: () => Promise<T>): Promise<T | null> => {
    progress.set({ stage: name });
    try {
      return await run();
    } catch (err) {
      // Bad input (a service that is not configured, an accounts file that is not there) ends the run:
      // the later stages would only run on the rest of the same mistake.
      if (isCancellation(err) || isInvalidInput(err)) throw err;
      // A stage that read less than the scrape recorded ends the run too: a result over part of the
      // data, reported as done, is the silent loss the guard exists to prevent.
      const incomplete = incompleteResultsCause(err);
      if (incomplete) throw incompleteStage(name, incomplete, err as Error);
      const reason = failureReason(err);
      result.failures.push({ stage: name, reason });
      note(name, stageOutcomeLine(name, 'failed', reason));
      return null;
    }
  };
  const skip = (name: StageName, reason: string) => {
    result.skipped.push({ stage: name, reason });
    note(name, stageOutcomeLine(name, 'skipped', reason));
  };
  const children = childOptions();

  const { checkHealth } = proxyActivities<Activities>(withRetry(activityPolicies.checkHealth, input.retry));
  const healthInput = input.services ? { services: input.services } : {};
  const health = await stage('health', () =>
    checkHealth.executeWithOptions({ summary: healthCheckSummary(healthInput) }, [healthInput]),
  );
  if (health) {
    result.health = { available: health.available, unavailable: health.unavailable, openCircuits: health.openCircuits };
    note('health', stageLines.health(health));
  }
  // Upstreams configured as services ('social', 'engine', 'experiments') gate their stages when down.
  const down = new Set(health?.unavailable ?? []);

  let scrape: ScrapeSummary | null = null;
  if (down.has('social')) skip('scrape', 'the social upstream is down');
  else {
    const scrapeInput = { ...pick(input, SCRAPE_FIELD_NAMES), runKey: runKeyFor(workflowId) };
    scrape = await stage('scrape', () =>
      executeChild(scrapeAccountsWorkflow, {
        ...children,
        workflowId: `${workflowId}/scrape`,
        args: [scrapeInput],
        staticSummary: scrapeSummary(scrapeInput),
      }),
    );
    if (scrape) {
      const { batches, ...rest } = scrape;
      result.scrape = { ...rest, batches: batches.length };
      progress.set({
        batchesDone: batches.length,
        batchesTotal: batches.length,
        accountsDone: scrape.accounts,
        accountsTotal: scrape.accounts,
        scraped: scrape.scraped,
        failed: scrape.failedTotal,
        posts: scrape.posts,
      });
      note('scrape', stageLines.scrape(result.scrape));
    }
  }

  let patterns: PatternsSummary | null = null;
  if (!scrape || scrape.scraped === 0) skip('patterns', 'no scraped posts');
  // An incremental run that found nothing new has nothing to score. Patched: runs from before scored it.
  else if (scrape.posts === 0 && patched('pipeline-skip-patterns-without-posts')) skip('patterns', 'no new posts');
  else if (down.has('engine')) skip('patterns', 'the engine upstream is down');
  else {
    const patternsInput = {
      scrape: {
        runKey: scrape.runKey,
        successThreshold: input.successThreshold,
        expect: { accounts: scrape.scraped, posts: scrape.posts },
      },
      retry: input.retry,
    };
    const run = await stage('patterns', () =>
      executeChild(extractPatternsWorkflow, {
        ...children,
        workflowId: `${workflowId}/patterns`,
        args: [patternsInput],
        staticSummary: patternsSummary(patternsInput),
      }),
    );
    patterns = run?.source === 'scrape' ? run.result : null;
    if (patterns) {
      // What the stage read, against what the scrape recorded in this history: the same on every worker.
      const failure = completenessFailure({
        runKey: scrape.runKey,
        expected: { accounts: scrape.scraped, posts: scrape.posts },
        // A summary from before the guard has no account count (a run in flight across the upgrade): posts only.
        read: { accounts: patterns.accounts ?? scrape.scraped, posts: patterns.posts },
        reader: 'the patterns stage',
      });
      if (failure) throw incompleteStage('patterns', failure);
    }
    result.patterns = patterns;
    if (patterns) note('patterns', stageLines.patterns(patterns));
  }

  if (!patterns || Object.keys(patterns.outcomes).length === 0) skip('bandit', 'no outcomes');
  else {
    const outcomes = patterns.outcomes;
    result.bandit = await stage('bandit', async () => {
      const banditId = banditWorkflowId(experimentId);
      try {
        // The bandit outlives the pipeline: it is an entity per experiment, started on first use.
        const banditInput = { experimentId, variants: Object.keys(outcomes) };
        await startChild(banditWorkflow, {
          workflowId: banditId,
          args: [banditInput],
          staticSummary: banditSummary(banditInput),
          parentClosePolicy: ParentClosePolicy.ABANDON,
          cancellationType: ChildWorkflowCancellationType.ABANDON,
          ...(children.typedSearchAttributes && {
            typedSearchAttributes: [{ key: EXPERIMENT_KEY, value: experimentId }],
          }),
        });
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      }
      const bandit = getExternalWorkflowHandle(banditId);
      let sent = 0;
      if (patched('pipeline-evidence-ledger')) {
        // Each post is one entry of the experiment's ledger: this run's posts seen before (an earlier run,
        // a retry, a Reset, another pipeline) move or stay, never count again. The entity reads the totals.
        const { recordRunEvidence } = proxyActivities<Activities>(
          withRetry(activityPolicies.recordRunEvidence, input.retry),
        );
        const evidence = await recordRunEvidence({
          experimentId,
          runKey: scrape!.runKey,
          ...(input.successThreshold !== undefined && { successThreshold: input.successThreshold }),
        });
        await bandit.signal(evidenceSignal);
        return {
          experimentId,
          workflowId: banditId,
          outcomesSent: evidence.added + evidence.moved,
          variants: Object.keys(outcomes),
          evidence,
        };
      }
      if (patched('pipeline-outcome-signals-at-once')) {
        // One workflow task sends them all, in the same order: a round-trip per variant was the pipeline's longest hand-off.
        const entries = Object.entries(outcomes);
        await Promise.all(
          entries.map(([variant, o]) =>
            bandit.signal(outcomeSignal, { variant, successes: o.successes, failures: o.failures }),
          ),
        );
        sent = entries.reduce((n, [, o]) => n + o.successes + o.failures, 0);
      } else {
        for (const [variant, o] of Object.entries(outcomes)) {
          await bandit.signal(outcomeSignal, { variant, successes: o.successes, failures: o.failures });
          sent += o.successes + o.failures;
        }
      }
      return { experimentId, workflowId: banditId, outcomesSent: sent, variants: Object.keys(outcomes) };
    });
    if (result.bandit) note('bandit', stageLines.bandit(result.bandit));
  }

  const services = health ? health.available : input.services;
  if (services && services.length === 0) skip('metrics', 'no service is up');
  else {
    const { collectMetrics } = proxyActivities<Activities>(withRetry(activityPolicies.collectMetrics, input.retry));
    const metricsInput = services ? { services } : {};
    result.metrics = await stage('metrics', () =>
      collectMetrics.executeWithOptions({ summary: collectMetricsSummary(metricsInput) }, [metricsInput]),
    );
    if (result.metrics) note('metrics', stageLines.metrics(result.metrics));
  }
  progress.set({ stage: 'done' });
  return result;
}

/** The `keys` of `input` that it has. */
function pick<T extends object, K extends keyof T>(input: T, keys: readonly K[]): Pick<T, K> {
  const picked = {} as Pick<T, K>;
  for (const key of keys) if (input[key] !== undefined) picked[key] = input[key];
  return picked;
}

/** Children carry the pipeline's search attribute when the pipeline has it (so it is registered on this cluster). */
function childOptions(): Pick<ChildWorkflowOptions, 'typedSearchAttributes'> {
  const pipeline = workflowInfo().typedSearchAttributes.get(PIPELINE_KEY);
  return pipeline ? { typedSearchAttributes: [{ key: PIPELINE_KEY, value: pipeline }] } : {};
}

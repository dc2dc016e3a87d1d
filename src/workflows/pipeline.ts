import {
  executeChild,
  getExternalWorkflowHandle,
  isCancellation,
  ParentClosePolicy,
  ChildWorkflowCancellationType,
  proxyActivities,
  setHandler,
  startChild,
  upsertMemo,
  workflowInfo,
  type ChildWorkflowOptions,
  type RetryPolicy,
} from '@temporalio/workflow';
// Not re-exported by @temporalio/workflow; @temporalio/common is the sandbox-safe package it is built on.
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../activities';
import type { HealthReport } from '../activities/health';
import type { PatternsSummary } from '../activities/patterns-from-sink';
import { completenessFailure, incompleteResultsCause, incompleteStage } from '../sink/completeness';
import { banditWorkflow } from './bandit';
import { banditWorkflowId, outcomeSignal } from './bandit-api';
import { failureReason } from './failure-reason';
import { checkRetry, requireKnownKeys, requireObject } from './input-checks';
import { invalidInput, isInvalidInput } from './invalid-input';
import { extractPatternsWorkflow } from './patterns';
import { activityPolicies, withRetry } from './policies';
import { progressQuery, type FanOutProgress } from './progress';
import { checkScrapeFields, scrapeAccountsWorkflow, type ScrapeAccountsWorkflowInput, type ScrapeSummary } from './scrape';
import { EXPERIMENT_KEY, PIPELINE_KEY } from './search-attributes';

type CollectMetricsResult = Awaited<ReturnType<Activities['collectMetrics']>>;

export interface ViralPipelineInput
  extends Pick<
    ScrapeAccountsWorkflowInput,
    'accountIds' | 'accountsFile' | 'accountList' | 'batchSize' | 'maxConcurrentBatches' | 'chunkSize' | 'maxConcurrentChunks' | 'maxPostsPerAccount' | 'pageSize' | 'since'
  > {
  /** The bandit experiment fed with the patterns' outcomes (default `viral-patterns`). */
  experimentId?: string;
  /** Services to health-check and collect metrics from (default: all configured). */
  services?: string[];
  /** Virality at or above this counts as a success for the post's top pattern (default 0.5). */
  successThreshold?: number;
  retry?: RetryPolicy;
}

export type StageName = 'health' | 'scrape' | 'patterns' | 'bandit' | 'metrics';

export interface ViralPipelineResult {
  pipelineId: string;
  health: Pick<HealthReport, 'available' | 'unavailable' | 'openCircuits'> | null;
  scrape: Omit<ScrapeSummary, 'batches'> & { batches: number } | null;
  patterns: PatternsSummary | null;
  bandit: { experimentId: string; workflowId: string; outcomesSent: number; variants: string[] } | null;
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
export async function viralPipelineWorkflow(input: ViralPipelineInput): Promise<ViralPipelineResult> {
  validate(input);
  const { workflowId } = workflowInfo();
  const experimentId = input.experimentId ?? 'viral-patterns';
  upsertMemo({ pipeline: workflowId, experimentId });
  const progress: FanOutProgress = { stage: 'health', batchesDone: 0, batchesTotal: 0, accountsDone: 0, accountsTotal: 0 };
  setHandler(progressQuery, () => progress);

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
    progress.stage = name;
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
      result.failures.push({ stage: name, reason: failureReason(err) });
      return null;
    }
  };
  const skip = (name: StageName, reason: string) => result.skipped.push({ stage: name, reason });
  const children = childOptions();

  const { checkHealth } = proxyActivities<Activities>(withRetry(activityPolicies.checkHealth, input.retry));
  const health = await stage('health', () => checkHealth(input.services ? { services: input.services } : {}));
  if (health) result.health = { available: health.available, unavailable: health.unavailable, openCircuits: health.openCircuits };
  // Upstreams configured as services ('social', 'engine', 'experiments') gate their stages when down.
  const down = new Set(health?.unavailable ?? []);

  let scrape: ScrapeSummary | null = null;
  if (down.has('social')) skip('scrape', 'the social upstream is down');
  else {
    scrape = await stage('scrape', () =>
      executeChild(scrapeAccountsWorkflow, {
        ...children,
        workflowId: `${workflowId}/scrape`,
        args: [
          {
            accountIds: input.accountIds,
            accountsFile: input.accountsFile,
            accountList: input.accountList,
            batchSize: input.batchSize,
            maxConcurrentBatches: input.maxConcurrentBatches,
            chunkSize: input.chunkSize,
            maxConcurrentChunks: input.maxConcurrentChunks,
            maxPostsPerAccount: input.maxPostsPerAccount,
            pageSize: input.pageSize,
            since: input.since,
            runKey: workflowId.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 128),
            retry: input.retry,
          },
        ],
      }),
    );
    if (scrape) {
      const { batches, ...rest } = scrape;
      result.scrape = { ...rest, batches: batches.length };
      progress.batchesDone = progress.batchesTotal = batches.length;
      progress.accountsDone = progress.accountsTotal = scrape.accounts;
    }
  }

  let patterns: PatternsSummary | null = null;
  if (!scrape || scrape.scraped === 0) skip('patterns', 'no scraped posts');
  else if (down.has('engine')) skip('patterns', 'the engine upstream is down');
  else {
    const run = await stage('patterns', () =>
      executeChild(extractPatternsWorkflow, {
        ...children,
        workflowId: `${workflowId}/patterns`,
        args: [
          {
            scrape: { runKey: scrape.runKey, successThreshold: input.successThreshold, expect: { accounts: scrape.scraped, posts: scrape.posts } },
            retry: input.retry,
          },
        ],
      }),
    );
    patterns = run?.source === 'scrape' ? run.result : null;
    if (patterns) {
      // What the stage read, against what the scrape recorded in this history: the same on every worker.
      const failure = completenessFailure({
        runKey: scrape.runKey,
        expected: { accounts: scrape.scraped, posts: scrape.posts },
        // A summary from before the guard has no account count (a run that was in flight across the upgrade): posts only.
        read: { accounts: patterns.accounts ?? scrape.scraped, posts: patterns.posts },
        reader: 'the patterns stage',
      });
      if (failure) throw incompleteStage('patterns', failure);
    }
    result.patterns = patterns;
  }

  if (!patterns || Object.keys(patterns.outcomes).length === 0) skip('bandit', 'no outcomes');
  else {
    const outcomes = patterns.outcomes;
    result.bandit = await stage('bandit', async () => {
      const banditId = banditWorkflowId(experimentId);
      try {
        // The bandit outlives the pipeline: it is an entity per experiment, started on first use.
        await startChild(banditWorkflow, {
          workflowId: banditId,
          args: [{ experimentId, variants: Object.keys(outcomes) }],
          parentClosePolicy: ParentClosePolicy.ABANDON,
          cancellationType: ChildWorkflowCancellationType.ABANDON,
          ...(children.typedSearchAttributes && { typedSearchAttributes: [{ key: EXPERIMENT_KEY, value: experimentId }] }),
        });
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      }
      const bandit = getExternalWorkflowHandle(banditId);
      let sent = 0;
      for (const [variant, o] of Object.entries(outcomes)) {
        await bandit.signal(outcomeSignal, { variant, successes: o.successes, failures: o.failures });
        sent += o.successes + o.failures;
      }
      return { experimentId, workflowId: banditId, outcomesSent: sent, variants: Object.keys(outcomes) };
    });
  }

  const services = health ? health.available : input.services;
  if (services && services.length === 0) skip('metrics', 'no service is up');
  else {
    const { collectMetrics } = proxyActivities<Activities>(withRetry(activityPolicies.collectMetrics, input.retry));
    result.metrics = await stage('metrics', () => collectMetrics(services ? { services } : {}));
  }
  progress.stage = 'done';
  return result;
}

const WORKFLOW = 'viralPipelineWorkflow';
const INPUT_KEYS = [
  'accountIds', 'accountsFile', 'accountList', 'batchSize', 'maxConcurrentBatches', 'chunkSize', 'maxConcurrentChunks', 'maxPostsPerAccount',
  'pageSize', 'since', 'experimentId', 'services', 'successThreshold', 'retry',
] as const;

/**
 * Everything the stages will be given, checked before the first one runs (so before any upstream
 * call): the scrape's fields as the scrape checks them, the experiment ID, service names (whether they
 * are configured is the health activity's to say, which it does before calling anything), the threshold and retry.
 */
function validate(raw: unknown): void {
  const input = requireObject(WORKFLOW, raw);
  requireKnownKeys(WORKFLOW, input, INPUT_KEYS);
  checkScrapeFields(WORKFLOW, input);
  const experimentId = input.experimentId;
  if (experimentId !== undefined && (typeof experimentId !== 'string' || !/^[A-Za-z0-9_.-]{1,128}$/.test(experimentId) || experimentId === '.' || experimentId === '..')) {
    throw invalidInput(WORKFLOW, 'experimentId', 'must be 1-128 of A-Z a-z 0-9 _ . - (and not "." or "..")');
  }
  const services = input.services;
  if (services !== undefined) {
    if (!Array.isArray(services) || services.length === 0 || services.length > 500) {
      throw invalidInput(WORKFLOW, 'services', 'must be a non-empty array of configured service names');
    }
    const bad = services.findIndex((name) => typeof name !== 'string' || !/^[a-z0-9][a-z0-9_.-]{0,62}$/i.test(name));
    if (bad >= 0) throw invalidInput(WORKFLOW, `services.${bad}`, `${JSON.stringify(services[bad])?.slice(0, 80)} is not a service name`);
  }
  const threshold = input.successThreshold;
  if (threshold !== undefined && (typeof threshold !== 'number' || !(threshold >= 0 && threshold <= 1))) {
    throw invalidInput(WORKFLOW, 'successThreshold', `must be a number from 0 to 1, got ${JSON.stringify(threshold)}`);
  }
  checkRetry(WORKFLOW, input.retry);
}

/** Children carry the pipeline's search attribute when the pipeline has it (so it is registered on this cluster). */
function childOptions(): Pick<ChildWorkflowOptions, 'typedSearchAttributes'> {
  const pipeline = workflowInfo().typedSearchAttributes.get(PIPELINE_KEY);
  return pipeline ? { typedSearchAttributes: [{ key: PIPELINE_KEY, value: pipeline }] } : {};
}

import type { z } from 'zod';
import { banditWorkflowInput, type BanditWorkflowInput } from '../contracts/bandit';
import { healthCheckWorkflowInput } from '../contracts/health';
import { collectMetricsWorkflowInput } from '../contracts/metrics';
import { extractPatternsWorkflowInput, type ExtractPatternsWorkflowInput } from '../contracts/patterns';
import { DEFAULT_EXPERIMENT_ID, viralPipelineInput, type ViralPipelineInput } from '../contracts/pipeline';
import { SCRAPE_DEFAULTS, scrapeAccountsWorkflowInput, type ScrapeAccountsWorkflowInput } from '../contracts/scrape';

/**
 * The one-line static summary of every workflow and activity viralflow starts, as the Web UI shows it
 * (the run's header, the workflows list, each child's and activity's row in the event history). Each is
 * worded here once, from the input, and used wherever that thing is started: the client, the CLI, the
 * schedules, the demo and the parent workflows. Summaries land in history: they name counts, run keys,
 * experiments and lists (input only ever names things), never URLs or credentials.
 */

/** Longest summary sent: one line in the UI's header or a table cell; longer text is cut with "…". */
export const MAX_SUMMARY_LENGTH = 120;

/** `text` on one line, at most MAX_SUMMARY_LENGTH characters. */
export function summaryLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= MAX_SUMMARY_LENGTH ? line : `${line.slice(0, MAX_SUMMARY_LENGTH - 1)}…`;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const services = (list: unknown) => (Array.isArray(list) ? plural(list.length, 'service') : 'all configured services');

/** Batches a scrape of `accounts` runs: chunks of `chunkSize`, each split into batches of `batchSize`. */
function batchCount(accounts: number, batchSize: number, chunkSize: number): number {
  const fullChunks = Math.floor(accounts / chunkSize);
  return fullChunks * Math.ceil(chunkSize / batchSize) + Math.ceil((accounts % chunkSize) / batchSize);
}

/** "200 accounts in 2 batches", or the stored list it reads. */
function scrapeScope(input: ScrapeAccountsWorkflowInput): string {
  const batchSize = input.batchSize ?? SCRAPE_DEFAULTS.batchSize;
  const chunkSize = input.chunkSize ?? SCRAPE_DEFAULTS.chunkSize;
  if (input.accountIds) {
    const accounts = new Set(input.accountIds).size;
    const chunks = Math.ceil(accounts / chunkSize);
    const inChunks = chunks > 1 ? ` (${chunks} chunks)` : '';
    return `${plural(accounts, 'account')} in ${plural(batchCount(accounts, batchSize, chunkSize), 'batch', 'batches')}${inChunks}`;
  }
  const source =
    input.accountList !== undefined ? `account list "${input.accountList}"` : `accounts file "${input.accountsFile}"`;
  return `${source} in batches of ${batchSize}`;
}

export function scrapeSummary(input: ScrapeAccountsWorkflowInput): string {
  return summaryLine(`scrape ${scrapeScope(input)}`);
}

/** A chunk child of a large scrape; `index` counts from 0, batches as numbered in the summary. */
export function scrapeChunkSummary(chunk: {
  index: number;
  of: number;
  accounts: number;
  batchSize: number;
  firstBatch: number;
}): string {
  const batches = Math.ceil(chunk.accounts / chunk.batchSize);
  const range = `${chunk.firstBatch + 1}–${chunk.firstBatch + batches}`;
  return summaryLine(
    `scrape chunk ${chunk.index + 1}/${chunk.of}: ${plural(chunk.accounts, 'account')}, batches ${range}`,
  );
}

export function pipelineSummary(input: ViralPipelineInput): string {
  const experiment = input.experimentId ?? DEFAULT_EXPERIMENT_ID;
  return summaryLine(`pipeline: scrape ${scrapeScope(input)} → patterns → bandit ${experiment} → metrics`);
}

export function patternsSummary(input: ExtractPatternsWorkflowInput): string {
  if (input.items) return extractPatternsSummary(input.items.length);
  if (!input.scrape) return 'patterns';
  return summaryLine(`patterns for run ${input.scrape.runKey}${expectedCounts(input.scrape.expect)}`);
}

export function banditSummary(input: BanditWorkflowInput): string {
  const variants = input.variants?.length ? `, ${plural(input.variants.length, 'variant')}` : '';
  return summaryLine(`bandit for experiment ${input.experimentId}${variants}`);
}

export function healthCheckSummary(input: { services?: unknown }): string {
  return summaryLine(`health check of ${services(input.services)}`);
}

export function collectMetricsSummary(input: { services?: unknown }): string {
  return summaryLine(`collect metrics from ${services(input.services)}`);
}

/** Each workflow type a client starts: its input contract, and its summary from the checked input. */
const STARTED_WORKFLOWS: Record<string, { input: z.ZodType; summary: (input: never) => string }> = {
  viralPipelineWorkflow: { input: viralPipelineInput, summary: pipelineSummary },
  scrapeAccountsWorkflow: { input: scrapeAccountsWorkflowInput, summary: scrapeSummary },
  extractPatternsWorkflow: { input: extractPatternsWorkflowInput, summary: patternsSummary },
  banditWorkflow: { input: banditWorkflowInput, summary: banditSummary },
  healthCheckWorkflow: { input: healthCheckWorkflowInput, summary: healthCheckSummary },
  collectMetricsWorkflow: { input: collectMetricsWorkflowInput, summary: collectMetricsSummary },
};

/**
 * The summary of a workflow a client starts with `input`, or undefined for a type that is not ours or
 * input its contract refuses (the run fails at once with InvalidInput, which says more than a summary).
 */
export function startSummary(workflowType: string, input: unknown): string | undefined {
  const started = Object.hasOwn(STARTED_WORKFLOWS, workflowType) ? STARTED_WORKFLOWS[workflowType] : undefined;
  const parsed = started?.input.safeParse(input);
  return parsed?.success ? (started!.summary as (input: unknown) => string)(parsed.data) : undefined;
}

// Activities, as the workflows call them.

/**
 * A batch of a scrape workflow: `index` of `of` in this workflow, counted from 0; in a chunk child,
 * `firstBatch` is the number its first batch has in the whole job's summary.
 */
export interface BatchPosition {
  index: number;
  of: number;
  accounts: number;
  firstBatch: number;
}

/** "batch 3/8", or "batch 53 (3/50 in this chunk)". */
function batchName(batch: BatchPosition): string {
  const local = `${batch.index + 1}/${batch.of}`;
  return batch.firstBatch === 0
    ? `batch ${local}`
    : `batch ${batch.firstBatch + batch.index + 1} (${local} in this chunk)`;
}

export function scrapeBatchSummary(batch: BatchPosition): string {
  return summaryLine(`scrape ${batchName(batch)}: ${plural(batch.accounts, 'account')}`);
}

export function discardBatchSummary(batch: BatchPosition): string {
  return summaryLine(
    `discard ${batchName(batch)}'s stored posts of ${plural(batch.accounts, 'account')}: retries spent`,
  );
}

export function extractPatternsSummary(items: number): string {
  return summaryLine(`patterns over ${plural(items, 'item')}`);
}

export function loadAccountsSummary(page: { list?: string; file?: string; offset: number; limit: number }): string {
  const source = page.list !== undefined ? `list "${page.list}"` : `file "${page.file}"`;
  return summaryLine(`load accounts ${page.offset + 1}–${page.offset + page.limit} of ${source}`);
}

/** ": 30 accounts, 750 posts" when the scrape's counts are known. */
function expectedCounts(expect: { accounts: number; posts: number } | undefined): string {
  return expect ? `: ${plural(expect.accounts, 'account')}, ${plural(expect.posts, 'post')}` : '';
}

export function extractFromSinkSummary(scrape: {
  runKey: string;
  expect?: { accounts: number; posts: number };
}): string {
  return summaryLine(`engine over the posts of run ${scrape.runKey}${expectedCounts(scrape.expect)}`);
}

export function sampleWeightsSummary(weigh: { variants: number; outcomes: number }): string {
  return summaryLine(
    `weigh ${plural(weigh.variants, 'variant')} on ${plural(weigh.outcomes, 'outcome')} (Thompson sampling)`,
  );
}

export function publishWeightsSummary(publish: { experimentId: string; variants: number }): string {
  return summaryLine(
    `publish weights of ${plural(publish.variants, 'variant')} for experiment ${publish.experimentId}`,
  );
}

/** The bandit's timer between two weights computations. */
export function recomputePauseSummary(pause: string): string {
  return summaryLine(`pause ${pause} before weighing newer outcomes`);
}

/** The scrape's last step, after every batch: the run's output is final. */
export const advanceMarksSummary = summaryLine("advance the accounts' scrape marks to this run's newest posts");

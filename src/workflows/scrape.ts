import {
  executeChild,
  isCancellation,
  proxyActivities,
  setHandler,
  workflowInfo,
  type RetryPolicy,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { FailedAccount, ScrapeResult } from '../activities/scraper';
import type { SinkRef } from '../sink/types';
import { chunk, mapBounded } from './bounded';
import { failureReason } from './failure-reason';
import { checkRetry, requireKnownKeys, requireObject, type InputObject } from './input-checks';
import { invalidInput, isInvalidInput, requireInt } from './invalid-input';
import { activityPolicies, withRetry } from './policies';
import { progressQuery, type FanOutProgress } from './progress';

const WORKFLOW = 'scrapeAccountsWorkflow';
/** Largest inline list; bigger jobs pass `accountsFile` so the start event stays small. */
export const MAX_INLINE_ACCOUNTS = 100_000;
/** Failed accounts listed in a result; the count is always complete. */
export const MAX_LISTED_FAILURES = 1_000;

export interface ScrapeAccountsWorkflowInput {
  /** Account IDs, inline… */
  accountIds?: string[];
  /** …or a file under `<dataDir>/accounts/` with one ID per line (or a JSON array)… */
  accountsFile?: string;
  /** …or a list in the results store, loaded with `viralflow accounts import <file> --name <list>`. */
  accountList?: string;
  /** Accounts per scrapeAccounts activity (default 100, max 1000). */
  batchSize?: number;
  /** Activities in flight per chunk (default 4). */
  maxConcurrentBatches?: number;
  /** Accounts per child workflow when the job is large (default 5000). */
  chunkSize?: number;
  /** Child workflows in flight (default 2). */
  maxConcurrentChunks?: number;
  maxPostsPerAccount?: number;
  pageSize?: number;
  since?: string;
  /** Names the sink location; defaults to the workflow ID, so re-running the same job writes to the same place. */
  runKey?: string;
  retry?: RetryPolicy;
}

export interface BatchSummary {
  batch: number;
  accounts: number;
  scraped: number;
  failed: number;
  posts: number;
  /** Set when the batch's activity failed for good; its accounts are listed as failed with this reason. */
  error?: string;
}

export interface ScrapeSummary {
  runKey: string;
  sink: SinkRef | null;
  accounts: number;
  duplicatesDropped: number;
  scraped: number;
  failedTotal: number;
  /** The first MAX_LISTED_FAILURES failed accounts with their reasons. */
  failed: FailedAccount[];
  posts: number;
  batches: BatchSummary[];
  chunks: number;
}

/**
 * ViralScraperOperator's DAG: splits accounts into batches and fans out scrapeAccounts activities with
 * bounded parallelism. Large jobs go through child workflows of `chunkSize` accounts each, so no
 * history holds more than a few thousand events. Every account ends either scraped (in the sink) or
 * in `failed` with its reason.
 */
export async function scrapeAccountsWorkflow(input: ScrapeAccountsWorkflowInput): Promise<ScrapeSummary> {
  const params = validate(input);
  const runKey = params.runKey;
  const progress: FanOutProgress = { stage: 'scrape', batchesDone: 0, batchesTotal: 0, accountsDone: 0, accountsTotal: 0 };
  setHandler(progressQuery, () => progress);

  const fromList = input.accountIds !== undefined;
  const unique = fromList ? [...new Set(input.accountIds)] : [];
  const duplicatesDropped = fromList ? (input.accountIds?.length ?? 0) - unique.length : 0;

  if (fromList && unique.length <= params.chunkSize) {
    const summary = await scrapeInBatches(unique, params, progress);
    return { ...summary, duplicatesDropped };
  }

  const { loadAccountIds } = proxyActivities<Activities>(activityPolicies.loadAccountIds);
  const chunkInputs: string[][] = fromList ? chunk(unique, params.chunkSize) : [];
  if (!fromList) {
    // Page through the file one chunk at a time: only chunk-sized lists ever travel through this history.
    for (let offset = 0; ; offset += params.chunkSize) {
      const source = input.accountList !== undefined ? { list: input.accountList } : { file: input.accountsFile as string };
      const page = await loadAccountIds({ ...source, offset, limit: params.chunkSize });
      if (page.accountIds.length) chunkInputs.push(page.accountIds);
      if (page.done) break;
    }
  }
  progress.accountsTotal = chunkInputs.reduce((n, c) => n + c.length, 0);
  progress.batchesTotal = chunkInputs.reduce((n, c) => n + Math.ceil(c.length / params.batchSize), 0);

  // Batch numbers run on across chunks, so every batch in the summary has one number.
  const batchOffsets = chunkInputs.map((_, i) =>
    chunkInputs.slice(0, i).reduce((n, c) => n + Math.ceil(c.length / params.batchSize), 0),
  );
  const parts = await mapBounded(chunkInputs, params.maxConcurrentChunks, async (accountIds, i) => {
    const part = await executeChild(scrapeChunkWorkflow, {
      workflowId: `${workflowInfo().workflowId}/chunk-${i}`,
      args: [{ ...params, accountIds, batchOffset: batchOffsets[i] ?? 0 }],
    });
    progress.batchesDone += part.batches.length;
    progress.accountsDone += accountIds.length;
    return part;
  });
  return { ...merge(runKey, parts, chunkInputs.length), duplicatesDropped };
}

type ScrapeParams = Required<Pick<ScrapeAccountsWorkflowInput, 'batchSize' | 'maxConcurrentBatches' | 'chunkSize' | 'maxConcurrentChunks' | 'runKey'>> &
  Pick<ScrapeAccountsWorkflowInput, 'maxPostsPerAccount' | 'pageSize' | 'since' | 'retry'>;

/** One chunk of a large scrape, run as a child so its batches' events live in its own history. */
export async function scrapeChunkWorkflow(input: ScrapeParams & { accountIds: string[]; batchOffset: number }): Promise<ScrapeSummary> {
  const params = validate(input, 'scrapeChunkWorkflow');
  const batchOffset = requireInt('scrapeChunkWorkflow', 'batchOffset', input.batchOffset, 0, 10_000_000) ?? 0;
  const progress: FanOutProgress = { stage: 'scrape', batchesDone: 0, batchesTotal: 0, accountsDone: 0, accountsTotal: 0 };
  setHandler(progressQuery, () => progress);
  return scrapeInBatches(input.accountIds, params, progress, batchOffset);
}

async function scrapeInBatches(
  accountIds: string[],
  params: ScrapeParams,
  progress: FanOutProgress,
  batchOffset = 0,
): Promise<ScrapeSummary> {
  const { scrapeAccounts } = proxyActivities<Activities>(withRetry(activityPolicies.scrapeAccounts, params.retry));
  const batches = chunk(accountIds, params.batchSize);
  progress.batchesTotal = batches.length;
  progress.accountsTotal = accountIds.length;
  let sink: SinkRef | null = null;

  const results = await mapBounded(batches, params.maxConcurrentBatches, async (batch, i) => {
    const index = batchOffset + i;
    let outcome: { summary: BatchSummary; failed: FailedAccount[] };
    try {
      const r: ScrapeResult = await scrapeAccounts({
        accountIds: batch,
        runKey: params.runKey,
        maxPostsPerAccount: params.maxPostsPerAccount,
        pageSize: params.pageSize,
        since: params.since,
      });
      sink = r.sink;
      outcome = {
        summary: { batch: index, accounts: batch.length, scraped: r.scraped, failed: r.failed.length, posts: r.posts },
        failed: r.failed,
      };
    } catch (err) {
      // Bad input is the same for every batch: the run fails with it rather than listing every account as failed.
      if (isCancellation(err) || isInvalidInput(err)) throw err;
      // Retries are spent: the batch's accounts are reported as failed, with the cause, not hidden.
      const reason = failureReason(err);
      outcome = {
        summary: { batch: index, accounts: batch.length, scraped: 0, failed: batch.length, posts: 0, error: reason },
        failed: batch.map((accountId) => ({ accountId, reason })),
      };
    }
    progress.batchesDone++;
    progress.accountsDone += batch.length;
    return outcome;
  });

  const failed = results.flatMap((r) => r.failed);
  return {
    runKey: params.runKey,
    sink,
    accounts: accountIds.length,
    duplicatesDropped: 0,
    scraped: results.reduce((n, r) => n + r.summary.scraped, 0),
    failedTotal: failed.length,
    failed: failed.slice(0, MAX_LISTED_FAILURES),
    posts: results.reduce((n, r) => n + r.summary.posts, 0),
    batches: results.map((r) => r.summary),
    chunks: 1,
  };
}

function merge(runKey: string, parts: ScrapeSummary[], chunks: number): ScrapeSummary {
  const failed = parts.flatMap((p) => p.failed);
  return {
    runKey,
    sink: parts.find((p) => p.sink)?.sink ?? null,
    accounts: parts.reduce((n, p) => n + p.accounts, 0),
    duplicatesDropped: 0,
    scraped: parts.reduce((n, p) => n + p.scraped, 0),
    failedTotal: parts.reduce((n, p) => n + p.failedTotal, 0),
    failed: failed.slice(0, MAX_LISTED_FAILURES),
    posts: parts.reduce((n, p) => n + p.posts, 0),
    batches: parts.flatMap((p) => p.batches),
    chunks,
  };
}

/** Every field the scrape workflow reads; anything else is refused (a misspelt option would be silently ignored). */
export const SCRAPE_INPUT_KEYS = [
  'accountIds', 'accountsFile', 'accountList', 'batchSize', 'maxConcurrentBatches', 'chunkSize', 'maxConcurrentChunks',
  'maxPostsPerAccount', 'pageSize', 'since', 'runKey', 'retry',
] as const;

const ACCOUNT_ID = /^[A-Za-z0-9_.-]{1,64}$/;
/** A date (2025-01-31) or a date-time with a zone (2025-01-31T12:00:00Z, …+02:00), as the activity accepts. */
const SINCE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

function validate(raw: unknown, workflow: string = WORKFLOW): ScrapeParams {
  const input = requireObject(workflow, raw);
  requireKnownKeys(workflow, input, workflow === WORKFLOW ? SCRAPE_INPUT_KEYS : [...SCRAPE_INPUT_KEYS, 'batchOffset']);
  checkScrapeFields(workflow, input);
  const runKey = input.runKey ?? workflowInfo().workflowId.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 128);
  if (typeof runKey !== 'string' || !/^[A-Za-z0-9_.-]{1,128}$/.test(runKey) || runKey === '.' || runKey === '..') {
    throw invalidInput(workflow, 'runKey', 'must be 1-128 of A-Z a-z 0-9 _ . -');
  }
  return {
    batchSize: requireInt(workflow, 'batchSize', input.batchSize, 1, 1_000) ?? 100,
    maxConcurrentBatches: requireInt(workflow, 'maxConcurrentBatches', input.maxConcurrentBatches, 1, 64) ?? 4,
    chunkSize: requireInt(workflow, 'chunkSize', input.chunkSize, 1, 20_000) ?? 5_000,
    maxConcurrentChunks: requireInt(workflow, 'maxConcurrentChunks', input.maxConcurrentChunks, 1, 16) ?? 2,
    runKey,
    maxPostsPerAccount: input.maxPostsPerAccount as number | undefined,
    pageSize: input.pageSize as number | undefined,
    since: input.since as string | undefined,
    retry: checkRetry(workflow, input.retry),
  };
}

/**
 * The account list and the scrape options, as the scrape workflow and the pipeline (before its first
 * stage) check them: exactly one of accountIds, accountsFile and accountList, IDs that are safe as a path segment and
 * a file name, limits in range. Duplicates are allowed (dropped and counted in the result).
 */
export function checkScrapeFields(workflow: string, input: InputObject): void {
  const hasList = input.accountIds !== undefined;
  if ([input.accountIds, input.accountsFile, input.accountList].filter((v) => v !== undefined).length !== 1) {
    throw invalidInput(workflow, 'accountIds', 'give exactly one of accountIds, accountsFile or accountList');
  }
  if (hasList) {
    const ids = input.accountIds;
    if (!Array.isArray(ids) || ids.length === 0) {
      throw invalidInput(workflow, 'accountIds', 'must be a non-empty array of account IDs');
    }
    if (ids.length > MAX_INLINE_ACCOUNTS) {
      throw invalidInput(workflow, 'accountIds', `has ${ids.length} IDs; more than ${MAX_INLINE_ACCOUNTS} must come from accountsFile`);
    }
    const bad = ids.findIndex((id) => typeof id !== 'string' || !ACCOUNT_ID.test(id) || id === '.' || id === '..');
    if (bad >= 0) {
      throw invalidInput(workflow, `accountIds.${bad}`, `${JSON.stringify(ids[bad])?.slice(0, 80)} is not an account ID (1-64 of A-Z a-z 0-9 _ . -)`);
    }
  } else if (input.accountList !== undefined) {
    if (typeof input.accountList !== 'string' || !/^[A-Za-z0-9_.-]{1,128}$/.test(input.accountList) || ['.', '..'].includes(input.accountList)) {
      throw invalidInput(workflow, 'accountList', 'must be the name of a list imported with viralflow accounts import (A-Z a-z 0-9 _ . -)');
    }
  } else if (typeof input.accountsFile !== 'string' || !/^[A-Za-z0-9_.-]{1,128}$/.test(input.accountsFile) || ['.', '..'].includes(input.accountsFile)) {
    throw invalidInput(workflow, 'accountsFile', 'must be a file name under <dataDir>/accounts/ (A-Z a-z 0-9 _ . -)');
  }
  requireInt(workflow, 'maxPostsPerAccount', input.maxPostsPerAccount, 1, 10_000);
  requireInt(workflow, 'pageSize', input.pageSize, 1, 100);
  requireInt(workflow, 'batchSize', input.batchSize, 1, 1_000);
  requireInt(workflow, 'maxConcurrentBatches', input.maxConcurrentBatches, 1, 64);
  requireInt(workflow, 'chunkSize', input.chunkSize, 1, 20_000);
  requireInt(workflow, 'maxConcurrentChunks', input.maxConcurrentChunks, 1, 16);
  const since = input.since;
  if (since !== undefined && (typeof since !== 'string' || !SINCE.test(since) || Number.isNaN(Date.parse(since)))) {
    throw invalidInput(workflow, 'since', `must be an ISO date (2025-01-31) or date-time with a zone (2025-01-31T00:00:00Z), got ${JSON.stringify(since)?.slice(0, 60)}`);
  }
}

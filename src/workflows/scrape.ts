import { executeChild, isCancellation, patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { FailedAccount, ScrapeResult } from '../activities/scraper';
import { runKeyFor } from '../contracts/names';
import {
  SCRAPE_DEFAULTS,
  scrapeAccountsWorkflowInput,
  scrapeChunkWorkflowInput,
  type ScrapeAccountsWorkflowInput,
  type ScrapeChunkWorkflowInput,
} from '../contracts/scrape';
import type { SinkRef } from '../sink/types';
import { chunk, mapBounded } from './bounded';
import { scrapeDetails } from './details';
import { failureReason } from './failure-reason';
import { isInvalidInput, parseWorkflowInput } from './invalid-input';
import { activityPolicies, withRetry } from './policies';
import { trackProgress, type ProgressTracker } from './progress';
import {
  advanceMarksSummary,
  discardBatchSummary,
  loadAccountsSummary,
  scrapeBatchSummary,
  scrapeChunkSummary,
} from './summaries';

export type { ScrapeAccountsWorkflowInput } from '../contracts/scrape';

/** Failed accounts listed in a result; the count is always complete. */
export const MAX_LISTED_FAILURES = 1_000;

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
  /** What the run found against the store's marks (absent in summaries from before incremental scraping). */
  observed?: Observed;
  batches: BatchSummary[];
  chunks: number;
}

/** Of a run's posts: new ones (newer than their account's mark), posts read again to refresh, and accounts with neither. */
export interface Observed {
  newPosts: number;
  refreshedPosts: number;
  unchangedAccounts: number;
}

/**
 * ViralScraperOperator's DAG: splits accounts into batches and fans out scrapeAccounts activities with
 * bounded parallelism. Large jobs go through child workflows of `chunkSize` accounts each, so no
 * history holds more than a few thousand events. Every account ends either scraped (in the sink) or
 * in `failed` with its reason.
 */
export async function scrapeAccountsWorkflow(raw: ScrapeAccountsWorkflowInput): Promise<ScrapeSummary> {
  const input = parseWorkflowInput('scrapeAccountsWorkflow', scrapeAccountsWorkflowInput, raw);
  const params = withDefaults({ ...input, runKey: input.runKey ?? runKeyFor(workflowInfo().workflowId) });
  const runKey = params.runKey;
  const progress = trackProgress('scrape', scrapeDetails);

  const fromList = input.accountIds !== undefined;
  const unique = fromList ? [...new Set(input.accountIds)] : [];
  const duplicatesDropped = fromList ? (input.accountIds?.length ?? 0) - unique.length : 0;

  if (fromList && unique.length <= params.chunkSize) {
    const summary = await scrapeInBatches(unique, params, progress);
    await advanceMarks(runKey);
    progress.set({ stage: 'done' });
    return { ...summary, duplicatesDropped };
  }

  const { loadAccountIds } = proxyActivities<Activities>(activityPolicies.loadAccountIds);
  const chunkInputs: string[][] = fromList ? chunk(unique, params.chunkSize) : [];
  let listedDuplicates = 0;
  if (!fromList) {
    // Page through the list one chunk at a time: only chunk-sized lists ever travel through this history.
    const source =
      input.accountList !== undefined ? { list: input.accountList } : { file: input.accountsFile as string };
    // A stored list or file may repeat IDs (exports often do): each account is scraped once, by one batch,
    // and the repeats are counted. Patched: runs from before scraped repeats twice, and replay as they ran.
    const seen = patched('dedupe-listed-accounts') ? new Set<string>() : undefined;
    for (let offset = 0; ; offset += params.chunkSize) {
      const request = { ...source, offset, limit: params.chunkSize };
      const page = await loadAccountIds.executeWithOptions({ summary: loadAccountsSummary(request) }, [request]);
      const ids = seen ? page.accountIds.filter((id) => !seen.has(id) && Boolean(seen.add(id))) : page.accountIds;
      listedDuplicates += page.accountIds.length - ids.length;
      if (ids.length) chunkInputs.push(ids);
      if (page.done) break;
    }
  }
  progress.set({
    accountsTotal: chunkInputs.reduce((n, c) => n + c.length, 0),
    batchesTotal: chunkInputs.reduce((n, c) => n + Math.ceil(c.length / params.batchSize), 0),
  });

  // Batch numbers run on across chunks, so every batch in the summary has one number.
  const batchOffsets = chunkInputs.map((_, i) =>
    chunkInputs.slice(0, i).reduce((n, c) => n + Math.ceil(c.length / params.batchSize), 0),
  );
  const parts = await mapBounded(chunkInputs, params.maxConcurrentChunks, async (accountIds, i) => {
    const batchOffset = batchOffsets[i] ?? 0;
    const part = await executeChild(scrapeChunkWorkflow, {
      workflowId: `${workflowInfo().workflowId}/chunk-${i}`,
      args: [{ ...params, accountIds, batchOffset }],
      staticSummary: scrapeChunkSummary({
        index: i,
        of: chunkInputs.length,
        accounts: accountIds.length,
        batchSize: params.batchSize,
        firstBatch: batchOffset,
      }),
    });
    progress.add({
      batchesDone: part.batches.length,
      accountsDone: accountIds.length,
      scraped: part.scraped,
      failed: part.failedTotal,
      posts: part.posts,
    });
    return part;
  });
  await advanceMarks(runKey);
  progress.set({ stage: 'done' });
  return { ...merge(runKey, parts, chunkInputs.length), duplicatesDropped: duplicatesDropped + listedDuplicates };
}

/**
 * Once the run's output is final (every batch done, failed ones discarded), its accounts' marks move to
 * their newest stored post. Patched: runs from before did not, and replay as they ran.
 */
async function advanceMarks(runKey: string): Promise<void> {
  if (!patched('scrape-advance-watermarks')) return;
  const { advanceWatermarks } = proxyActivities<Activities>(activityPolicies.advanceWatermarks);
  await advanceWatermarks.executeWithOptions({ summary: advanceMarksSummary }, [{ runKey }]);
}

type ScrapeParams = ReturnType<typeof withDefaults>;

/** The settings without the account source, the contract's `@default`s filled in: what each chunk receives. */
function withDefaults(input: Omit<ScrapeChunkWorkflowInput, 'batchOffset'>) {
  const { accountIds: _ids, accountsFile: _file, accountList: _list, ...settings } = input;
  return {
    ...settings,
    batchSize: input.batchSize ?? SCRAPE_DEFAULTS.batchSize,
    maxConcurrentBatches: input.maxConcurrentBatches ?? SCRAPE_DEFAULTS.maxConcurrentBatches,
    chunkSize: input.chunkSize ?? SCRAPE_DEFAULTS.chunkSize,
    maxConcurrentChunks: input.maxConcurrentChunks ?? SCRAPE_DEFAULTS.maxConcurrentChunks,
  };
}

/** One chunk of a large scrape, run as a child so its batches' events live in its own history. */
export async function scrapeChunkWorkflow(raw: ScrapeChunkWorkflowInput): Promise<ScrapeSummary> {
  const { batchOffset = 0, ...input } = parseWorkflowInput('scrapeChunkWorkflow', scrapeChunkWorkflowInput, raw);
  const params = withDefaults(input);
  const progress = trackProgress('scrape', scrapeDetails);
  const summary = await scrapeInBatches(input.accountIds ?? [], params, progress, batchOffset);
  progress.set({ stage: 'done' });
  return summary;
}

async function scrapeInBatches(
  accountIds: string[],
  params: ScrapeParams,
  progress: ProgressTracker,
  batchOffset = 0,
): Promise<ScrapeSummary> {
  const { scrapeAccounts } = proxyActivities<Activities>(withRetry(activityPolicies.scrapeAccounts, params.retry));
  const { discardAccounts } = proxyActivities<Activities>(withRetry(activityPolicies.discardAccounts, params.retry));
  const batches = chunk(accountIds, params.batchSize);
  progress.set({ batchesTotal: batches.length, accountsTotal: accountIds.length });
  let sink: SinkRef | null = null;

  const results = await mapBounded(batches, params.maxConcurrentBatches, async (batch, i) => {
    const index = batchOffset + i;
    const position = { index: i, of: batches.length, accounts: batch.length, firstBatch: batchOffset };
    let outcome: { summary: BatchSummary; failed: FailedAccount[]; observed?: Observed };
    try {
      const r: ScrapeResult = await scrapeAccounts.executeWithOptions({ summary: scrapeBatchSummary(position) }, [
        {
          accountIds: batch,
          runKey: params.runKey,
          maxPostsPerAccount: params.maxPostsPerAccount,
          pageSize: params.pageSize,
          since: params.since,
          ...(params.mode !== undefined && { mode: params.mode }),
          ...(params.refreshWindowHours !== undefined && { refreshWindowHours: params.refreshWindowHours }),
        },
      ]);
      sink = r.sink;
      outcome = {
        summary: { batch: index, accounts: batch.length, scraped: r.scraped, failed: r.failed.length, posts: r.posts },
        failed: r.failed,
        // Results from before incremental scraping have no split: all their posts were new.
        observed: {
          newPosts: r.newPosts ?? r.posts,
          refreshedPosts: r.refreshedPosts ?? 0,
          unchangedAccounts: r.unchangedAccounts ?? 0,
        },
      };
    } catch (err) {
      // Bad input is the same for every batch: the run fails with it rather than listing every account as failed.
      if (isCancellation(err) || isInvalidInput(err)) throw err;
      // Retries are spent: the batch's accounts are reported as failed, with the cause, not hidden, and
      // what earlier attempts finished of them leaves the store, so it holds exactly what the summary counts.
      // Patched: runs from before did not, and replay as they ran.
      if (patched('discard-failed-batches'))
        await discardAccounts.executeWithOptions({ summary: discardBatchSummary(position) }, [
          { runKey: params.runKey, accountIds: batch },
        ]);
      const reason = failureReason(err);
      outcome = {
        summary: { batch: index, accounts: batch.length, scraped: 0, failed: batch.length, posts: 0, error: reason },
        failed: batch.map((accountId) => ({ accountId, reason })),
      };
    }
    const { scraped, failed, posts } = outcome.summary;
    progress.add({ batchesDone: 1, accountsDone: batch.length, scraped, failed, posts });
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
    observed: sumObserved(results.map((r) => r.observed)),
    batches: results.map((r) => r.summary),
    chunks: 1,
  };
}

const sumObserved = (parts: ReadonlyArray<Observed | undefined>): Observed => ({
  newPosts: parts.reduce((n, p) => n + (p?.newPosts ?? 0), 0),
  refreshedPosts: parts.reduce((n, p) => n + (p?.refreshedPosts ?? 0), 0),
  unchangedAccounts: parts.reduce((n, p) => n + (p?.unchangedAccounts ?? 0), 0),
});

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
    observed: sumObserved(parts.map((p) => p.observed)),
    batches: parts.flatMap((p) => p.batches),
    chunks,
  };
}

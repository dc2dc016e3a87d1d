/** The product scrapeAccounts activity, as the worker builds it, or with only its account concurrency changed. */
import { createScrapeAccounts, type ScrapeAccountsInput, type ScrapeResult } from '../../../src/activities/scraper';
import { createNdjsonSink } from '../../../src/sink/ndjson-sink';
import type { PreparedVariant, VariantContext } from '../../child/variant';
import { createMemorySink } from '../../experiments/memory-sink';
import { inActivityContext } from '../../in-activity-context';
import { productActivities } from '../../product-activities';
import { ACCOUNT_IDS, ACCOUNTS, PAGE_SIZE, POSTS_PER_ACCOUNT } from './workload';

const input: ScrapeAccountsInput = { accountIds: ACCOUNT_IDS, runKey: 'bench-scraper', pageSize: PAGE_SIZE };

function checkScraped(result: ScrapeResult): void {
  if (result.scraped !== ACCOUNTS || result.posts !== ACCOUNTS * POSTS_PER_ACCOUNT) {
    throw new Error(
      `scrapeAccounts: ${result.scraped} accounts / ${result.posts} posts, failed: ${JSON.stringify(result.failed.slice(0, 3))}`,
    );
  }
}

export async function viralflow(ctx: VariantContext): Promise<PreparedVariant> {
  const product = productActivities(ctx.simUrl, ctx.dataDir);
  return {
    run: async () => checkScraped(await inActivityContext(product.activities.scrapeAccounts, input)),
    poolTotals: product.poolTotals,
    close: product.close,
  };
}

export interface ScraperExperiment {
  /** Accounts in flight (the product passes 4 per pooled connection: 128 with C = 32). */
  accountConcurrency: number;
  /** 'memory' serializes records but does no file I/O (bench/experiments/memory-sink.ts). */
  sink: 'ndjson' | 'memory';
  /** The activity's heartbeat coalescing; absent: its default. */
  heartbeatEveryMs?: number;
}

/**
 * The same activity code with its deps changed, which createScrapeAccounts takes from its caller:
 * evidence for a proposed change without editing src/.
 */
export function viralflowExperiment(experiment: ScraperExperiment) {
  return async (ctx: VariantContext): Promise<PreparedVariant> => {
    const product = productActivities(ctx.simUrl, ctx.dataDir);
    const memory = createMemorySink();
    const scrapeAccounts = createScrapeAccounts({
      social: product.deps.social,
      concurrency: experiment.accountConcurrency,
      ...(experiment.heartbeatEveryMs !== undefined && { heartbeatEveryMs: experiment.heartbeatEveryMs }),
      sinkFor: (runKey) =>
        experiment.sink === 'memory' ? memory : createNdjsonSink(product.deps.config.dataDir, runKey),
    });
    return {
      run: async () => checkScraped(await inActivityContext(scrapeAccounts, input)),
      poolTotals: product.poolTotals,
      close: product.close,
    };
  };
}

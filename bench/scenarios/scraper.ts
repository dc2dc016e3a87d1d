/**
 * ViralScraperOperator → scrapeAccounts: one batch of 100 accounts, 25 posts each read in pages of
 * 10 (profile + 3 chained pages = 4 requests per account, 400 per batch), posts to the NDJSON sink.
 */
import { scraperFloor } from '../floor';
import { ACCOUNTS, PAGE_SIZE, PAGES, POSTS_PER_ACCOUNT } from '../variants/scraper/workload';
import { CONNECTIONS, fixedLatencySim, LATENCY_MS } from '../workload';
import { runs, type OperatorScenario } from './scenario';

const floor = scraperFloor({ accounts: ACCOUNTS, pages: PAGES, connections: CONNECTIONS, latencyMs: LATENCY_MS });

export const scraperScenario: OperatorScenario = {
  name: 'scraper',
  operator: 'ViralScraperOperator → scrapeAccounts',
  workload: `${ACCOUNTS} accounts × ${POSTS_PER_ACCOUNT} posts in pages of ${PAGE_SIZE} (profile + ${PAGES} chained pages each = ${floor.requests} requests), L = ${LATENCY_MS} ms, C = ${CONNECTIONS}`,
  sim: fixedLatencySim({ postsPerAccount: POSTS_PER_ACCOUNT }),
  params: {},
  variants: {
    naive: async () => (await import('../variants/scraper/naive.js')).naive,
    viralflow: async () => (await import('../variants/scraper/viralflow.js')).viralflow,
    'viralflow-c100': async () => (await import('../variants/scraper/viralflow.js')).viralflowExperiment({ accountConcurrency: ACCOUNTS, sink: 'ndjson' }),
    'viralflow-memsink': async () => (await import('../variants/scraper/viralflow.js')).viralflowExperiment({ accountConcurrency: CONNECTIONS, sink: 'memory' }),
    'viralflow-c100-memsink': async () =>
      (await import('../variants/scraper/viralflow.js')).viralflowExperiment({ accountConcurrency: ACCOUNTS, sink: 'memory' }),
    raw: async () => (await import('../variants/scraper/raw.js')).raw,
  },
  plan: (quick) => [
    { variant: 'naive', label: 'naive (pre-review shape)', role: 'naive', ...runs(quick, [0, 30], [0, 1]) },
    { variant: 'viralflow', label: 'viralflow', role: 'viralflow', ...runs(quick, [10, 200], [3, 15]) },
    // Evidence for the recommendations, full runs only: the same activity code with one dependency changed.
    ...(quick
      ? []
      : [
          {
            variant: 'viralflow-c100',
            label: `experiment: viralflow with ${ACCOUNTS} accounts in flight`,
            role: 'experiment' as const,
            ...runs(quick, [5, 40], [0, 0]),
          },
          {
            variant: 'viralflow-c100-memsink',
            label: `experiment: ${ACCOUNTS} accounts in flight, sink without file I/O`,
            role: 'experiment' as const,
            ...runs(quick, [5, 40], [0, 0]),
          },
        ]),
    { variant: 'raw', label: 'bare keep-alive client, optimal order (reference)', role: 'raw', ...runs(quick, [5, 40], [2, 10]) },
  ],
  floor: { analyticMs: floor.ms, formula: floor.formula, minRequests: floor.requests },
  notes: [
    'naive: one account at a time, profile then each page in turn, a new TCP connection per request, results kept in memory (no sink).',
    'viralflow: the product activity in an activity Context (MockActivityEnvironment), the default pool, posts written to the NDJSON sink on local ext4 (fsync + rename per account).',
    `experiments (full runs): the same activity code built by the bench with concurrency ${ACCOUNTS} instead of the pool size (${CONNECTIONS}), and additionally with a sink that serializes every record but does no file I/O (bench/experiments/memory-sink.ts); createScrapeAccounts takes both from its deps, nothing in src/ changed.`,
  ],
};

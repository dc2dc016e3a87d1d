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
    'viralflow-postgres': async () => (await import('../variants/scraper/store.js')).postgresStore,
    'viralflow-c32': async () =>
      (await import('../variants/scraper/viralflow.js')).viralflowExperiment({
        accountConcurrency: CONNECTIONS,
        sink: 'ndjson',
      }),
    'viralflow-beat-every-change': async () =>
      (await import('../variants/scraper/viralflow.js')).viralflowExperiment({
        accountConcurrency: ACCOUNTS,
        sink: 'ndjson',
        heartbeatEveryMs: 0,
      }),
    'viralflow-memsink': async () =>
      (await import('../variants/scraper/viralflow.js')).viralflowExperiment({
        accountConcurrency: ACCOUNTS,
        sink: 'memory',
      }),
    raw: async () => (await import('../variants/scraper/raw.js')).raw,
    'raw-files': async () => (await import('../variants/scraper/raw.js')).rawWithFiles,
  },
  plan: (quick) => [
    { variant: 'naive', label: 'naive (pre-review shape)', role: 'naive', ...runs(quick, [0, 30], [0, 1]) },
    { variant: 'viralflow', label: 'viralflow', role: 'viralflow', ...runs(quick, [10, 200], [3, 15]) },
    {
      variant: 'viralflow-postgres',
      label: 'viralflow, PostgreSQL results store',
      role: 'experiment',
      ...runs(quick, [10, 200], [3, 15]),
    },
    // Evidence for the recommendations, full runs only: the same activity code with one dependency changed.
    ...(quick
      ? []
      : [
          {
            variant: 'viralflow-c32',
            label: `experiment: viralflow with ${CONNECTIONS} accounts in flight (one per connection, the earlier default)`,
            role: 'experiment' as const,
            ...runs(quick, [5, 40], [0, 0]),
          },
          {
            variant: 'viralflow-beat-every-change',
            label: 'experiment: viralflow heartbeating every change (heartbeatEveryMs 0)',
            role: 'experiment' as const,
            ...runs(quick, [5, 40], [0, 0]),
          },
          {
            variant: 'viralflow-memsink',
            label: 'experiment: viralflow with a sink without file I/O',
            role: 'experiment' as const,
            ...runs(quick, [5, 40], [0, 0]),
          },
        ]),
    {
      variant: 'raw',
      label: 'bare keep-alive client, optimal order (reference)',
      role: 'raw',
      ...runs(quick, [5, 40], [2, 10]),
    },
    {
      variant: 'raw-files',
      label: 'bare keep-alive client + one NDJSON file per account (write, fsync, rename; reference)',
      role: 'experiment',
      ...runs(quick, [5, 40], [2, 10]),
    },
  ],
  floor: { analyticMs: floor.ms, formula: floor.formula, minRequests: floor.requests },
  notes: [
    "bare client + files: the bare client's requests, then each account's profile and posts written as the product's sink leaves them (one file, one write, fsync, rename; no checkpoints): the file I/O the NDJSON row cannot avoid, on this machine's disk.",
    'naive: one account at a time, profile then each page in turn, a new TCP connection per request, results kept in memory (no sink).',
    "viralflow: the product activity in an activity Context (MockActivityEnvironment, each heartbeat's details converted to payloads as a worker does), the default pool, posts written to the NDJSON sink on local ext4 (fsync + rename per account).",
    `experiment: viralflow heartbeating every change: the same activity with heartbeatEveryMs 0 instead of its default, the shape before heartbeats were coalesced.`,
    "viralflow, PostgreSQL results store: the same, built with VIRALFLOW_DATABASE_URL set, against a local PostgreSQL 15 (fsync on) started by the variant; CPU per execution is the activity's alone, not the server's.",
    `viralflow keeps up to 4 accounts per pooled connection in flight (128 with C = ${CONNECTIONS}), so the whole batch of ${ACCOUNTS} is in flight and the pool's queue keeps every connection busy; each account's next page is requested before the current one is written, and its first requests go out while its file opens.`,
    `experiments (full runs): the same activity code built by the bench with ${CONNECTIONS} accounts in flight (one per connection, as before), and with a sink that serializes every record but does no file I/O (bench/experiments/memory-sink.ts); createScrapeAccounts takes both from its deps.`,
  ],
};

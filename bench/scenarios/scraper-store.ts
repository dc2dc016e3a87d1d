/**
 * scrapeAccounts with each results store on the scraper scenario's workload: the NDJSON folder (one
 * machine) beside PostgreSQL (shared by every worker), the same product activity built by the same deps.
 */
import { scraperFloor } from '../floor';
import { ACCOUNTS, PAGE_SIZE, PAGES, POSTS_PER_ACCOUNT } from '../variants/scraper/workload';
import { CONNECTIONS, fixedLatencySim, LATENCY_MS } from '../workload';
import { runs, type OperatorScenario } from './scenario';

const floor = scraperFloor({ accounts: ACCOUNTS, pages: PAGES, connections: CONNECTIONS, latencyMs: LATENCY_MS });

export const scraperStoreScenario: OperatorScenario = {
  name: 'scraper-store',
  operator: 'scrapeAccounts → results store (NDJSON | PostgreSQL)',
  workload: `${ACCOUNTS} accounts × ${POSTS_PER_ACCOUNT} posts in pages of ${PAGE_SIZE} (${floor.requests} requests), L = ${LATENCY_MS} ms, C = ${CONNECTIONS}`,
  sim: fixedLatencySim({ postsPerAccount: POSTS_PER_ACCOUNT }),
  params: {},
  variants: {
    ndjson: async () => (await import('../variants/scraper/store.js')).ndjsonStore,
    postgres: async () => (await import('../variants/scraper/store.js')).postgresStore,
  },
  plan: (quick) => [
    {
      variant: 'ndjson',
      label: 'viralflow, NDJSON store (default)',
      role: 'viralflow',
      ...runs(quick, [10, 200], [3, 15]),
    },
    {
      variant: 'postgres',
      label: 'viralflow, PostgreSQL store',
      role: 'experiment',
      ...runs(quick, [10, 200], [3, 15]),
    },
  ],
  floor: { analyticMs: floor.ms, formula: floor.formula, minRequests: floor.requests },
  notes: [
    'Both rows: the product activity built by createActivityDeps/createActivities from config; VIRALFLOW_DATABASE_URL set for the PostgreSQL row only.',
    'PostgreSQL: a local server (Debian binaries, fsync on) started by the variant before warm-up; every execution re-runs the same run key, so each account is published again (replaced) as a re-run would.',
    "CPU per execution is the bench child's (the activity's) alone; the PostgreSQL server's own CPU is in the store suite's table (npm run bench -- store).",
  ],
};

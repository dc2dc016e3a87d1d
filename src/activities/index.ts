import { createLoadAccountIds } from './account-list';
import type { ActivityDeps } from './deps';
import { createDiscardAccounts } from './discard-accounts';
import { createExtractPatterns } from './engine';
import { createEvidenceActivities } from './evidence';
import { createCheckHealth } from './health';
import { createCollectMetrics } from './metrics-collector';
import { createExtractPatternsFromSink } from './patterns-from-sink';
import { createScrapeAccounts } from './scraper';
import { createPublishWeights, createSampleWeights } from './thompson';
import { createAdvanceWatermarks } from './watermarks';

/** Scraper accounts in flight per pooled connection; each holds an open sink writer while in flight. */
const ACCOUNTS_PER_CONNECTION = 4;

/** All viralflow activities, built from one set of shared dependencies. */
export function createActivities(deps: ActivityDeps) {
  const { config } = deps;
  const concurrency = config.http.connectionsPerOrigin;
  // Marks are per social API: another origin is another set of accounts.
  const markSource = deps.social.origin;
  const extractPatterns = createExtractPatterns({
    engine: deps.engine,
    patternEngine: deps.sources.engine,
    cache: deps.engineCache,
  });
  return {
    checkHealth: createCheckHealth({ services: deps.services, breakers: deps.breakers, concurrency }),
    scrapeAccounts: createScrapeAccounts({
      social: deps.social,
      source: deps.sources.social,
      // More accounts than connections: most of an account's time is a request in flight, so with
      // only one account per connection a connection idles whenever its account is between pages.
      concurrency: ACCOUNTS_PER_CONNECTION * concurrency,
      sinkFor: (runKey, fence) => deps.store.sinkFor(runKey, fence),
      watermarks: (accountIds) => deps.store.watermarks(markSource, accountIds),
    }),
    advanceWatermarks: createAdvanceWatermarks({ marks: deps.store, source: markSource }),
    discardAccounts: createDiscardAccounts({ sinkFor: (runKey, fence) => deps.store.sinkFor(runKey, fence) }),
    loadAccountIds: createLoadAccountIds({ store: deps.store }),
    extractPatterns,
    extractPatternsFromSink: createExtractPatternsFromSink({ store: deps.store, extractPatterns }),
    ...createEvidenceActivities({ ledger: deps.store }),
    sampleWeights: createSampleWeights({ metrics: deps.metrics }),
    publishWeights: createPublishWeights({ experiments: deps.experiments, publisher: deps.sources.publisher }),
    collectMetrics: createCollectMetrics({ services: deps.services, locations: config.services, concurrency }),
  };
}

export type Activities = ReturnType<typeof createActivities>;

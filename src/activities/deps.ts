import { getHeapStatistics } from 'node:v8';
import type { ResponseCache } from '../cache/response-cache';
import { ConfigError } from '../config-error';
import type { Clock } from '../clock';
import { systemClock } from '../clock';
import type { ViralflowConfig } from '../config';
import { createHttpPool, type HttpPool } from '../http/pool';
import { createUpstream, type Upstream } from '../http/upstream';
import type { ViralflowMetrics } from '../metrics/registry';
import { createFleetLimits } from '../rate-limit/fleet-limits';
import { createEngineCache, ENGINE_CACHE_MAX_BYTES, type EngineExtraction } from './engine';
import { engineCacheMaxBytes } from '../memory/worker-memory';
import { createResultsStore } from '../store/create-store';
import type { ResultsStore } from '../store/types';
import { defaultSources } from '../sources/http-sources';
import type { Sources } from '../sources/types';
import {
  createCircuitBreakers,
  DEFAULT_BREAKER_OPTIONS,
  type CircuitBreakerOptions,
  type CircuitBreakers,
} from '../resilience/circuit-breakers';

/** Everything activities are built from: one of each per worker process, shared by every execution. */
export interface ActivityDeps {
  config: ViralflowConfig;
  metrics: ViralflowMetrics;
  pool: HttpPool;
  clock: Clock;
  social: Upstream;
  engine: Upstream;
  experiments: Upstream;
  services: Readonly<Record<string, Upstream>>;
  breakers: CircuitBreakers;
  /** The engine's response cache (in-process LRU, plus Redis when REDIS_URL is set). */
  engineCache: ResponseCache<EngineExtraction>;
  /** Where results go and later stages read them: one PostgreSQL pool (or the data folder) per process. */
  store: ResultsStore;
  /** What the scraper, the engine activity and the publisher ask their APIs through (`social`, `engine`, `experiments`). */
  sources: Sources;
}

export interface DepsOverrides {
  clock?: Clock;
  breakerOptions?: CircuitBreakerOptions;
  /** A store to use instead of the one the config selects (closed with the deps). */
  store?: ResultsStore;
  /** Sources replacing the defaults (viralflow's HTTP contract), e.g. from `loadSources(config)`. */
  sources?: Partial<Sources>;
}

export function createActivityDeps(
  config: ViralflowConfig,
  metrics: ViralflowMetrics,
  overrides: DepsOverrides = {},
): ActivityDeps & { close(): Promise<void> } {
  if (config.sourcesModule !== undefined && overrides.sources === undefined) {
    // Loading a module is asynchronous; building deps is not. Running on the defaults instead would be a silent surprise.
    throw new ConfigError(
      'VIRALFLOW_SOURCES_MODULE is set but its sources were not loaded: pass `sources: await loadSources(config)`',
    );
  }
  const clock = overrides.clock ?? systemClock;
  const pool: HttpPool = createHttpPool(config.http, metrics);
  // The fleet's rate limits sit in each upstream's request path: every activity gets them without knowing.
  const limits = createFleetLimits(config.rateLimits, {
    metrics: metrics.rateLimit,
    clock,
    ...(config.redisUrl !== undefined && { redisUrl: config.redisUrl }),
  });
  const upstream = (c: ViralflowConfig['social']) => createUpstream(pool, c, clock, limits.for(c.name));
  const store = overrides.store ?? createResultsStore(config, metrics);
  // Its share of this process's heap, whatever the budget node was started with.
  const engineCache = createEngineCache(
    { metrics, clock, ...(config.redisUrl !== undefined && { redisUrl: config.redisUrl }) },
    { maxBytes: engineCacheMaxBytes(getHeapStatistics().heap_size_limit, ENGINE_CACHE_MAX_BYTES) },
  );
  return {
    config,
    metrics,
    pool,
    clock,
    social: upstream(config.social),
    engine: upstream(config.engine),
    experiments: upstream(config.experiments),
    services: Object.fromEntries(Object.entries(config.services).map(([name, c]) => [name, upstream(c)])),
    breakers: createCircuitBreakers(overrides.breakerOptions ?? DEFAULT_BREAKER_OPTIONS, metrics),
    engineCache,
    store,
    sources: { ...defaultSources, ...overrides.sources },
    async close() {
      await Promise.all([pool.close(), engineCache.close(), store.close(), limits.close()]);
    },
  };
}

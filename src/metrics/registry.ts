import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every viralflow metric, on one registry per worker process (not prom-client's global one, so
 * tests and benchmarks can hold several side by side without name clashes).
 */
export interface ViralflowMetrics {
  readonly registry: Registry;
  readonly activityDuration: Histogram<'activity' | 'outcome'>;
  readonly httpRequests: Counter<'origin' | 'status'>;
  readonly httpConnections: Counter<'origin'>;
  readonly cacheRequests: Counter<'cache' | 'result'>;
  readonly circuitState: Gauge<'service'>;
  /** Rows the results store wrote, by table. */
  readonly storeRowsWritten: Counter<'table'>;
  readonly storeOperationDuration: Histogram<'operation' | 'outcome'>;
  /** Reports a database pool's connections on `viralflow_store_pool_connections`; answers an unwatch function. */
  watchStorePool(source: () => StorePoolStats): () => void;
  readonly rateLimit: RateLimitMetrics;
}

export interface StorePoolStats {
  inUse: number;
  idle: number;
  /** Requests queued for a connection. */
  waiting: number;
}

/** The fleet rate limiter's view of each upstream (src/rate-limit). */
export interface RateLimitMetrics {
  /** Requests/s this worker's limiter lets through: the fleet's rate when shared, this worker's share when local. */
  readonly allowedRate: Gauge<'upstream'>;
  /** Seconds left of a pause ordered by a 429 / Retry-After; 0 when not paused. */
  readonly paused: Gauge<'upstream'>;
  /** 1 while the limit is shared through Redis, 0 while this worker keeps to its local share. */
  readonly shared: Gauge<'upstream'>;
  readonly fallbacks: Counter<'upstream'>;
  /** Times the limiter ended attempts (the upstream closed for longer than the wait bound). */
  readonly refusals: Counter<'upstream'>;
  readonly waitSeconds: Histogram<'upstream'>;
}

/** 0.5 ms to 30 s: most requests wait nothing or part of a window; the tail is a queue behind a slow rate. */
export const RATE_LIMIT_WAIT_BUCKETS_SECONDS = [
  0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];

/** 1 ms to 60 s, dense around the 200 ms p99 target so histogram_quantile is precise where it matters. */
export const ACTIVITY_BUCKETS_SECONDS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2.5, 5, 10, 30, 60,
];

export function createMetrics(options: { processMetrics?: boolean } = {}): ViralflowMetrics {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });

  const httpRequests = new Counter({
    name: 'viralflow_http_requests_total',
    help: 'Upstream HTTP requests by origin and status (status "error" when no response arrived).',
    labelNames: ['origin', 'status'] as const,
    registers: [registry],
  });
  const httpConnections = new Counter({
    name: 'viralflow_http_connections_opened_total',
    help: 'New upstream TCP connections opened by the shared pool, by origin.',
    labelNames: ['origin'] as const,
    registers: [registry],
  });

  new Gauge({
    name: 'viralflow_http_connection_reuse_ratio',
    help: 'Share of upstream requests served on an already-open connection: 1 - connections/requests.',
    labelNames: ['origin'] as const,
    registers: [registry],
    // Derived at scrape time from the two counters, so it can never drift from them.
    async collect() {
      const requests = sumByOrigin((await httpRequests.get()).values);
      const connections = sumByOrigin((await httpConnections.get()).values);
      this.reset();
      for (const [origin, count] of requests) {
        if (count > 0) this.set({ origin }, Math.max(0, 1 - (connections.get(origin) ?? 0) / count));
      }
    },
  });

  const storePools = new Set<() => StorePoolStats>();
  new Gauge({
    name: 'viralflow_store_pool_connections',
    help: 'Results store database pool: connections in use, idle, and requests waiting for one.',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const sum: StorePoolStats = { inUse: 0, idle: 0, waiting: 0 };
      for (const source of storePools) {
        const s = source();
        sum.inUse += s.inUse;
        sum.idle += s.idle;
        sum.waiting += s.waiting;
      }
      this.reset();
      if (storePools.size) for (const [state, value] of Object.entries(sum)) this.set({ state }, value);
    },
  });

  return {
    registry,
    httpRequests,
    httpConnections,
    activityDuration: new Histogram({
      name: 'viralflow_activity_execution_seconds',
      help: 'Activity execution time on this worker, by activity type and outcome.',
      labelNames: ['activity', 'outcome'] as const,
      buckets: ACTIVITY_BUCKETS_SECONDS,
      registers: [registry],
    }),
    cacheRequests: new Counter({
      name: 'viralflow_cache_requests_total',
      help: 'Cache look-ups by cache and result (hit or miss).',
      labelNames: ['cache', 'result'] as const,
      registers: [registry],
    }),
    circuitState: new Gauge({
      name: 'viralflow_circuit_state',
      help: 'Circuit breaker state per service: 0 closed, 1 half-open, 2 open.',
      labelNames: ['service'] as const,
      registers: [registry],
    }),
    storeRowsWritten: new Counter({
      name: 'viralflow_store_rows_written_total',
      help: "Rows written by the results store, by table (staged rows are an attempt's unfinished output).",
      labelNames: ['table'] as const,
      registers: [registry],
    }),
    storeOperationDuration: new Histogram({
      name: 'viralflow_store_operation_seconds',
      help: 'Results store operations (one statement or transaction each), by operation and outcome.',
      labelNames: ['operation', 'outcome'] as const,
      buckets: ACTIVITY_BUCKETS_SECONDS,
      registers: [registry],
    }),
    watchStorePool(source) {
      storePools.add(source);
      return () => storePools.delete(source);
    },
    rateLimit: createRateLimitMetrics(registry),
  };
}

function createRateLimitMetrics(registry: Registry): RateLimitMetrics {
  const upstream = ['upstream'] as const;
  return {
    allowedRate: new Gauge({
      name: 'viralflow_rate_limit_allowed_rate',
      help: "Requests per second the limiter lets through to an upstream: the fleet's adaptive rate, or this worker's share while Redis is unreachable.",
      labelNames: upstream,
      registers: [registry],
    }),
    paused: new Gauge({
      name: 'viralflow_rate_limit_paused_seconds',
      help: 'Seconds left before an upstream paused by a 429 / Retry-After takes requests again (0: not paused).',
      labelNames: upstream,
      registers: [registry],
    }),
    shared: new Gauge({
      name: 'viralflow_rate_limit_shared',
      help: "1 while an upstream's limit is shared by the fleet through Redis, 0 while this worker keeps to a local share.",
      labelNames: upstream,
      registers: [registry],
    }),
    fallbacks: new Counter({
      name: 'viralflow_rate_limit_fallbacks_total',
      help: "Times the limiter lost Redis and fell back to this worker's local share, by upstream.",
      labelNames: upstream,
      registers: [registry],
    }),
    refusals: new Counter({
      name: 'viralflow_rate_limit_refusals_total',
      help: 'Times the limiter ended activity attempts because an upstream stayed closed longer than the wait bound.',
      labelNames: upstream,
      registers: [registry],
    }),
    waitSeconds: new Histogram({
      name: 'viralflow_rate_limit_wait_seconds',
      help: 'Time a request waited for the rate limiter (no connection held), by upstream.',
      labelNames: upstream,
      buckets: RATE_LIMIT_WAIT_BUCKETS_SECONDS,
      registers: [registry],
    }),
  };
}

function sumByOrigin(values: ReadonlyArray<{ value: number; labels: Partial<Record<string, string | number>> }>) {
  const sums = new Map<string, number>();
  for (const { value, labels } of values) {
    const origin = String(labels.origin);
    sums.set(origin, (sums.get(origin) ?? 0) + value);
  }
  return sums;
}

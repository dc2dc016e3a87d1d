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
}

export interface StorePoolStats {
  inUse: number;
  idle: number;
  /** Requests queued for a connection. */
  waiting: number;
}

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
      help: 'Rows written by the results store, by table (staged rows are an attempt\'s unfinished output).',
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

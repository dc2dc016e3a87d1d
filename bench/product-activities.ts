/**
 * The product's activities wired exactly as a worker wires them (createActivityDeps +
 * createActivities, default pool of 32 keep-alive connections per origin), pointed at the
 * simulator over real sockets.
 */
import { createActivities, type Activities } from '../src/activities';
import { createActivityDeps, type ActivityDeps } from '../src/activities/deps';
import { loadConfig } from '../src/config';
import { createMetrics } from '../src/metrics/registry';
import type { RequestTotals } from './child/variant';

export interface ProductActivities {
  activities: Activities;
  deps: ActivityDeps;
  /** Requests and new connections of the shared pool, summed over origins. */
  poolTotals(): RequestTotals;
  close(): Promise<void>;
}

export function productActivities(
  simUrl: string,
  dataDir: string,
  env: Record<string, string> = {},
): ProductActivities {
  const config = loadConfig({
    VIRALFLOW_UPSTREAM_URL: simUrl,
    VIRALFLOW_DATA_DIR: dataDir,
    METRICS_PORT: '0',
    TEMPORAL_METRICS_PORT: '0',
    ...env,
  });
  const deps = createActivityDeps(config, createMetrics({ processMetrics: false }));
  return {
    activities: createActivities(deps),
    deps,
    poolTotals() {
      let requests = 0;
      let connections = 0;
      for (const s of Object.values(deps.pool.stats())) {
        requests += s.requests;
        connections += s.connections;
      }
      return { requests, connections };
    },
    close: () => deps.close(),
  };
}

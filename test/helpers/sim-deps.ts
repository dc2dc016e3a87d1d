import { createActivityDeps, type ActivityDeps, type DepsOverrides } from '../../src/activities/deps';
import { loadConfig, type ViralflowConfig } from '../../src/config';
import { createMetrics, type ViralflowMetrics } from '../../src/metrics/registry';
import { startSimulator, type Simulator } from '../../src/sim/server';
import type { SimConfig } from '../../src/sim/types';

export interface SimDeps {
  sim: Simulator;
  config: ViralflowConfig;
  metrics: ViralflowMetrics;
  deps: ActivityDeps;
  close(): Promise<void>;
}

/**
 * A running simulator plus the activity dependencies a worker would build, pointed at it over real
 * sockets. `env` adds or overrides VIRALFLOW_* variables (e.g. pool size, timeouts).
 */
export async function startSimDeps(
  simConfig: SimConfig = {},
  env: Record<string, string> = {},
  overrides: DepsOverrides = {},
): Promise<SimDeps> {
  const sim = await startSimulator({ seed: 42, ...simConfig });
  const config = loadConfig({
    VIRALFLOW_UPSTREAM_URL: sim.url,
    VIRALFLOW_SERVICES: (simConfig.services ?? ['api', 'auth', 'billing', 'search', 'feed']).join(','),
    VIRALFLOW_DATA_DIR: env.VIRALFLOW_DATA_DIR ?? '.data/test',
    METRICS_PORT: '0',
    TEMPORAL_METRICS_PORT: '0',
    ...env,
  });
  const metrics = createMetrics({ processMetrics: false });
  const deps = createActivityDeps(config, metrics, overrides);
  return {
    sim,
    config,
    metrics,
    deps,
    async close() {
      await deps.close();
      await sim.close();
    },
  };
}

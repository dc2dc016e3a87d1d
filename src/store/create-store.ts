import type { ViralflowConfig } from '../config';
import type { ViralflowMetrics } from '../metrics/registry';
import { createNdjsonStore } from './ndjson-store';
import type { ResultsStore } from './types';

/** The store the configuration selects: PostgreSQL when VIRALFLOW_DATABASE_URL is set, else the data folder. */
export function createResultsStore(
  config: Pick<ViralflowConfig, 'dataDir' | 'database'>,
  metrics?: ViralflowMetrics,
): ResultsStore {
  if (config.database) {
    // Loaded only when configured: pg and the store are 36 modules (~2 MB RSS) a worker on NDJSON would hold idle.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a synchronous lazy load; import() is async
    const { createPostgresStore } = require('./postgres/postgres-store') as typeof import('./postgres/postgres-store');
    return createPostgresStore({
      url: config.database.url,
      poolMax: config.database.poolMax,
      ...(metrics && { metrics }),
    });
  }
  return createNdjsonStore(config.dataDir);
}

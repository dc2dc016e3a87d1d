import type { ViralflowConfig } from '../config';
import type { ViralflowMetrics } from '../metrics/registry';
import { createNdjsonStore } from './ndjson-store';
import { createPostgresStore } from './postgres/postgres-store';
import type { ResultsStore } from './types';

/** The store the configuration selects: PostgreSQL when VIRALFLOW_DATABASE_URL is set, else the data folder. */
export function createResultsStore(config: Pick<ViralflowConfig, 'dataDir' | 'database'>, metrics?: ViralflowMetrics): ResultsStore {
  if (config.database) {
    return createPostgresStore({ url: config.database.url, poolMax: config.database.poolMax, ...(metrics && { metrics }) });
  }
  return createNdjsonStore(config.dataDir);
}

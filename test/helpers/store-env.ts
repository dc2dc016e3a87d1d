import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import type { SimConfig } from '../../src/sim/types';
import { startTestDatabase, type TestDatabase } from './postgres';
import { startTemporalEnv, type TemporalEnv } from './temporal-env';

/** Both results stores: a suite about what the store holds runs once on each. */
export const STORE_KINDS = ['ndjson', 'postgres'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

/**
 * A Temporal test environment whose worker uses the `kind` store (PostgreSQL on a database of its own),
 * started in the suite's `before` and stopped in its `after`; `env()` answers it inside the tests.
 */
export function useStoreEnv(kind: StoreKind, sim: SimConfig): () => TemporalEnv {
  let db: TestDatabase | undefined;
  let t: TemporalEnv | undefined;
  before(async () => {
    if (kind === 'postgres') db = await startTestDatabase();
    t = await startTemporalEnv({ sim, ...(db && { env: { VIRALFLOW_DATABASE_URL: db.url } }) });
    assert.equal(t.worker.deps.store.kind, kind);
  });
  after(async () => {
    await t?.close();
    await db?.close();
  });
  return () => {
    assert.ok(t, 'the store environment starts in before()');
    return t;
  };
}

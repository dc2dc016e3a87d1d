import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ViralPipelineResult } from '../../src/workflows/pipeline';
import { startTestDatabase, type TestDatabase } from '../helpers/postgres';
import { startTemporalEnv, type TemporalEnv } from '../helpers/temporal-env';

describe('viralPipelineWorkflow on the PostgreSQL results store', () => {
  let db: TestDatabase;
  let t: TemporalEnv;
  before(async () => {
    db = await startTestDatabase();
    // A fresh database: the worker migrates it at start, as production workers do.
    t = await startTemporalEnv({
      sim: { postsPerAccount: 6, missingAccounts: ['pg-7'] },
      env: { VIRALFLOW_DATABASE_URL: db.url },
    });
  });
  after(async () => {
    await t?.close();
    await db?.close();
  });

  test('a list imported into the store drives the run; every post stored once, read and scored once', async () => {
    const accountIds = Array.from({ length: 300 }, (_, i) => `pg-${i}`);
    assert.equal(t.worker.deps.store.kind, 'postgres');
    await t.worker.deps.store.importAccountList('pg-launch', accountIds);
    const result = (await t.client.workflow.execute('viralPipelineWorkflow', {
      taskQueue: t.taskQueue,
      workflowId: 'pipeline-pg',
      args: [{ accountsFile: 'pg-launch', experimentId: 'exp-pg', batchSize: 50, pageSize: 4 }],
    })) as ViralPipelineResult;
    assert.deepEqual(result.failures, []);
    assert.equal(result.scrape?.scraped, 299);
    assert.deepEqual(
      result.scrape?.failed.map((f) => f.accountId),
      ['pg-7'],
    );
    const runKey = result.scrape!.runKey;
    const [stored] = await db.admin<{ n: number; d: number; accounts: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT (account_id, post_id))::int AS d, count(DISTINCT account_id)::int AS accounts
       FROM posts WHERE run_key = $1`,
      [runKey],
    );
    assert.deepEqual(stored, { n: 299 * 6, d: 299 * 6, accounts: 299 });
    assert.equal(result.patterns?.posts, 299 * 6, 'the patterns stage read exactly what the scrape stored');
    const [scored] = await db.admin<{ n: number }>(`SELECT count(*)::int AS n FROM post_outcomes WHERE run_key = $1`, [
      runKey,
    ]);
    assert.equal(scored?.n, 299 * 6);
    const states = await db.admin(`SELECT state, count(*)::int AS n FROM accounts WHERE run_key = $1 GROUP BY state`, [
      runKey,
    ]);
    assert.deepEqual(states, [{ state: 'complete', n: 299 }]);
    const [staged] = await db.admin<{ n: number }>(`SELECT count(*)::int AS n FROM staged_posts`);
    assert.equal(staged?.n, 0);
  });
});

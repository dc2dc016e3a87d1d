import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../src/project-root';
import { after, before, describe, test } from 'node:test';
import { createMetrics } from '../../src/metrics/registry';
import { ResultsStoreError, SchemaTooNewError } from '../../src/store/postgres/errors';
import { knownMigrations, MIGRATIONS_TABLE } from '../../src/store/postgres/migrate';
import { createPostgresStore } from '../../src/store/postgres/postgres-store';
import { AccountListNotFoundError, type ResultsStore } from '../../src/store/types';
import { freePort } from '../../src/temporal/dev-server';
import { collect, posts, profile, sinkContract } from '../helpers/sink-contract';
import { startTestDatabase, type TestDatabase } from '../helpers/postgres';

let db: TestDatabase;
let store: ResultsStore;
const metrics = createMetrics({ processMetrics: false });
const opened: ResultsStore[] = [];
/** A store on `url`, closed after the file. */
const storeOn = (url: string) => {
  const s = createPostgresStore({ url, metrics, connectTimeoutMs: 3_000, log: () => {} });
  opened.push(s);
  return s;
};

before(async () => {
  db = await startTestDatabase();
  store = storeOn(db.url);
  await store.migrate();
});
after(async () => {
  await Promise.all(opened.map((s) => s.close().catch(() => {})));
  await db?.close();
});

sinkContract('PostgreSQL store', () => store);

/** Everything but the password must be kept; the password must never show. */
function assertRedacted(err: unknown, password: string) {
  assert.ok(err instanceof ResultsStoreError, `expected a ResultsStoreError, got ${String(err)}`);
  assert.match(err.message, /VIRALFLOW_DATABASE_URL/);
  assert.ok(!err.message.includes(password), `password in: ${err.message}`);
  assert.ok(!String(err.stack).includes(password));
}

describe('PostgreSQL store: schema migrations', () => {
  test('workers starting together apply each migration once; later starts find the schema current', async () => {
    const url = await db.freshDatabase();
    const reports = await Promise.all([1, 2, 3, 4].map(() => storeOn(url).migrate()));
    const known = knownMigrations();
    assert.ok(known.length >= 1);
    assert.deepEqual(reports.flatMap((r) => r.applied).sort(), known, 'every migration applied by exactly one worker');
    assert.ok(reports.every((r) => r.version === known.length));
    const rows = await db.admin(`SELECT name FROM ${MIGRATIONS_TABLE}`, [], url.split('/').pop());
    assert.equal(rows.length, known.length);
    assert.deepEqual((await storeOn(url).migrate()).applied, []);
  });

  test('a schema newer than this code is refused with both versions named, and nothing is written', async () => {
    const url = await db.freshDatabase();
    const name = url.split('/').pop();
    await storeOn(url).migrate();
    await db.admin(
      `INSERT INTO ${MIGRATIONS_TABLE} (name, run_on) VALUES ('9999999999999_from-the-future', now())`,
      [],
      name,
    );
    const before = await db.admin(`SELECT count(*)::int AS n FROM ${MIGRATIONS_TABLE}`, [], name);
    const known = knownMigrations().length;
    await assert.rejects(storeOn(url).migrate(), (err: unknown) => {
      assert.ok(err instanceof SchemaTooNewError);
      assert.ok(
        err.message.startsWith(
          `database schema version ${known + 1} is newer than this viralflow (${known}): upgrade the workers`,
        ),
        err.message,
      );
      return true;
    });
    assert.deepEqual(await db.admin(`SELECT count(*)::int AS n FROM ${MIGRATIONS_TABLE}`, [], name), before);
  });
});

describe('PostgreSQL store: connection and permission errors', () => {
  test('a wrong password is a clear error naming the setting, never showing either password', async () => {
    const url = db.urlFor(db.role, 'not-the-password');
    await assert.rejects(storeOn(url).migrate(), (err: unknown) => {
      assertRedacted(err, 'not-the-password');
      assert.equal((err as ResultsStoreError).kind, 'authentication');
      assert.match((err as Error).message, /password authentication failed/);
      return true;
    });
  });

  test('an unreachable server is a clear error naming the setting and the place', async () => {
    const port = await freePort();
    const url = `postgres://viralflow:s3cret-pw@127.0.0.1:${port}/viralflow`;
    await assert.rejects(storeOn(url).migrate(), (err: unknown) => {
      assertRedacted(err, 's3cret-pw');
      assert.equal((err as ResultsStoreError).kind, 'unreachable');
      assert.match(
        (err as Error).message,
        new RegExp(`postgres://viralflow:\\*\\*\\*@127\\.0\\.0\\.1:${port}/viralflow`),
      );
      return true;
    });
  });

  test('a role that may not create the schema fails clearly and leaves nothing behind', async () => {
    const url = await db.freshDatabase();
    const name = url.split('/').pop()!;
    await db.admin(`CREATE ROLE plain LOGIN PASSWORD 'plain-pw-123'`, [], 'postgres');
    await assert.rejects(storeOn(db.urlFor('plain', 'plain-pw-123', name)).migrate(), (err: unknown) => {
      assertRedacted(err, 'plain-pw-123');
      assert.equal((err as ResultsStoreError).kind, 'permission', (err as Error).message);
      return true;
    });
    const tables = await db.admin(`SELECT tablename FROM pg_tables WHERE schemaname = 'public'`, [], name);
    assert.deepEqual(tables, [], 'no table, not even the migrations table, was created');
  });

  test('a role without grants on the tables fails at start, naming the tables and privileges it lacks', async () => {
    await db.admin(`CREATE ROLE reader LOGIN PASSWORD 'reader-pw-123'`, [], 'postgres');
    await db.admin(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader`);
    await assert.rejects(storeOn(db.urlFor('reader', 'reader-pw-123')).migrate(), (err: unknown) => {
      assertRedacted(err, 'reader-pw-123');
      assert.equal((err as ResultsStoreError).kind, 'permission');
      assert.match((err as Error).message, /posts \(INSERT, UPDATE, DELETE\)/);
      return true;
    });
  });
});

describe('PostgreSQL store: outcomes, account lists, purge', () => {
  test('outcomes are keyed by post: a retried round replaces, never duplicates; SQL answers "which posts used pattern X"', async () => {
    const runKey = 'outcomes-1';
    const sink = store.sinkFor(runKey);
    const w = await sink.open('acct-1', 1);
    await w.append({ profile: profile('acct-1'), posts: posts('acct-1', 0, 4) });
    await w.complete();
    const outcomes = posts('acct-1', 0, 4).map((p, i) => ({
      accountId: p.accountId,
      postId: p.id,
      virality: i / 4,
      ...(i % 2 === 0 && { topPattern: 'hook' }),
    }));
    await store.writeOutcomes(runKey, outcomes);
    await store.writeOutcomes(runKey, outcomes); // the retry
    const rows = await db.admin<{ post_id: string; virality: number }>(
      `SELECT o.post_id, o.virality FROM post_outcomes o JOIN posts p USING (run_key, account_id, post_id)
       WHERE o.run_key = $1 AND o.top_pattern = 'hook' ORDER BY p.seq`,
      [runKey],
    );
    assert.deepEqual(rows, [
      { post_id: 'acct-1-p0', virality: 0 },
      { post_id: 'acct-1-p2', virality: 0.5 },
    ]);
    const all = await db.admin(`SELECT count(*)::int AS n FROM post_outcomes WHERE run_key = $1`, [runKey]);
    assert.deepEqual(all, [{ n: 4 }]);
  });

  test('account lists: import replaces a list whole, pages read in order, an unknown list is named', async () => {
    const ids = Array.from({ length: 25_001 }, (_, i) => `list-acct-${i}`);
    assert.equal(await store.importAccountList('big', ids.slice(0, 10)), 10);
    assert.equal(await store.importAccountList('big', ids), ids.length);
    const first = await store.loadAccountIds('big', 0, 20_000);
    const rest = await store.loadAccountIds('big', 20_000, 20_000);
    assert.deepEqual([...first.accountIds, ...rest.accountIds], ids);
    assert.deepEqual([first.done, rest.done], [false, true]);
    assert.deepEqual(await store.loadAccountIds('big', 25_001, 10), { accountIds: [], done: true });
    await store.importAccountList('empty', []);
    assert.deepEqual(await store.loadAccountIds('empty', 0, 10), { accountIds: [], done: true });
    await assert.rejects(store.loadAccountIds('nope', 0, 10), AccountListNotFoundError);
    await assert.rejects(store.importAccountList('bad', ['ok', '../etc']), /account|1-64/);
    assert.equal(
      (await store.loadAccountIds('big', 0, 1)).accountIds[0],
      'list-acct-0',
      'a refused import changes nothing',
    );
  });

  test('purgeRun drops every row of one run and nothing of another', async () => {
    for (const runKey of ['purge-a', 'purge-b']) {
      const sink = store.sinkFor(runKey);
      const done = await sink.open('acct-1', 1);
      await done.append({ profile: profile('acct-1'), posts: posts('acct-1', 0, 3) });
      await done.complete();
      const partial = await sink.open('acct-2', 1);
      await partial.append({ profile: profile('acct-2'), posts: posts('acct-2', 0, 2) });
      await store.writeOutcomes(runKey, [{ accountId: 'acct-1', postId: 'acct-1-p0', virality: 1 }]);
    }
    const report = await store.purgeRun('purge-a');
    assert.deepEqual(report, {
      post_outcomes: 1,
      posts: 3,
      profiles: 1,
      accounts: 2,
      staged_posts: 2,
      staged_profiles: 1,
      account_fences: 0, // unfenced sinks (no activity attempt) claim nothing
    });
    assert.deepEqual(await collect(store.readPosts('purge-a')), []);
    assert.equal((await collect(store.readPosts('purge-b'))).length, 3);
  });

  test("the results-store reference's queries run against the schema and answer from a run's rows", async () => {
    const runKey = 'readme-run';
    const w = await store.sinkFor(runKey).open('acct-1', 1);
    await w.append({ profile: profile('acct-1'), posts: posts('acct-1', 0, 3) });
    await w.complete();
    await store.writeOutcomes(runKey, [
      { accountId: 'acct-1', postId: 'acct-1-p0', topPattern: 'hook', virality: 0.9 },
      { accountId: 'acct-1', postId: 'acct-1-p1', virality: 0.1 },
    ]);
    const page = readFileSync(join(projectRoot(), 'docs', 'reference', 'results-store.md'), 'utf8');
    const sql = /```sql\n([\s\S]*?)```/.exec(page)?.[1];
    assert.ok(sql, 'the results-store reference has a SQL block');
    const statements = sql
      .split(';')
      .map((q) => q.trim())
      .filter((q) => q.replace(/--.*$/gm, '').trim());
    assert.equal(statements.length, 3);
    const answers = [];
    for (const q of statements)
      answers.push(await db.admin(q.replaceAll("'R'", `'${runKey}'`).replaceAll("'X'", "'hook'")));
    assert.deepEqual(
      answers[0]!.map((r) => r.post_id),
      ['acct-1-p0'],
    );
    assert.deepEqual(
      answers[1]!.map((r) => [r.pattern, Number(r.posts)]),
      [
        ['hook', 1],
        ['none', 1],
      ],
    );
    assert.deepEqual(
      answers[2]!.map((r) => [r.account_id, r.posts]),
      [['acct-1', 3]],
    );
  });

  test('metrics: rows written by table, operation latency, pool connections', async () => {
    const text = await metrics.registry.metrics();
    assert.match(text, /viralflow_store_rows_written_total\{table="posts"\} [1-9]/);
    assert.match(text, /viralflow_store_operation_seconds_count\{operation="complete",outcome="ok"\} [1-9]/);
    assert.match(text, /viralflow_store_pool_connections\{state="idle"\} [1-9]/);
  });
});

import { Pool, type PoolClient } from 'pg';
import type { ViralflowMetrics } from '../../metrics/registry';
import type { PostgresSinkRef, ScrapedPost } from '../../sink/types';
import { accountId as accountIdSchema, storeName } from '../account-ids';
import { AccountListNotFoundError, type MigrationReport, type PostOutcome, type ResultsStore } from '../types';
import { databaseLocation, describeStoreError } from './errors';
import { migrateSchema } from './migrate';
import { createPostgresEvidence } from './postgres-evidence';
import { createPostgresSink } from './postgres-sink';

/*
 * Client: node-postgres (`pg`), chosen by measurement (`npm run bench -- store` writes the same rows
 * through pg and postgres.js with the same `INSERT … SELECT FROM unnest(…)`, and through pg with COPY):
 * the two clients' rates were within run-to-run noise of each other, and COPY only pulls ahead for
 * statements far larger than the page-sized appends the scraper makes. With speed a tie, pg wins on
 * being the driver node-pg-migrate runs on: one driver, one pool and one set of error codes.
 */

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database`; never logged as is (see redactDatabaseUrl). */
  url: string;
  /** Connections in the process's pool, shared by every activity. @default 10 */
  poolMax?: number;
  /** How long to wait for a connection (new or from the pool) before failing. @default 10_000 */
  connectTimeoutMs?: number;
  /** How long one statement may take before the attempt fails (a partitioned server must not hang an activity). @default 60_000 */
  queryTimeoutMs?: number;
  metrics?: ViralflowMetrics;
  /** Where errors of idle pooled connections (a server restart, say) are reported. @default console.warn */
  log?: (message: string) => void;
}

/** Accounts listed per query when reading a run. */
const READ_ACCOUNTS_PER_QUERY = 500;
/**
 * Posts fetched per query. Reads page through complete accounts by their recorded post counts, one
 * short query at a time, instead of holding a server-side cursor: a slow consumer (the patterns stage
 * waits on the engine between rounds) then never keeps a pooled connection from the scrapers.
 */
const READ_ROWS_PER_QUERY = 2_000;
/** Rows per bulk write statement (outcomes, list entries): one array parameter per column. */
const WRITE_ROWS_PER_STATEMENT = 10_000;

/**
 * Times are formatted by the server exactly as `Date#toISOString` would (UTC, milliseconds) and counts
 * come as float8: the driver then hands over strings and numbers without building a Date or parsing
 * a bigint per post. Rows come as arrays, in this column order.
 */
const POST_COLUMNS = `p.account_id, p.post_id, to_char(p.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), p.text,
       p.likes::float8, p.shares::float8, p.comments::float8, p.views::float8`;
/** The posts of several accounts, in the order the accounts are given (duplicates repeat). */
const POSTS_OF_ACCOUNTS = `
SELECT ${POST_COLUMNS}
FROM unnest($2::text[]) WITH ORDINALITY AS a(account_id, ord)
JOIN posts p ON p.run_key = $1 AND p.account_id = a.account_id
ORDER BY a.ord, p.seq`;
/** One page of a large account's posts, after `seq` $3. */
const POSTS_OF_ACCOUNT_AFTER = `
SELECT ${POST_COLUMNS}, p.seq
FROM posts p WHERE p.run_key = $1 AND p.account_id = $2 AND p.seq > $3
ORDER BY p.seq LIMIT $4`;

type PostRow = [
  accountId: string,
  postId: string,
  createdAt: string,
  text: string,
  likes: number,
  shares: number,
  comments: number,
  views: number,
];

export function createPostgresStore(options: PostgresStoreOptions): ResultsStore {
  const { url, metrics } = options;
  const log = options.log ?? ((message: string) => console.warn(`viralflow: ${message}`));
  const location = databaseLocation(url);
  const pool = new Pool({
    connectionString: url,
    max: options.poolMax ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    query_timeout: options.queryTimeoutMs ?? 60_000,
    // TCP keep-alive: a server that vanished without closing the connection is noticed, not waited on.
    keepAlive: true,
    application_name: 'viralflow',
  });
  // An idle connection dropped by the server (restart, failover) must not crash the worker; the pool
  // replaces it on next use and the operation that needed it fails its attempt and retries.
  pool.on('error', (err) => log(describeStoreError(err, url, 'holding an idle connection').message));
  const unwatch = metrics?.watchStorePool(() => ({
    inUse: pool.totalCount - pool.idleCount,
    idle: pool.idleCount,
    waiting: pool.waitingCount,
  }));

  const op = async <T>(operation: string, doing: string, run: () => Promise<T>): Promise<T> => {
    const end = metrics?.storeOperationDuration.startTimer({ operation });
    try {
      const result = await run();
      end?.({ outcome: 'ok' });
      return result;
    } catch (err) {
      end?.({ outcome: 'error' });
      throw describeStoreError(err, url, doing);
    }
  };
  const rowsWritten = (table: string, rows: number) => {
    if (rows > 0) metrics?.storeRowsWritten.inc({ table }, rows);
  };
  const withClient = async <T>(use: (client: PoolClient) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    let failed: Error | undefined;
    try {
      return await use(client);
    } catch (err) {
      failed = err instanceof Error ? err : new Error(String(err));
      throw err;
    } finally {
      // A client whose statement failed may be mid-transaction or disconnected: discard it, never reuse it.
      client.release(failed);
    }
  };
  const transaction = <T>(use: (client: PoolClient) => Promise<T>): Promise<T> =>
    withClient(async (client) => {
      await client.query('BEGIN');
      const result = await use(client);
      await client.query('COMMIT');
      return result;
    });

  let migrated: Promise<MigrationReport> | undefined;
  let closed: Promise<void> | undefined;

  const query = async <R extends unknown[]>(text: string, values: unknown[], doing: string): Promise<R[]> => {
    const { rows } = await op('read', doing, () => pool.query<R>({ text, values, rowMode: 'array' }));
    return rows;
  };
  const toPost = ([accountId, id, createdAt, text, likes, shares, comments, views]: PostRow): ScrapedPost => ({
    id,
    accountId,
    createdAt,
    text,
    metrics: { likes, shares, comments, views },
  });

  /**
   * The posts of complete accounts (`[id, post count]`, in reading order): small accounts grouped into
   * queries of about READ_ROWS_PER_QUERY posts, a larger one paged by its write order.
   */
  async function* postsOf(
    runKey: string,
    accounts: ReadonlyArray<readonly [string, number]>,
  ): AsyncGenerator<ScrapedPost> {
    const doing = `reading posts of run ${runKey}`;
    let group: string[] = [];
    let rows = 0;
    const takeGroup = () => {
      const ids = group;
      group = [];
      rows = 0;
      return ids;
    };
    for (const [id, count] of accounts) {
      if (rows + count > READ_ROWS_PER_QUERY && group.length) {
        for (const row of await query<PostRow>(POSTS_OF_ACCOUNTS, [runKey, takeGroup()], doing)) yield toPost(row);
      }
      if (count <= READ_ROWS_PER_QUERY) {
        group.push(id);
        rows += count;
        continue;
      }
      for (let after = 0; ;) {
        const page = await query<[...PostRow, number]>(
          POSTS_OF_ACCOUNT_AFTER,
          [runKey, id, after, READ_ROWS_PER_QUERY],
          doing,
        );
        for (const row of page) yield toPost(row as unknown as PostRow);
        if (page.length < READ_ROWS_PER_QUERY) break;
        after = page[page.length - 1]![8];
      }
    }
    if (group.length)
      for (const row of await query<PostRow>(POSTS_OF_ACCOUNTS, [runKey, takeGroup()], doing)) yield toPost(row);
  }

  return {
    kind: 'postgres',
    location,

    migrate() {
      migrated ??= op('migrate', 'checking the schema', () => withClient((client) => migrateSchema(client, log))).catch(
        (err: unknown) => {
          migrated = undefined; // a later call tries again (the server may be back)
          throw err;
        },
      );
      return migrated;
    },

    sinkFor(runKey, fence) {
      const ref: PostgresSinkRef = { kind: 'postgres', runKey: storeName.parse(runKey), database: location };
      return createPostgresSink({ pool, ref, op, rowsWritten, ...(fence !== undefined && { fence }) });
    },

    async *readPosts(runKey, accountIds) {
      const doing = `listing accounts of run ${runKey}`;
      if (accountIds) {
        for (let i = 0; i < accountIds.length; i += READ_ACCOUNTS_PER_QUERY) {
          const ids = accountIds.slice(i, i + READ_ACCOUNTS_PER_QUERY);
          const counts = new Map(
            await query<[string, number]>(
              `SELECT account_id, posts FROM accounts WHERE run_key = $1 AND account_id = ANY ($2::text[]) AND state = 'complete'`,
              [runKey, ids],
              doing,
            ),
          );
          // The order asked for, duplicates included; accounts without complete output skipped.
          yield* postsOf(
            runKey,
            ids.filter((id) => counts.has(id)).map((id) => [id, counts.get(id)!] as const),
          );
        }
        return;
      }
      // Every complete account, in ID order, a page of accounts at a time (keyset, not OFFSET).
      let after = '';
      for (;;) {
        const accounts = await query<[string, number]>(
          `SELECT account_id, posts FROM accounts WHERE run_key = $1 AND state = 'complete' AND account_id > $2 ORDER BY account_id LIMIT $3`,
          [runKey, after, READ_ACCOUNTS_PER_QUERY],
          doing,
        );
        if (!accounts.length) return;
        yield* postsOf(runKey, accounts);
        after = accounts[accounts.length - 1]![0];
      }
    },

    completeAccounts(runKey, accountIds) {
      return op('read', `listing accounts of run ${runKey}`, async () => {
        const { rows } = await pool.query<{ account_id: string }>(
          `SELECT account_id FROM accounts WHERE run_key = $1 AND state = 'complete'
             AND ($2::text[] IS NULL OR account_id = ANY($2::text[])) ORDER BY account_id`,
          [runKey, accountIds ?? null],
        );
        return rows.map((r) => r.account_id);
      });
    },

    ...createPostgresEvidence({ pool, op, transaction, rowsWritten }),

    watermarks: (source, accountIds) =>
      op('read', 'reading high-water marks', async () => {
        const { rows } = await pool.query<{ account_id: string; newest: string }>(
          `SELECT account_id, to_char(newest_created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS newest
           FROM watermarks WHERE source = $1 AND account_id = ANY ($2::text[])`,
          [source, accountIds],
        );
        return new Map(rows.map((r) => [r.account_id, r.newest]));
      }),

    advanceWatermarks: (source, runKey) =>
      op('advance_watermarks', `advancing high-water marks from run ${runKey}`, async () => {
        const { rowCount } = await pool.query(
          `INSERT INTO watermarks AS w (source, account_id, newest_created_at, run_key)
           SELECT $1, p.account_id, max(p.created_at), $2 FROM posts p
           JOIN accounts a ON a.run_key = p.run_key AND a.account_id = p.account_id AND a.state = 'complete'
           WHERE p.run_key = $2 GROUP BY p.account_id
           ON CONFLICT (source, account_id) DO UPDATE
             SET newest_created_at = EXCLUDED.newest_created_at, run_key = EXCLUDED.run_key, updated_at = now()
             WHERE EXCLUDED.newest_created_at > w.newest_created_at`,
          [source, runKey],
        );
        rowsWritten('watermarks', rowCount ?? 0);
        return rowCount ?? 0;
      }),

    async writeOutcomes(runKey, outcomes) {
      for (let i = 0; i < outcomes.length; i += WRITE_ROWS_PER_STATEMENT) {
        const chunk: readonly PostOutcome[] = outcomes.slice(i, i + WRITE_ROWS_PER_STATEMENT);
        await op('write_outcomes', `writing outcomes of run ${runKey}`, () =>
          pool.query(
            `INSERT INTO post_outcomes (run_key, account_id, post_id, top_pattern, virality)
             SELECT $1, o.account_id, o.post_id, o.top_pattern, o.virality
             FROM unnest($2::text[], $3::text[], $4::text[], $5::float8[]) AS o(account_id, post_id, top_pattern, virality)
             ON CONFLICT (run_key, account_id, post_id)
             DO UPDATE SET top_pattern = EXCLUDED.top_pattern, virality = EXCLUDED.virality, scored_at = now()`,
            [
              runKey,
              chunk.map((o) => o.accountId),
              chunk.map((o) => o.postId),
              chunk.map((o) => o.topPattern ?? null),
              chunk.map((o) => o.virality),
            ],
          ),
        );
        rowsWritten('post_outcomes', chunk.length);
      }
    },

    async importAccountList(name, accountIds) {
      storeName.parse(name);
      for (const id of accountIds) accountIdSchema.parse(id);
      await op('import_list', `importing account list ${name}`, () =>
        transaction(async (client) => {
          await client.query('DELETE FROM account_lists WHERE name = $1', [name]);
          await client.query('INSERT INTO account_lists (name, size) VALUES ($1, $2)', [name, accountIds.length]);
          for (let i = 0; i < accountIds.length; i += WRITE_ROWS_PER_STATEMENT) {
            await client.query(
              `INSERT INTO account_list_entries (name, position, account_id)
               SELECT $1, $2::integer + e.ord::integer - 1, e.account_id FROM unnest($3::text[]) WITH ORDINALITY AS e(account_id, ord)`,
              [name, i, accountIds.slice(i, i + WRITE_ROWS_PER_STATEMENT)],
            );
          }
        }),
      );
      rowsWritten('account_list_entries', accountIds.length);
      return accountIds.length;
    },

    async loadAccountIds(name, offset, limit) {
      const { rows } = await op('load_list', `reading account list ${name}`, () =>
        pool.query<{ found: boolean; ids: string[] }>(
          `SELECT EXISTS (SELECT 1 FROM account_lists WHERE name = $1) AS found,
                  ARRAY(SELECT account_id FROM account_list_entries WHERE name = $1 AND position >= $2 ORDER BY position LIMIT $3) AS ids`,
          [name, offset, limit + 1],
        ),
      );
      const row = rows[0];
      if (!row?.found) throw new AccountListNotFoundError(name);
      return { accountIds: row.ids.slice(0, limit), done: row.ids.length <= limit };
    },

    listRuns: (writtenBefore) =>
      op('list_runs', 'listing stored runs', async () => {
        const { rows } = await pool.query<{ run_key: string; last: Date }>(
          `SELECT run_key, max(at) AS last FROM (
             SELECT run_key, updated_at AS at FROM accounts
             UNION ALL SELECT run_key, scored_at FROM post_outcomes
           ) AS writes GROUP BY run_key HAVING $1::timestamptz IS NULL OR max(at) < $1 ORDER BY last, run_key`,
          [writtenBefore ?? null],
        );
        return rows.map((r) => ({ runKey: r.run_key, lastWrite: r.last.toISOString() }));
      }),

    purgeRun: (runKey) =>
      op('purge', `purging run ${runKey}`, () =>
        transaction(async (client) => {
          const report: Record<string, number> = {};
          for (const table of [
            'post_outcomes',
            'posts',
            'profiles',
            'accounts',
            'staged_posts',
            'staged_profiles',
            'account_fences',
          ]) {
            report[table] = (await client.query(`DELETE FROM ${table} WHERE run_key = $1`, [runKey])).rowCount ?? 0;
          }
          return report;
        }),
      ),

    close() {
      // Idempotent: a failed start-up and the normal shutdown path may both close the deps.
      closed ??= (async () => {
        unwatch?.();
        await pool.end();
      })();
      return closed;
    },
  };
}

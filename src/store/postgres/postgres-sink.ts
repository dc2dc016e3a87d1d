import type { Pool } from 'pg';
import {
  SupersededAttemptError,
  type AccountWriter,
  type AttemptFence,
  type PostgresSinkRef,
  type ResultsSink,
  type ScrapedPost,
  type ScrapedProfile,
} from '../../sink/types';
import { postColumns } from './post-columns';

/**
 * One run's output in PostgreSQL, with the NDJSON sink's contract. Each attempt appends to its own
 * staged rows, numbered in units (the profile is unit 0, then one per post): a checkpoint's `bytes`
 * is that count, and a later attempt copies the checkpointed attempt's first `bytes` units and goes
 * on. `complete` publishes the staged rows into `posts`/`profiles` and marks the account complete in
 * one transaction (`viralflow_complete_account`), so readers see an account whole or not at all, and
 * posts are keyed (run, account, post ID): no retry, resume or zombie attempt can duplicate a row.
 */
export interface PostgresSinkContext {
  pool: Pool;
  ref: PostgresSinkRef;
  /** Runs one store operation: timed, and its errors turned into ResultsStoreErrors. */
  op<T>(operation: string, doing: string, run: () => Promise<T>): Promise<T>;
  rowsWritten(table: string, rows: number): void;
  /** The writing attempt's fence; undefined: unfenced. */
  fence?: AttemptFence;
}

const APPEND = 'SELECT viralflow_append($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)';
/** The functions' SQLSTATE for an attempt a newer one has superseded (migration 1765300000000). */
const SUPERSEDED = 'VF002';

export function createPostgresSink(ctx: PostgresSinkContext): ResultsSink {
  const { pool, ref, op } = ctx;
  const run = ref.runKey;
  const fence = ctx.fence ?? null;
  return {
    ref,

    async open(accountId, attempt, resumeFrom) {
      if (!Number.isSafeInteger(attempt) || attempt < 1)
        throw new RangeError(`attempt must be a positive integer, got ${attempt}`);
      // A fresh start needs nothing from the database now: the first append opens it in the same round trip.
      if (!resumeFrom || resumeFrom.bytes <= 0) return accountWriter(ctx, accountId, attempt, 0, undefined, true);
      const units = await op('open', `opening account ${accountId}`, async () => {
        const { rows } = await pool.query<{ units: number }>(
          'SELECT viralflow_open_account($1, $2, $3, $4, $5, $6) AS units',
          [run, accountId, attempt, resumeFrom?.attempt ?? null, resumeFrom?.bytes ?? 0, fence],
        );
        return rows[0]?.units ?? 0;
      }).catch(superseded(accountId, ctx.fence));
      return accountWriter(
        ctx,
        accountId,
        attempt,
        units,
        units > 0 && resumeFrom.attempt !== attempt ? resumeFrom.attempt : undefined,
        false,
      );
    },

    isComplete: (accountId) =>
      op('is_complete', `checking account ${accountId}`, async () => {
        const { rowCount } = await pool.query(
          `SELECT 1 FROM accounts WHERE run_key = $1 AND account_id = $2 AND state = 'complete'`,
          [run, accountId],
        );
        return (rowCount ?? 0) > 0;
      }),

    sweepPartials: (accountIds) =>
      op('sweep_partials', 'sweeping unfinished output', async () => {
        const { rows } = await pool.query<{ n: number }>('SELECT viralflow_sweep_partials($1, $2, $3) AS n', [
          run,
          accountIds,
          fence,
        ]);
        return rows[0]?.n ?? 0;
      }),

    discardAccounts: (accountIds) =>
      op('discard_accounts', 'discarding the output of failed accounts', async () => {
        const { rows } = await pool.query<{ n: number }>('SELECT viralflow_discard_accounts($1, $2, $3) AS n', [
          run,
          accountIds,
          fence,
        ]);
        return rows[0]?.n ?? 0;
      }),
  };
}

/** A refusal by the account's fence (VF002) as the sink's own error; any other error as it is. */
function superseded(accountId: string, fence: AttemptFence | undefined) {
  return (err: unknown): never => {
    const code = err instanceof Error ? (err.cause as { code?: unknown } | undefined)?.code : undefined;
    if (code === SUPERSEDED && fence !== undefined) throw new SupersededAttemptError(accountId, fence, { cause: err });
    throw err;
  };
}

function accountWriter(
  ctx: PostgresSinkContext,
  accountId: string,
  attempt: number,
  start: number,
  source: number | undefined,
  /** Opened without a checkpoint and not yet written: the first statement must clear and register the account. */
  fresh: boolean,
): AccountWriter {
  const { pool, op } = ctx;
  const run = ctx.ref.runKey;
  const fence = ctx.fence ?? null;
  const refused = superseded(accountId, ctx.fence);
  let units = start;
  let open = true;
  let unopened = fresh;
  const openNow = async () => {
    await op('open', `opening account ${accountId}`, () =>
      pool.query('SELECT viralflow_open_account($1, $2, $3, NULL, 0, $4)', [run, accountId, attempt, fence]),
    ).catch(refused);
    unopened = false;
  };
  const ensureOpen = () => {
    if (!open) throw new Error(`output of account ${accountId} (attempt ${attempt}) is closed`);
  };
  return {
    get bytes() {
      return units;
    },

    async append({ profile, posts }: { profile?: ScrapedProfile; posts: readonly ScrapedPost[] }) {
      ensureOpen();
      if (profile !== undefined && units !== 0) throw new Error(`account ${accountId}: the profile must come first`);
      const first = units + (profile ? 1 : 0);
      await op('append', `writing account ${accountId}`, () =>
        pool.query(APPEND, [
          run,
          accountId,
          attempt,
          unopened,
          first,
          profile?.followers ?? null,
          profile?.following ?? null,
          profile?.postCount ?? null,
          profile?.engagementRate ?? null,
          ...postColumns(posts),
          fence,
        ]),
      ).catch(refused);
      unopened = false;
      if (profile) ctx.rowsWritten('staged_profiles', 1);
      ctx.rowsWritten('staged_posts', posts.length);
      units = first + posts.length;
      return units;
    },

    async complete() {
      ensureOpen();
      if (unopened) await openNow(); // nothing appended: clear any stale rows of this attempt first
      const published = await op('complete', `publishing account ${accountId}`, async () => {
        const { rows } = await pool.query<{ n: number }>(
          'SELECT viralflow_complete_account($1, $2, $3, $4, $5, $6) AS n',
          [run, accountId, attempt, source ?? null, units, fence],
        );
        return rows[0]?.n ?? 0;
      }).catch(refused);
      open = false;
      ctx.rowsWritten('posts', published);
      ctx.rowsWritten('profiles', units > 0 ? 1 : 0);
      ctx.rowsWritten('accounts', 1);
    },

    async abandon() {
      open = false; // the staged rows stay for a later attempt to resume from
    },

    async discard() {
      open = false;
      await op('discard', `discarding account ${accountId}`, () =>
        pool.query('SELECT viralflow_discard_account($1, $2, $3, $4)', [
          run,
          accountId,
          source === undefined ? [attempt] : [attempt, source],
          fence,
        ]),
      ).catch(refused);
    },
  };
}

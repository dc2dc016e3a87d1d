import type { Pool, PoolClient } from 'pg';
import {
  RECORDED_OUTCOMES_ACCOUNT,
  type EvidenceChange,
  type EvidenceLedger,
  type RecordedOutcome,
  type VariantCounts,
} from '../evidence';

export interface PostgresEvidenceContext {
  pool: Pool;
  /** Times the operation and turns its errors into the store's typed errors. */
  op: <T>(operation: string, doing: string, run: () => Promise<T>) => Promise<T>;
  transaction: <T>(use: (client: PoolClient) => Promise<T>) => Promise<T>;
  rowsWritten: (table: string, rows: number) => void;
}

/**
 * Rows the source query yields go into the ledger; a row whose outcome is unchanged is not written.
 * `xmax = 0` tells a fresh insert from an update (PostgreSQL leaves xmax unset on a new row version).
 */
const upsertFrom = (source: string) => `
WITH src AS (${source}),
up AS (
  INSERT INTO evidence (experiment_id, account_id, post_id, variant, success, recorded_by)
  SELECT $1, account_id, post_id, variant, success, recorded_by FROM src ORDER BY account_id, post_id
  ON CONFLICT (experiment_id, account_id, post_id) DO UPDATE
    SET variant = EXCLUDED.variant, success = EXCLUDED.success, recorded_by = EXCLUDED.recorded_by, updated_at = now()
    WHERE (evidence.variant, evidence.success) IS DISTINCT FROM (EXCLUDED.variant, EXCLUDED.success)
  RETURNING (xmax = 0) AS inserted
)
SELECT (SELECT count(*) FROM src)::integer AS total,
       count(*) FILTER (WHERE inserted)::integer AS added,
       count(*) FILTER (WHERE NOT inserted)::integer AS moved
FROM up`;

const RUN_OUTCOMES = `
SELECT account_id, post_id, coalesce(top_pattern, 'none') AS variant, virality >= $3 AS success, $2::text AS recorded_by
FROM post_outcomes WHERE run_key = $2`;

const RECORDED = `
SELECT '${RECORDED_OUTCOMES_ACCOUNT}'::text AS account_id, o.id AS post_id, o.variant, o.success, o.id AS recorded_by
FROM unnest($2::text[], $3::text[], $4::boolean[]) AS o(id, variant, success)`;

interface Counted {
  total: number;
  added: number;
  moved: number;
}

export function createPostgresEvidence(ctx: PostgresEvidenceContext): EvidenceLedger {
  const { pool, op, transaction, rowsWritten } = ctx;
  // One writer per experiment at a time: two pipelines over overlapping accounts then never deadlock
  // on each other's rows, and a run's figures are those of a ledger no one else was changing.
  const lockExperiment = (client: PoolClient, experimentId: string) =>
    client.query(`SELECT pg_advisory_xact_lock(hashtext('viralflow.evidence'), hashtext($1))`, [experimentId]);

  return {
    recordRunEvidence: (experimentId, runKey, successThreshold) =>
      op('record_evidence', `recording run ${runKey} as evidence of experiment ${experimentId}`, () =>
        transaction(async (client): Promise<EvidenceChange> => {
          await lockExperiment(client, experimentId);
          const { rows } = await client.query<Counted>(upsertFrom(RUN_OUTCOMES), [
            experimentId,
            runKey,
            successThreshold,
          ]);
          const { total, added, moved } = rows[0] ?? { total: 0, added: 0, moved: 0 };
          rowsWritten('evidence', added + moved);
          const memo = await client.query<EvidenceChange>(
            `INSERT INTO evidence_runs AS r (experiment_id, run_key, added, moved, unchanged)
             VALUES ($1, $2, $3, $4, greatest(0, $5::integer - $3 - $4))
             ON CONFLICT (experiment_id, run_key) DO UPDATE
               SET added = r.added + EXCLUDED.added, moved = r.moved + EXCLUDED.moved,
                   unchanged = greatest(0, $5::integer - (r.added + EXCLUDED.added) - (r.moved + EXCLUDED.moved))
             RETURNING added, moved, unchanged`,
            [experimentId, runKey, added, moved, total],
          );
          return memo.rows[0]!;
        }),
      ),

    recordOutcomes: (experimentId, outcomes: readonly RecordedOutcome[]) =>
      op('record_evidence', `recording outcomes of experiment ${experimentId}`, () =>
        transaction(async (client): Promise<EvidenceChange> => {
          await lockExperiment(client, experimentId);
          const { rows } = await client.query<Counted>(upsertFrom(RECORDED), [
            experimentId,
            outcomes.map((o) => o.id),
            outcomes.map((o) => o.variant),
            outcomes.map((o) => o.success),
          ]);
          const { total, added, moved } = rows[0] ?? { total: 0, added: 0, moved: 0 };
          rowsWritten('evidence', added + moved);
          return { added, moved, unchanged: total - added - moved };
        }),
      ),

    evidenceTotals: (experimentId) =>
      op('read', `counting the evidence of experiment ${experimentId}`, async () => {
        const { rows } = await pool.query<{ variant: string; successes: number; failures: number }>(
          `SELECT variant, count(*) FILTER (WHERE success)::integer AS successes,
                  count(*) FILTER (WHERE NOT success)::integer AS failures
           FROM evidence WHERE experiment_id = $1 GROUP BY variant ORDER BY variant`,
          [experimentId],
        );
        const totals: VariantCounts = {};
        for (const r of rows) totals[r.variant] = { successes: r.successes, failures: r.failures };
        return totals;
      }),
  };
}

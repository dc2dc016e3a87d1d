import type { StatementSync } from 'node:sqlite';
import type { EmbeddedDb } from './embedded-db';
import {
  RECORDED_OUTCOMES_ACCOUNT,
  type EvidenceChange,
  type EvidenceLedger,
  type RecordedOutcome,
  type VariantCounts,
} from './evidence';
import type { PostOutcome } from './types';

export interface SqliteEvidenceOptions {
  db: EmbeddedDb;
  /** A run's per-post outcomes, as the patterns stage wrote them. */
  runOutcomes: (runKey: string) => AsyncIterable<PostOutcome>;
}

interface Statements {
  find: StatementSync;
  upsert: StatementSync;
  memo: StatementSync;
  totals: StatementSync;
}

interface Entry {
  accountId: string;
  postId: string;
  variant: string;
  success: boolean;
  recordedBy: string;
}

/** The evidence ledger (./evidence) in the embedded store's SQLite file. */
export function createSqliteEvidence(options: SqliteEvidenceOptions): EvidenceLedger {
  let statements: Statements | undefined;
  const open = (): Statements => {
    if (statements) return statements;
    const db = options.db.get();
    statements = {
      find: db.prepare(
        'SELECT variant, success FROM evidence WHERE experiment_id = ? AND account_id = ? AND post_id = ?',
      ),
      upsert: db.prepare(
        `INSERT INTO evidence (experiment_id, account_id, post_id, variant, success, recorded_by, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (experiment_id, account_id, post_id) DO UPDATE
           SET variant = excluded.variant, success = excluded.success, recorded_by = excluded.recorded_by,
               updated_at = excluded.updated_at`,
      ),
      memo: db.prepare(
        `INSERT INTO evidence_runs (experiment_id, run_key, added, moved, unchanged) VALUES (?, ?, ?, ?, max(0, ? - ? - ?))
         ON CONFLICT (experiment_id, run_key) DO UPDATE
           SET added = added + excluded.added, moved = moved + excluded.moved,
               unchanged = max(0, ? - (added + excluded.added) - (moved + excluded.moved))
         RETURNING added, moved, unchanged`,
      ),
      totals: db.prepare(
        `SELECT variant, sum(success) AS successes, sum(1 - success) AS failures
         FROM evidence WHERE experiment_id = ? GROUP BY variant ORDER BY variant`,
      ),
    };
    return statements;
  };

  /** Writes entries in one IMMEDIATE transaction (one writer at a time, across processes); answers the change. */
  const record = (experimentId: string, entries: readonly Entry[]) => {
    const s = open();
    const now = new Date().toISOString();
    const change = { added: 0, moved: 0, unchanged: 0 };
    options.db.get().exec('BEGIN IMMEDIATE');
    try {
      for (const e of entries) {
        const old = s.find.get(experimentId, e.accountId, e.postId) as { variant: string; success: number } | undefined;
        if (old && old.variant === e.variant && old.success === Number(e.success)) {
          change.unchanged++;
          continue;
        }
        s.upsert.run(experimentId, e.accountId, e.postId, e.variant, Number(e.success), e.recordedBy, now);
        if (old) change.moved++;
        else change.added++;
      }
      return { change, commit: () => options.db.get().exec('COMMIT') };
    } catch (err) {
      options.db.get().exec('ROLLBACK');
      throw err;
    }
  };
  const finish = <T>(run: () => T): T => {
    try {
      return run();
    } catch (err) {
      const db = options.db.get();
      if (db.isTransaction) db.exec('ROLLBACK');
      throw err;
    }
  };

  return {
    async recordRunEvidence(experimentId, runKey, successThreshold): Promise<EvidenceChange> {
      // Read before the transaction: the outcome files are the patterns stage's, finished before this runs.
      const entries: Entry[] = [];
      for await (const o of options.runOutcomes(runKey))
        entries.push({
          accountId: o.accountId,
          postId: o.postId,
          variant: o.topPattern ?? 'none',
          success: o.virality >= successThreshold,
          recordedBy: runKey,
        });
      const { change, commit } = record(experimentId, entries);
      return finish(() => {
        const n = entries.length;
        const memo = open().memo.get(
          experimentId,
          runKey,
          change.added,
          change.moved,
          n,
          change.added,
          change.moved,
          n,
        );
        commit();
        return memo as unknown as EvidenceChange;
      });
    },

    async recordOutcomes(experimentId, outcomes: readonly RecordedOutcome[]) {
      const { change, commit } = record(
        experimentId,
        outcomes.map((o) => ({
          accountId: RECORDED_OUTCOMES_ACCOUNT,
          postId: o.id,
          variant: o.variant,
          success: o.success,
          recordedBy: o.id,
        })),
      );
      finish(commit);
      return change;
    },

    async evidenceTotals(experimentId) {
      const totals: VariantCounts = {};
      for (const r of open().totals.all(experimentId) as Array<{
        variant: string;
        successes: number;
        failures: number;
      }>)
        totals[r.variant] = { successes: r.successes, failures: r.failures };
      return totals;
    },
  };
}

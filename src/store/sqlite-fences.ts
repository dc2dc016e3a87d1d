import type { AccountFences } from '../sink/types';
import type { EmbeddedDb } from './embedded-db';

/**
 * Attempt fences (AttemptFence in ../sink/types) in the embedded store's SQLite file. A claim is one
 * IMMEDIATE transaction, so the step it guards (a rename, an unlink) happens while no other process
 * of this machine can raise the same fence: a zombie cannot publish between the check and the step.
 */
export function createSqliteFences(db: EmbeddedDb): AccountFences & { forgetRun(runKey: string): void } {
  return {
    claim(runKey, accountIds, fence, act) {
      const d = db.get();
      const raise = d.prepare(
        `INSERT INTO account_fences (run_key, account_id, fence) VALUES (?, ?, ?)
         ON CONFLICT (run_key, account_id) DO UPDATE SET fence = max(fence, excluded.fence)
         RETURNING fence`,
      );
      d.exec('BEGIN IMMEDIATE');
      try {
        const own = [...new Set(accountIds)].filter(
          (id) => Number((raise.get(runKey, id, fence) as { fence: number | bigint }).fence) <= fence,
        );
        act?.(own);
        d.exec('COMMIT');
        return own;
      } catch (err) {
        d.exec('ROLLBACK');
        throw err;
      }
    },
    forgetRun(runKey) {
      db.get().prepare('DELETE FROM account_fences WHERE run_key = ?').run(runKey);
    },
  };
}

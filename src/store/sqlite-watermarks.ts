import type { ScrapedPost } from '../sink/types';
import type { EmbeddedDb } from './embedded-db';
import type { Watermarks } from './watermarks';

/** Incremental scraping's marks (./watermarks) in the embedded store's SQLite file. */
export function createSqliteWatermarks(options: {
  db: EmbeddedDb;
  /** A run's posts of complete accounts. */
  runPosts: (runKey: string) => AsyncIterable<ScrapedPost>;
}): Watermarks {
  return {
    async watermarks(source, accountIds) {
      const find = options.db
        .get()
        .prepare('SELECT newest_created_at AS newest FROM watermarks WHERE source = ? AND account_id = ?');
      const marks = new Map<string, string>();
      for (const id of accountIds) {
        const row = find.get(source, id) as { newest: string } | undefined;
        if (row) marks.set(id, row.newest);
      }
      return marks;
    },

    async advanceWatermarks(source, runKey) {
      const newest = new Map<string, string>();
      for await (const post of options.runPosts(runKey)) {
        const seen = newest.get(post.accountId);
        if (seen === undefined || post.createdAt > seen) newest.set(post.accountId, post.createdAt);
      }
      const db = options.db.get();
      // ISO times in UTC with milliseconds (what the sources give) compare as text.
      const advance = db.prepare(
        `INSERT INTO watermarks (source, account_id, newest_created_at, run_key) VALUES (?, ?, ?, ?)
         ON CONFLICT (source, account_id) DO UPDATE
           SET newest_created_at = excluded.newest_created_at, run_key = excluded.run_key
           WHERE excluded.newest_created_at > newest_created_at`,
      );
      let moved = 0;
      db.exec('BEGIN IMMEDIATE');
      try {
        for (const [id, at] of newest)
          moved += Number(advance.run(source, id, new Date(at).toISOString(), runKey).changes);
        db.exec('COMMIT');
      } catch (err) {
        db.exec('ROLLBACK');
        throw err;
      }
      return moved;
    },
  };
}

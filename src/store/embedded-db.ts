import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';

/*
 * The embedded store's tables beyond its NDJSON folders (the evidence ledger, the scrape marks, the
 * attempt fences) live in Node's built-in SQLite (node:sqlite, Node 22+), one file: upserts keyed as in PostgreSQL, a GROUP BY
 * for totals, and SQLite's own file locking between the processes of one machine. Hand-written files
 * would need all three rebuilt.
 */

const SCHEMA = `
PRAGMA journal_mode = WAL;
CREATE TABLE IF NOT EXISTS evidence (
  experiment_id TEXT NOT NULL, account_id TEXT NOT NULL, post_id TEXT NOT NULL,
  variant TEXT NOT NULL, success INTEGER NOT NULL, recorded_by TEXT NOT NULL, updated_at TEXT NOT NULL,
  PRIMARY KEY (experiment_id, account_id, post_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS evidence_totals ON evidence (experiment_id, variant, success);
CREATE TABLE IF NOT EXISTS evidence_runs (
  experiment_id TEXT NOT NULL, run_key TEXT NOT NULL,
  added INTEGER NOT NULL, moved INTEGER NOT NULL, unchanged INTEGER NOT NULL,
  PRIMARY KEY (experiment_id, run_key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS watermarks (
  source TEXT NOT NULL, account_id TEXT NOT NULL, newest_created_at TEXT NOT NULL, run_key TEXT NOT NULL,
  PRIMARY KEY (source, account_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS account_fences (
  run_key TEXT NOT NULL, account_id TEXT NOT NULL, fence INTEGER NOT NULL,
  PRIMARY KEY (run_key, account_id)
) WITHOUT ROWID;`;

export interface EmbeddedDb {
  /** The open database (opened, with its folder and tables, on first use). */
  get(): DatabaseSync;
  close(): void;
}

export interface EmbeddedDbOptions {
  file: string;
  /** How long a writer waits for another process's transaction. @default 10_000 */
  busyTimeoutMs?: number;
}

export function createEmbeddedDb(options: EmbeddedDbOptions): EmbeddedDb {
  let db: DatabaseSync | undefined;
  return {
    get() {
      if (db) return db;
      mkdirSync(dirname(options.file), { recursive: true });
      // Loaded on first use: a worker that never records evidence never opens the database.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { DatabaseSync } = require('node:sqlite') as typeof import('node:sqlite');
      const opened = new DatabaseSync(options.file, { timeout: options.busyTimeoutMs ?? 10_000 });
      opened.exec(SCHEMA);
      db = opened;
      return db;
    },
    close() {
      db?.close();
      db = undefined;
    },
  };
}

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { PoolClient } from 'pg';
import type { MigrationReport } from '../types';
import { ResultsStoreError, SchemaTooNewError } from './errors';

/**
 * Versioned schema migrations with node-pg-migrate (a maintained runner: ordered files, a table of
 * what ran, every pending migration in one transaction, and a PostgreSQL advisory lock so workers
 * starting together apply each migration once while the others wait for it).
 */
export const MIGRATIONS_TABLE = 'viralflow_migrations';
const MIGRATIONS_DIR = join(__dirname, 'migrations');
/** Compiled migration files; their `.d.ts` and `.map` siblings are not migrations. */
const MIGRATION_FILE = /^(\d+_[a-z0-9-]+)\.js$/;
const IGNORE = '(?:.*\\.(?:d\\.ts|map)|\\..*)';

/** The tables workers read and write, each needing SELECT, INSERT, UPDATE and DELETE. */
export const STORE_TABLES = [
  'accounts',
  'profiles',
  'posts',
  'post_outcomes',
  'account_lists',
  'account_list_entries',
  'staged_posts',
  'staged_profiles',
  'evidence',
  'evidence_runs',
  'watermarks',
  'account_fences',
] as const;

/** Migration names this code knows, oldest first; the schema version it expects is their number. */
export function knownMigrations(): string[] {
  return readdirSync(MIGRATIONS_DIR)
    .map((name) => MIGRATION_FILE.exec(name)?.[1])
    .filter((name): name is string => name !== undefined)
    .sort();
}

/**
 * Brings the schema up to date on `client`'s database. The common case (already current) is one
 * read and needs no CREATE privilege; a schema newer than this code is refused before anything is
 * written; pending migrations run all-or-nothing.
 */
export async function migrateSchema(
  client: PoolClient,
  log: (line: string) => void = () => {},
): Promise<MigrationReport> {
  const known = knownMigrations();
  const check = async () => {
    const applied = await appliedMigrations(client);
    const unknown = applied.filter((name) => !known.includes(name));
    if (unknown.length) throw new SchemaTooNewError(applied.length, known.length, unknown);
    return known.filter((name) => !applied.includes(name));
  };
  let applied: string[] = [];
  if ((await check()).length) {
    // ESM-only package: loaded when a migration is actually due, not on every start.
    const { runner } = await import('node-pg-migrate');
    const ran = await runner({
      dbClient: client,
      dir: MIGRATIONS_DIR,
      ignorePattern: IGNORE,
      migrationsTable: MIGRATIONS_TABLE,
      direction: 'up',
      singleTransaction: true,
      checkOrder: true,
      advisoryLockMode: 'wait',
      logger: { info: log, warn: log, error: log },
    }).catch((err: unknown) => {
      throw runnerError(err);
    });
    applied = ran.map((m) => m.name);
    // Re-checked after the lock is gone: a newer worker may have migrated past us meanwhile.
    const still = await check();
    if (still.length) throw new ResultsStoreError('other', `migrations did not apply: ${still.join(', ')}`);
  }
  await requirePrivileges(client);
  return { applied, version: known.length };
}

/** Names of the migrations the database has applied, in order (none when the table is not there). */
export async function appliedMigrations(client: Pick<PoolClient, 'query'>): Promise<string[]> {
  const exists = await client.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [MIGRATIONS_TABLE]);
  if (exists.rows[0]?.t === null) return [];
  const { rows } = await client.query<{ name: string }>(`SELECT name FROM ${MIGRATIONS_TABLE} ORDER BY run_on, id`);
  return rows.map((r) => r.name);
}

/** Fails start-up, not the first scrape, when the role cannot use a table. */
async function requirePrivileges(client: PoolClient): Promise<void> {
  const { rows } = await client.query<{ t: string; missing: string[] }>(
    `SELECT t, array_remove(ARRAY[
        CASE WHEN has_table_privilege(t, 'SELECT') THEN NULL ELSE 'SELECT' END,
        CASE WHEN has_table_privilege(t, 'INSERT') THEN NULL ELSE 'INSERT' END,
        CASE WHEN has_table_privilege(t, 'UPDATE') THEN NULL ELSE 'UPDATE' END,
        CASE WHEN has_table_privilege(t, 'DELETE') THEN NULL ELSE 'DELETE' END], NULL) AS missing
     FROM unnest($1::text[]) AS t`,
    [STORE_TABLES],
  );
  const lacking = rows.filter((r) => r.missing.length);
  if (lacking.length) {
    const list = lacking.map((r) => `${r.t} (${r.missing.join(', ')})`).join('; ');
    throw Object.assign(new Error(`permission denied: the role lacks ${list}`), { code: '42501' });
  }
}

/** node-pg-migrate wraps some server errors in a plain Error; keep the SQLSTATE where the text shows it. */
function runnerError(err: unknown): unknown {
  if (err instanceof ResultsStoreError || (err as { code?: string }).code) return err;
  const message = err instanceof Error ? err.message : String(err);
  const firstLine = message.split('\n').find((l) => /permission denied|must be owner/i.test(l));
  if (firstLine)
    return Object.assign(new Error(firstLine.replace(/^.*?(permission denied|must be owner)/i, '$1'), { cause: err }), {
      code: '42501',
    });
  return err;
}

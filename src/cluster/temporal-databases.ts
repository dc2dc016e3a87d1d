import { join } from 'node:path';
import { ensureRoleAndDatabase, PostgresSetupError, runPsql, runTool, type PsqlTarget } from './postgres-roles';

/** Temporal's two PostgreSQL databases and the schema folder (under the module's schema/postgresql/v12) of each. */
export const TEMPORAL_DATABASES = [
  { database: 'temporal', schema: 'temporal' },
  { database: 'temporal_visibility', schema: 'visibility' },
] as const;

export interface TemporalDatabasesOptions {
  target: PsqlTarget;
  /** Temporal's SQL schema tool. */
  sqlTool: string;
  /** The server module's `schema/` folder. */
  schemaDir: string;
  /** The role Temporal connects as; created when missing, its password (re)set. */
  role: string;
  rolePassword: string;
}

export interface SchemaVersion {
  database: string;
  /** Version before this run; undefined for a database this run created. */
  from?: string;
  to: string;
}

/**
 * Creates Temporal's role and databases when missing and brings both schemas to the newest version in
 * this server's schema folder. Idempotent: a second run finds everything in place and only applies
 * migrations newer than the stored version (`update-schema`); nothing is ever dropped.
 */
export async function ensureTemporalDatabases(options: TemporalDatabasesOptions): Promise<SchemaVersion[]> {
  const versions: SchemaVersion[] = [];
  for (const { database, schema } of TEMPORAL_DATABASES) {
    await ensureRoleAndDatabase(options.target, options.role, options.rolePassword, database);
    const from = await schemaVersion(options.target, database);
    // The tool reads its connection from the environment, so the password is not on its command line.
    const toolEnv = {
      PATH: process.env.PATH ?? '',
      SQL_PLUGIN: 'postgres12',
      SQL_HOST: options.target.host,
      SQL_PORT: String(options.target.port),
      SQL_USER: options.role,
      SQL_PASSWORD: options.rolePassword,
      SQL_DATABASE: database,
    };
    // setup-schema -v 0.0 only creates the version tables (recording 0.0 on a fresh database; a stored
    // version above it is left alone); update-schema applies each migration above the stored version.
    await runTool(options.sqlTool, ['setup-schema', '-v', '0.0'], toolEnv);
    await runTool(
      options.sqlTool,
      ['update-schema', '-d', join(options.schemaDir, 'postgresql', 'v12', schema, 'versioned')],
      toolEnv,
    );
    const to = await schemaVersion(options.target, database);
    if (!to) throw new PostgresSetupError(`${database}: no schema version recorded after update-schema`);
    versions.push({ database, from, to });
  }
  return versions;
}

async function schemaVersion(target: PsqlTarget, database: string): Promise<string | undefined> {
  // Two statements: a query naming a missing table fails at parse time, whatever guards it.
  const hasTable =
    (await runPsql(target, database, `SELECT to_regclass('schema_version') IS NOT NULL;\n`)).trim() === 't';
  if (!hasTable) return undefined;
  const version = (
    await runPsql(target, database, `SELECT coalesce(max(curr_version), '') FROM schema_version;\n`)
  ).trim();
  return version && version !== '0.0' ? version : undefined;
}

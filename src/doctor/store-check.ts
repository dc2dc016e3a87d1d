import { Client } from 'pg';
import { databaseLocation, DATABASE_URL_SETTING, describeStoreError } from '../store/postgres/errors';
import { appliedMigrations, knownMigrations } from '../store/postgres/migrate';
import { fail, pass, skip, type DoctorCheck } from './check';

/**
 * The results store, when it is PostgreSQL: the database answers and its schema is the one this code
 * expects. Read-only: `viralflow db migrate` (or a worker's start) applies migrations, the doctor never does.
 */
export const resultsStoreCheck: DoctorCheck = {
  id: 'results-store',
  title: 'results store',
  requires: ['config'],
  async run(ctx) {
    const database = ctx.config!.database;
    if (!database) return skip(`files under ${ctx.config!.dataDir} (${DATABASE_URL_SETTING} not set)`);
    const where = databaseLocation(database.url);
    const client = new Client({
      connectionString: database.url,
      connectionTimeoutMillis: ctx.timeoutMs,
      application_name: 'viralflow-doctor',
    });
    client.on('error', () => undefined); // a dropped connection surfaces through the query below
    try {
      await client.connect();
      const applied = await appliedMigrations(client);
      const known = knownMigrations();
      const pending = known.filter((name) => !applied.includes(name));
      const unknown = applied.filter((name) => !known.includes(name));
      if (unknown.length) {
        return fail(
          `PostgreSQL ${where}: schema version ${applied.length} is newer than this viralflow's ${known.length} (${unknown.join(', ')})`,
          'upgrade viralflow to the version the workers run',
        );
      }
      if (pending.length) {
        return fail(
          `PostgreSQL ${where} answers, but its schema is at version ${applied.length} of ${known.length} (pending: ${pending.join(', ')})`,
          'run `npx viralflow db migrate` (or start a worker, which migrates at start-up)',
        );
      }
      return pass(`PostgreSQL ${where} answers, schema current (version ${known.length})`);
    } catch (err) {
      const described = describeStoreError(err, database.url, 'checking the schema');
      return fail(
        described.message,
        `fix ${DATABASE_URL_SETTING} or start the database (see docs/reference/results-store.md)`,
      );
    } finally {
      await client.end().catch(() => undefined);
    }
  },
};

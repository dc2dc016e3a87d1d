/**
 * The compose file's results-store set-up, run for real: ops/postgres/init/10-viralflow-results-store.sh
 * (what the postgres image runs on a fresh volume) against a real PostgreSQL, as its superuser, with the
 * password in a secret file. Then a worker's store connects as the new role with the password from
 * VIRALFLOW_DATABASE_PASSWORD_FILE (as the compose worker does), migrates and writes; the role is no
 * superuser and cannot reach another database; a second run changes nothing but the password.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { loadConfig } from '../../src/config';
import { startLocalPostgres, type LocalPostgres } from '../../src/postgres/local-server';
import { projectRoot } from '../../src/project-root';
import { createResultsStore } from '../../src/store/create-store';

const SCRIPT = join(projectRoot(), 'ops/postgres/init/10-viralflow-results-store.sh');
const PG_BIN = '/usr/lib/postgresql/15/bin';
const run = promisify(execFile);

describe('ops/postgres/init: the viralflow role and database in the PostgreSQL compose runs', () => {
  let pg: LocalPostgres;
  let dir: string;
  let secrets: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vf-pg-init-'));
    secrets = mkdtempSync(join(tmpdir(), 'vf-pg-secrets-'));
    pg = await startLocalPostgres({ dataDir: dir, fastUnsafe: true });
  });
  after(async () => {
    await pg?.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(secrets, { recursive: true, force: true });
  });

  /** Runs the script as the image would: psql on PATH, the superuser from POSTGRES_USER, the secret file. */
  const init = (passwordFile: string) =>
    run('sh', [SCRIPT], {
      env: {
        PATH: `${PG_BIN}:${process.env.PATH ?? ''}`,
        POSTGRES_USER: 'postgres',
        // The image connects over its local socket; here the same superuser over loopback.
        PGHOST: pg.host,
        PGPORT: String(pg.port),
        PGPASSWORD: pg.superuserPassword,
        VIRALFLOW_DB_PASSWORD_FILE: passwordFile,
      },
    });
  const asRole = async (password: string, database = 'viralflow') => {
    const client = new Client({ host: pg.host, port: pg.port, user: 'viralflow', password, database });
    await client.connect();
    return client;
  };

  test(
    'creates the role and database; a worker store connects with the secret file, migrates and writes',
    { timeout: 60_000 },
    async () => {
      const passwordFile = join(secrets, 'viralflow_db_password');
      const password = "pw with 'quotes' and $dollars";
      writeFileSync(passwordFile, `${password}\n`);
      const first = await init(passwordFile);
      assert.match(first.stdout, /role "viralflow" owns database "viralflow"/);
      assert.doesNotMatch(first.stdout + first.stderr, /quotes/, 'the password is not echoed');

      // What the compose worker is given: a URL without the password, and the secret file.
      const config = loadConfig({
        VIRALFLOW_DATABASE_URL: `postgres://viralflow@${pg.host}:${pg.port}/viralflow`,
        VIRALFLOW_DATABASE_PASSWORD_FILE: passwordFile,
      });
      const store = createResultsStore(config);
      try {
        const report = await store.migrate();
        assert.ok(report.version >= 1, 'the role may create its tables');
        assert.equal(await store.importAccountList('deploy-check', ['a-1', 'a-2']), 2);
      } finally {
        await store.close();
      }

      const client = await asRole(password);
      try {
        const [me] = (
          await client.query<{ rolsuper: boolean; rolcreatedb: boolean; rolcreaterole: boolean }>(
            "SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = 'viralflow'",
          )
        ).rows;
        assert.deepEqual(me, { rolsuper: false, rolcreatedb: false, rolcreaterole: false });
      } finally {
        await client.end();
      }
      await assert.rejects(asRole('wrong password'), /password authentication failed/);

      // Temporal's tables (created by its own user, here the superuser) are out of the role's reach.
      const admin = new Client({ connectionString: pg.superuserUrl() });
      await admin.connect();
      try {
        await admin.query('CREATE DATABASE temporal');
      } finally {
        await admin.end();
      }
      const temporalAdmin = new Client({ connectionString: pg.superuserUrl('temporal') });
      await temporalAdmin.connect();
      try {
        await temporalAdmin.query('CREATE TABLE executions (id text)');
      } finally {
        await temporalAdmin.end();
      }
      const intruder = await asRole(password, 'temporal');
      try {
        await assert.rejects(intruder.query('SELECT * FROM executions'), /permission denied for table executions/);
      } finally {
        await intruder.end();
      }
    },
  );

  test(
    'a second run is idempotent and sets the new password; a missing secret file is a clear error',
    { timeout: 60_000 },
    async () => {
      const passwordFile = join(secrets, 'rotated');
      writeFileSync(passwordFile, 'rotated-password\n');
      await init(passwordFile);
      const client = await asRole('rotated-password');
      try {
        const lists = await client.query('SELECT count(*)::int AS n FROM account_list_entries');
        assert.equal(lists.rows[0].n, 2, 'the data is untouched');
      } finally {
        await client.end();
      }
      await assert.rejects(init(join(secrets, 'missing')), (err: { code?: number; stderr?: string }) => {
        assert.equal(err.code, 1);
        assert.match(err.stderr ?? '', /cannot read the password file .*missing \(VIRALFLOW_DB_PASSWORD_FILE\)/);
        return true;
      });
    },
  );
});

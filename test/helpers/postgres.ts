import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { startLocalPostgres, type LocalPostgres } from '../../src/postgres/local-server';

/**
 * One real PostgreSQL per test file (Debian's binaries, a free loopback port), with a `viralflow`
 * role (password auth) owning a `viralflow` database: `url` is what VIRALFLOW_DATABASE_URL holds.
 */
export interface TestDatabase {
  pg: LocalPostgres;
  /** VIRALFLOW_DATABASE_URL for the `viralflow` role and database. */
  url: string;
  role: string;
  password: string;
  /** Runs SQL as the superuser in `database` (default viralflow); answers the rows. */
  admin<R extends Record<string, unknown> = Record<string, unknown>>(
    sql: string,
    params?: unknown[],
    database?: string,
  ): Promise<R[]>;
  /** A new empty database owned by the viralflow role; answers its URL. */
  freshDatabase(name?: string): Promise<string>;
  /** The URL for another role/password on a database. */
  urlFor(role: string, password: string, database?: string): string;
  close(): Promise<void>;
}

let databases = 0;

export async function startTestDatabase(options: { fastUnsafe?: boolean } = {}): Promise<TestDatabase> {
  // mkdtemp's own folder is the data folder: a folder inside it would be out of the postgres user's reach.
  const dir = mkdtempSync(join(tmpdir(), 'vf-pg-'));
  const pg = await startLocalPostgres({ dataDir: dir, fastUnsafe: options.fastUnsafe ?? true });
  const role = 'viralflow';
  const password = `pw-${randomBytes(12).toString('hex')}`;
  const urlFor = (r: string, p: string, database = 'viralflow') =>
    `postgres://${encodeURIComponent(r)}:${encodeURIComponent(p)}@${pg.host}:${pg.port}/${encodeURIComponent(database)}`;
  const admin = async <R extends Record<string, unknown>>(
    sql: string,
    params: unknown[] = [],
    database = 'viralflow',
  ) => {
    const client = new Client({ connectionString: pg.superuserUrl(database) });
    await client.connect();
    try {
      return (await client.query<R>(sql, params)).rows;
    } finally {
      await client.end();
    }
  };
  try {
    await admin(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`, [], 'postgres');
    await admin(`CREATE DATABASE viralflow OWNER ${role}`, [], 'postgres');
  } catch (err) {
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    pg,
    url: urlFor(role, password),
    role,
    password,
    admin,
    async freshDatabase(name = `viralflow_${process.pid}_${++databases}`) {
      await admin(`CREATE DATABASE ${name} OWNER ${role}`, [], 'postgres');
      return urlFor(role, password, name);
    },
    urlFor,
    async close() {
      await pg.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

import { spawn } from 'node:child_process';

/** Where and how `psql` connects as the superuser (set-up only: roles and databases). */
export interface PsqlTarget {
  /** `psql` from the PostgreSQL installation the server runs from. */
  psql: string;
  host: string;
  port: number;
  superuserPassword: string;
}

export class PostgresSetupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PostgresSetupError';
  }
}

/**
 * A login role with this password (created when missing, its password reset otherwise) and a
 * database it owns (created when missing; an existing one is left as it is).
 */
export async function ensureRoleAndDatabase(
  target: PsqlTarget,
  role: string,
  password: string,
  database: string,
): Promise<void> {
  requireIdentifier(role);
  requireIdentifier(database);
  // The password travels on psql's stdin, never on a command line (visible in ps).
  await runPsql(
    target,
    'postgres',
    `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${role}') THEN CREATE ROLE ${role} LOGIN; END IF; END $$;\n` +
      `ALTER ROLE ${role} WITH LOGIN PASSWORD ${literal(password)};\n` +
      // CREATE DATABASE cannot run inside a DO block; \gexec runs it only when the SELECT returns it.
      `SELECT 'CREATE DATABASE ${database} OWNER ${role}' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '${database}')\\gexec\n`,
  );
}

/** Runs SQL (from stdin) as the superuser in `database`; answers psql's unaligned, tuples-only output. */
export function runPsql(target: PsqlTarget, database: string, sql: string): Promise<string> {
  const env = {
    PATH: process.env.PATH ?? '',
    PGHOST: target.host,
    PGPORT: String(target.port),
    PGUSER: 'postgres',
    PGPASSWORD: target.superuserPassword,
    PGDATABASE: database,
    PGCONNECT_TIMEOUT: '10',
  };
  return runTool(target.psql, ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1'], env, sql);
}

/** Runs a set-up tool to completion; rejects with its output's tail. */
export function runTool(bin: string, args: string[], env: NodeJS.ProcessEnv, input = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let output = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      output = (output + c.toString()).slice(-4000);
    });
    child.stderr.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-4000)));
    child.once('error', (err) => reject(new PostgresSetupError(`cannot run ${bin}: ${err.message}`, { cause: err })));
    child.once('close', (code) => {
      if (code === 0) resolve(stdout);
      else reject(new PostgresSetupError(`${bin} ${args.join(' ')} failed (exit ${code}):\n${output}`));
    });
    child.stdin.end(input);
  });
}

function requireIdentifier(name: string) {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name))
    throw new PostgresSetupError(`"${name}" is not a plain PostgreSQL identifier`);
}

function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../temporal/dev-server';

/**
 * A PostgreSQL server run as a plain process from the system's binaries (Debian's `postgresql`
 * package), for tests and the one-machine cluster: no service manager, TCP on loopback only, password
 * (SCRAM) authentication, its own data folder. PostgreSQL refuses to run as root, so when we are root
 * the server runs as the `postgres` system user.
 */
export interface LocalPostgresOptions {
  /** Data folder; initialised (initdb) when it holds no cluster yet, reused as it is otherwise. */
  dataDir: string;
  /** Superuser (`postgres`) password: set at initdb, needed again to reuse an existing folder. @default random */
  superuserPassword?: string;
  /** @default a free loopback port */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** Folder with `initdb` and `postgres`. @default $PG_BIN_DIR, else `initdb` on PATH, else the newest /usr/lib/postgresql/N/bin */
  binDir?: string;
  /**
   * Skip fsync (throwaway test data only): committed data still survives a crash of the server process,
   * not of the machine. @default false
   */
  fastUnsafe?: boolean;
  /** Extra `-c name=value` server settings. */
  settings?: Record<string, string | number>;
  /** The server's own log lines (default: kept only for error messages). */
  onOutput?: (line: string) => void;
  /** @default 30_000 */
  startTimeoutMs?: number;
}

export interface LocalPostgres {
  host: string;
  port: number;
  dataDir: string;
  superuserPassword: string;
  /** `postgres://postgres:…@host:port/<database>` (the superuser; for set-up, not for workers). */
  superuserUrl(database?: string): string;
  /** The postmaster's PID. */
  readonly pid: number | undefined;
  /** Fast shutdown (SIGINT: open transactions roll back), waiting for the exit. */
  stop(): Promise<void>;
  /** A crash: SIGKILL to the postmaster, waiting for the exit. */
  kill(): Promise<void>;
  /** Starts it again on the same port and folder (after stop or kill). */
  restart(): Promise<void>;
}

export class LocalPostgresError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LocalPostgresError';
  }
}

export async function startLocalPostgres(options: LocalPostgresOptions): Promise<LocalPostgres> {
  const binDir = options.binDir ?? postgresBinDir();
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? (await freePort());
  const owner = process.getuid?.() === 0 ? systemUser('postgres') : undefined;
  const { dataDir } = options;
  const fresh = !existsSync(join(dataDir, 'PG_VERSION'));
  const superuserPassword = options.superuserPassword ?? (fresh ? randomBytes(18).toString('base64url') : undefined);
  if (superuserPassword === undefined) {
    throw new LocalPostgresError(`${dataDir} already holds a cluster: its superuserPassword is needed to reuse it`);
  }
  if (fresh) await initdb(binDir, dataDir, superuserPassword, owner, options.fastUnsafe ?? false);

  const settings: Record<string, string | number> = {
    listen_addresses: host,
    port,
    unix_socket_directories: '',
    logging_collector: 'off',
    // Not synchronous_commit=off: a commit it acknowledged would be lost when the server process dies.
    ...(options.fastUnsafe && { fsync: 'off', full_page_writes: 'off' }),
    ...options.settings,
  };
  const args = ['-D', dataDir, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
  let child: ChildProcess | undefined;

  const launch = async () => {
    const started = await launchServer(join(binDir, 'postgres'), args, owner, options);
    child = started;
  };
  const waitExit = async (signal: NodeJS.Signals) => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.kill(signal);
    await exited;
  };
  await launch();
  return {
    host,
    port,
    dataDir,
    superuserPassword,
    superuserUrl: (database = 'postgres') =>
      `postgres://postgres:${encodeURIComponent(superuserPassword)}@${host}:${port}/${encodeURIComponent(database)}`,
    get pid() {
      return child?.pid;
    },
    stop: () => waitExit('SIGINT'),
    kill: () => waitExit('SIGKILL'),
    async restart() {
      await waitExit('SIGINT');
      // After a SIGKILL the backends notice the postmaster is gone and exit; the new postmaster waits
      // for the shared memory they hold, so a start right after can fail once: try a few times.
      for (let attempt = 1; ; attempt++) {
        try {
          return await launch();
        } catch (err) {
          if (attempt >= 5) throw err;
          await sleep(200 * attempt);
        }
      }
    },
  };
}

async function initdb(
  binDir: string,
  dataDir: string,
  password: string,
  owner: SystemUser | undefined,
  noSync: boolean,
) {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (readdirSync(dataDir).length)
    throw new LocalPostgresError(`${dataDir} is not empty and holds no PostgreSQL cluster`);
  // The password goes through a file only the server's user can read, never through argv.
  const pwDir = join(tmpdir(), `viralflow-pg-${randomBytes(6).toString('hex')}`);
  mkdirSync(pwDir, { mode: 0o700 });
  const pwFile = join(pwDir, 'pw');
  writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
  try {
    if (owner) {
      requireReachable(dataDir, owner);
      for (const path of [dataDir, pwDir, pwFile]) chownSync(path, owner.uid, owner.gid);
    }
    const args = [
      '-D',
      dataDir,
      '-U',
      'postgres',
      '--pwfile',
      pwFile,
      '--auth-host=scram-sha-256',
      '--auth-local=scram-sha-256',
      '--encoding=UTF8',
      '--locale=C',
      ...(noSync ? ['--no-sync'] : []),
    ];
    const { code, output } = await run(join(binDir, 'initdb'), args, owner);
    if (code !== 0) throw new LocalPostgresError(`initdb failed (exit ${code}):\n${output.slice(-2000)}`);
  } finally {
    rmSync(pwDir, { recursive: true, force: true });
  }
}

function launchServer(bin: string, args: string[], owner: SystemUser | undefined, options: LocalPostgresOptions) {
  return new Promise<ChildProcess>((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], ...spawnAs(owner) });
    let output = '';
    let ready = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new LocalPostgresError(
          `PostgreSQL did not start within ${options.startTimeoutMs ?? 30_000} ms:\n${output.slice(-2000)}`,
        ),
      );
    }, options.startTimeoutMs ?? 30_000);
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      if (!ready) output = (output + text).slice(-8000);
      for (const line of text.split('\n').filter(Boolean)) options.onOutput?.(line);
      if (!ready && output.includes('database system is ready to accept connections')) {
        ready = true;
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new LocalPostgresError(`cannot run ${bin}: ${err.message}`, { cause: err }));
    });
    child.once('exit', (code, signal) => {
      if (ready) return;
      clearTimeout(timer);
      reject(
        new LocalPostgresError(
          `PostgreSQL exited (${signal ?? `code ${code}`}) before it was ready:\n${output.slice(-2000)}`,
        ),
      );
    });
  });
}

function run(
  bin: string,
  args: string[],
  owner: SystemUser | undefined,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], ...spawnAs(owner) });
    let output = '';
    const collect = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8000));
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.once('error', (err) => reject(new LocalPostgresError(`cannot run ${bin}: ${err.message}`, { cause: err })));
    child.once('exit', (code) => resolve({ code, output }));
  });
}

interface SystemUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

function spawnAs(owner: SystemUser | undefined) {
  if (!owner) return {};
  // A clean environment of the server's own: root's HOME and PWD would only produce permission errors.
  return {
    uid: owner.uid,
    gid: owner.gid,
    cwd: '/',
    env: { PATH: process.env.PATH ?? '', HOME: owner.home, LANG: 'C', LC_ALL: 'C' },
  };
}

function systemUser(name: string): SystemUser {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  if (!line) {
    throw new LocalPostgresError(
      `running as root, but there is no "${name}" system user to run PostgreSQL as (install Debian's postgresql package, or run as a normal user)`,
    );
  }
  const [, , uid, gid, , home] = line.split(':');
  return { name, uid: Number(uid), gid: Number(gid), home: home ?? '/' };
}

/** Every folder above the data folder must let the server's user through, or initdb fails obscurely. */
function requireReachable(dataDir: string, owner: SystemUser) {
  const parts = dataDir.split('/').filter(Boolean);
  for (let i = 1; i < parts.length; i++) {
    const dir = `/${parts.slice(0, i).join('/')}`;
    if (existsSync(dir) && (statSync(dir).mode & 0o001) === 0) {
      throw new LocalPostgresError(
        `${dir} is not searchable by the ${owner.name} user, so PostgreSQL could not reach ${dataDir}: choose a data folder under a world-searchable parent (e.g. /tmp)`,
      );
    }
  }
}

/** `initdb`, `postgres` and `psql`: $PG_BIN_DIR, else on PATH, else the newest /usr/lib/postgresql/N/bin. */
export function postgresBinDir(): string {
  const fromEnv = process.env.PG_BIN_DIR;
  if (fromEnv) return fromEnv;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres'))) return dir;
  }
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => /^\d+$/.test(v) && existsSync(join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!versions.length) {
    throw new LocalPostgresError(
      'no PostgreSQL server binaries found (initdb, postgres): install PostgreSQL (Debian/Ubuntu: apt-get install postgresql) or set PG_BIN_DIR',
    );
  }
  return join(root, versions[0]!, 'bin');
}

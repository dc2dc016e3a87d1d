import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface DevServerOptions {
  cliPath: string;
  /** gRPC port; 0 picks a free one. */
  port?: number;
  /** Web UI port; 0 picks a free one. */
  uiPort?: number;
  /** Persist state to this SQLite file (survives restarts); in memory when absent. */
  dbFile?: string;
  namespace?: string;
  /** Custom search attributes to register at start-up, name -> type (Keyword, Text, Int, …). */
  searchAttributes?: Record<string, string>;
  /**
   * Eager activity execution: an activity a workflow task schedules on its own task queue goes straight back
   * to the worker that completed the task (which has a free slot), without a round of matching and polling.
   * Off by default in the server; workflows allow it by default (`allowEagerDispatch`). @default true
   */
  eagerActivities?: boolean;
  /** How long to wait for the server to accept connections. */
  startTimeoutMs?: number;
  /** Where the server's own output goes (default: discarded unless it fails to start). */
  onOutput?: (line: string) => void;
}

export interface DevServer {
  /** host:port for clients and workers. */
  address: string;
  uiUrl: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Start attempts when a port is taken between being picked and being bound. */
const START_ATTEMPTS = 3;

/**
 * Starts the real Temporal dev server (`temporal server start-dev`) and waits until it accepts connections.
 * The CLI picks its HTTP API and metrics ports itself, and a free port can be taken (by any outgoing
 * connection's ephemeral port, say) before it is bound; a start that fails on "address already in use"
 * is tried again, with fresh ports where the caller did not fix them.
 */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await launchDevServer(options);
    } catch (err) {
      if (attempt >= START_ATTEMPTS || !/address already in use/.test((err as Error).message)) throw err;
      await sleep(250);
    }
  }
}

async function launchDevServer(options: DevServerOptions): Promise<DevServer> {
  const host = '127.0.0.1';
  const port = options.port || (await freePort());
  const uiPort = options.uiPort || (await freePort());
  const args = [
    'server',
    'start-dev',
    '--ip',
    host,
    '--port',
    String(port),
    '--ui-port',
    String(uiPort),
    '--namespace',
    options.namespace ?? 'default',
    '--log-level',
    'warn',
    ...(options.eagerActivities !== false
      ? ['--dynamic-config-value', 'system.enableActivityEagerExecution=true']
      : []),
    ...(options.dbFile ? ['--db-filename', options.dbFile] : []),
    ...Object.entries(options.searchAttributes ?? {}).flatMap(([name, type]) => [
      '--search-attribute',
      `${name}=${type}`,
    ]),
  ];
  const child = spawn(options.cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const onData = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8000);
    for (const line of chunk.toString().split('\n').filter(Boolean)) options.onOutput?.(line);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const grace = new AbortController();
    const killed = await Promise.race([
      exited.then(() => true),
      sleep(10_000, false, { signal: grace.signal }).catch(() => false),
    ]);
    grace.abort(); // the losing timer would otherwise hold the process open for its full 10 s
    if (!killed) {
      child.kill('SIGKILL');
      await exited;
    }
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`temporal server start-dev exited with code ${child.exitCode}:\n${output}`);
    }
    if ((await canConnect(host, port)) && (await canConnect(host, uiPort))) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`temporal server start-dev did not listen on ${host}:${port} in time:\n${output}`);
    }
    await sleep(100);
  }
  return { address: `${host}:${port}`, uiUrl: `http://localhost:${uiPort}`, process: child, stop };
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A port free right now: the OS picks it, we release it for the server. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { freePort } from '../../src/temporal/dev-server';

/** A real `redis-server` on a free loopback port, without persistence; stop it and start it again on the same port. */
export interface RedisServer {
  readonly url: string;
  readonly port: number;
  /** SIGKILL: an outage, not a shutdown. */
  kill(): Promise<void>;
  /** Starts again on the same port (empty: no persistence) and waits until it answers. */
  start(): Promise<void>;
  close(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const start = async () => {
    const c = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    live.add(c);
    c.once('exit', () => live.delete(c));
    child = c;
    await untilAnswers(url);
  };
  const stop = async (signal: NodeJS.Signals) => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = once(c, 'exit');
    c.kill(signal);
    await exited;
  };
  await start();
  return { url, port, kill: () => stop('SIGKILL'), start, close: () => stop('SIGTERM') };
}

async function untilAnswers(url: string): Promise<void> {
  for (let i = 0; ; i++) {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.ping();
      return;
    } catch (err) {
      if (i > 100) throw err;
      await sleep(50);
    } finally {
      client.disconnect();
    }
  }
}

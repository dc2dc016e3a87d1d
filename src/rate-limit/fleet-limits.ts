import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis as RedisClient } from 'ioredis';
import type { Clock } from '../clock';
import type { RateLimitConfig } from '../config';
import type { RateLimitMetrics } from '../metrics/registry';
import { createUpstreamLimiter, type UpstreamLimiter } from './upstream-limiter';

/** Every configured upstream's limiter in this worker, over one Redis connection. */
export interface FleetLimits {
  /** The limiter for an upstream, or undefined when it has no limit. */
  for(upstream: string): UpstreamLimiter | undefined;
  close(): Promise<void>;
}

export interface FleetLimitsOptions {
  metrics: RateLimitMetrics;
  clock: Clock;
  /** Shared limits when set; each worker on its own (its share) when not. */
  redisUrl?: string;
  /**
   * Deadline for connecting to Redis and for each command; a slower answer counts as an outage. Long
   * enough for a busy host (a wrongly declared outage lets this worker's share through on top of the fleet's).
   * @default 1000
   */
  redisTimeoutMs?: number;
  warn?: (message: string) => void;
  info?: (message: string) => void;
}

export function createFleetLimits(config: RateLimitConfig | undefined, o: FleetLimitsOptions): FleetLimits {
  if (!config || Object.keys(config.limits).length === 0) return { for: () => undefined, close: async () => undefined };
  const timeoutMs = o.redisTimeoutMs ?? 1_000;
  let client: RedisClient | undefined;
  if (o.redisUrl) {
    // Loaded only when Redis is configured (as in the response cache).
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a synchronous lazy load; import() is async
    const { Redis } = require('ioredis') as typeof import('ioredis');
    client = new Redis(o.redisUrl, {
      connectTimeout: timeoutMs,
      commandTimeout: timeoutMs,
      disconnectTimeout: timeoutMs,
      // Commands fail at once while disconnected: the limiter then keeps to the local share instead of queueing.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    });
    client.on('error', () => undefined); // each limiter reports the outage once, when it falls back
  }
  const workerId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const limiters = new Map<string, UpstreamLimiter>(
    Object.entries(config.limits).map(([upstream, limit]) => [
      upstream,
      createUpstreamLimiter({
        upstream,
        limit,
        clock: o.clock,
        metrics: o.metrics,
        maxWaitMs: config.maxWaitMs,
        expectedWorkers: config.expectedWorkers,
        ...(client && { redis: { client, workerId } }),
        ...(o.warn && { warn: o.warn }),
        ...(o.info && { info: o.info }),
      }),
    ]),
  );
  return {
    for: (upstream) => limiters.get(upstream),
    async close() {
      for (const limiter of limiters.values()) limiter.close();
      if (client) {
        if (client.status === 'ready') await client.quit().catch(() => undefined);
        client.disconnect();
      }
    },
  };
}

import type { Redis as RedisClient } from 'ioredis';
import { LRUCache } from 'lru-cache';
import type { z } from 'zod';
import { systemClock, type Clock } from '../clock';
import type { ViralflowMetrics } from '../metrics/registry';

/**
 * Upstream answers kept by key: an in-process LRU (L1) in front of an optional Redis (L2) shared by
 * every worker. Redis is an accelerator, never a dependency: any Redis error or slowness turns L2
 * off for a while and the cache carries on with L1 alone.
 */
export interface ResponseCache<V> {
  /** Looks keys up in L1, then the L1 misses in L2 (one round trip); L2 hits are copied into L1. */
  getMany(keys: readonly string[]): Promise<CacheLookup<V>>;
  /** Stores in L1 at once and in L2 before resolving; never rejects. */
  setMany(entries: ReadonlyArray<readonly [key: string, value: V]>): Promise<void>;
  /** Closes the Redis connection, if any. */
  close(): Promise<void>;
}

export interface CacheLookup<V> {
  found: Map<string, V>;
  l1Hits: number;
  l2Hits: number;
  /** Keys found in neither layer. */
  misses: number;
}

export interface ResponseCacheOptions<V> {
  /** Names the cache in metrics (`<name>_l1`, `<name>_l2`) and in Redis keys (`viralflow:<name>:<key>`). */
  name: string;
  /** Checks values read back from Redis, which another build of the worker may have written. */
  schema: z.ZodType<V>;
  ttlMs: number;
  /**
   * Bound on L1's entry count, on top of maxBytes. lru-cache allocates its index arrays for this many
   * entries up front (about 50 bytes each, whether used or not), so a large one costs an idle worker heap.
   * @default none: maxBytes alone bounds L1, and its index grows with the entries it holds
   */
  maxEntries?: number;
  /** Bound on L1's total size, counting each entry as its JSON length plus its key. */
  maxBytes: number;
  /** L2 is used only when this is set. */
  redisUrl?: string;
  /** Deadline for connecting to Redis and for each Redis round trip. */
  redisTimeoutMs?: number;
  /** How long L2 stays off after a Redis error before it is tried again. */
  redisRetryAfterMs?: number;
  metrics?: Pick<ViralflowMetrics, 'cacheRequests'>;
  clock?: Clock;
  warn?: (message: string) => void;
}

const KEY_NAMESPACE = 'viralflow';
const MGET_CHUNK = 500;

export function createResponseCache<V extends object>(options: ResponseCacheOptions<V>): ResponseCache<V> {
  const clock = options.clock ?? systemClock;
  const l1 = new LRUCache<string, V>({
    ...(options.maxEntries !== undefined && { max: options.maxEntries }),
    maxSize: options.maxBytes,
    ttl: options.ttlMs,
    // Exact expiry against the injected clock (the default caches "now" for 1 ms behind a timer).
    ttlResolution: 0,
    perf: { now: () => clock.now() },
  });
  const l2 = options.redisUrl ? createRedisLayer(options, clock) : undefined;
  const count = (layer: 'l1' | 'l2', result: 'hit' | 'miss', n: number) => {
    if (n > 0) options.metrics?.cacheRequests.inc({ cache: `${options.name}_${layer}`, result }, n);
  };

  return {
    async getMany(keys) {
      const found = new Map<string, V>();
      const l1Misses: string[] = [];
      for (const key of new Set(keys)) {
        const value = l1.get(key);
        if (value === undefined) l1Misses.push(key);
        else found.set(key, value);
      }
      count('l1', 'hit', found.size);
      count('l1', 'miss', l1Misses.length);

      let l2Hits = 0;
      const fromL2 = l1Misses.length > 0 ? await l2?.getMany(l1Misses) : undefined;
      if (fromL2) {
        for (const [key, { value, encoded }] of fromL2) {
          found.set(key, value);
          l1.set(key, value, { size: encoded.length + key.length });
          l2Hits++;
        }
        count('l2', 'hit', l2Hits);
        count('l2', 'miss', l1Misses.length - l2Hits);
      }
      return { found, l1Hits: found.size - l2Hits, l2Hits, misses: l1Misses.length - l2Hits };
    },

    async setMany(entries) {
      const encoded = entries.map(([key, value]) => [key, JSON.stringify(value)] as const);
      entries.forEach(([key, value], i) => l1.set(key, value, { size: encoded[i]![1].length + key.length }));
      await l2?.setMany(encoded);
    },

    close: async () => l2?.close(),
  };
}

function createRedisLayer<V extends object>(options: ResponseCacheOptions<V>, clock: Clock) {
  const timeoutMs = options.redisTimeoutMs ?? 300;
  const retryAfterMs = options.redisRetryAfterMs ?? 30_000;
  const warn = options.warn ?? ((message: string) => console.warn(message));
  const prefix = `${KEY_NAMESPACE}:${options.name}:`;
  const ttlSeconds = Math.max(1, Math.ceil(options.ttlMs / 1000));
  // Loaded only when Redis is configured: ioredis adds ~6 MB to every worker that never uses it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a synchronous lazy load; import() is async
  const { Redis } = require('ioredis') as typeof import('ioredis');
  const client: RedisClient = new Redis(options.redisUrl!, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    // ioredis arms this timer on close even for a socket that never connected; 2 s would hold up shutdown.
    disconnectTimeout: timeoutMs,
    // A command waiting for a connection fails with the first failed attempt instead of waiting out an outage.
    maxRetriesPerRequest: 0,
    retryStrategy: (attempt) => Math.min(attempt * 500, 5_000),
  });

  let offUntil = 0;
  let healthy = true;
  const degrade = (err: unknown) => {
    offUntil = clock.now() + retryAfterMs;
    if (healthy) warn(`${options.name} cache: Redis unavailable, using the in-process cache only (${describe(err)})`);
    healthy = false;
  };
  // ioredis keeps reconnecting in the background: each failure keeps L2 off, and being connected
  // again turns it back on without waiting out the pause. (Without an 'error' listener ioredis
  // would also print every failure.)
  client.on('error', degrade);
  client.on('ready', () => {
    offUntil = 0;
  });
  const usable = () => clock.now() >= offUntil;
  const succeeded = () => {
    healthy = true;
  };

  const decode = (encoded: string): V | undefined => {
    try {
      const parsed = options.schema.safeParse(JSON.parse(encoded));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined; // a foreign or corrupt value is a miss, not a failure
    }
  };

  return {
    async getMany(keys: string[]): Promise<Map<string, { value: V; encoded: string }> | undefined> {
      if (!usable()) return undefined;
      try {
        // Chunked so each round trip stays small enough for the deadline; ioredis pipelines them.
        const chunks: string[][] = [];
        for (let i = 0; i < keys.length; i += MGET_CHUNK)
          chunks.push(keys.slice(i, i + MGET_CHUNK).map((k) => prefix + k));
        const values = (await Promise.all(chunks.map((chunk) => withDeadline(client.mget(chunk), timeoutMs)))).flat();
        succeeded();
        const found = new Map<string, { value: V; encoded: string }>();
        values.forEach((encoded, i) => {
          const value = encoded === null ? undefined : decode(encoded);
          if (value !== undefined) found.set(keys[i]!, { value, encoded: encoded! });
        });
        return found;
      } catch (err) {
        degrade(err);
        return undefined;
      }
    },

    async setMany(entries: ReadonlyArray<readonly [string, string]>): Promise<void> {
      if (entries.length === 0 || !usable()) return;
      try {
        const pipeline = client.pipeline();
        for (const [key, encoded] of entries) pipeline.set(prefix + key, encoded, 'EX', ttlSeconds);
        const results = (await withDeadline(pipeline.exec(), timeoutMs)) ?? [];
        const failed = results.find(([err]) => err);
        if (failed) throw failed[0];
        succeeded();
      } catch (err) {
        degrade(err);
      }
    },

    async close(): Promise<void> {
      if (client.status === 'ready') await withDeadline(client.quit(), timeoutMs).catch(() => undefined);
      client.disconnect();
    },
  };
}

/** Redis calls race a deadline so a stalled server costs at most `ms`, whatever the client is doing. */
function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from Redis within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

import assert from 'node:assert/strict';
import { freePort } from '../../src/temporal/dev-server';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { createResponseCache, type ResponseCacheOptions } from '../../src/cache/response-cache';
import { createMetrics } from '../../src/metrics/registry';

const schema = z.object({ n: z.number() });
type Value = z.output<typeof schema>;

function fakeClock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

const base = (overrides: Partial<ResponseCacheOptions<Value>> = {}): ResponseCacheOptions<Value> => ({
  name: 'test',
  schema,
  ttlMs: 60_000,
  maxEntries: 1_000,
  maxBytes: 1_000_000,
  ...overrides,
});

async function counts(metrics: ReturnType<typeof createMetrics>) {
  const values = (await metrics.cacheRequests.get()).values;
  return Object.fromEntries(values.map((v) => [`${v.labels.cache}:${v.labels.result}`, v.value]));
}

/** A plain client for arranging and inspecting Redis state, once the server accepts connections. */
async function connectWhenUp(url: string): Promise<Redis> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined); // refusals while the server starts are expected
  for (let i = 0; ; i++) {
    try {
      await client.connect();
      await client.ping();
      return client;
    } catch (err) {
      if (i > 100) throw err;
      await sleep(50);
    }
  }
}

function startRedis(port: number): ChildProcess {
  return spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
}

async function stopRedis(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
}

describe('response cache, in-process layer', () => {
  test('entries expire after the TTL on the injected clock, and look-ups are counted', async () => {
    const clock = fakeClock();
    const metrics = createMetrics({ processMetrics: false });
    const cache = createResponseCache(base({ ttlMs: 10_000, clock, metrics }));
    await cache.setMany([['a', { n: 1 }]]);

    clock.advance(9_999);
    const fresh = await cache.getMany(['a', 'b']);
    assert.deepEqual(fresh.found.get('a'), { n: 1 });
    assert.deepEqual([fresh.l1Hits, fresh.l2Hits, fresh.misses], [1, 0, 1]);

    clock.advance(2);
    const expired = await cache.getMany(['a']);
    assert.equal(expired.found.size, 0);
    assert.equal(expired.misses, 1);
    assert.deepEqual(await counts(metrics), { 'test_l1:hit': 1, 'test_l1:miss': 2 });
    await cache.close();
  });

  test('the entry bound evicts the least recently used key', async () => {
    const cache = createResponseCache(base({ maxEntries: 3 }));
    await cache.setMany([
      ['a', { n: 1 }],
      ['b', { n: 2 }],
      ['c', { n: 3 }],
    ]);
    await cache.getMany(['a']); // a is now more recent than b
    await cache.setMany([['d', { n: 4 }]]);
    const { found } = await cache.getMany(['a', 'b', 'c', 'd']);
    assert.deepEqual([...found.keys()].sort(), ['a', 'c', 'd']);
  });

  test('the byte bound evicts by size: large entries push out old ones', async () => {
    // {"n":1} is 7 bytes plus a 1-byte key: 8 per entry; 40 bytes hold five.
    const cache = createResponseCache(base({ maxBytes: 40 }));
    await cache.setMany(['a', 'b', 'c', 'd', 'e'].map((k, i) => [k, { n: i }] as const));
    assert.equal((await cache.getMany(['a', 'b', 'c', 'd', 'e'])).found.size, 5);
    await cache.setMany([['f', { n: 123_456_789 }]]); // 15 + 1 bytes: two of the oldest must go
    const { found } = await cache.getMany(['a', 'b', 'c', 'd', 'e', 'f']);
    assert.deepEqual([...found.keys()].sort(), ['c', 'd', 'e', 'f']);
  });

  test('without an entry bound, the byte bound alone decides how many entries stay', async () => {
    const { maxEntries: _none, ...byBytes } = base({ maxBytes: 30_000 });
    const cache = createResponseCache(byBytes);
    // Each entry: a 5-character key plus {"n":1}, 12 bytes; 3,000 of them are 36,000 bytes.
    const keys = Array.from({ length: 3_000 }, (_, i) => `x${String(i).padStart(4, '0')}`);
    await cache.setMany(keys.map((k) => [k, { n: 1 }] as const));
    const { found } = await cache.getMany(keys);
    assert.equal(found.size, 2_500);
    assert.ok(found.has(keys.at(-1)!) && !found.has(keys[0]!), 'the oldest went first');
  });

  test('repeated keys in one look-up count once', async () => {
    const cache = createResponseCache(base());
    await cache.setMany([['a', { n: 1 }]]);
    const lookup = await cache.getMany(['a', 'a', 'x', 'x']);
    assert.deepEqual([lookup.l1Hits, lookup.misses], [1, 1]);
  });
});

describe('response cache, Redis layer', () => {
  let redis: ChildProcess;
  let redisUrl: string;
  let admin: Redis;

  before(async () => {
    const port = await freePort();
    redis = startRedis(port);
    redisUrl = `redis://127.0.0.1:${port}`;
    admin = await connectWhenUp(redisUrl);
  });
  after(async () => {
    admin?.disconnect();
    if (redis) await stopRedis(redis);
  });

  test('a new instance finds in Redis what another stored, with a TTL, and copies it into its L1', async () => {
    const metrics = createMetrics({ processMetrics: false });
    const writer = createResponseCache(base({ redisUrl, ttlMs: 90_000 }));
    await writer.setMany([
      ['k1', { n: 1 }],
      ['k2', { n: 2 }],
    ]);
    await writer.close();

    const ttl = await admin.ttl('viralflow:test:k1');
    assert.ok(ttl > 0 && ttl <= 90, `ttl ${ttl}`);

    const reader = createResponseCache(base({ redisUrl, metrics }));
    const first = await reader.getMany(['k1', 'k2', 'k3']);
    assert.deepEqual([first.l1Hits, first.l2Hits, first.misses], [0, 2, 1]);
    assert.deepEqual(first.found.get('k2'), { n: 2 });

    await admin.flushall(); // a second look-up must not need Redis at all
    const second = await reader.getMany(['k1', 'k2']);
    assert.deepEqual([second.l1Hits, second.l2Hits, second.misses], [2, 0, 0]);
    assert.deepEqual(await counts(metrics), {
      'test_l1:hit': 2,
      'test_l1:miss': 3,
      'test_l2:hit': 2,
      'test_l2:miss': 1,
    });
    await reader.close();
  });

  test('a value in Redis that does not match the schema is a miss', async () => {
    await admin.set('viralflow:test:bad', '{"n":"not a number"}');
    await admin.set('viralflow:test:junk', 'not json');
    const cache = createResponseCache(base({ redisUrl }));
    const lookup = await cache.getMany(['bad', 'junk']);
    assert.deepEqual([lookup.l2Hits, lookup.misses], [0, 2]);
    await cache.close();
  });

  test('a dead Redis degrades to L1 with one warning, without throwing or hanging', async () => {
    const warnings: string[] = [];
    const cache = createResponseCache(
      base({ redisUrl: `redis://127.0.0.1:${await freePort()}`, redisTimeoutMs: 300, warn: (m) => warnings.push(m) }),
    );
    const started = performance.now();
    const lookup = await cache.getMany(['a']);
    await cache.setMany([['a', { n: 1 }]]);
    const again = await cache.getMany(['a']);
    await cache.close();
    const elapsed = performance.now() - started;

    assert.equal(lookup.misses, 1);
    assert.deepEqual([again.l1Hits, again.l2Hits], [1, 0]);
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0]!, /Redis unavailable/);
    assert.ok(elapsed < 250, `took ${Math.round(elapsed)} ms`);
  });

  test('a Redis that accepts connections but never answers costs one deadline, then is skipped', async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((s) => void sockets.add(s)).listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const { port } = silent.address() as AddressInfo;
    const warnings: string[] = [];
    const cache = createResponseCache(
      base({ redisUrl: `redis://127.0.0.1:${port}`, redisTimeoutMs: 200, warn: (m) => warnings.push(m) }),
    );
    try {
      let started = performance.now();
      assert.equal((await cache.getMany(['a'])).misses, 1);
      assert.ok(performance.now() - started < 600, `first look-up took ${Math.round(performance.now() - started)} ms`);
      started = performance.now();
      await cache.setMany([['a', { n: 1 }]]);
      assert.equal((await cache.getMany(['a'])).l1Hits, 1);
      assert.ok(performance.now() - started < 50, 'L2 is skipped while it is off');
      assert.equal(warnings.length, 1);
    } finally {
      await cache.close();
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });

  test('L2 comes back once Redis is reachable again', async () => {
    const clock = fakeClock();
    const port = await freePort();
    const warnings: string[] = [];
    const cache = createResponseCache(
      base({ redisUrl: `redis://127.0.0.1:${port}`, clock, redisRetryAfterMs: 1_000, warn: (m) => warnings.push(m) }),
    );
    await cache.setMany([['x', { n: 1 }]]); // fails: nothing listens yet
    const late = startRedis(port);
    try {
      const direct = await connectWhenUp(`redis://127.0.0.1:${port}`);
      await direct.set('viralflow:test:y', '{"n":7}');
      direct.disconnect();
      clock.advance(1_001);
      let found: Value | undefined;
      for (let i = 0; i < 40 && found === undefined; i++) {
        found = (await cache.getMany(['y'])).found.get('y');
        if (found === undefined) await sleep(100);
        clock.advance(1_001);
      }
      assert.deepEqual(found, { n: 7 });
      assert.equal(warnings.length, 1);
    } finally {
      await cache.close();
      await stopRedis(late);
    }
  });
});

/**
 * The fleet rate limiter: its configuration, the AIMD rule, quota headers, the simulator's token
 * bucket, and the limiter itself on its own and shared by two "workers" through a real redis-server
 * (killed and restarted to check the fallback to a local share and the way back).
 */
import assert from 'node:assert/strict';
import { setMaxListeners } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { request } from 'undici';
import { systemClock } from '../../src/clock';
import { RateLimitedError } from '../../src/http/errors';
import { createHttpPool, DEFAULT_POOL_OPTIONS } from '../../src/http/pool';
import { createUpstream } from '../../src/http/upstream';
import { ConfigError, loadConfig } from '../../src/config';
import { createMetrics, type ViralflowMetrics } from '../../src/metrics/registry';
import { AIMD, climb, initialState, slowDown } from '../../src/rate-limit/adaptive-rate';
import { createFleetLimits } from '../../src/rate-limit/fleet-limits';
import { parseRateLimits } from '../../src/rate-limit/limits-spec';
import { readQuota } from '../../src/rate-limit/rate-limit-headers';
import {
  createUpstreamLimiter,
  type Permit,
  type Refusal,
  type UpstreamLimiter,
  type UpstreamLimiterOptions,
} from '../../src/rate-limit/upstream-limiter';
import { takeToken } from '../../src/sim/knobs';
import { startSimulator } from '../../src/sim/server';
import { pollUntil } from '../helpers/poll';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';

const quiet = { warn: () => undefined, info: () => undefined };

function limiter(
  overrides: Partial<UpstreamLimiterOptions> & Pick<UpstreamLimiterOptions, 'limit'>,
  metrics = createMetrics({ processMetrics: false }),
) {
  return createUpstreamLimiter({
    upstream: 'api',
    clock: systemClock,
    metrics: metrics.rateLimit,
    maxWaitMs: 1_000,
    expectedWorkers: 1,
    ...quiet,
    ...overrides,
  });
}

const gauge = async (metrics: ViralflowMetrics, name: 'allowedRate' | 'paused' | 'shared', upstream = 'api') =>
  (await metrics.rateLimit[name].get()).values.find((v) => v.labels.upstream === upstream)?.value;

/** Starts `n` acquires at once; answers how many got a permit within `withinMs` (permits are released at once). */
async function admittedWithin(l: UpstreamLimiter, n: number, withinMs: number): Promise<number> {
  const abort = new AbortController();
  setMaxListeners(0, abort.signal);
  let admitted = 0;
  const all = Array.from({ length: n }, () =>
    l.acquire({ signal: abort.signal }).then(
      (r) => {
        if (r.kind === 'permit') {
          admitted++;
          r.release({ status: 200, headers: {} });
        }
      },
      () => undefined,
    ),
  );
  await sleep(withinMs);
  const count = admitted;
  abort.abort();
  await Promise.all(all);
  return count;
}

describe('VIRALFLOW_RATE_LIMITS', () => {
  test('parses rates per second and per minute, in-flight and per-key options', () => {
    assert.deepEqual(parseRateLimits('social=90/s,inflight=32; engine=50/s;billing=30/m,perkey=2/s'), {
      ok: true,
      value: {
        social: { perSecond: 90, inFlight: 32 },
        engine: { perSecond: 50 },
        billing: { perSecond: 0.5, perKeyPerSecond: 2 },
      },
    });
  });

  test('a bad spec stops start-up with a ConfigError naming the variable and the entry', () => {
    const env = (spec: string) => () => loadConfig({ VIRALFLOW_RATE_LIMITS: spec });
    for (const [spec, message] of [
      ['social=90', /VIRALFLOW_RATE_LIMITS.*"social=90".*expected <upstream>=<number>\/s/],
      ['social=0/s', /VIRALFLOW_RATE_LIMITS.*expected/],
      ['social=90/s,inflight=0', /VIRALFLOW_RATE_LIMITS.*inflight must be/],
      ['social=90/s,burst=3', /VIRALFLOW_RATE_LIMITS.*unknown option "burst"/],
      ['social=90/s;social=10/s', /VIRALFLOW_RATE_LIMITS.*given twice/],
      ['twitter=5/s', /VIRALFLOW_RATE_LIMITS: no upstream named twitter/],
    ] as const) {
      assert.throws(env(spec), (err: unknown) => err instanceof ConfigError && message.test(err.message), spec);
    }
    assert.throws(
      () => loadConfig({ VIRALFLOW_RATE_LIMITS: 'social=1/s', VIRALFLOW_RATE_LIMIT_WORKERS: '0' }),
      /VIRALFLOW_RATE_LIMIT_WORKERS/,
    );
  });

  test('limits name configured services too; the bound and worker count have defaults; no spec means no limits', () => {
    const config = loadConfig({ VIRALFLOW_RATE_LIMITS: 'search=5/s;social=90/s', VIRALFLOW_SERVICES: 'search' });
    assert.deepEqual(config.rateLimits, {
      limits: { search: { perSecond: 5 }, social: { perSecond: 90 } },
      maxWaitMs: 1_000,
      expectedWorkers: 1,
    });
    assert.equal(loadConfig({}).rateLimits, undefined);
  });
});

describe('adaptive rate (AIMD)', () => {
  test('a slow-down halves the rate once per round: answers to requests sent before or just after the decrease do not decrease again', () => {
    let s = slowDown(initialState(100), 100, 10_000, 2_000, 9_000, true);
    assert.equal(s.rate, 50);
    assert.equal(s.pausedUntil, 12_000);
    s = slowDown(s, 100, 10_010, 1_000, 9_500, true); // sent before the decrease at 10 000
    assert.equal(s.rate, 50);
    s = slowDown(s, 100, 10_900, 1_000, 10_800, true); // sent within a window after it: the window was spent already
    assert.equal(s.rate, 50);
    s = slowDown(s, 100, 10_020, 1_000, 10_015, false); // a spent quota: pause only
    assert.equal(s.rate, 50);
    s = slowDown(s, 100, 11_030, 1_000, 11_025, true);
    assert.equal(s.rate, 25);
    for (let i = 0; i < 20; i++) s = slowDown(s, 100, 20_000 + i * 1_000, 0, 20_000 + i * 1_000, true);
    assert.equal(s.rate, 100 * AIMD.floor, 'never below the floor');
  });

  test('clean seconds climb quickly back towards the refused rate, then slowly, never past the ceiling, never while paused', () => {
    let s = slowDown(initialState(200), 200, 10_000, 1_000, 10_000, true); // refused at 200: 100, quick climb up to 180
    assert.equal(climb(s, 200, 10_500).rate, 100, 'paused');
    const rates: number[] = [];
    for (let t = 11_000; t <= 40_000; t += 1_000) {
      s = climb(climb(s, 200, t), 200, t + 10); // twice per second: only one step counts
      rates.push(Math.round(s.rate));
    }
    // Half the way to 180 but at least 5 % of the ceiling a second, then 0.5 % a second.
    assert.deepEqual(rates.slice(0, 6), [140, 160, 170, 180, 181, 182]);
    assert.ok(rates.every((r, i) => i === 0 || r >= rates[i - 1]!));
    assert.equal(Math.max(...rates), 200);
  });
});

describe('quota headers', () => {
  test('RateLimit-*, X-RateLimit-* (epoch reset) and the combined header', () => {
    const now = 1_700_000_000_000;
    assert.deepEqual(readQuota({ 'ratelimit-remaining': '0', 'ratelimit-reset': '3' }, now), {
      remaining: 0,
      resetMs: 3_000,
    });
    assert.deepEqual(readQuota({ 'x-ratelimit-remaining': '7', 'x-ratelimit-reset': String(now / 1000 + 5) }, now), {
      remaining: 7,
      resetMs: 5_000,
    });
    assert.deepEqual(readQuota({ ratelimit: 'limit=100, remaining=0, reset=2' }, now), {
      remaining: 0,
      resetMs: 2_000,
    });
    assert.deepEqual(readQuota({ ratelimit: '"default";r=4;t=9' }, now), { remaining: 4, resetMs: 9_000 });
    assert.equal(readQuota({ 'ratelimit-remaining': 'lots' }, now), undefined);
    assert.equal(readQuota({}, now), undefined);
  });
});

describe('simulator token bucket', () => {
  test('takeToken refills at the rate up to the burst', () => {
    const bucket = { tokens: 2, atMs: 0 };
    assert.equal(takeToken(bucket, 10, 2, 0).allowed, true);
    assert.equal(takeToken(bucket, 10, 2, 0).allowed, true);
    const refused = takeToken(bucket, 10, 2, 0);
    assert.deepEqual([refused.allowed, refused.remaining, refused.retryAfterSeconds], [false, 0, 1]);
    assert.equal(takeToken(bucket, 10, 2, 100).allowed, true, 'one token back after 100 ms at 10/s');
  });

  test('a limited route answers 429 + Retry-After past its limit, with RateLimit headers; routes naming one bucket share it', async () => {
    const sim = await startSimulator({
      knobs: {
        // A burst of 5, refilled slowly (1/s) so that a busy machine's pauses between requests do not refill it.
        'social.profile': { limitPerSecond: 1, limitBurst: 5, limitBucket: 'social' },
        'social.posts': { limitPerSecond: 1, limitBurst: 5, limitBucket: 'social' },
      },
    });
    try {
      const get = async (path: string) => {
        const res = await request(`${sim.url}${path}`);
        await res.body.text();
        return res;
      };
      const answers = [];
      for (let i = 0; i < 4; i++) answers.push(await get(`/social/accounts/a${i}`));
      for (let i = 0; i < 3; i++) answers.push(await get(`/social/accounts/a${i}/posts`));
      assert.deepEqual(
        answers.map((a) => a.statusCode),
        [200, 200, 200, 200, 200, 429, 429],
      );
      assert.equal(answers[0]!.headers['ratelimit-limit'], '5');
      assert.equal(answers[4]!.headers['ratelimit-remaining'], '0');
      assert.equal(answers[5]!.headers['retry-after'], '1');
      assert.equal(sim.stats().routes['social.posts']?.byStatus['429'], 2);
      await sleep(1_100); // a token back at 1/s
      assert.equal((await get('/social/accounts/b/posts')).statusCode, 200);
    } finally {
      await sim.close();
    }
  });
});

describe('limiter, one worker (no Redis)', () => {
  test('lets through the configured rate per window, the rest wait in line', async () => {
    const l = limiter({ limit: { perSecond: 20 } });
    try {
      assert.equal(await admittedWithin(l, 60, 400), 20);
    } finally {
      l.close();
    }
  });

  test('a 429 pauses and halves the rate; a pause longer than the bound refuses with the wait, a shorter one is waited out', async () => {
    const metrics = createMetrics({ processMetrics: false });
    const l = limiter({ limit: { perSecond: 100 } }, metrics);
    try {
      const first = (await l.acquire()) as Permit;
      first.release({ status: 429, headers: {}, retryAfterMs: 3_000 });
      const refused = (await l.acquire()) as Refusal;
      assert.equal(refused.kind, 'refusal');
      assert.ok(refused.retryAfterMs > 2_500 && refused.retryAfterMs <= 3_000, `${refused.retryAfterMs}`);
      await pollUntil('the gauges', async () => ((await gauge(metrics, 'allowedRate')) === 50 ? true : undefined), {
        timeoutMs: 2_000,
        intervalMs: 20,
      });
      assert.ok((await gauge(metrics, 'paused'))! > 2);
      const refusals = (await metrics.rateLimit.refusals.get()).values[0]?.value;
      assert.equal(refusals, 1);

      const l2 = limiter({ limit: { perSecond: 100 } });
      const p = (await l2.acquire()) as Permit;
      p.release({ status: 503, headers: {}, retryAfterMs: 400 });
      const started = performance.now();
      const after = await l2.acquire();
      const waited = performance.now() - started;
      assert.equal(after.kind, 'permit');
      assert.ok(waited >= 350, `waited ${waited} ms for a 400 ms pause`);
      l2.close();
    } finally {
      l.close();
    }
  });

  test('RateLimit-Remaining: 0 pauses until the reset without lowering the rate', async () => {
    const metrics = createMetrics({ processMetrics: false });
    const l = limiter({ limit: { perSecond: 100 } }, metrics);
    try {
      ((await l.acquire()) as Permit).release({
        status: 200,
        headers: { 'ratelimit-remaining': '0', 'ratelimit-reset': '5' },
      });
      const refused = (await l.acquire()) as Refusal;
      assert.equal(refused.kind, 'refusal');
      assert.ok(refused.retryAfterMs > 4_000);
      await sleep(300);
      assert.equal(await gauge(metrics, 'allowedRate'), 100);
    } finally {
      l.close();
    }
  });

  test('in-flight limit: the next request waits for a release; an aborted waiter leaves the line', async () => {
    const l = limiter({ limit: { perSecond: 1_000, inFlight: 2 } });
    try {
      const a = (await l.acquire()) as Permit;
      await l.acquire();
      let third = false;
      const pending = l.acquire().then((r) => {
        third = true;
        return r;
      });
      const abort = new AbortController();
      const aborted = l.acquire({ signal: abort.signal });
      await sleep(50);
      assert.equal(third, false);
      abort.abort(new Error('cancelled'));
      await assert.rejects(aborted, /cancelled/);
      a.release(undefined); // no answer (a reset) still frees the slot
      assert.equal((await pending).kind, 'permit');
    } finally {
      l.close();
    }
  });

  test('per-key limit: one key is held to its rate while others go', async () => {
    const l = limiter({ limit: { perSecond: 1_000, perKeyPerSecond: 2 } });
    try {
      const results = await Promise.all([
        ...Array.from({ length: 3 }, () => l.acquire({ key: 'acct-1' })),
        ...Array.from({ length: 2 }, () => l.acquire({ key: 'acct-2' })),
      ]);
      // The third request of acct-1 waited for the next window (≤ 1 s, within the bound) and then went.
      assert.deepEqual(
        results.map((r) => r.kind),
        ['permit', 'permit', 'permit', 'permit', 'permit'],
      );
    } finally {
      l.close();
    }
  });
  test('a share under one request per window (10/s over 25 workers, no Redis) still admits, one request per longer window', async () => {
    const l = limiter({ limit: { perSecond: 10 }, expectedWorkers: 25, maxWaitMs: 5_000 });
    try {
      assert.equal(await admittedWithin(l, 5, 300), 1);
    } finally {
      l.close();
    }
  });

  test('a waiter whose lane fails is rejected with the cause, not left waiting', async () => {
    let failNext = false;
    const clock = {
      now: () => {
        if (!failNext) return Date.now();
        failNext = false;
        throw new Error('clock unreadable');
      },
    };
    const l = limiter({ limit: { perSecond: 100 }, clock, refreshMs: 60_000 });
    try {
      ((await l.acquire()) as Permit).release(undefined);
      // The next read of the clock after the waiter is queued is its lane's admission check.
      const pending = l.acquire();
      failNext = true;
      await assert.rejects(pending, /clock unreadable/);
      assert.equal((await l.acquire()).kind, 'permit', 'the limiter goes on');
    } finally {
      l.close();
    }
  });
});

describe('limiter in the upstream request path', () => {
  test('an upstream announcing its quota spent pauses it: the next request is held back by the limiter and never sent', async () => {
    const sim = await startSimulator({ knobs: { 'services.health': { limitPerSecond: 1, limitBurst: 1 } } });
    const metrics = createMetrics({ processMetrics: false });
    const pool = createHttpPool(DEFAULT_POOL_OPTIONS, metrics);
    const l = limiter({ limit: { perSecond: 100 }, maxWaitMs: 200 }, metrics);
    try {
      const api = createUpstream(pool, { name: 'api', baseUrl: `${sim.url}/services/api` }, systemClock, l);
      await api.send({ path: '/health' }); // answers RateLimit-Remaining: 0, RateLimit-Reset: 1
      await assert.rejects(
        api.send({ path: '/health' }),
        (err: unknown) =>
          err instanceof RateLimitedError &&
          err.by === 'limiter' &&
          err.retryAfterMs > 200 &&
          err.retryAfterMs <= 1_000,
      );
      assert.equal(
        sim.stats().routes['services.health']?.requests,
        1,
        'the held-back request never reached the upstream',
      );
      assert.equal(sim.stats().routes['services.health']?.byStatus['429'], undefined);
    } finally {
      l.close();
      await pool.close();
      await sim.close();
    }
  });
});

describe('limiter shared through a real redis-server', () => {
  let redis: RedisServer;
  before(async () => {
    redis = await startRedisServer();
  });
  after(() => redis?.close());

  test(
    'two workers share one limit and one pause; Redis killed: each keeps to its share; Redis back: shared again',
    { timeout: 60_000 },
    async () => {
      const upstream = `shared-${process.pid}`;
      const config = { limits: { [upstream]: { perSecond: 40 } }, maxWaitMs: 1_000, expectedWorkers: 1 };
      const metricsA = createMetrics({ processMetrics: false });
      const metricsB = createMetrics({ processMetrics: false });
      const warnings: string[] = [];
      const a = createFleetLimits(config, {
        metrics: metricsA.rateLimit,
        clock: systemClock,
        redisUrl: redis.url,
        info: () => undefined,
        warn: (m) => warnings.push(m),
      });
      const b = createFleetLimits(config, {
        metrics: metricsB.rateLimit,
        clock: systemClock,
        redisUrl: redis.url,
        ...quiet,
      });
      const la = a.for(upstream)!;
      const lb = b.for(upstream)!;
      try {
        await pollUntil(
          'both shared',
          async () =>
            (await gauge(metricsA, 'shared', upstream)) === 1 && (await gauge(metricsB, 'shared', upstream)) === 1
              ? true
              : undefined,
          {
            timeoutMs: 5_000,
            intervalMs: 20,
          },
        );
        await sleep(1_100); // a fresh window
        const [na, nb] = await Promise.all([admittedWithin(la, 60, 700), admittedWithin(lb, 60, 700)]);
        assert.ok(na + nb <= 40 && na + nb >= 30, `one window of 40 between both workers, got ${na} + ${nb}`);

        // A 429 seen by A pauses B too.
        await sleep(1_100);
        ((await la.acquire()) as Permit).release({ status: 429, headers: {}, retryAfterMs: 4_000 });
        await sleep(400); // B's next refresh
        const refused = await lb.acquire();
        assert.equal(refused.kind, 'refusal', "B refuses while A's 429 pause lasts");
        await pollUntil(
          'B sees the halved rate',
          async () => ((await gauge(metricsB, 'allowedRate', upstream)) === 20 ? true : undefined),
          { timeoutMs: 2_000, intervalMs: 20 },
        );
        await sleep(3_800);

        await redis.kill();
        await pollUntil(
          'A falls back',
          async () => ((await gauge(metricsA, 'shared', upstream)) === 0 ? true : undefined),
          { timeoutMs: 3_000, intervalMs: 20 },
        );
        assert.match(warnings.join('\n'), /Redis unavailable, limiting to this worker's share \(1\/2\)/);
        assert.equal((await metricsA.rateLimit.fallbacks.get()).values[0]?.value, 1);
        // The local share: the (halved, maybe climbing) fleet rate over the 2 workers last seen.
        const localRate = (await gauge(metricsA, 'allowedRate', upstream))!;
        assert.ok(localRate >= 10 && localRate <= 20, `local share ${localRate}/s`);
        await sleep(1_100);
        const local = await admittedWithin(la, 60, 500);
        assert.ok(local >= 8 && local <= 21, `${local} admitted by A alone in a window while Redis is down`);

        await redis.start();
        await pollUntil(
          'A shared again',
          async () => ((await gauge(metricsA, 'shared', upstream)) === 1 ? true : undefined),
          { timeoutMs: 10_000, intervalMs: 50 },
        );
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    },
  );
  test('a lease taken before the rate check failed is given back', async () => {
    const upstream = `lease-${process.pid}`;
    const client = new Redis(redis.url);
    // A real Redis error for the rate check only: its window key holds a hash, so INCR fails (WRONGTYPE).
    await client.hset(`viralflow:ratelimit:${upstream}:rate:fleet`, 'not', 'a counter');
    const l = limiter({
      upstream,
      limit: { perSecond: 1_000, inFlight: 4 },
      redis: { client, workerId: 'lease-test' },
    });
    try {
      const permit = await l.acquire();
      assert.equal(permit.kind, 'permit', 'admitted on the local share');
      // Same connection, so this runs after the release's ZREM.
      assert.equal(await client.zcard(`viralflow:ratelimit:${upstream}:inflight`), 0);
    } finally {
      l.close();
      await client.del(`viralflow:ratelimit:${upstream}:rate:fleet`);
      client.disconnect();
    }
  });

  test("shared times are Redis's: a host 5 s fast neither ages the others out of the live set nor lengthens their pause", async () => {
    const upstream = `skew-${process.pid}`;
    const fastClock = { now: () => Date.now() + 5_000 };
    const clients = [new Redis(redis.url), new Redis(redis.url)] as const;
    const metricsA = createMetrics({ processMetrics: false });
    const metricsB = createMetrics({ processMetrics: false });
    const base = { upstream, limit: { perSecond: 100 }, maxWaitMs: 4_000, refreshMs: 50 };
    const a = limiter({ ...base, redis: { client: clients[0], workerId: 'skew-a' } }, metricsA);
    const b = limiter({ ...base, clock: fastClock, redis: { client: clients[1], workerId: 'skew-b' } }, metricsB);
    try {
      ((await a.acquire()) as Permit).release(undefined);
      const fromFast = (await b.acquire()) as Permit;
      await sleep(200); // a few refreshes of both
      const [seconds, micros] = await clients[0].time();
      const redisNow = Number(seconds) * 1_000 + Math.floor(Number(micros) / 1_000);
      for (const id of ['skew-a', 'skew-b']) {
        const score = await clients[0].zscore('viralflow:ratelimit:workers', id);
        assert.ok(score !== null, `${id} is in the live set`);
        assert.ok(Math.abs(Number(score) - redisNow) < 1_000, `${id}'s liveness is on Redis's clock`);
      }

      fromFast.release({ status: 429, headers: {}, retryAfterMs: 2_000 });
      await pollUntil(
        'A sees the pause',
        async () => ((await gauge(metricsA, 'paused', upstream))! > 0 ? true : undefined),
        {
          timeoutMs: 2_000,
          intervalMs: 10,
        },
      );
      assert.ok((await gauge(metricsA, 'paused', upstream))! <= 2, 'the slow host waits out 2 s, not 7');
      assert.ok((await gauge(metricsB, 'paused', upstream))! <= 2, 'the fast host too, on its own clock');
      assert.equal((await a.acquire()).kind, 'permit', 'a 2 s pause is waited out within the 4 s bound');
    } finally {
      a.close();
      b.close();
      for (const c of clients) c.disconnect();
    }
  });
});

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { z } from 'zod';
import { systemClock } from '../../src/clock';
import {
  ForbiddenOriginError,
  MalformedResponseError,
  RateLimitedError,
  ResponseTooLargeError,
  UpstreamHttpError,
  UpstreamTimeoutError,
  UpstreamUnreachableError,
} from '../../src/http/errors';
import { createHttpPool, type HttpPool } from '../../src/http/pool';
import { DEFAULT_RETRY_AFTER_MS, MAX_RETRY_AFTER_MS, parseRetryAfter } from '../../src/http/retry-after';
import { createUpstream, path, type Upstream } from '../../src/http/upstream';
import { createMetrics } from '../../src/metrics/registry';
import { startSimulator, type Simulator } from '../../src/sim/server';
import { freePort } from '../../src/temporal/dev-server';

const health = z.object({ status: z.string() });

describe('upstream client over the shared pool', () => {
  let sim: Simulator;
  let pool: HttpPool;
  let api: Upstream;
  const metrics = createMetrics({ processMetrics: false });
  before(async () => {
    sim = await startSimulator({ seed: 1 });
    pool = createHttpPool({ connectionsPerOrigin: 4, maxResponseBytes: 64 * 1024 }, metrics);
    api = createUpstream(pool, { name: 'api', baseUrl: `${sim.url}/services/api` }, systemClock);
  });
  after(async () => {
    await pool.close();
    await sim.close();
  });

  test('parses and validates JSON under the base path', async () => {
    sim.reset();
    const body = await api.json({ path: '/health' }, health);
    assert.equal(body.status, 'ok');
  });

  test('429 becomes RateLimitedError with Retry-After in ms (seconds and HTTP-date forms)', async () => {
    sim.reset();
    sim.setKnobs('services.health', { rateLimitFirst: 1, retryAfterSeconds: 7 });
    await assert.rejects(
      api.send({ path: '/health' }),
      (err: unknown) => err instanceof RateLimitedError && err.retryAfterMs === 7_000,
    );
    sim.setKnobs('services.health', { rateLimitFirst: 1, retryAfterSeconds: 30, retryAfterHttpDate: true });
    await assert.rejects(api.send({ path: '/health' }), (err: unknown) => {
      assert.ok(err instanceof RateLimitedError);
      assert.ok(err.retryAfterMs > 28_000 && err.retryAfterMs <= 31_000, String(err.retryAfterMs));
      return true;
    });
  });

  test('5xx is a retryable UpstreamHttpError, 404 is not', async () => {
    sim.reset();
    sim.setKnobs('services.health', { errorRate: 1, errorStatus: 502 });
    await assert.rejects(
      api.send({ path: '/health' }),
      (err: unknown) => err instanceof UpstreamHttpError && err.status === 502 && err.retryable,
    );
    await assert.rejects(
      api.send({ path: '/nothing-here' }),
      (err: unknown) => err instanceof UpstreamHttpError && err.status === 404 && !err.retryable,
    );
  });

  test('a hang ends at the deadline with UpstreamTimeoutError; a slow body counts against the same deadline', async () => {
    sim.reset();
    sim.setKnobs('services.health', { hangRate: 1 });
    const started = performance.now();
    await assert.rejects(api.send({ path: '/health', timeoutMs: 150 }), UpstreamTimeoutError);
    assert.ok(performance.now() - started < 1_000);
    sim.setKnobs('services.health', { slowBodyMs: 1_000 });
    await assert.rejects(api.send({ path: '/health', timeoutMs: 200 }), UpstreamTimeoutError);
  });

  test("the caller's signal aborts a request in flight with the caller's reason, and is let go once requests end", async () => {
    sim.reset();
    sim.setKnobs('services.health', { hangRate: 1 });
    const caller = new AbortController();
    const reason = new Error('activity cancelled');
    const inFlight = Array.from({ length: 12 }, () =>
      api.send({ path: '/health', timeoutMs: 5_000, signal: caller.signal }),
    );
    setTimeout(() => caller.abort(reason), 50);
    const started = performance.now();
    for (const r of await Promise.allSettled(inFlight)) assert.deepEqual(r, { status: 'rejected', reason });
    assert.ok(performance.now() - started < 1_000, 'aborted at once, not at the deadline');

    // Settled requests leave no listener behind on a long-lived signal (one activity's, reused by every request).
    sim.reset();
    const shared = new AbortController();
    let listeners = 0;
    let peak = 0;
    const add = shared.signal.addEventListener.bind(shared.signal);
    const remove = shared.signal.removeEventListener.bind(shared.signal);
    shared.signal.addEventListener = ((...args: Parameters<typeof add>) => (
      (peak = Math.max(peak, ++listeners)),
      add(...args)
    )) as typeof add;
    shared.signal.removeEventListener = ((...args: Parameters<typeof remove>) => (
      listeners--,
      remove(...args)
    )) as typeof remove;
    await Promise.all(Array.from({ length: 20 }, () => api.send({ path: '/health', signal: shared.signal })));
    assert.equal(listeners, 0);
    // However many requests are in flight, the shared signal carries one listener (adding to an EventTarget walks its list).
    assert.equal(peak, 1);
    await assert.rejects(api.send({ path: '/health', signal: AbortSignal.abort(reason) }), (err) => err === reason);
  });

  test('a body over the cap is cut off as ResponseTooLargeError; a malformed one is MalformedResponseError', async () => {
    sim.reset();
    sim.setKnobs('services.health', { oversizeBytes: 1024 * 1024 });
    await assert.rejects(
      api.send({ path: '/health' }),
      (err: unknown) => err instanceof ResponseTooLargeError && !err.retryable,
    );
    sim.setKnobs('services.health', { malformedRate: 1 });
    await assert.rejects(api.json({ path: '/health' }, health), MalformedResponseError);
    sim.setKnobs('services.health', undefined);
    await assert.rejects(
      api.json({ path: '/health' }, z.object({ missing: z.number() })),
      /malformed response: missing/,
    );
  });

  test('connection refused is UpstreamUnreachableError, counted as status "error"', async () => {
    const port = await freePort();
    const dead = createUpstream(pool, { name: 'dead', baseUrl: `http://127.0.0.1:${port}` }, systemClock);
    await assert.rejects(dead.send({ path: '/x' }), UpstreamUnreachableError);
    const counted = (await metrics.httpRequests.get()).values.find(
      (v) => v.labels.origin === `http://127.0.0.1:${port}`,
    );
    assert.equal(counted?.labels.status, 'error');
  });

  test('paths cannot leave the configured origin (SSRF guard), and `path` encodes segments', async () => {
    const atRoot = createUpstream(pool, { name: 'root', baseUrl: sim.url }, systemClock);
    const before = sim.stats().requests;
    await assert.rejects(atRoot.send({ path: '//169.254.169.254/latest/meta-data' }), ForbiddenOriginError);
    await assert.rejects(api.send({ path: 'http://evil.example/' }), ForbiddenOriginError);
    assert.equal(sim.stats().requests, before);
    // Under a base path, '//x' stays a path on the configured origin.
    await assert.rejects(
      api.send({ path: '//169.254.169.254/' }),
      (err: unknown) => err instanceof UpstreamHttpError && err.status === 404,
    );
    assert.equal(path`/accounts/${'../../etc/passwd'}/posts`, '/accounts/..%2F..%2Fetc%2Fpasswd/posts');
  });

  test('keep-alive: 200 requests, 50 at a time, open at most the pool size of connections; reuse ratio exported', async () => {
    sim.reset();
    const origin = new URL(sim.url).origin;
    const before = pool.stats()[origin]!;
    for (let round = 0; round < 4; round++) {
      await Promise.all(Array.from({ length: 50 }, () => api.send({ path: '/health' })));
    }
    const afterStats = pool.stats()[origin]!;
    assert.equal(afterStats.requests - before.requests, 200);
    assert.ok(
      afterStats.connections - before.connections <= 4,
      `${afterStats.connections - before.connections} new connections`,
    );
    const ratio = (await metrics.registry.getSingleMetric('viralflow_http_connection_reuse_ratio')!.get()).values.find(
      (v) => v.labels.origin === origin,
    );
    assert.ok(ratio && ratio.value > 0.9, `reuse ratio ${ratio?.value}`);
  });

  test('the bearer token is sent, and never appears in error messages', async () => {
    let seen: string | undefined;
    const server = createServer((req, res) => {
      seen = req.headers.authorization;
      res.writeHead(500).end('boom');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const secret = createUpstream(
      pool,
      { name: 's', baseUrl: `http://127.0.0.1:${port}`, token: 'tok-SECRET-123' },
      systemClock,
    );
    await assert.rejects(
      secret.send({ path: '/x' }),
      (err: unknown) => !String((err as Error).message).includes('tok-SECRET'),
    );
    assert.equal(seen, 'Bearer tok-SECRET-123');
    server.close();
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  test('seconds, HTTP dates, past dates, garbage and absurd values', () => {
    assert.equal(parseRetryAfter('3', now), 3_000);
    assert.equal(parseRetryAfter(['2', '9'], now), 2_000);
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now), 10_000);
    assert.equal(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now), 0);
    assert.equal(parseRetryAfter('soon', now), DEFAULT_RETRY_AFTER_MS);
    assert.equal(parseRetryAfter(undefined, now), DEFAULT_RETRY_AFTER_MS);
    assert.equal(parseRetryAfter('-5', now), DEFAULT_RETRY_AFTER_MS);
    assert.equal(parseRetryAfter('999999', now), MAX_RETRY_AFTER_MS);
  });
});

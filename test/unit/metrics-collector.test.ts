import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import {
  createCollectMetrics,
  type CollectMetricsInput,
  type MetricsCollectorDeps,
} from '../../src/activities/metrics-collector';
import { runActivity } from '../helpers/run-activity';
import { freePort } from '../../src/temporal/dev-server';
import { rejectsWith } from '../helpers/failures';
import { startSimDeps, type SimDeps } from '../helpers/sim-deps';

const MAX_BODY = 65_536;

describe('collectMetrics', () => {
  let s: SimDeps;
  before(async () => {
    s = await startSimDeps({}, { VIRALFLOW_HTTP_MAX_BODY_BYTES: String(MAX_BODY) });
  });
  after(() => s.close());
  beforeEach(() => s.sim.reset());

  const activity = (overrides: Partial<MetricsCollectorDeps> = {}) =>
    createCollectMetrics({ services: s.deps.services, locations: s.config.services, concurrency: 16, ...overrides });
  const run = (input: CollectMetricsInput = {}, overrides: Partial<MetricsCollectorDeps> = {}) =>
    runActivity(activity(overrides), input);

  test('reads both formats from every service and aggregates per metric across services', async () => {
    const result = await run();
    assert.deepEqual(
      result.services.map((r) => r.service),
      ['api', 'auth', 'billing', 'search', 'feed'],
    );
    assert.ok(result.services.every((r) => r.ok && r.samples > 0 && r.duplicateOf === undefined));
    assert.equal(new Set(result.services.map((r) => r.samples)).size, 1, 'every service exposes the same series');
    assert.deepEqual(result.failures, []);
    assert.equal(result.requests, 10);
    assert.equal(result.deduplicated, 0);

    const a = result.aggregates;
    for (const agg of Object.values(a)) {
      assert.equal(agg.count, 5);
      assert.ok(agg.min <= agg.mean && agg.mean <= agg.max);
      assert.ok(Math.abs(agg.mean * agg.count - agg.sum) <= 1e-9 * Math.abs(agg.sum) + 1e-9);
    }
    // The service label is dropped, so one key holds every service; both formats render the same
    // snapshot after a reset, so they must agree with each other.
    const byCode = ['2xx', '4xx', '5xx'].map((code) => a[`http_requests_total{code="${code}"}`]?.sum ?? Number.NaN);
    assert.equal(
      byCode.reduce((x, y) => x + y),
      a['http.requests.total']?.sum,
    );
    assert.equal(
      a['http_request_duration_seconds_bucket{le="+Inf"}']?.sum,
      a['http_request_duration_seconds_count']?.sum,
    );
    assert.deepEqual(a['queue_depth'], a['queue.depth']);
    assert.equal(a['db_connections{state="idle"}']?.sum, a['db.connections.idle']?.sum);
    assert.equal(result.aggregatesOmitted, 0);
  });

  test('one format only, when asked', async () => {
    const result = await run({ services: ['api', 'auth'], formats: ['json'] });
    assert.equal(result.requests, 2);
    assert.ok(
      Object.keys(result.aggregates).every((k) => k.includes('.')),
      'only dotted JSON paths',
    );
    assert.equal(s.sim.stats().routes['services.metrics']?.requests ?? 0, 0);
  });

  test('collects concurrently: the five services are asked at once', async (t) => {
    s.sim.reset();
    s.sim.setKnobs('services.metrics', { latencyMs: 150 });
    s.sim.setKnobs('services.metricsJson', { latencyMs: 150 });
    const started = performance.now();
    const result = await run({ timeoutMs: 5_000 });
    t.diagnostic(`5 services × 2 formats at 150 ms: ${(performance.now() - started).toFixed(0)} ms`);
    assert.deepEqual(result.failures, []);
    // The services' own count of requests answered at once (wall time would depend on the machine's load).
    const routes = s.sim.stats().routes;
    for (const route of ['services.metrics', 'services.metricsJson'])
      assert.equal(routes[route]?.peakInFlight, 5, `${route}: ${routes[route]?.peakInFlight} at once`);
  });

  test('a 503, a hang, malformed text, an oversized body and a 429 are listed per service; the rest aggregates', async () => {
    s.sim.setKnobs('services.metrics:billing', { errorRate: 1, errorStatus: 503 });
    s.sim.setKnobs('services.metricsJson:billing', { errorRate: 1, errorStatus: 503 });
    s.sim.setKnobs('services.metrics:search', { hangRate: 1 });
    s.sim.setKnobs('services.metricsJson:search', { hangRate: 1 });
    s.sim.setKnobs('services.metrics:feed', { malformedRate: 1 });
    s.sim.setKnobs('services.metricsJson:auth', { oversizeBytes: MAX_BODY * 4 });
    s.sim.setKnobs('services.metricsJson:api', { rateLimitRate: 1, retryAfterSeconds: 3 });
    // 1 s, not less: healthy answers must not time out on a loaded machine. Four hung requests
    // waited out one after another would take 4 s.
    const started = performance.now();
    const result = await run({ timeoutMs: 1_000 });
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 3_000, `took ${elapsed} ms: hung requests were waited out one after another`);

    const reason = (service: string, format: string) =>
      result.failures.find((f) => f.service === service && f.format === format)?.reason ?? '(none)';
    assert.match(reason('billing', 'prometheus'), /HTTP 503/);
    assert.match(reason('billing', 'json'), /HTTP 503/);
    assert.match(reason('search', 'prometheus'), /no answer within 1000 ms/);
    assert.match(reason('search', 'json'), /no answer within 1000 ms/);
    assert.match(reason('feed', 'prometheus'), /malformed response: line \d+: /);
    assert.match(reason('auth', 'json'), new RegExp(`larger than the ${MAX_BODY}-byte cap`));
    assert.match(reason('api', 'json'), /rate limited/);
    assert.equal(result.failures.length, 7, JSON.stringify(result.failures));

    const ok = Object.fromEntries(result.services.map((r) => [r.service, r]));
    assert.equal(ok.api?.ok, false);
    assert.ok((ok.api?.samples ?? 0) > 0, 'api still gave its Prometheus samples');
    assert.equal(ok.billing?.samples, 0);
    assert.equal(ok.search?.samples, 0);
    // Prometheus from api and auth; JSON from feed alone.
    assert.equal(result.aggregates['queue_depth']?.count, 2);
    assert.equal(result.aggregates['queue.depth']?.count, 1);
  });

  test('every source down: a retryable MetricsUnavailable failure listing them', async () => {
    s.sim.setKnobs('services.metrics', { errorRate: 1, errorStatus: 502 });
    s.sim.setKnobs('services.metricsJson', { malformedRate: 1 });
    const failure = await rejectsWith(run(), 'MetricsUnavailable', /all 10 metric sources failed/, /HTTP 502/);
    assert.equal(failure.nonRetryable, false);
    assert.equal(failure.nextRetryDelay, undefined);
  });

  test('every source rate limited: RateLimited with the longest Retry-After', async () => {
    s.sim.setKnobs('services.metrics:api', { rateLimitRate: 1, retryAfterSeconds: 2 });
    s.sim.setKnobs('services.metrics:auth', { rateLimitRate: 1, retryAfterSeconds: 5 });
    const failure = await rejectsWith(run({ services: ['api', 'auth'], formats: ['prometheus'] }), 'RateLimited');
    assert.equal(failure.nextRetryDelay, 5_000);
    // A mix of 429 and 5xx is not "rate limited": the ordinary retry applies.
    s.sim.setKnobs('services.metrics:auth', { errorRate: 1 });
    await rejectsWith(run({ services: ['api', 'auth'], formats: ['prometheus'] }), 'MetricsUnavailable');
  });

  test('caps the aggregates, keeping the most reported names, and says how many were left out', async () => {
    s.sim.setKnobs('services.metricsJson:feed', { errorRate: 1 });
    const full = await run();
    const capped = await run({}, { maxAggregates: 3 });
    const total = Object.keys(full.aggregates).length;
    assert.equal(Object.keys(capped.aggregates).length, 3);
    assert.equal(capped.aggregatesOmitted, total - 3);
    // Feed's JSON failed, so JSON names have count 4 and Prometheus ones 5: the kept three are Prometheus.
    assert.ok(Object.values(capped.aggregates).every((a) => a.count === 5));
  });

  test('bad input is a non-retryable InvalidInput naming the field, before any request', async () => {
    const bad = (input: unknown) => run(input as CollectMetricsInput);
    const unknown = await rejectsWith(bad({ services: ['api', 'nope'] }), 'InvalidInput', /services\.1/);
    assert.equal(unknown.nonRetryable, true);
    await rejectsWith(bad({ services: [] }), 'InvalidInput', /services/);
    await rejectsWith(bad({ formats: ['xml'] }), 'InvalidInput', /formats\.0/);
    await rejectsWith(bad({ timeoutMs: 5 }), 'InvalidInput', /timeoutMs/);
    await rejectsWith(bad({ extra: 1 }), 'InvalidInput', /extra/);
    assert.equal(s.sim.stats().requests, 0);
  });

  test('reuses connections: 100 requests open no more connections than the pool allows', async () => {
    const origin = new URL(s.sim.url).origin;
    const before = s.deps.pool.stats()[origin] ?? { requests: 0, connections: 0 };
    const collect = activity();
    for (let i = 0; i < 10; i++) await runActivity(collect, {});
    const afterStats = s.deps.pool.stats()[origin]!;
    assert.equal(afterStats.requests - before.requests, 100);
    const connections = afterStats.connections - before.connections;
    assert.ok(connections <= s.config.http.connectionsPerOrigin, `${connections} new connections`);
    assert.ok(connections <= 10, `${connections} new connections for 10-wide batches`);
  });

  test('figure: 5 services at 20 ms latency', async (t) => {
    s.sim.setKnobs('services.metrics', { latencyMs: 20 });
    s.sim.setKnobs('services.metricsJson', { latencyMs: 20 });
    const collect = activity();
    await runActivity(collect, {}); // warm connections and JIT
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      await runActivity(collect, {});
      times.push(performance.now() - started);
    }
    times.sort((x, y) => x - y);
    t.diagnostic(`5 services × 2 formats at 20 ms: median ${times[2]!.toFixed(1)} ms (min ${times[0]!.toFixed(1)})`);
  });
});

describe('collectMetrics deduplication', () => {
  let s: SimDeps;
  before(async () => {
    const port = await freePort();
    // api2 is api's URL written differently (trailing slash): still one source.
    s = await startSimDeps({ port }, { VIRALFLOW_SERVICES: `api,api2=http://127.0.0.1:${port}/services/api/,auth` });
  });
  after(() => s.close());

  test('two names resolving to the same URL are fetched once, reported, and counted once', async () => {
    const collect = createCollectMetrics({ services: s.deps.services, locations: s.config.services, concurrency: 8 });
    const result = await runActivity(collect, {});
    assert.equal(result.requests, 4);
    assert.equal(result.deduplicated, 2);
    assert.equal(s.sim.stats().requests, 4);
    const api2 = result.services.find((r) => r.service === 'api2');
    const api = result.services.find((r) => r.service === 'api');
    assert.equal(api2?.duplicateOf, 'api');
    assert.equal(api2?.samples, api?.samples);
    assert.equal(api2?.ok, true);
    assert.equal(result.aggregates['queue.depth']?.count, 2, 'api and auth, not api twice');
  });
});

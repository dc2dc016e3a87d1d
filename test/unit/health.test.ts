import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { createCheckHealth } from '../../src/activities/health';
import { createCircuitBreakers } from '../../src/resilience/circuit-breakers';
import { runActivity } from '../helpers/run-activity';
import { startSimDeps, type SimDeps } from '../helpers/sim-deps';

describe('checkHealth', () => {
  let s: SimDeps;
  before(async () => {
    s = await startSimDeps();
  });
  after(() => s.close());

  const activity = (cooldownMs = 60_000) =>
    createCheckHealth({
      services: s.deps.services,
      breakers: createCircuitBreakers({ failureThreshold: 2, cooldownMs }, s.metrics),
      concurrency: 8,
    });
  const run = runActivity;

  test('checks every configured service and reports them up', async () => {
    s.sim.reset();
    const report = await run(activity(), {});
    assert.deepEqual(report.services.map((r) => r.service).sort(), ['api', 'auth', 'billing', 'feed', 'search']);
    assert.ok(report.services.every((r) => r.status === 'up' || r.status === 'degraded'));
    assert.deepEqual(report.unavailable, []);
  });

  test('checks services concurrently: the five services are asked at once', async () => {
    s.sim.reset();
    s.sim.setKnobs('services.health', { latencyMs: 150 });
    await run(activity(), { timeoutMs: 5_000 });
    // The services' own count of requests answered at once (wall time would depend on the machine's load).
    assert.equal(s.sim.stats().routes['services.health']?.peakInFlight, 5);
  });

  test('a 5xx, a hang past the timeout and a malformed body are down with a reason; others stay up', async () => {
    s.sim.reset();
    s.sim.setKnobs('services.health:billing', { errorRate: 1, errorStatus: 503 });
    s.sim.setKnobs('services.health:search', { hangRate: 1 });
    s.sim.setKnobs('services.health:feed', { malformedRate: 1 });
    const report = await run(activity(), { timeoutMs: 300 });
    const byName = Object.fromEntries(report.services.map((r) => [r.service, r]));
    assert.equal(byName.billing?.status, 'down');
    assert.match(byName.billing?.reason ?? '', /HTTP 503/);
    assert.equal(byName.search?.status, 'down');
    assert.match(byName.search?.reason ?? '', /no answer within 300 ms/);
    assert.equal(byName.feed?.status, 'down');
    assert.match(byName.feed?.reason ?? '', /malformed/);
    assert.deepEqual(report.available.sort(), ['api', 'auth']);
  });

  test('a slow answer counts as degraded', async () => {
    s.sim.reset();
    s.sim.setKnobs('services.health:api', { latencyMs: 120 });
    const report = await run(activity(), { services: ['api'], timeoutMs: 2_000, degradedAfterMs: 50 });
    assert.equal(report.services[0]?.status, 'degraded');
  });

  test('the circuit opens after consecutive failures, skips calls while open, and half-opens after the cool-down', async () => {
    s.sim.reset();
    s.sim.setKnobs('services.health:billing', { errorRate: 1 });
    const check = activity(200);
    await run(check, { services: ['billing'] });
    const second = await run(check, { services: ['billing'] });
    assert.equal(second.services[0]?.circuit, 'open');
    assert.deepEqual(second.openCircuits, ['billing']);
    const before = s.sim.stats().routes['services.health']?.requests ?? 0;
    const third = await run(check, { services: ['billing'] });
    assert.equal(third.services[0]?.status, 'skipped');
    assert.equal(
      s.sim.stats().routes['services.health']?.requests ?? 0,
      before,
      'no request while the circuit is open',
    );
    const gauge = await s.metrics.circuitState.get();
    assert.equal(gauge.values.find((v) => v.labels.service === 'billing')?.value, 2);

    s.sim.setKnobs('services.health:billing', undefined);
    await new Promise((r) => setTimeout(r, 250));
    const recovered = await run(check, { services: ['billing'] });
    assert.equal(recovered.services[0]?.status, 'up');
    assert.equal(recovered.services[0]?.circuit, 'closed');
  });

  test('unknown service names and bad fields are non-retryable failures naming the field', async () => {
    await assert.rejects(run(activity(), { services: ['api', 'nope'] }), (err: unknown) => {
      assert.ok(err instanceof ApplicationFailure);
      assert.equal(err.nonRetryable, true);
      assert.equal(err.type, 'InvalidInput');
      assert.match(err.message, /services\.1/);
      return true;
    });
    await assert.rejects(run(activity(), { timeoutMs: -5 }), /timeoutMs/);
    await assert.rejects(run(activity(), { extra: 1 } as never), /extra/);
  });

  test('reuses connections: 100 checks open no more connections than the pool allows', async () => {
    s.sim.reset();
    const check = activity();
    const origin = new URL(s.sim.url).origin;
    const before = s.deps.pool.stats()[origin] ?? { requests: 0, connections: 0 };
    for (let i = 0; i < 20; i++) await run(check, {});
    const afterStats = s.deps.pool.stats()[origin]!;
    const requests = afterStats.requests - before.requests;
    const connections = afterStats.connections - before.connections;
    assert.equal(requests, 100);
    assert.ok(connections <= s.config.http.connectionsPerOrigin, `${connections} new connections`);
    assert.ok(connections <= 5, `${connections} new connections for 5-wide batches`);
  });
});

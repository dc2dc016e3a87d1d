import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure } from '@temporalio/common';
import { createEngineCache, createExtractPatterns, type ExtractPatternsDeps } from '../../src/activities/engine';
import type { AdaptiveTimeoutOptions } from '../../src/http/adaptive-timeout';
import { createUpstream } from '../../src/http/upstream';
import { engineResult } from '../../src/sim/data';
import { runActivity } from '../helpers/run-activity';
import { startSimDeps, type SimDeps } from '../helpers/sim-deps';

const run = runActivity;

/** `count` distinct texts, distinct per `tag` so tests never share cache entries by accident. */
const items = (count: number, tag: string, from = 0) =>
  Array.from({ length: count }, (_, i) => ({
    id: `${tag}-${from + i}`,
    text: `${tag} post number ${from + i}: so viral`,
  }));

const extractRequests = (s: SimDeps) => s.sim.stats().routes['engine.extract']?.requests ?? 0;
const limitsRequests = (s: SimDeps) => s.sim.stats().routes['engine.limits']?.requests ?? 0;

/** Resolves once the simulator has received `n` extract requests (they are counted on arrival). */
async function extractArrivals(s: SimDeps, n: number): Promise<void> {
  for (let i = 0; extractRequests(s) < n; i++) {
    if (i > 400) throw new Error(`only ${extractRequests(s)} extract requests arrived`);
    await sleep(5);
  }
}

function assertFailure(err: unknown, type: string, nonRetryable: boolean): true {
  assert.ok(err instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(err)}`);
  assert.equal(err.type, type);
  assert.equal(err.nonRetryable, nonRetryable);
  return true;
}

describe('extractPatterns', () => {
  let s: SimDeps;
  before(async () => {
    s = await startSimDeps({ engineMaxBatch: 50 });
  });
  after(() => s.close());

  const activity = (
    overrides: Partial<ExtractPatternsDeps> & { timeoutOptions?: Partial<AdaptiveTimeoutOptions> } = {},
  ) => {
    const { timeoutOptions, ...rest } = overrides;
    return createExtractPatterns({
      engine: s.deps.engine,
      cache: createEngineCache({ metrics: s.metrics, clock: s.deps.clock }),
      ...(timeoutOptions && { timeout: timeoutOptions }),
      ...rest,
    });
  };

  test('120 cold items take exactly 3 POSTs of at most maxBatch, with results in input order', async () => {
    s.sim.reset();
    const input = items(120, 'cold');
    const result = await run(activity(), { items: input });

    assert.equal(extractRequests(s), 3);
    assert.equal(limitsRequests(s), 1);
    assert.deepEqual(s.sim.stats().routes['engine.extract']?.byStatus, { 200: 3 });
    assert.equal(result.requests, 3);
    assert.deepEqual(result.cache, { l1Hits: 0, l2Hits: 0, misses: 120 });
    assert.equal(result.items, 120);
    assert.equal(result.uniqueTexts, 120);
    assert.deepEqual(
      result.results.map((r) => r.id),
      input.map((i) => i.id),
    );
    // The simulator's scores are a pure function of the text: each result must be its own text's.
    input.forEach((item, i) => {
      const expected = engineResult(item.id, item.text);
      const top = [...expected.patterns].sort((a, b) => b.score - a.score)[0]?.name;
      assert.equal(result.results[i]?.viralityScore, expected.viralityScore);
      assert.equal(result.results[i]?.topPattern, top);
    });
    const patternTotal = input.reduce((n, item) => n + engineResult(item.id, item.text).patterns.length, 0);
    assert.equal(
      Object.values(result.patternCounts).reduce((a, b) => a + b, 0),
      patternTotal,
    );
    assert.ok(!('patterns' in (result.results[0] ?? {})), 'results stay compact');
  });

  test('a second call with the same texts makes no request and counts cache hits', async () => {
    s.sim.reset();
    const extract = activity();
    const input = items(120, 'warm');
    const hitsBefore = await l1Hits(s);
    const cold = await run(extract, { items: input });
    const warm = await run(extract, { items: input.map((item, i) => ({ ...item, id: `renamed-${i}` })) });

    assert.equal(extractRequests(s), 3, 'only the cold call asked the engine');
    assert.equal(warm.requests, 0);
    assert.deepEqual(warm.cache, { l1Hits: 120, l2Hits: 0, misses: 0 });
    assert.equal((await l1Hits(s)) - hitsBefore, 120);
    assert.deepEqual(
      warm.results.map((r) => r.viralityScore),
      cold.results.map((r) => r.viralityScore),
    );
    assert.equal(warm.results[7]?.id, 'renamed-7', 'ids are re-attached per item');

    await run(extract, { items: items(10, 'warm-more') });
    assert.equal(limitsRequests(s), 1, 'maxBatch is learnt once per activity instance');
  });

  test('identical texts inside one call share one engine item and one cache entry', async () => {
    s.sim.reset();
    const extract = activity({ maxBatch: 1 }); // one POST per distinct text makes the dedup visible
    const texts = ['alpha is viral', 'beta is not', 'gamma maybe'];
    const input = Array.from({ length: 30 }, (_, i) => ({ id: `dup-${i}`, text: texts[i % 3]! }));
    const result = await run(extract, { items: input });

    assert.equal(extractRequests(s), 3);
    assert.equal(result.uniqueTexts, 3);
    assert.deepEqual(result.cache, { l1Hits: 0, l2Hits: 0, misses: 3 });
    assert.equal(result.results.length, 30);
    assert.equal(result.results[0]?.viralityScore, result.results[3]?.viralityScore);
    assert.equal(result.results[29]?.id, 'dup-29');
    assert.equal(Object.values(result.patternCounts).reduce((a, b) => a + b, 0) % 10, 0, 'counted per item');
  });

  test('batches run concurrently, at most maxConcurrentBatches at a time', async () => {
    s.sim.reset();
    s.sim.setKnobs('engine.extract', { latencyMs: 50 });
    const extract = activity({ maxBatch: 50 });
    const result = await run(extract, { items: items(1_000, 'wide'), maxConcurrentBatches: 4 });
    assert.equal(result.requests, 20);
    // The engine's own count of requests it was answering at once (wall time would depend on the machine's load).
    const peak = s.sim.stats().routes['engine.extract']?.peakInFlight;
    assert.ok(peak! > 1 && peak! <= 4, `${peak} batches at once`);
  });

  test('a 429 fails at once as RateLimited with Retry-After as the next retry delay, and sends nothing more', async () => {
    s.sim.reset();
    s.sim.setKnobs('engine.extract', { rateLimitFirst: 1, retryAfterSeconds: 3 });
    const started = performance.now();
    await assert.rejects(
      run(activity({ maxBatch: 50 }), { items: items(120, 'limited'), maxConcurrentBatches: 1 }),
      (err) => {
        assertFailure(err, 'RateLimited', false);
        assert.equal((err as ApplicationFailure).nextRetryDelay, 3_000);
        return true;
      },
    );
    assert.ok(performance.now() - started < 1_000, 'did not sleep on the rate limit');
    assert.equal(extractRequests(s), 1, 'queued batches are not sent after a 429');
  });

  test('a 5xx is retryable, and the retry asks only for what the first attempt did not get', async () => {
    s.sim.reset();
    s.sim.setKnobs('engine.extract', { latencyMs: 150 });
    const extract = activity({ maxBatch: 50 });
    const input = { items: items(120, 'retry'), maxConcurrentBatches: 1 };

    const attempt = run(extract, input);
    await extractArrivals(s, 1); // the first batch is being answered; the second is not sent yet
    s.sim.setKnobs('engine.extract', { latencyMs: 150, errorRate: 1, errorStatus: 503 });
    await assert.rejects(attempt, (err) => {
      assertFailure(err, 'UpstreamHttpError', false);
      assert.match((err as Error).message, /HTTP 503/);
      return true;
    });
    assert.equal(extractRequests(s), 2, 'the third batch was never sent');

    s.sim.setKnobs('engine.extract', undefined);
    const retry = await run(extract, input);
    assert.deepEqual(retry.cache, { l1Hits: 50, l2Hits: 0, misses: 70 });
    assert.equal(retry.requests, 2, '70 missing items in batches of 50');
    assert.equal(extractRequests(s), 4);
    assert.equal(retry.results.length, 120);
  });

  test('a hanging engine fails fast with a retryable timeout at the adaptive deadline', async () => {
    s.sim.reset();
    s.sim.setKnobs('engine.extract', { hangRate: 1 });
    const started = performance.now();
    await assert.rejects(
      run(activity({ maxBatch: 50, timeoutOptions: { initialMs: 200, minMs: 100 } }), { items: items(5, 'hang') }),
      (err) => {
        assertFailure(err, 'UpstreamTimeoutError', false);
        assert.match((err as Error).message, /no answer within 200 ms/);
        return true;
      },
    );
    assert.ok(performance.now() - started < 1_000, `took ${Math.round(performance.now() - started)} ms`);
  });

  test('the deadline follows observed latency', async () => {
    s.sim.reset();
    s.sim.setKnobs('engine.extract', { latencyMs: 120 });
    const extract = activity({ maxBatch: 5, timeoutOptions: { initialMs: 5_000, minSamples: 10, minMs: 100 } });
    const result = await run(extract, { items: items(100, 'adaptive'), maxConcurrentBatches: 10 });
    // 3 x p99 of answers that take at least 120 ms: far below the 5 s initial guess.
    assert.ok(result.timeoutMs >= 360 && result.timeoutMs < 2_500, `timeoutMs ${result.timeoutMs}`);
  });

  test('a malformed body is non-retryable', async () => {
    s.sim.reset();
    s.sim.setKnobs('engine.extract', { malformedRate: 1 });
    await assert.rejects(run(activity({ maxBatch: 50 }), { items: items(3, 'malformed') }), (err) =>
      assertFailure(err, 'MalformedResponseError', true),
    );
  });

  test('bad input is a non-retryable InvalidInput naming the field', async () => {
    const extract = activity({ maxBatch: 50 });
    const rejectsNaming = (input: unknown, field: RegExp) =>
      assert.rejects(run(extract, input as never), (err) => {
        assertFailure(err, 'InvalidInput', true);
        assert.match((err as Error).message, field);
        return true;
      });
    await rejectsNaming({ items: [] }, /items:/);
    await rejectsNaming({ items: [{ id: '', text: 'x' }] }, /items\.0\.id/);
    await rejectsNaming({ items: [{ id: 'a', text: 'x'.repeat(20_001) }] }, /items\.0\.text/);
    await rejectsNaming({ items: [{ id: 'a', text: 'x', extra: 1 }] }, /extra/);
    await rejectsNaming({ items: items(1, 'bad'), maxConcurrentBatches: 0 }, /maxConcurrentBatches/);
    await rejectsNaming({ items: items(1, 'bad'), sink: 's3://x' }, /sink/);
  });

  test('reuses connections: 100 one-item requests open no more connections than the pool allows', async () => {
    s.sim.reset();
    const origin = new URL(s.sim.url).origin;
    const before = s.deps.pool.stats()[origin] ?? { requests: 0, connections: 0 };
    const result = await run(activity({ maxBatch: 1 }), { items: items(100, 'reuse'), maxConcurrentBatches: 4 });
    const now = s.deps.pool.stats()[origin]!;
    const connections = now.connections - before.connections;
    assert.equal(result.requests, 100);
    assert.equal(now.requests - before.requests, 100);
    assert.ok(connections <= s.config.http.connectionsPerOrigin, `${connections} new connections`);
    assert.ok(connections <= 4, `${connections} new connections for 4 concurrent batches`);
  });
});

describe('extractPatterns against a misconfigured or misbehaving engine', () => {
  test('an engine accepting fewer items than believed answers 413: the batch is halved, and the limit learnt again', async () => {
    const s = await startSimDeps({ engineMaxBatch: 20 });
    try {
      const extract = createExtractPatterns({
        engine: s.deps.engine,
        cache: createEngineCache({ metrics: s.metrics, clock: s.deps.clock }),
        maxBatch: 50, // a stale belief
      });
      const first = await run(extract, { items: items(120, 'big'), maxConcurrentBatches: 1 });
      // 50 -> 413, 25 -> 413, then 13 + 12 fit; from then on 25s and 50s are split without asking:
      // 4 x (13 + 12) + 20, after two refusals.
      assert.equal(first.requests, 11);
      assert.deepEqual(s.sim.stats().routes['engine.extract']?.byStatus, { 200: 9, 413: 2 });
      assert.equal(first.results.length, 120);
      assert.equal(new Set(first.results.map((r) => r.id)).size, 120);

      const second = await run(extract, { items: items(120, 'after') });
      assert.equal(s.sim.stats().routes['engine.limits']?.requests, 1, 'the 413 made it ask /limits');
      assert.equal(second.requests, 6, '120 items in batches of the engine’s real 20');
      assert.equal(s.sim.stats().routes['engine.extract']?.byStatus['413'], 2, 'no 413 after learning');
    } finally {
      await s.close();
    }
  });

  test('a response bigger than the body cap is non-retryable', async () => {
    const s = await startSimDeps({}, { VIRALFLOW_HTTP_MAX_BODY_BYTES: '4096' });
    try {
      s.sim.setKnobs('engine.extract', { oversizeBytes: 64 * 1024 });
      const extract = createExtractPatterns({
        engine: s.deps.engine,
        cache: createEngineCache({ metrics: s.metrics, clock: s.deps.clock }),
      });
      await assert.rejects(run(extract, { items: items(3, 'huge') }), (err) =>
        assertFailure(err, 'ResponseTooLargeError', true),
      );
    } finally {
      await s.close();
    }
  });

  test('results whose ids do not match those sent are a non-retryable MalformedResponseError', async () => {
    const s = await startSimDeps();
    // An engine that answers well-formed results under the wrong ids.
    const liar = createServer((req, res) => {
      req.resume().on('end', () => {
        const body = {
          results: [{ id: 'not-what-you-sent', patterns: [{ name: 'hook', score: 0.5 }], viralityScore: 0.4 }],
        };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      });
    }).listen(0, '127.0.0.1');
    await once(liar, 'listening');
    try {
      const { port } = liar.address() as AddressInfo;
      const engine = createUpstream(
        s.deps.pool,
        { name: 'engine', baseUrl: `http://127.0.0.1:${port}/engine` },
        s.deps.clock,
      );
      const extract = createExtractPatterns({
        engine,
        cache: createEngineCache({ metrics: s.metrics, clock: s.deps.clock }),
        maxBatch: 10,
      });
      await assert.rejects(run(extract, { items: items(1, 'liar') }), (err) => {
        assertFailure(err, 'MalformedResponseError', true);
        assert.match((err as Error).message, /none for id/);
        return true;
      });
    } finally {
      liar.closeAllConnections();
      liar.close();
      await s.close();
    }
  });
});

async function l1Hits(s: SimDeps): Promise<number> {
  const values = (await s.metrics.cacheRequests.get()).values;
  return values.find((v) => v.labels.cache === 'engine_l1' && v.labels.result === 'hit')?.value ?? 0;
}

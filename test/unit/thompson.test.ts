import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import fc from 'fast-check';
import { request } from 'undici';
import {
  createPublishWeights,
  createSampleWeights,
  MAX_DRAWS,
  type SampleWeightsInput,
} from '../../src/activities/thompson';
import { createMetrics, type ViralflowMetrics } from '../../src/metrics/registry';
import { createRng } from '../../src/sampling/beta-sampler';
import { betaPosteriors, createBestArmTally } from '../../src/sampling/thompson';
import type { PublishedWeights } from '../../src/sim/types';
import { runActivity } from '../helpers/run-activity';
import { rejectsWith } from '../helpers/failures';
import { startSimDeps, type SimDeps } from '../helpers/sim-deps';

const sum = (record: Record<string, number>) => Object.values(record).reduce((a, b) => a + b, 0);

/** A deep copy in which every object has a null prototype (arrays stay arrays). */
function withoutPrototypes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutPrototypes);
  if (typeof value !== 'object' || value === null) return value;
  const copy = Object.create(null) as Record<string, unknown>;
  for (const [key, inner] of Object.entries(value)) copy[key] = withoutPrototypes(inner);
  return copy;
}

describe('createBestArmTally', () => {
  test('P(best) matches the exact value for Beta(2, 1) vs Beta(1, 1): 2/3', () => {
    const tally = createBestArmTally(
      betaPosteriors([
        { id: 'a', successes: 1, failures: 0 },
        { id: 'b', successes: 0, failures: 0 },
      ]),
      createRng(1),
    );
    const draws = 100_000;
    tally.addDraws(draws);
    const [a, b] = tally.probabilities();
    const stdErr = Math.sqrt(2 / 9 / draws);
    assert.ok(Math.abs(a! - 2 / 3) < 5 * stdErr, `P(a best) = ${a}`);
    assert.equal(a! + b!, 1);
  });

  test('identical posteriors share the wins evenly', () => {
    const variants = ['x', 'y', 'z'].map((id) => ({ id, successes: 30, failures: 70 }));
    const tally = createBestArmTally(betaPosteriors(variants), createRng(2));
    tally.addDraws(30_000);
    const stdErr = Math.sqrt(((1 / 3) * (2 / 3)) / 30_000);
    for (const p of tally.probabilities()) assert.ok(Math.abs(p - 1 / 3) < 5 * stdErr, `got ${p}`);
  });

  test('the estimate does not depend on how the draws are sliced', () => {
    const posteriors = betaPosteriors(['a', 'b', 'c'].map((id, i) => ({ id, successes: 10 + i, failures: 20 })));
    const whole = createBestArmTally(posteriors, createRng(9));
    whole.addDraws(1_000);
    const sliced = createBestArmTally(posteriors, createRng(9));
    sliced.addDraws(1);
    sliced.addDraws(299);
    sliced.addDraws(700);
    assert.deepEqual(sliced.probabilities(), whole.probabilities());
    assert.equal(sliced.draws, 1_000);
  });
});

describe('sampleWeights', () => {
  let metrics: ViralflowMetrics;
  beforeEach(() => {
    metrics = createMetrics({ processMetrics: false });
  });
  const activity = () => createSampleWeights({ metrics });
  const cacheCount = async (result: 'hit' | 'miss') =>
    (await metrics.cacheRequests.get()).values.find((v) => v.labels.cache === 'thompson' && v.labels.result === result)
      ?.value ?? 0;

  const run = (input: unknown) => runActivity(activity(), input as SampleWeightsInput);
  const v = (id: string, successes = 1, failures = 1) => ({ id, successes, failures });

  /** Close enough that Monte-Carlo noise shows: no variant's probability is 0 or 1. */
  const close: SampleWeightsInput = {
    variants: [
      { id: 'a', successes: 50, failures: 950 },
      { id: 'b', successes: 55, failures: 945 },
      { id: 'c', successes: 48, failures: 952 },
      { id: 'd', successes: 52, failures: 948 },
    ],
  };

  test('the same seed gives the same weights; another seed gives others', async () => {
    const one = await runActivity(activity(), { ...close, seed: 7 });
    const again = await runActivity(activity(), { ...close, seed: 7 }); // a fresh activity: no cache
    const other = await runActivity(activity(), { ...close, seed: 8 });
    assert.equal(again.cached, false);
    assert.deepEqual(again.weights, one.weights);
    assert.notDeepEqual(other.weights, one.weights);
    assert.equal(one.seed, 7);
  });

  test('without a seed, one is derived from the posteriors and returned: the run is reproducible', async () => {
    const one = await runActivity(activity(), close);
    const again = await runActivity(activity(), close);
    assert.equal(again.seed, one.seed);
    assert.deepEqual(again.probabilityBest, one.probabilityBest);
    const replay = await runActivity(activity(), { ...close, seed: one.seed });
    assert.deepEqual(replay.probabilityBest, one.probabilityBest);
  });

  test('weights are a distribution over every variant: in [0, 1], summing to 1', async () => {
    const result = await runActivity(activity(), { ...close, seed: 3, draws: 2_000 });
    assert.deepEqual(Object.keys(result.weights).sort(), ['a', 'b', 'c', 'd']);
    assert.ok(Object.values(result.weights).every((w) => w >= 0 && w <= 1));
    assert.ok(Math.abs(sum(result.weights) - 1) < 1e-9, `sum ${sum(result.weights)}`);
    assert.ok(Math.abs(sum(result.probabilityBest) - 1) < 1e-9);
    assert.equal(result.draws, 2_000);
    // Each weight is a whole number of wins out of `draws`.
    for (const w of Object.values(result.weights)) assert.ok(Math.abs(w * 2_000 - Math.round(w * 2_000)) < 1e-6);
  });

  test('a clearly better variant is best with probability ~1', async () => {
    const result = await runActivity(activity(), {
      variants: [
        { id: 'good', successes: 1_000, failures: 10 },
        { id: 'bad', successes: 10, failures: 1_000 },
      ],
    });
    assert.ok(result.probabilityBest.good! > 0.999, `P(good best) = ${result.probabilityBest.good}`);
    assert.ok(result.weights.bad! < 0.001);
  });

  test('an unchanged posterior is served from the cache and counted; a changed one is a miss', async () => {
    const sample = activity();
    const first = await runActivity(sample, close);
    const second = await runActivity(sample, close);
    assert.equal(first.cached, false);
    assert.equal(second.cached, true);
    assert.deepEqual(second.weights, first.weights);
    assert.equal(await cacheCount('miss'), 1);
    assert.equal(await cacheCount('hit'), 1);

    const changed = structuredClone(close);
    changed.variants[1]!.successes += 1;
    const third = await runActivity(sample, changed);
    assert.equal(third.cached, false);
    assert.equal(await cacheCount('miss'), 2);
    // A different seed or draw count is a different result too.
    assert.equal((await runActivity(sample, { ...close, draws: 999 })).cached, false);
    assert.equal((await runActivity(sample, { ...close, seed: first.seed + 1 })).cached, false);
    assert.equal(await cacheCount('hit'), 1);
  });

  test('bad input is a non-retryable InvalidInput naming the field', async () => {
    const dup = await rejectsWith(run({ variants: [v('a'), v('a')] }), 'InvalidInput', /variants\.1\.id/, /duplicate/);
    assert.equal(dup.nonRetryable, true);
    await rejectsWith(run({ variants: [v('a', -1)] }), 'InvalidInput', /variants\.0\.successes/);
    await rejectsWith(run({ variants: [v('a', 1, 0.5)] }), 'InvalidInput', /variants\.0\.failures/);
    await rejectsWith(run({ variants: [] }), 'InvalidInput', /variants/);
    await rejectsWith(run({ variants: [v('')] }), 'InvalidInput', /variants\.0\.id/);
    await rejectsWith(run({ variants: [v('__proto__')] }), 'InvalidInput', /variants\.0\.id/);
    await rejectsWith(run({ variants: [v('a')], seed: -1 }), 'InvalidInput', /seed/);
    await rejectsWith(run({ variants: [v('a')], extra: true }), 'InvalidInput', /extra/);
    const many = Array.from({ length: 1_000 }, (_, i) => v(`v${i}`));
    await rejectsWith(run({ variants: many, draws: 100_000 }), 'InvalidInput', /draws/, /variants \(1000\)/);
    assert.equal(await cacheCount('miss'), 0, 'refused before any work');
  });

  test('ids that name Object.prototype members are ordinary variants', async () => {
    const ids = ['constructor', 'toString', 'hasOwnProperty', 'valueOf'];
    const result = await runActivity(activity(), {
      variants: ids.map((id, i) => ({ id, successes: i, failures: 5 })),
      seed: 2,
    });
    assert.deepEqual(Object.keys(result.weights), ids);
    assert.ok(Object.values(result.weights).every((w) => typeof w === 'number'));
    assert.ok(Math.abs(sum(result.weights) - 1) < 1e-9);
    await rejectsWith(
      run({ variants: [v('constructor'), v('constructor')] }),
      'InvalidInput',
      /variants\.1\.id: duplicate id "constructor"/,
    );
  });

  test('the typed check of plain input and the schema agree: same weights, same refusals', async () => {
    // Objects without Object.prototype always go through the zod schema; plain ones take the typed
    // check first. Every input must come out the same both ways.
    const quiet = () => new MockActivityEnvironment({}, { logger: new DefaultLogger('ERROR') });
    const outcome = (input: unknown) =>
      runActivity(activity(), input as SampleWeightsInput, quiet()).then(
        (r) => ({ weights: r.weights, seed: r.seed, draws: r.draws }),
        (err: unknown) => ({
          refused: err instanceof ApplicationFailure ? `${err.type}: ${err.message}` : String(err),
        }),
      );
    // Valid input, then often one field set to an edge case of its own, valid or not.
    const counts = [0, -0, -1, 0.5, 2 ** 53 - 1, 2 ** 53, Number.NaN, Infinity, '1', undefined, null];
    const edits: Record<string, unknown[]> = {
      id: ['', '__proto__', 'x'.repeat(128), 'x'.repeat(129), 'constructor', 7, undefined],
      successes: counts,
      failures: counts,
      seed: [0, -1, 0.5, 2 ** 32 - 1, 2 ** 32, undefined, null, '1'],
      draws: [0, 1, MAX_DRAWS, MAX_DRAWS + 1, 0.5, undefined, null],
      variants: [[], 'a', undefined, null, {}, [null], [[]]],
      extra: [1, undefined],
      'repeated id': [undefined],
    };
    const inVariant = new Set(['id', 'successes', 'failures']);
    const valid = fc.record(
      {
        variants: fc.uniqueArray(
          fc.record({
            id: fc.oneof(fc.constantFrom('a', 'b', 'toString'), fc.string({ minLength: 1, maxLength: 2 })),
            successes: fc.nat(4),
            failures: fc.nat(4),
          }),
          { selector: (x) => x.id, minLength: 1, maxLength: 4 },
        ),
        seed: fc.nat(3),
        draws: fc.integer({ min: 1, max: 40 }),
      },
      { requiredKeys: ['variants'] },
    );
    const edit = fc.constantFrom(...Object.keys(edits)).chain((field) =>
      fc.record({
        field: fc.constant(field),
        value: fc.constantFrom(...edits[field]!),
        variant: fc.nat(3),
        top: fc.boolean(),
      }),
    );
    const input = fc.tuple(valid, fc.option(edit, { freq: 4 })).map(([base, e]) => {
      const variants: Record<string, unknown>[] = base.variants.map((x) => ({ ...x }));
      const out: Record<string, unknown> = { ...base, variants };
      if (e === null) return out;
      if (e.field === 'repeated id') variants.push({ ...variants[0]! });
      else
        (inVariant.has(e.field) || (e.field === 'extra' && !e.top) ? variants[e.variant % variants.length]! : out)[
          e.field
        ] = e.value;
      return out;
    });
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(input, async (plain) => {
        const viaTypedCheck = await outcome(plain);
        assert.deepEqual(await outcome(withoutPrototypes(plain)), viaTypedCheck);
        if ('refused' in viaTypedCheck) refused++;
      }),
      { numRuns: 500, seed: 6 },
    );
    assert.ok(refused > 100 && refused < 400, `${refused} of 500 refused: both kinds of input are generated`);
  });

  test('100,000 variants: sampled with the default budget, weights still sum to 1', async (t) => {
    const variants = Array.from({ length: 100_000 }, (_, i) => ({
      id: `v${i}`,
      successes: (i * 37) % 500,
      failures: 1_000 + ((i * 11) % 300),
    }));
    const started = performance.now();
    const result = await runActivity(activity(), { variants, seed: 1 });
    const elapsed = performance.now() - started;
    t.diagnostic(`100,000 variants × ${result.draws} draws: ${elapsed.toFixed(0)} ms`);
    assert.equal(Object.keys(result.weights).length, 100_000);
    assert.ok(Math.abs(sum(result.weights) - 1) < 1e-9);
    assert.ok(result.draws >= 1 && result.draws < 1_000, 'the default draws shrink for huge inputs');
  });

  test('a long run yields to the event loop and stops when cancelled', async () => {
    const env = new MockActivityEnvironment();
    const variants = Array.from({ length: 1_000 }, (_, i) => ({ id: `v${i}`, successes: i, failures: 1_000 }));
    const running = runActivity(activity(), { variants, draws: 50_000 }, env); // ~5e7 Beta draws: seconds of CPU
    let timerFired = false;
    setTimeout(() => {
      timerFired = true;
      env.cancel();
    }, 50);
    const started = performance.now();
    await assert.rejects(running, (err: unknown) => err instanceof CancelledFailure);
    assert.ok(timerFired);
    assert.ok(performance.now() - started < 1_500, 'stopped at the next slice, not at the end');
  });
});

describe('publishWeights', () => {
  let s: SimDeps;
  before(async () => {
    s = await startSimDeps();
  });
  after(() => s.close());
  beforeEach(() => s.sim.reset());

  const activity = () => createPublishWeights({ experiments: s.deps.experiments });
  const weights = { a: 0.25, b: 0.75 };
  const fetchPublished = async (id: string): Promise<PublishedWeights> => {
    const res = await request(`${s.sim.url}/experiments/${id}/weights`);
    assert.equal(res.statusCode, 200);
    return (await res.body.json()) as PublishedWeights;
  };

  test('one PUT publishes the weights; the version increments per publish', async () => {
    const first = await runActivity(activity(), { experimentId: 'exp-1', weights, probabilityBest: weights });
    assert.deepEqual(first, { experimentId: 'exp-1', version: 1 });
    const stored = await fetchPublished('exp-1');
    assert.deepEqual(stored.weights, weights);
    assert.deepEqual(stored.probabilityBest, weights);
    const second = await runActivity(activity(), { experimentId: 'exp-1', weights: { a: 0.5, b: 0.5 } });
    assert.equal(second.version, 2);
    assert.deepEqual((await fetchPublished('exp-1')).weights, { a: 0.5, b: 0.5 });
    assert.equal(s.sim.stats().routes['experiments.weights']?.byStatus['200'], 4, '2 PUTs + 2 GETs, nothing else');
  });

  test('sampleWeights output publishes as is', async () => {
    const sampled = await runActivity(createSampleWeights({ metrics: s.metrics }), {
      variants: ['a', 'b', 'c'].map((id, i) => ({ id, successes: 10 * i, failures: 30 })),
    });
    const published = await runActivity(activity(), {
      experimentId: 'exp-2',
      weights: sampled.weights,
      probabilityBest: sampled.probabilityBest,
    });
    assert.equal(published.version, 1);
    assert.deepEqual((await fetchPublished('exp-2')).weights, sampled.weights);
  });

  test('429 with Retry-After: RateLimited with nextRetryDelay, no sleeping', async () => {
    s.sim.setKnobs('experiments.weights', { rateLimitRate: 1, retryAfterSeconds: 7 });
    const started = performance.now();
    const failure = await rejectsWith(runActivity(activity(), { experimentId: 'exp-1', weights }), 'RateLimited');
    assert.equal(failure.nextRetryDelay, 7_000);
    assert.notEqual(failure.nonRetryable, true);
    assert.ok(performance.now() - started < 1_000, 'did not wait out the Retry-After');
  });

  test('5xx is retryable; 4xx is not', async () => {
    s.sim.setKnobs('experiments.weights', { errorRate: 1, errorStatus: 503 });
    const server = await rejectsWith(
      runActivity(activity(), { experimentId: 'exp-1', weights }),
      'UpstreamHttpError',
      /HTTP 503/,
    );
    assert.equal(server.nonRetryable, false);
    s.sim.setKnobs('experiments.weights', { errorRate: 1, errorStatus: 409 });
    const client = await rejectsWith(
      runActivity(activity(), { experimentId: 'exp-1', weights }),
      'UpstreamHttpError',
      /HTTP 409/,
    );
    assert.equal(client.nonRetryable, true);
  });

  test('a malformed response body is a non-retryable MalformedResponseError', async () => {
    s.sim.setKnobs('experiments.weights', { malformedRate: 1 });
    const failure = await rejectsWith(
      runActivity(activity(), { experimentId: 'exp-1', weights }),
      'MalformedResponseError',
    );
    assert.equal(failure.nonRetryable, true);
  });

  test('a hang past the timeout is a retryable timeout', async () => {
    s.sim.setKnobs('experiments.weights', { hangRate: 1 });
    const failure = await rejectsWith(
      runActivity(activity(), { experimentId: 'exp-1', weights, timeoutMs: 150 }),
      'UpstreamTimeoutError',
      /150 ms/,
    );
    assert.equal(failure.nonRetryable, false);
  });

  test('an invalid experimentId or weights are refused before any request', async () => {
    const run = (input: unknown) => runActivity(activity(), input as never);
    for (const experimentId of ['bad id', '..', '.', 'a/b', '', 'x'.repeat(129)]) {
      await rejectsWith(run({ experimentId, weights }), 'InvalidInput', /experimentId/);
    }
    await rejectsWith(
      run({ experimentId: 'e', weights: { a: 0.5, b: 0.6 } }),
      'InvalidInput',
      /weights: must sum to 1/,
    );
    await rejectsWith(run({ experimentId: 'e', weights: { a: 1.5 } }), 'InvalidInput', /weights\.a/);
    await rejectsWith(run({ experimentId: 'e', weights: {} }), 'InvalidInput', /weights/);
    await rejectsWith(
      run({ experimentId: 'e', weights, probabilityBest: { z: 1 } }),
      'InvalidInput',
      /probabilityBest\.z/,
    );
    assert.equal(s.sim.stats().requests, 0);
  });

  test('reuses connections: 100 concurrent publishes open no more connections than the pool allows', async () => {
    const origin = new URL(s.sim.url).origin;
    const before = s.deps.pool.stats()[origin] ?? { requests: 0, connections: 0 };
    const publish = activity();
    await Promise.all(
      Array.from({ length: 100 }, (_, i) => runActivity(publish, { experimentId: `exp-${i % 10}`, weights })),
    );
    const afterStats = s.deps.pool.stats()[origin]!;
    assert.equal(afterStats.requests - before.requests, 100);
    const connections = afterStats.connections - before.connections;
    assert.ok(connections <= s.config.http.connectionsPerOrigin, `${connections} new connections`);
  });
});

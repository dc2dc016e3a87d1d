import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  createAdaptiveTimeout,
  DEFAULT_ADAPTIVE_TIMEOUT,
  timeoutFromLatencies,
  type AdaptiveTimeoutOptions,
} from '../../src/http/adaptive-timeout';

const options: AdaptiveTimeoutOptions = {
  window: 100,
  percentile: 99,
  factor: 3,
  minMs: 250,
  maxMs: 10_000,
  initialMs: 2_000,
  minSamples: 10,
};

describe('timeoutFromLatencies', () => {
  test('uses the initial value until there are enough samples', () => {
    assert.equal(timeoutFromLatencies([], options), 2_000);
    assert.equal(timeoutFromLatencies([100, 100, 100], options), 2_000);
  });

  test('is the percentile times the factor', () => {
    // 1..100 ms: the nearest-rank p99 is 99, and p95 is 95.
    const samples = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(timeoutFromLatencies(samples, options), 297);
    assert.equal(timeoutFromLatencies(samples, { ...options, percentile: 95, factor: 4 }), 380);
  });

  test('does not depend on sample order', () => {
    const samples = Array.from({ length: 100 }, (_, i) => 400 + ((i * 37) % 100));
    const shuffled = [...samples].reverse();
    assert.equal(timeoutFromLatencies(samples, options), timeoutFromLatencies(shuffled, options));
    assert.equal(timeoutFromLatencies(samples, options), 498 * 3);
  });

  test('is clamped to min and max', () => {
    assert.equal(timeoutFromLatencies(Array(50).fill(5), options), 250);
    assert.equal(timeoutFromLatencies(Array(50).fill(9_000), options), 10_000);
    assert.equal(timeoutFromLatencies([], { ...options, initialMs: 60_000 }), 10_000);
  });

  test('one slow outlier among 100 does not move a p99 but moves a p95 of 10 samples', () => {
    const samples = [...Array(99).fill(100), 5_000];
    assert.equal(timeoutFromLatencies(samples, options), 300);
    assert.equal(timeoutFromLatencies([...Array(9).fill(100), 5_000], { ...options, percentile: 95 }), 10_000);
  });
});

describe('createAdaptiveTimeout', () => {
  test('starts at the initial value and follows observed latency', () => {
    const t = createAdaptiveTimeout(options);
    assert.equal(t.current(), 2_000);
    for (let i = 0; i < 10; i++) t.observe(200);
    assert.equal(t.current(), 600);
  });

  test('forgets samples older than the window', () => {
    const t = createAdaptiveTimeout({ ...options, window: 20 });
    for (let i = 0; i < 20; i++) t.observe(2_000);
    assert.equal(t.current(), 6_000);
    for (let i = 0; i < 19; i++) t.observe(100);
    assert.equal(t.current(), 6_000, 'one old slow sample is still in the window');
    t.observe(100);
    assert.equal(t.current(), 300);
  });

  test('grows again when requests time out at the current deadline', () => {
    const t = createAdaptiveTimeout({ ...options, window: 20, minSamples: 20 });
    for (let i = 0; i < 20; i++) t.observe(100);
    assert.equal(t.current(), 300);
    t.observe(t.current()); // a timeout recorded as the deadline it hit
    assert.equal(t.current(), 900);
  });

  test('ignores nonsense samples and rejects nonsense options', () => {
    const t = createAdaptiveTimeout({ ...options, minSamples: 1 });
    t.observe(Number.NaN);
    t.observe(-5);
    assert.equal(t.current(), 2_000);
    assert.throws(() => createAdaptiveTimeout({ minMs: 500, maxMs: 100 }), RangeError);
    assert.throws(() => createAdaptiveTimeout({ window: 0 }), RangeError);
  });

  test('defaults: 3 x p99 within 250 ms .. 10 s', () => {
    assert.equal(DEFAULT_ADAPTIVE_TIMEOUT.factor, 3);
    const t = createAdaptiveTimeout();
    for (let i = 0; i < DEFAULT_ADAPTIVE_TIMEOUT.minSamples; i++) t.observe(20);
    assert.equal(t.current(), 250);
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { flattenNumbers } from '../../src/metrics-collection/flatten';
import { DEFAULT_POOL_OPTIONS } from '../../src/http/pool';
import { floorFlatten } from '../../bench/flatten-floor';
import { createFloorSampler } from '../../bench/sampling/floor-kernel';
import { CONNECTIONS } from '../../bench/workload';
import { chainScheduleRounds, independentRequestsFloorMs, pagesPerAccount, scraperFloor } from '../../bench/floor';
import { scraperPolicyRounds } from '../../bench/scraper-policy';
import { percentile, ratio, reuseRatio, summarize } from '../../bench/stats';

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe('bench percentiles (nearest rank)', () => {
  test('1..100: the k-th percentile is k', () => {
    const shuffled = range(100).sort((a, b) => ((a * 37) % 101) - ((b * 37) % 101));
    assert.equal(percentile(shuffled, 50), 50);
    assert.equal(percentile(shuffled, 95), 95);
    assert.equal(percentile(shuffled, 99), 99);
    assert.equal(percentile(shuffled, 100), 100);
  });

  test('200 samples: p99 is the 198th smallest, an observed value', () => {
    assert.equal(percentile(range(200), 99), 198);
    assert.equal(percentile(range(200), 50), 100);
  });

  test('few samples: small n rounds the rank up, so p99 of 30 runs is the slowest', () => {
    assert.equal(percentile(range(30), 99), 30);
    assert.equal(percentile([7], 50), 7);
    assert.equal(percentile([7], 99), 7);
  });

  test('summary', () => {
    const s = summarize([4, 1, 3, 2]);
    assert.deepEqual(s, { n: 4, min: 1, mean: 2.5, p50: 2, p95: 4, p99: 4, max: 4 });
  });

  test('refuses nonsense', () => {
    assert.throws(() => percentile([], 50), RangeError);
    assert.throws(() => percentile([1], 0), RangeError);
    assert.throws(() => percentile([1], 101), RangeError);
  });

  test('reuse ratio and ratios', () => {
    assert.equal(reuseRatio(400, 0), 1);
    assert.equal(reuseRatio(400, 400), 0);
    assert.equal(reuseRatio(400, 4), 0.99);
    assert.equal(reuseRatio(0, 0), 1);
    assert.equal(ratio(30, 20), 1.5);
    assert.equal(ratio(30, 0), undefined);
    assert.equal(ratio(undefined, 2), undefined);
  });
});

describe('bench floors', () => {
  test('independent requests go in ⌈N/C⌉ waves of L', () => {
    assert.equal(independentRequestsFloorMs(10, 32, 20), 20);
    assert.equal(independentRequestsFloorMs(32, 32, 20), 20);
    assert.equal(independentRequestsFloorMs(33, 32, 20), 40);
    assert.equal(independentRequestsFloorMs(0, 32, 20), 0);
  });

  test('pages per account: the last page has no next cursor', () => {
    assert.equal(pagesPerAccount(25, 10), 3);
    assert.equal(pagesPerAccount(20, 10), 2);
    assert.equal(pagesPerAccount(0, 10), 1);
  });

  test('chain scheduling is bounded below by the longest chain and by ⌈N/C⌉', () => {
    assert.equal(chainScheduleRounds([3], 32), 3);
    assert.equal(chainScheduleRounds(new Array<number>(200).fill(1), 32), 7);
    assert.equal(chainScheduleRounds([2, 2, 2], 2), 3);
  });

  test('longest-first is what makes it optimal: shortest-first would need 5 rounds here', () => {
    assert.equal(chainScheduleRounds([1, 1, 3, 1, 1], 2), 4);
  });

  test('scraper: 100 accounts × (profile ∥ 3 pages) on 32 connections at 20 ms', () => {
    const floor = scraperFloor({ accounts: 100, pages: 3, connections: 32, latencyMs: 20 });
    assert.equal(floor.requests, 400);
    assert.equal(floor.rounds, 13);
    assert.equal(floor.ms, 260);
    // One account cannot beat its own chain of pages.
    assert.equal(scraperFloor({ accounts: 1, pages: 3, connections: 32, latencyMs: 20 }).ms, 60);
  });

  test('the product policy (32 accounts at a time, FIFO pool) at zero overhead', () => {
    assert.equal(scraperPolicyRounds({ accounts: 1, pages: 3, accountConcurrency: 32, connections: 32 }), 3);
    // Four waves of 32 accounts × 4 rounds, the last wave only 4 accounts deep: 3 more rounds.
    assert.equal(scraperPolicyRounds({ accounts: 100, pages: 3, accountConcurrency: 32, connections: 32 }), 15);
    // Every account started at once: the FIFO queue puts every chain's first step early.
    assert.ok(scraperPolicyRounds({ accounts: 100, pages: 3, accountConcurrency: 100, connections: 32 }) <= 14);
  });
});

describe('bench workload constants', () => {
  test('C is the product pool default', () => {
    assert.equal(CONNECTIONS, DEFAULT_POOL_OPTIONS.connectionsPerOrigin);
  });
});

describe('bench floor kernels compute the right thing', () => {
  test('the fused Beta kernel has the Beta mean and variance', () => {
    const a = 3;
    const b = 7;
    const n = 50_000;
    const out = new Float64Array(1);
    const sampler = createFloorSampler(Float64Array.of(a), Float64Array.of(b), 7);
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      sampler.draw(1, out);
      sum += out[0]!;
      sumSq += out[0]! ** 2;
    }
    const mean = sum / n;
    const variance = sumSq / n - mean ** 2;
    assert.ok(Math.abs(mean - a / (a + b)) < 0.005, `mean ${mean}`);
    assert.ok(Math.abs(variance - (a * b) / ((a + b) ** 2 * (a + b + 1))) < 0.001, `variance ${variance}`);
  });

  test("the flatten floor gives the product flattener's map for an all-numeric document", () => {
    const doc = { a: { b: 1, c: { d: 2 } }, e: 3 };
    assert.deepEqual([...floorFlatten(doc)].sort(), [...flattenNumbers(doc)].sort());
  });
});

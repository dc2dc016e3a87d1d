/**
 * Fleet rate limits with real parts: three `viralflow worker` processes, a real redis-server, and the
 * simulator's social API holding a real limit (a token bucket of 100 requests/s shared by its two
 * routes, answering 429 + Retry-After beyond it). A pipeline over 2,000 accounts runs against it with
 * the fleet limit under the upstream's, with no limit, with a limit set too high, and with Redis killed
 * and restarted mid-run.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ViralPipelineResult } from '../../src/workflows/pipeline';
import { pollUntil } from '../helpers/poll';
import { startProcessEnv, type ProcessEnv } from '../helpers/process-env';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import type { WorkerProcess } from '../helpers/worker-process';

const UPSTREAM_LIMIT = 100; // requests/s, the simulator's social bucket
const ACCOUNTS = 2_000;
const POSTS = 5; // one page of 5: a profile and a page per account, 4,000 social requests
const WORKERS = 3;

interface Sample {
  atMs: number;
  ok: number;
  limited: number;
}

interface RunFigures {
  result: ViralPipelineResult;
  requests: number;
  ok: number;
  limited: number;
  /** Answered 2xx per second while social requests were being made, first to last. */
  achievedRate: number;
  /** The same between the 10th and the 90th percent of the answers: without the ramp-up of the first batches and the tail of the last. */
  steadyRate: number;
  activeMs: number;
  /** 2xx and 429 answers in each second from the first social request. */
  perSecond: Array<{ ok: number; limited: number }>;
}

describe('fleet rate limits: three worker processes, one social API limited to 100 requests/s', () => {
  let t: ProcessEnv;
  let redis: RedisServer;
  let workers: WorkerProcess[] = [];

  before(async () => {
    redis = await startRedisServer();
    const bucket = { limitPerSecond: UPSTREAM_LIMIT, limitBucket: 'social' };
    t = await startProcessEnv({
      sim: { postsPerAccount: POSTS, knobs: { 'social.profile': bucket, 'social.posts': bucket } },
    });
  });
  after(async () => {
    await stopWorkers();
    await t?.close();
    await redis?.close();
  });

  async function startWorkers(vars: Record<string, string>): Promise<void> {
    await stopWorkers();
    workers = await Promise.all(Array.from({ length: WORKERS }, () => t.startWorker(vars)));
  }
  async function stopWorkers(): Promise<void> {
    await Promise.all(workers.map((w) => w.stop(5_000)));
    workers = [];
  }
  const limitedEnv = (perSecond: number) => ({
    REDIS_URL: redis.url,
    VIRALFLOW_RATE_LIMITS: `social=${perSecond}/s`,
    VIRALFLOW_RATE_LIMIT_WORKERS: String(WORKERS),
  });

  const socialCounts = (): { ok: number; limited: number; requests: number } => {
    const routes = t.sim.stats().routes;
    let ok = 0;
    let limited = 0;
    let requests = 0;
    for (const key of ['social.profile', 'social.posts']) {
      const r = routes[key];
      requests += r?.requests ?? 0;
      ok += r?.byStatus['200'] ?? 0;
      limited += r?.byStatus['429'] ?? 0;
    }
    return { ok, limited, requests };
  };

  /** A gauge's value on one worker's /metrics. */
  const gauge = async (w: WorkerProcess, name: string): Promise<number | undefined> => {
    const text = await (await fetch(w.metricsUrl)).text();
    const match = new RegExp(`^${name}\\{upstream="social"\\} (\\S+)$`, 'm').exec(text);
    return match ? Number(match[1]) : undefined;
  };
  const allShared = async (value: 0 | 1) => {
    const values = await Promise.all(workers.map((w) => gauge(w, 'viralflow_rate_limit_shared')));
    return values.every((v) => v === value) ? true : undefined;
  };

  /** Runs the pipeline, sampling the simulator's counters every 100 ms; `during` runs alongside. */
  async function run(name: string, during?: () => Promise<void>): Promise<RunFigures> {
    t.sim.reset();
    const samples: Sample[] = [];
    const sampler = setInterval(() => samples.push({ atMs: performance.now(), ...socialCounts() }), 100);
    const accountIds = Array.from({ length: ACCOUNTS }, (_, i) => `${name}-${i}`);
    try {
      const [result] = await Promise.all([
        t.client.workflow.execute('viralPipelineWorkflow', {
          taskQueue: t.taskQueue,
          workflowId: `rate-limit-${name}`,
          args: [{ accountIds, maxPostsPerAccount: POSTS, pageSize: POSTS, maxConcurrentBatches: 6 }],
          workflowExecutionTimeout: '5 minutes',
        }) as Promise<ViralPipelineResult>,
        during?.(),
      ]);
      samples.push({ atMs: performance.now(), ...socialCounts() });
      const counts = socialCounts();
      const first = samples.find((s) => s.ok + s.limited > 0)!;
      const last = samples.find((s) => s.ok === counts.ok && s.limited === counts.limited)!;
      const activeMs = last.atMs - first.atMs + 100;
      const perSecond: RunFigures['perSecond'] = [];
      for (let at = first.atMs - 100, prev = { ok: 0, limited: 0 }; at < last.atMs; at += 1_000) {
        const s = [...samples].reverse().find((x) => x.atMs <= at + 1_000) ?? last;
        perSecond.push({ ok: s.ok - prev.ok, limited: s.limited - prev.limited });
        prev = s;
      }
      const at = (share: number) => samples.find((x) => x.ok >= counts.ok * share)!;
      const [p10, p90] = [at(0.1), at(0.9)];
      const steadyRate = ((p90.ok - p10.ok) / (p90.atMs - p10.atMs)) * 1000;
      const figures = {
        result,
        ...counts,
        achievedRate: (counts.ok / activeMs) * 1000,
        steadyRate,
        activeMs,
        perSecond,
      };
      const fallbacks = await Promise.all(
        workers.map((w) => gauge(w, 'viralflow_rate_limit_fallbacks_total').catch(() => undefined)),
      );
      const warnings = workers.flatMap((w) =>
        w
          .output()
          .split('\n')
          .filter((l) => l.includes('rate limit social: Redis unavailable')),
      );
      console.log(
        `rate-limit ${name}: ${counts.requests} social requests, ${counts.ok} answered 200, ${counts.limited} answered 429 ` +
          `(${((counts.limited / counts.requests) * 100).toFixed(2)} %); ${figures.achievedRate.toFixed(1)} answered/s over ${(activeMs / 1000).toFixed(1)} s, ` +
          `${steadyRate.toFixed(1)}/s from 10 % to 90 % of the answers; ` +
          `scraped ${result.scrape?.scraped}, failed ${result.scrape?.failedTotal}, posts ${result.scrape?.posts}; ` +
          `per second (200/429): ${perSecond.map((p) => `${p.ok}/${p.limited}`).join(' ')}; ` +
          `falls back to the local share per worker: ${fallbacks.map((f) => f ?? 0).join(', ')}${warnings.length ? ` (${warnings.join(' | ')})` : ''}`,
      );
      return figures;
    } finally {
      clearInterval(sampler);
    }
  }

  const assertComplete = (f: RunFigures) => {
    assert.deepEqual(f.result.failures, [], 'no stage failed');
    assert.equal(f.result.scrape?.scraped, ACCOUNTS, 'every account scraped');
    assert.equal(f.result.scrape?.failedTotal, 0);
    assert.equal(f.result.scrape?.posts, ACCOUNTS * POSTS, 'every post, once');
  };

  let limitedRun: RunFigures | undefined;

  test(
    'fleet at 90/s: completes with 429s under 1 % of requests and at least 80 % of the upstream limit',
    { timeout: 180_000 },
    async () => {
      await startWorkers(limitedEnv(90));
      await pollUntil('the workers to share the limit', () => allShared(1), { timeoutMs: 10_000 });
      limitedRun = await run('at-90');
      assertComplete(limitedRun);
      assert.ok(
        limitedRun.limited <= limitedRun.requests * 0.01,
        `${limitedRun.limited} 429s of ${limitedRun.requests}`,
      );
      // Steady state: the first batches' start-up and the last one's tail are not the limiter's doing.
      assert.ok(limitedRun.steadyRate >= UPSTREAM_LIMIT * 0.8, `achieved ${limitedRun.steadyRate.toFixed(1)}/s`);
      assert.ok(limitedRun.achievedRate <= UPSTREAM_LIMIT, `achieved ${limitedRun.achievedRate.toFixed(1)}/s`);
    },
  );

  test('the same run with no fleet limit, for comparison: many more 429s', { timeout: 240_000 }, async () => {
    await startWorkers({});
    const unlimited = await run('unlimited');
    assert.ok(limitedRun, 'runs after the limited run');
    assert.ok(
      unlimited.limited > 10 * Math.max(1, limitedRun.limited),
      `${unlimited.limited} 429s without limits, ${limitedRun.limited} with`,
    );
  });

  test(
    'fleet set too high (200/s): the adaptive rate settles under the limit within seconds; nothing lost or duplicated',
    { timeout: 180_000 },
    async () => {
      await startWorkers(limitedEnv(200));
      await pollUntil('the workers to share the limit', () => allShared(1), { timeoutMs: 10_000 });
      const high = await run('at-200');
      assertComplete(high);
      // After the first seconds of probing, the fleet stays under the limit: few 429s in any later second.
      const settled = high.perSecond.slice(5, -1);
      const later = settled.reduce((sum, p) => sum + p.limited, 0);
      assert.ok(later <= settled.length * 2, `429s after the first 5 s: ${later} in ${settled.length} s`);
      assert.ok(high.limited <= high.requests * 0.05, `${high.limited} 429s of ${high.requests}`);
      const rates = await Promise.all(workers.map((w) => gauge(w, 'viralflow_rate_limit_allowed_rate')));
      console.log(`rate-limit at-200: allowed rate per worker at the end: ${rates.join(', ')}`);
      assert.ok(
        rates.every((r) => r !== undefined && r < 200),
        'the shared rate came down from the ceiling',
      );
    },
  );

  test(
    'Redis killed mid-run: each worker keeps to its local share and the run completes; Redis back: shared again',
    { timeout: 180_000 },
    async () => {
      await startWorkers(limitedEnv(90));
      await pollUntil('the workers to share the limit', () => allShared(1), { timeoutMs: 10_000 });
      let localRate: Array<number | undefined> = [];
      const figures = await run('redis-outage', async () => {
        await sleep(8_000);
        await redis.kill();
        await pollUntil('every worker on its local share', () => allShared(0), { timeoutMs: 10_000, intervalMs: 100 });
        localRate = await Promise.all(workers.map((w) => gauge(w, 'viralflow_rate_limit_allowed_rate')));
        await sleep(10_000);
        await redis.start();
        await pollUntil('every worker shared again', () => allShared(1), { timeoutMs: 15_000, intervalMs: 100 });
      });
      console.log(`rate-limit redis-outage: allowed rate per worker while Redis was down: ${localRate.join(', ')}`);
      assertComplete(figures);
      for (const r of localRate) assert.ok(r !== undefined && r <= 90 / WORKERS + 0.01, `local share ${r}`);
      assert.ok(figures.limited <= figures.requests * 0.01, `${figures.limited} 429s of ${figures.requests}`);
      for (const w of workers) assert.match(w.output(), /Redis unavailable, limiting to this worker's share \(1\/3\)/);
    },
  );
});

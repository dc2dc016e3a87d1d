/**
 * What the fleet rate limiter costs a request when it never has to wait (limit far above the load):
 * acquire + release, in this process alone and shared through a real redis-server on loopback,
 * one request at a time (latency) and 64 at once (throughput of one worker's limiter).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { systemClock } from '../../src/clock';
import { createMetrics } from '../../src/metrics/registry';
import { createFleetLimits } from '../../src/rate-limit/fleet-limits';
import type { Permit } from '../../src/rate-limit/upstream-limiter';
import { freePort } from '../../src/temporal/dev-server';
import type { RateLimitBenchResult, RateLimitBenchRow } from '../results-model';
import { summarize } from '../stats';
import type { SuiteOptions } from './operators';

const CONCURRENCY = 64;

export async function runRateLimitSuite(options: SuiteOptions): Promise<RateLimitBenchResult> {
  const requests = options.quick ? 2_000 : 20_000;
  const rows: RateLimitBenchRow[] = [];
  rows.push(await measure('in-process (no Redis)', undefined, requests));
  options.log(`  ratelimit ${describe(rows[0]!)}`);
  let redisError: string | undefined;
  const port = await freePort();
  const redis = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const failed = once(redis, 'error').then(([err]) => err as Error);
  try {
    const started = await Promise.race([failed, sleep(300).then(() => undefined)]);
    if (started) throw started;
    rows.push(await measure('shared (redis-server on loopback)', `redis://127.0.0.1:${port}`, requests));
    options.log(`  ratelimit ${describe(rows[1]!)}`);
  } catch (err) {
    redisError = err instanceof Error ? err.message : String(err);
    options.log(`  ratelimit shared: not measured (${redisError})`);
  } finally {
    if (redis.exitCode === null && redis.pid !== undefined) {
      const exited = once(redis, 'exit');
      redis.kill('SIGTERM');
      await exited;
    }
  }
  return { requests, concurrency: CONCURRENCY, rows, ...(redisError !== undefined && { redisError }) };
}

async function measure(label: string, redisUrl: string | undefined, requests: number): Promise<RateLimitBenchRow> {
  const upstream = `bench-${process.pid}-${Date.now()}`;
  const metrics = createMetrics({ processMetrics: false }).rateLimit;
  const limits = createFleetLimits(
    { limits: { [upstream]: { perSecond: 1_000_000, inFlight: 100_000 } }, maxWaitMs: 1_000, expectedWorkers: 1 },
    {
      metrics,
      clock: systemClock,
      info: () => undefined,
      warn: () => undefined,
      ...(redisUrl !== undefined && { redisUrl }),
    },
  );
  const shared = async () => (await metrics.shared.get()).values[0]?.value;
  const limiter = limits.for(upstream)!;
  const one = async () => {
    const permit = (await limiter.acquire()) as Permit;
    if (permit.kind !== 'permit') throw new Error('the limiter refused under its limit');
    permit.release({ status: 200, headers: {} });
  };
  try {
    if (redisUrl) {
      // Until the limiter has read the shared state once (it starts local until Redis answers).
      for (let i = 0; (await shared()) !== 1; i++) {
        if (i > 100) throw new Error('the limiter never reached Redis');
        await sleep(50);
      }
    }
    for (let i = 0; i < 200; i++) await one(); // warm-up
    const perRequest: number[] = [];
    for (let i = 0; i < requests; i++) {
      const t0 = performance.now();
      await one();
      perRequest.push((performance.now() - t0) * 1000);
    }
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next++ < requests) await one();
      }),
    );
    const concurrentMs = performance.now() - t0;
    if (redisUrl && (await shared()) !== 1) throw new Error('the limiter left Redis during the measurement');
    return {
      label,
      microsecondsPerRequest: summarize(perRequest),
      requestsPerSecondConcurrent: (requests / concurrentMs) * 1000,
    };
  } finally {
    await limits.close();
  }
}

function describe(row: RateLimitBenchRow): string {
  const s = row.microsecondsPerRequest;
  return `${row.label}: ${s.p50.toFixed(1)} µs p50, ${s.p99.toFixed(1)} µs p99 per acquire+release one at a time; ${Math.round(row.requestsPerSecondConcurrent)} requests/s with ${CONCURRENCY} at once`;
}

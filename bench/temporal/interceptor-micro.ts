/**
 * The metrics interceptor's own cost per activity, in process: its execute() wrapped around a no-op
 * `next`, minus a bare call of the same no-op. Alternating rounds, the fastest of each kept (the
 * least disturbed by the machine's other load).
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import type { ActivityExecuteInput } from '@temporalio/worker';
import { activityMetricsInterceptor } from '../../src/metrics/interceptor';
import { createMetrics } from '../../src/metrics/registry';

export async function interceptorMicroUs(
  iterations: number,
  rounds: number,
): Promise<{ wrappedUs: number; bareUs: number; overheadUs: number }> {
  const metrics = createMetrics({ processMetrics: false });
  const env = new MockActivityEnvironment({ activityType: 'benchNoop' });
  const execute = activityMetricsInterceptor(metrics)(env.context).inbound?.execute;
  if (!execute) throw new Error('the metrics interceptor has no inbound execute');
  const input: ActivityExecuteInput = { args: [], headers: {} };
  const next = async (_: ActivityExecuteInput): Promise<unknown> => undefined;

  const time = async (call: () => Promise<unknown>): Promise<number> => {
    const started = performance.now();
    for (let i = 0; i < iterations; i++) await call();
    return ((performance.now() - started) * 1000) / iterations;
  };
  let wrappedUs = Infinity;
  let bareUs = Infinity;
  for (let r = 0; r < rounds; r++) {
    bareUs = Math.min(bareUs, await time(() => next(input)));
    wrappedUs = Math.min(wrappedUs, await time(() => execute(input, next)));
  }
  return { wrappedUs, bareUs, overheadUs: Math.max(0, wrappedUs - bareUs) };
}

import { CancelledFailure } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type { ViralflowMetrics } from './registry';

export type ActivityOutcome = 'success' | 'failure' | 'cancelled';

/**
 * Times every activity execution on the worker into `viralflow_activity_execution_seconds`.
 * Timing lives here, once, rather than in each activity.
 */
export function activityMetricsInterceptor(
  metrics: Pick<ViralflowMetrics, 'activityDuration'>,
): ActivityInterceptorsFactory {
  return (ctx) => ({
    inbound: {
      async execute(input, next) {
        const stop = metrics.activityDuration.startTimer({ activity: ctx.info.activityType });
        let outcome: ActivityOutcome = 'failure';
        try {
          const result = await next(input);
          outcome = 'success';
          return result;
        } catch (err) {
          if (err instanceof CancelledFailure || ctx.cancellationSignal.aborted) outcome = 'cancelled';
          throw err;
        } finally {
          stop({ outcome });
        }
      },
    },
  });
}

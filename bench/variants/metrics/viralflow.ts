import type { PreparedVariant, VariantContext } from '../../child/variant';
import { inActivityContext } from '../../in-activity-context';
import { productActivities } from '../../product-activities';
import { SERVICES } from '../../workload';

const REQUESTS = SERVICES.length * 2;

export async function viralflow(ctx: VariantContext): Promise<PreparedVariant> {
  const product = productActivities(ctx.simUrl, ctx.dataDir, { VIRALFLOW_SERVICES: SERVICES.join(',') });
  return {
    async run() {
      const result = await inActivityContext(product.activities.collectMetrics, {});
      if (result.failures.length > 0 || result.requests !== REQUESTS) {
        throw new Error(`collectMetrics: ${result.requests} requests, failures ${JSON.stringify(result.failures)}`);
      }
    },
    poolTotals: product.poolTotals,
    close: product.close,
  };
}

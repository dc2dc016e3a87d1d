import type { PreparedVariant, VariantContext } from '../../child/variant';
import { inActivityContext } from '../../in-activity-context';
import { productActivities } from '../../product-activities';
import { SERVICES } from '../../workload';

export async function viralflow(ctx: VariantContext): Promise<PreparedVariant> {
  const product = productActivities(ctx.simUrl, ctx.dataDir, { VIRALFLOW_SERVICES: SERVICES.join(',') });
  return {
    async run() {
      // Default degradedAfterMs (half the 2 s timeout) never trips at 20 ms.
      const report = await inActivityContext(product.activities.checkHealth, {});
      if (report.unavailable.length > 0) throw new Error(`checkHealth: unavailable ${report.unavailable.join(', ')}`);
    },
    poolTotals: product.poolTotals,
    close: product.close,
  };
}

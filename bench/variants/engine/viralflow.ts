import type { PreparedVariant, VariantContext } from '../../child/variant';
import { inActivityContext } from '../../in-activity-context';
import { productActivities } from '../../product-activities';
import { ITEMS, itemsFor } from './workload';

export async function viralflow(ctx: VariantContext): Promise<PreparedVariant> {
  const product = productActivities(ctx.simUrl, ctx.dataDir);
  return {
    async run(iteration) {
      const result = await inActivityContext(product.activities.extractPatterns, { items: itemsFor(iteration) });
      if (result.results.length !== ITEMS || result.cache.misses !== ITEMS) {
        throw new Error(`extractPatterns: ${result.results.length} results, ${result.cache.misses} misses`);
      }
    },
    poolTotals: product.poolTotals,
    close: product.close,
  };
}

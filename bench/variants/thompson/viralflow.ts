import type { PreparedVariant, VariantContext } from '../../child/variant';
import { inActivityContext } from '../../in-activity-context';
import { productActivities } from '../../product-activities';
import { DRAWS, EXPERIMENT, variants } from './workload';

export async function viralflow(ctx: VariantContext): Promise<PreparedVariant> {
  const product = productActivities(ctx.simUrl, ctx.dataDir);
  const { sampleWeights, publishWeights } = product.activities;
  return {
    async run(iteration) {
      // A new seed each execution: the activity caches results for unchanged posteriors and seed.
      const sampled = await inActivityContext(sampleWeights, { variants, draws: DRAWS, seed: iteration + 1 });
      if (sampled.cached) throw new Error('sampleWeights answered from its cache');
      await inActivityContext(publishWeights, {
        experimentId: EXPERIMENT,
        weights: sampled.weights,
        probabilityBest: sampled.probabilityBest,
      });
    },
    poolTotals: product.poolTotals,
    close: product.close,
  };
}

/** The product sampleWeights activity end to end: input validation, posterior digest, sampling with arg-max tally, result objects. */
import type { PreparedVariant, VariantContext } from '../../child/variant';
import { inActivityContext } from '../../in-activity-context';
import { productActivities } from '../../product-activities';
import { benchVariants } from '../../sampling/posteriors';
import { sizeOf } from './size';

export async function viralflow(ctx: VariantContext): Promise<PreparedVariant> {
  const { variants, draws } = sizeOf(ctx);
  // No upstream is called: sampleWeights is pure CPU (the URL only satisfies the config).
  const product = productActivities('http://127.0.0.1:9', ctx.dataDir);
  const vs = benchVariants(variants);
  return {
    async run(iteration) {
      const r = await inActivityContext(product.activities.sampleWeights, { variants: vs, draws, seed: iteration + 1 });
      if (r.cached || r.draws !== draws) throw new Error(`sampleWeights: cached ${r.cached}, draws ${r.draws}`);
    },
    close: product.close,
  };
}

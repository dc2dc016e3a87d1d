import type { PreparedVariant, VariantContext } from '../../child/variant';
import { naivePublishWeights, naiveSampleWeights } from '../../naive/thompson';
import { DRAWS, EXPERIMENT, variants } from './workload';

export async function naive(ctx: VariantContext): Promise<PreparedVariant> {
  return {
    async run() {
      const weights = naiveSampleWeights(variants, DRAWS);
      await naivePublishWeights(`${ctx.simUrl}/experiments`, EXPERIMENT, weights);
    },
  };
}

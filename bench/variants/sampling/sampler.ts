/** The product's Beta sampler kernel alone (what the activity's tally calls once per draw). */
import { createBetaSampler, createRng } from '../../../src/sampling/beta-sampler';
import type { PreparedVariant, VariantContext } from '../../child/variant';
import { benchShapes } from '../../sampling/posteriors';
import { sizeOf } from './size';

export async function sampler(ctx: VariantContext): Promise<PreparedVariant> {
  const { variants, draws } = sizeOf(ctx);
  const { alphas, betas } = benchShapes(variants);
  const out = new Float64Array(variants);
  return {
    async run(iteration) {
      const s = createBetaSampler(createRng(iteration + 1), alphas, betas);
      for (let d = 0; d < draws; d++) s.draw(out);
    },
  };
}

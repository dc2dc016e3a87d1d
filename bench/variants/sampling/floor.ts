import type { PreparedVariant, VariantContext } from '../../child/variant';
import { createFloorSampler } from '../../sampling/floor-kernel';
import { benchShapes } from '../../sampling/posteriors';
import { sizeOf } from './size';

export async function floor(ctx: VariantContext): Promise<PreparedVariant> {
  const { variants, draws } = sizeOf(ctx);
  const { alphas, betas } = benchShapes(variants);
  const out = new Float64Array(variants);
  return {
    async run(iteration) {
      if (!(createFloorSampler(alphas, betas, iteration + 1).draw(draws, out) > 0))
        throw new Error('floor kernel drew nothing');
    },
  };
}

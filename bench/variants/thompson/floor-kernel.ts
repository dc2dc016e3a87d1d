/** The Thompson floor's CPU term: the fused kernel drawing V × D Beta deviates, nothing else. */
import type { PreparedVariant } from '../../child/variant';
import { createFloorSampler } from '../../sampling/floor-kernel';
import { benchShapes } from '../../sampling/posteriors';
import { DRAWS, VARIANTS } from './workload';

export async function floorKernel(): Promise<PreparedVariant> {
  const { alphas, betas } = benchShapes(VARIANTS);
  const out = new Float64Array(VARIANTS);
  return {
    async run(iteration) {
      if (!(createFloorSampler(alphas, betas, iteration + 1).draw(DRAWS, out) > 0))
        throw new Error('floor kernel drew nothing');
    },
  };
}

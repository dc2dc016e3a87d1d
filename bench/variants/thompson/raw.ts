/** The fused kernel with an arg-max tally per draw, and one PUT on a bare keep-alive connection. */
import type { PreparedVariant, VariantContext } from '../../child/variant';
import { createRawClient } from '../../raw/keep-alive-client';
import { createFloorSampler } from '../../sampling/floor-kernel';
import { benchShapes } from '../../sampling/posteriors';
import { CONNECTIONS } from '../../workload';
import { DRAWS, EXPERIMENT, VARIANTS, variants } from './workload';

export async function raw(ctx: VariantContext): Promise<PreparedVariant> {
  const client = createRawClient(ctx.simUrl, CONNECTIONS);
  const { alphas, betas } = benchShapes(VARIANTS);
  const out = new Float64Array(VARIANTS);
  return {
    async run(iteration) {
      const sampler = createFloorSampler(alphas, betas, iteration + 1);
      const wins = new Float64Array(VARIANTS);
      for (let d = 0; d < DRAWS; d++) {
        sampler.draw(1, out);
        let best = 0;
        for (let i = 1; i < VARIANTS; i++) if (out[i]! > out[best]!) best = i;
        wins[best]!++;
      }
      const weights = Object.fromEntries(variants.map((v, i) => [v.id, wins[i]! / DRAWS]));
      await client.send('PUT', `/experiments/${EXPERIMENT}/weights`, { weights });
    },
    close: () => client.close(),
  };
}

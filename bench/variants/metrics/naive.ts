import type { PreparedVariant, VariantContext } from '../../child/variant';
import { naiveCollectMetrics } from '../../naive/metrics-collector';
import { SERVICES } from '../../workload';

export async function naive(ctx: VariantContext): Promise<PreparedVariant> {
  return {
    async run() {
      const aggregates = await naiveCollectMetrics(`${ctx.simUrl}/services`, SERVICES);
      if (Object.keys(aggregates).length === 0) throw new Error('naive collector aggregated nothing');
    },
  };
}

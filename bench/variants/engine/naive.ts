import type { PreparedVariant, VariantContext } from '../../child/variant';
import { naiveExtractPatterns } from '../../naive/engine';
import { ITEMS, itemsFor } from './workload';

export async function naive(ctx: VariantContext): Promise<PreparedVariant> {
  return {
    async run(iteration) {
      const results = await naiveExtractPatterns(`${ctx.simUrl}/engine`, itemsFor(iteration));
      if (results.length !== ITEMS) throw new Error(`naive engine returned ${results.length} results`);
    },
  };
}

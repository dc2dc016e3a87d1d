import type { PreparedVariant, VariantContext } from '../../child/variant';
import { naiveCheckHealth } from '../../naive/health';
import { SERVICES } from '../../workload';

export async function naive(ctx: VariantContext): Promise<PreparedVariant> {
  return {
    async run() {
      const report = await naiveCheckHealth(`${ctx.simUrl}/services`, SERVICES);
      const down = Object.entries(report).filter(([, r]) => r.status === 'down');
      if (down.length > 0) throw new Error(`naive health: down ${down.map(([s]) => s).join(', ')}`);
    },
  };
}

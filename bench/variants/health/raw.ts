/** The 5 health GETs at once on bare keep-alive connections. */
import type { PreparedVariant, VariantContext } from '../../child/variant';
import { createRawClient } from '../../raw/keep-alive-client';
import { CONNECTIONS, SERVICES } from '../../workload';

export async function raw(ctx: VariantContext): Promise<PreparedVariant> {
  const client = createRawClient(ctx.simUrl, CONNECTIONS);
  return {
    run: async () => {
      await Promise.all(SERVICES.map((s) => client.send('GET', `/services/${s}/health`).then(JSON.parse)));
    },
    close: () => client.close(),
  };
}

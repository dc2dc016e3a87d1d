/** The collector's 10 GETs at once on bare keep-alive connections, bodies read (JSON parsed), nothing aggregated. */
import type { PreparedVariant, VariantContext } from '../../child/variant';
import { createRawClient } from '../../raw/keep-alive-client';
import { CONNECTIONS, SERVICES } from '../../workload';

export async function raw(ctx: VariantContext): Promise<PreparedVariant> {
  const client = createRawClient(ctx.simUrl, CONNECTIONS);
  return {
    async run() {
      await Promise.all(
        SERVICES.flatMap((s) => [
          client.send('GET', `/services/${s}/metrics`),
          client.send('GET', `/services/${s}/metrics.json`).then(JSON.parse),
        ]),
      );
    },
    close: () => client.close(),
  };
}

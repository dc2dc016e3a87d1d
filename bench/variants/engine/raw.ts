/** The engine's 2 batch POSTs at once on bare keep-alive connections. */
import type { PreparedVariant, VariantContext } from '../../child/variant';
import { createRawClient } from '../../raw/keep-alive-client';
import { CONNECTIONS } from '../../workload';
import { BATCHES, ENGINE_MAX_BATCH, itemsFor } from './workload';

export async function raw(ctx: VariantContext): Promise<PreparedVariant> {
  const client = createRawClient(ctx.simUrl, CONNECTIONS);
  return {
    async run(iteration) {
      const items = itemsFor(iteration);
      await Promise.all(
        Array.from({ length: BATCHES }, (_, b) =>
          client
            .send('POST', '/engine/extract', { items: items.slice(b * ENGINE_MAX_BATCH, (b + 1) * ENGINE_MAX_BATCH) })
            .then(JSON.parse),
        ),
      );
    },
    close: () => client.close(),
  };
}

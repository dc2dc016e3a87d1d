/** The scraper's 400 requests on bare keep-alive connections in the optimal (Hu) order: the profile and page 1 together, deepest chains first. */
import type { PreparedVariant, VariantContext } from '../../child/variant';
import { createRawClient } from '../../raw/keep-alive-client';
import { createPriorityLimiter } from '../../raw/priority-limiter';
import { CONNECTIONS } from '../../workload';
import { ACCOUNT_IDS, PAGE_SIZE, PAGES } from './workload';

export async function raw(ctx: VariantContext): Promise<PreparedVariant> {
  const client = createRawClient(ctx.simUrl, CONNECTIONS);
  const pages = async (limiter: ReturnType<typeof createPriorityLimiter>, id: string) => {
    let cursor: string | null = null;
    for (let page = 1; ; page++) {
      const query: string = `limit=${PAGE_SIZE}${cursor === null ? '' : `&cursor=${cursor}`}`;
      // Priority = requests still ahead in this chain, this one included.
      const body = await limiter.run(PAGES - page + 1, () =>
        client.send('GET', `/social/accounts/${id}/posts?${query}`),
      );
      cursor = (JSON.parse(body) as { nextCursor: string | null }).nextCursor;
      if (cursor === null) return;
    }
  };
  return {
    async run() {
      const limiter = createPriorityLimiter(CONNECTIONS);
      await Promise.all(
        ACCOUNT_IDS.flatMap((id) => [
          limiter.run(1, () => client.send('GET', `/social/accounts/${id}`).then(JSON.parse)),
          pages(limiter, id),
        ]),
      );
    },
    close: () => client.close(),
  };
}

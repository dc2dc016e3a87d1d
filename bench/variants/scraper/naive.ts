import type { PreparedVariant, VariantContext } from '../../child/variant';
import { naiveScrapeBatch } from '../../naive/scraper';
import { ACCOUNT_IDS, ACCOUNTS, PAGE_SIZE } from './workload';

export async function naive(ctx: VariantContext): Promise<PreparedVariant> {
  return {
    async run() {
      const results = await naiveScrapeBatch(`${ctx.simUrl}/social`, ACCOUNT_IDS, {
        pageSize: PAGE_SIZE,
        maxPostsPerAccount: 100,
      });
      if (results.length !== ACCOUNTS) throw new Error(`naive scraper returned ${results.length} accounts`);
    },
  };
}

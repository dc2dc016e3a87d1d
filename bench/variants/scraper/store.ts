/** The product scrapeAccounts activity with each results store: the NDJSON folder, or a local PostgreSQL started for the run. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import type { ScrapeAccountsInput, ScrapeResult } from '../../../src/activities/scraper';
import { startLocalPostgres } from '../../../src/postgres/local-server';
import type { PreparedVariant, VariantContext } from '../../child/variant';
import { inActivityContext } from '../../in-activity-context';
import { productActivities } from '../../product-activities';
import { ACCOUNT_IDS, ACCOUNTS, PAGE_SIZE, POSTS_PER_ACCOUNT } from './workload';

const input: ScrapeAccountsInput = { accountIds: ACCOUNT_IDS, runKey: 'bench-scraper-store', pageSize: PAGE_SIZE };

function checkScraped(result: ScrapeResult): void {
  if (result.scraped !== ACCOUNTS || result.posts !== ACCOUNTS * POSTS_PER_ACCOUNT) {
    throw new Error(`scrapeAccounts: ${result.scraped} accounts / ${result.posts} posts`);
  }
}

export async function ndjsonStore(ctx: VariantContext): Promise<PreparedVariant> {
  const product = productActivities(ctx.simUrl, ctx.dataDir);
  if (product.deps.store.kind !== 'ndjson') throw new Error('expected the NDJSON store');
  return {
    run: async () => checkScraped(await inActivityContext(product.activities.scrapeAccounts, input)),
    poolTotals: product.poolTotals,
    close: product.close,
  };
}

export async function postgresStore(ctx: VariantContext): Promise<PreparedVariant> {
  // Its own folder under the system temp dir: the postgres user cannot reach into the bench's private one.
  const dir = mkdtempSync(join(tmpdir(), 'vf-bench-pg-'));
  const pg = await startLocalPostgres({ dataDir: dir });
  const admin = new Client({ connectionString: pg.superuserUrl() });
  await admin.connect();
  await admin.query('CREATE DATABASE viralflow');
  await admin.end();
  const product = productActivities(ctx.simUrl, ctx.dataDir, { VIRALFLOW_DATABASE_URL: pg.superuserUrl('viralflow') });
  await product.deps.store.migrate();
  return {
    run: async () => checkScraped(await inActivityContext(product.activities.scrapeAccounts, input)),
    poolTotals: product.poolTotals,
    async close() {
      await product.close();
      await pg.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Running forever: scrapeAccountsWorkflow over N accounts as a schedule runs it. A first run seeds the
 * marks; the simulator then gives every account one new post; an incremental run and a full run of the
 * same accounts follow, and their requests, posts read and stored, and wall times are compared.
 */
import type { Client } from '@temporalio/client';
import type { Simulator } from '../../src/sim/server';
import type { ScrapeSummary } from '../../src/workflows/scrape';
import type { IncrementalResult, IncrementalRun } from '../results-model';
import { PAGE_SIZE } from '../variants/scraper/workload';
import { workflowSpanMs } from './history';

export async function runIncremental(
  client: Client,
  taskQueue: string,
  sim: Simulator,
  accounts: number,
): Promise<IncrementalResult> {
  const accountIds = Array.from({ length: accounts }, (_, i) => `inc-${i}`);
  const scrape = async (label: IncrementalRun['label'], mode: 'incremental' | 'full'): Promise<IncrementalRun> => {
    const before = sim.stats();
    const handle = await client.workflow.start('scrapeAccountsWorkflow', {
      taskQueue,
      workflowId: `bench-incremental-${accounts}-${label}-${Date.now()}`,
      args: [{ accountIds, pageSize: PAGE_SIZE, mode }],
    });
    const result = (await handle.result()) as ScrapeSummary;
    const after = sim.stats();
    const requests = (route: string) => (after.routes[route]?.requests ?? 0) - (before.routes[route]?.requests ?? 0);
    return {
      label,
      historyMs: workflowSpanMs(await handle.fetchHistory()),
      requests: requests('social.profile') + requests('social.posts'),
      postsRead: after.posts.served - before.posts.served,
      postsStored: result.posts,
      newPosts: result.observed?.newPosts ?? result.posts,
    };
  };
  const first = await scrape('first', 'incremental');
  sim.addPosts(1);
  const incremental = await scrape('incremental', 'incremental');
  const full = await scrape('full', 'full');
  return { accounts, pageSize: PAGE_SIZE, runs: [first, incremental, full] };
}

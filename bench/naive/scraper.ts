/**
 * ViralScraperOperator before the review: `for account_id in account_batch: self._scrape_account(...)`,
 * one account at a time, the profile and then each posts page in turn, everything kept in memory
 * for XCom. Bench-only.
 */
import { naiveJson } from './http';

interface PostsPage {
  posts: unknown[];
  nextCursor: string | null;
}

export interface NaiveAccountResult {
  accountId: string;
  profile: unknown;
  posts: unknown[];
}

export async function naiveScrapeBatch(
  socialUrl: string,
  accountIds: readonly string[],
  options: { pageSize: number; maxPostsPerAccount: number },
): Promise<NaiveAccountResult[]> {
  const results: NaiveAccountResult[] = [];
  for (const accountId of accountIds) {
    results.push(await scrapeAccount(socialUrl, accountId, options));
  }
  return results;
}

async function scrapeAccount(
  socialUrl: string,
  accountId: string,
  options: { pageSize: number; maxPostsPerAccount: number },
): Promise<NaiveAccountResult> {
  const base = `${socialUrl}/accounts/${encodeURIComponent(accountId)}`;
  const profile = await naiveJson(base);
  const posts: unknown[] = [];
  let cursor: string | null = null;
  do {
    const query = `limit=${options.pageSize}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
    const page = (await naiveJson(`${base}/posts?${query}`)) as PostsPage;
    posts.push(...page.posts);
    cursor = page.nextCursor;
  } while (cursor !== null && posts.length < options.maxPostsPerAccount);
  return { accountId, profile, posts: posts.slice(0, options.maxPostsPerAccount) };
}

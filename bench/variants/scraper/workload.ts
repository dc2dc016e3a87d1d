/** The scraper benchmark's batch: 100 accounts × 25 posts, read in pages of 10 (3 pages each). */
import { pagesPerAccount } from '../../floor';

export const ACCOUNTS = 100;
export const POSTS_PER_ACCOUNT = 25;
export const PAGE_SIZE = 10;
export const PAGES = pagesPerAccount(POSTS_PER_ACCOUNT, PAGE_SIZE);
export const ACCOUNT_IDS = Array.from({ length: ACCOUNTS }, (_, i) => `acct-${i}`);

/** The scraper's 400 requests on bare keep-alive connections in the optimal (Hu) order: the profile and page 1 together, deepest chains first. */
import { mkdir, open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { PreparedVariant, VariantContext } from '../../child/variant';
import { createRawClient } from '../../raw/keep-alive-client';
import { createPriorityLimiter } from '../../raw/priority-limiter';
import { CONNECTIONS } from '../../workload';
import { ACCOUNT_IDS, PAGE_SIZE, PAGES } from './workload';

interface RawOptions {
  /** Also write each account's profile and posts as one NDJSON file: write, fsync, rename, as the product's sink does. */
  files: boolean;
}

function rawScraper(options: RawOptions) {
  return async (ctx: VariantContext): Promise<PreparedVariant> => {
    const client = createRawClient(ctx.simUrl, CONNECTIONS);
    const dir = join(ctx.dataDir, 'raw-scrape');
    if (options.files) await mkdir(dir, { recursive: true });
    const pages = async (limiter: ReturnType<typeof createPriorityLimiter>, id: string): Promise<unknown[]> => {
      const posts: unknown[] = [];
      let cursor: string | null = null;
      for (let page = 1; ; page++) {
        const query: string = `limit=${PAGE_SIZE}${cursor === null ? '' : `&cursor=${cursor}`}`;
        // Priority = requests still ahead in this chain, this one included.
        const body = await limiter.run(PAGES - page + 1, () =>
          client.send('GET', `/social/accounts/${id}/posts?${query}`),
        );
        const parsed = JSON.parse(body) as { posts: unknown[]; nextCursor: string | null };
        if (options.files) posts.push(...parsed.posts);
        cursor = parsed.nextCursor;
        if (cursor === null) return posts;
      }
    };
    const write = async (id: string, profile: unknown, posts: unknown[]) => {
      const partial = join(dir, `${id}.ndjson.partial`);
      const file = await open(partial, 'w');
      try {
        await file.write([profile, ...posts].map((r) => `${JSON.stringify(r)}\n`).join(''));
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(partial, join(dir, `${id}.ndjson`));
    };
    return {
      async run() {
        const limiter = createPriorityLimiter(CONNECTIONS);
        await Promise.all(
          ACCOUNT_IDS.map(async (id) => {
            const [profile, posts] = await Promise.all([
              limiter.run(1, () => client.send('GET', `/social/accounts/${id}`).then(JSON.parse)),
              pages(limiter, id),
            ]);
            if (options.files) await write(id, { profile }, posts);
          }),
        );
      },
      close: () => client.close(),
    };
  };
}

export const raw = rawScraper({ files: false });
export const rawWithFiles = rawScraper({ files: true });

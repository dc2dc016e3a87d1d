import { readPosts } from '../../src/sink/ndjson-sink';
import type { ScrapedPost, SinkRef } from '../../src/sink/types';

/** Every post a sink holds (for the given accounts), read back through the product's reader. */
export async function collectPosts(ref: SinkRef, accountIds?: string[]): Promise<ScrapedPost[]> {
  const out: ScrapedPost[] = [];
  for await (const post of readPosts(ref, accountIds)) out.push(post);
  return out;
}

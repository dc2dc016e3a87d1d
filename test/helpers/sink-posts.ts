import { readPosts } from '../../src/sink/ndjson-sink';
import type { NdjsonSinkRef, ScrapedPost } from '../../src/sink/types';

/** Every post a sink holds (for the given accounts), read back through the product's reader. */
export async function collectPosts(ref: NdjsonSinkRef, accountIds?: string[]): Promise<ScrapedPost[]> {
  const out: ScrapedPost[] = [];
  for await (const post of readPosts(ref, accountIds)) out.push(post);
  return out;
}

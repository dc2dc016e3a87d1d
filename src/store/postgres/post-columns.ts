import type { ScrapedPost } from '../../sink/types';

/**
 * A batch of posts as the parallel arrays an `unnest(...)` insert takes, in the store's column order:
 * id, created_at, text, likes, shares, comments, views.
 */
export function postColumns(posts: readonly ScrapedPost[]) {
  return [
    posts.map((p) => p.id),
    posts.map((p) => p.createdAt),
    posts.map((p) => p.text),
    posts.map((p) => p.metrics.likes),
    posts.map((p) => p.metrics.shares),
    posts.map((p) => p.metrics.comments),
    posts.map((p) => p.metrics.views),
  ];
}

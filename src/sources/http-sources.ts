import { z } from 'zod';
import { path } from '../http/upstream';
import { isScrapedPost, scrapedPost, scrapedProfile } from '../sink/types';
import { hasExactKeys, withExactCheck } from '../validation/exact-check';
import {
  engineExtraction,
  MAX_CURSOR_CHARS,
  type PatternEngine,
  type SocialSource,
  type Sources,
  type WeightsPublisher,
} from './types';

/** The sources for viralflow's own HTTP contract, api/upstream.openapi.yaml: what a worker uses unless configured otherwise. */

const pageShape = z.object({
  accountId: z.string(),
  posts: z.array(scrapedPost),
  nextCursor: z.string().min(1).max(MAX_CURSOR_CHARS).nullable(),
});
const postsPage = withExactCheck(pageShape, isPostsPage);
const PAGE_KEYS = Object.keys(pageShape.shape);

/** Exact check for `postsPage` (see ../validation/exact-check). */
export function isPostsPage(v: unknown): boolean {
  if (!hasExactKeys(v, PAGE_KEYS)) return false;
  const { accountId, posts, nextCursor } = v;
  return (
    typeof accountId === 'string' &&
    Array.isArray(posts) &&
    posts.every(isScrapedPost) &&
    (nextCursor === null ||
      (typeof nextCursor === 'string' && nextCursor.length >= 1 && nextCursor.length <= MAX_CURSOR_CHARS))
  );
}

/** The schema of one page of `GET /accounts/{id}/posts`, for tests of its exact check. */
export { postsPage as postsPageSchema };

/** `GET /accounts/{id}` and `GET /accounts/{id}/posts?cursor=&limit=`. */
export const httpSocialSource: SocialSource = {
  profile: (accountId, { http }) => http.json({ path: path`/accounts/${accountId}` }, scrapedProfile),
  async page(accountId, cursor, { http, limit }) {
    const page = await http.json({ path: path`/accounts/${accountId}/posts`, query: { cursor, limit } }, postsPage);
    if (page.accountId !== accountId) throw http.malformed('posts of another account');
    return { posts: page.posts, nextCursor: page.nextCursor };
  },
};

const extractResponse = z.object({ results: z.array(engineExtraction.extend({ id: z.string() })) });
const limitsResponse = z.object({ maxBatch: z.number().int().min(1) });

/** `GET /limits` and `POST /extract {items}` (413 when a batch is over the limit). */
export const httpPatternEngine: PatternEngine = {
  maxBatch: async ({ http }) => (await http.json({ path: '/limits' }, limitsResponse)).maxBatch,
  extract: async (items, { http }) =>
    (await http.json({ method: 'POST', path: '/extract', json: { items } }, extractResponse)).results,
};

const publishedWeights = z.looseObject({ experimentId: z.string(), version: z.number().int().positive() });

/** `PUT /{experimentId}/weights {weights, probabilityBest?}`. */
export const httpWeightsPublisher: WeightsPublisher = {
  publish: (experimentId, weights, { http }) =>
    http.json({ method: 'PUT', path: path`/${experimentId}/weights`, json: weights }, publishedWeights),
};

export const defaultSources: Sources = {
  social: httpSocialSource,
  engine: httpPatternEngine,
  publisher: httpWeightsPublisher,
};

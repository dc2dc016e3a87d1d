/**
 * An example social source for an API of another shape than viralflow's contract: offset pagination
 * (`?offset=&limit=`, `has_more`) and its own field names (`{ user: {...} }`, `{ media: [{ media_id,
 * caption, like_count, ... }] }`), as the simulator serves under `/v2/`. It is also a sources module:
 *
 *   VIRALFLOW_SOCIAL_URL=http://127.0.0.1:8787/v2 \
 *   VIRALFLOW_SOURCES_MODULE=./dist/src/sources/offset-example-source.js npx viralflow worker
 *
 * All it does is ask and map. viralflow keeps the pool, the rate limit, 429s, deadlines, size caps,
 * typed errors, and the checkpoints: the offset travels as the cursor, so a retried attempt resumes there.
 */
import { z } from 'zod';
import { path } from '../http/upstream';
import type { ScrapedPost } from '../sink/types';
import type { SocialSource, SourcesFactory } from './types';

const count = z.number().int().nonnegative();

const userAnswer = z.object({
  user: z.object({
    id: z.string(),
    follower_count: count,
    following_count: count,
    media_count: count,
    engagement_rate: z.number().finite(),
  }),
});

const media = z.object({
  media_id: z.string(),
  owner_id: z.string(),
  caption: z.string(),
  /** Unix time in milliseconds. */
  taken_at_ms: z.number().int().nonnegative(),
  like_count: count,
  share_count: count,
  comment_count: count,
  view_count: count,
});
const mediaPage = z.object({ media: z.array(media), offset: count, total: count, has_more: z.boolean() });

export type ExampleMedia = z.output<typeof media>;

/** The API's media item as a viralflow post. */
export function toScrapedPost(item: ExampleMedia): ScrapedPost {
  return {
    id: item.media_id,
    accountId: item.owner_id,
    createdAt: new Date(item.taken_at_ms).toISOString(),
    text: item.caption,
    metrics: { likes: item.like_count, shares: item.share_count, comments: item.comment_count, views: item.view_count },
  };
}

/** The offset as a cursor ('0' is never handed out: the first page has no cursor). */
export const offsetCursor = (offset: number): string => String(offset);

/** The offset a cursor of ours stands for; undefined for anything else. */
export function cursorOffset(cursor: string): number | undefined {
  return /^[1-9]\d{0,8}$/.test(cursor) ? Number(cursor) : undefined;
}

export const offsetExampleSource: SocialSource = {
  async profile(accountId, { http }) {
    const { user } = await http.json({ path: path`/users/${accountId}` }, userAnswer);
    return {
      accountId: user.id,
      followers: user.follower_count,
      following: user.following_count,
      postCount: user.media_count,
      engagementRate: user.engagement_rate,
    };
  },
  async page(accountId, cursor, { http, limit }) {
    const offset = cursor === undefined ? 0 : cursorOffset(cursor);
    // A checkpoint another source wrote: refusing it fails this account instead of duplicating its posts.
    if (offset === undefined) throw http.malformed(`cursor ${JSON.stringify(cursor)} is not an offset of this source`);
    const page = await http.json({ path: path`/users/${accountId}/media`, query: { offset, limit } }, mediaPage);
    if (page.offset !== offset) throw http.malformed(`asked for offset ${offset}, got ${page.offset}`);
    return {
      posts: page.media.map(toScrapedPost),
      nextCursor: page.has_more ? offsetCursor(offset + page.media.length) : null,
    };
  },
};

/** The module's factory: this social source; the engine and the publisher stay viralflow's defaults. */
export const createSources: SourcesFactory = () => ({ social: offsetExampleSource });

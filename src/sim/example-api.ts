/**
 * A second social API shape, served beside the contract under `/v2/`: the same seeded accounts and
 * posts, but offset pagination (`?offset=&limit=`, `total` and `has_more`) and other field names.
 * Not viralflow's contract: it is what src/sources/offset-example-source.ts plugs in for, so that
 * example runs against real sockets.
 *
 *   GET /v2/users/:id                       -> ExampleUserAnswer   (route key 'social.profile', same knobs)
 *   GET /v2/users/:id/media?offset=&limit=  -> ExampleMediaPage    (route key 'social.posts', same knobs)
 */
import type { SocialPost, SocialProfile } from './types';

export interface ExampleUser {
  id: string;
  follower_count: number;
  following_count: number;
  media_count: number;
  engagement_rate: number;
}

export interface ExampleUserAnswer {
  user: ExampleUser;
}

export interface ExampleMedia {
  media_id: string;
  owner_id: string;
  caption: string;
  /** Unix time in milliseconds. */
  taken_at_ms: number;
  like_count: number;
  share_count: number;
  comment_count: number;
  view_count: number;
}

export interface ExampleMediaPage {
  media: ExampleMedia[];
  offset: number;
  /** Posts the user has in all. */
  total: number;
  has_more: boolean;
}

export function exampleUser(profile: SocialProfile): ExampleUserAnswer {
  return {
    user: {
      id: profile.accountId,
      follower_count: profile.followers,
      following_count: profile.following,
      media_count: profile.postCount,
      engagement_rate: profile.engagementRate,
    },
  };
}

export function exampleMediaPage(posts: readonly SocialPost[], offset: number, total: number): ExampleMediaPage {
  return {
    media: posts.map((post) => ({
      media_id: post.id,
      owner_id: post.accountId,
      caption: post.text,
      taken_at_ms: Date.parse(post.createdAt),
      like_count: post.metrics.likes,
      share_count: post.metrics.shares,
      comment_count: post.metrics.comments,
      view_count: post.metrics.views,
    })),
    offset,
    total,
    has_more: offset + posts.length < total,
  };
}

import { z } from 'zod';
import { enginePattern } from '../contracts/patterns';
import type { MalformedResponseError } from '../http/errors';
import type { ScrapedPost, ScrapedProfile } from '../sink/types';

/**
 * The seams between viralflow and the APIs it calls: what the scraper, the pattern engine activity and
 * the weights publisher ask for, in viralflow's own types. A source only maps an API's shape to these;
 * viralflow keeps the rest (the pooled connections, the fleet rate limits and 429 handling, timeouts,
 * body size caps, typed errors, heartbeat checkpoints and resume, the engine's cache and 413 splitting).
 * The defaults speak api/upstream.openapi.yaml (./http-sources); ./offset-example-source shows another API.
 */

/** Cursors travel in heartbeats; a source handing out longer ones is not one we can checkpoint cheaply. */
export const MAX_CURSOR_CHARS = 1024;

/** A request a source makes: below the configured API's base URL, never to another origin. */
export interface SourceRequest {
  /** @default 'GET' */
  method?: 'GET' | 'POST' | 'PUT';
  /** Path below the configured base URL, starting with '/'; build it with `path` so segments are encoded. */
  path: string;
  query?: Record<string, string | number | undefined>;
  /** A JSON request body. */
  json?: unknown;
}

/**
 * The only way a source reaches its API: through viralflow's pool and the fleet rate limit for that API,
 * with the activity's deadline and cancellation applied by viralflow (a request cannot leave them out).
 * Anything but a 2xx answer rejects with viralflow's typed errors (RateLimitedError for 429 with its
 * Retry-After, UpstreamHttpError, UpstreamTimeoutError, ResponseTooLargeError, ...): let them propagate.
 */
export interface SourceHttp {
  /** The configured API's origin, e.g. `https://api.example.com` (for messages). */
  readonly origin: string;
  /** Sends `req` and parses the 2xx body with `schema`; a mismatch is a MalformedResponseError. */
  json<S extends z.ZodType>(req: SourceRequest, schema: S): Promise<z.output<S>>;
  /** The error to throw when an answer parses but makes no sense (about the last request made). */
  malformed(detail: string): MalformedResponseError;
}

export interface SourceContext {
  readonly http: SourceHttp;
}

export interface PageContext extends SourceContext {
  /** Posts wanted from this page at most (the scrape's page size, or fewer near `maxPostsPerAccount`). */
  readonly limit: number;
}

/** One page of an account's posts, newest first. */
export interface PostsPage {
  posts: ScrapedPost[];
  /**
   * Where the next page starts, or null after the last page. Opaque to viralflow, which checkpoints it
   * in heartbeats and hands it back to `page` on a retry: at most MAX_CURSOR_CHARS, never '' and never
   * the cursor this page was asked with. An API paginating by offset encodes the offset here.
   */
  nextCursor: string | null;
}

/** Where the scraper gets profiles and posts. */
export interface SocialSource {
  /**
   * How `page` orders an account's posts. `newest-first` (the contract's, and most APIs') lets an
   * incremental scrape stop at the newest post it already has; `unordered` makes every scrape read
   * everything. @default 'newest-first'
   */
  readonly order?: 'newest-first' | 'unordered';
  profile(accountId: string, ctx: SourceContext): Promise<ScrapedProfile>;
  /** `cursor` is undefined for the first page, else a `nextCursor` this source returned (maybe to an earlier attempt). */
  page(accountId: string, cursor: string | undefined, ctx: PageContext): Promise<PostsPage>;
}

/** What an engine says about one text: the value the engine cache keeps, shared by every item with that text. */
export const engineExtraction = z.object({
  patterns: z.array(enginePattern).max(100),
  viralityScore: z.number().min(0).max(1),
});
export type EngineExtraction = z.output<typeof engineExtraction>;

export interface EngineItem {
  id: string;
  text: string;
}

/** Scores texts. viralflow caches by text, batches, bounds concurrency and splits a batch the engine refuses. */
export interface PatternEngine {
  /** Most items one `extract` call may carry; asked again after a refusal. */
  maxBatch(ctx: SourceContext): Promise<number>;
  /**
   * One result per item, matched by `id` (any order). A batch the API refuses as too large must reject
   * with the helper's UpstreamHttpError 413 (what `ctx.http` throws for a 413 answer): viralflow splits it.
   */
  extract(items: readonly EngineItem[], ctx: SourceContext): Promise<Array<EngineExtraction & { id: string }>>;
}

export interface ExperimentWeights {
  /** Traffic share per variant, summing to 1. */
  weights: Record<string, number>;
  probabilityBest?: Record<string, number>;
}

/** Where the bandit's weights go. */
export interface WeightsPublisher {
  /** Answers the experiment the API stored them for, and its version of the weights (increasing per publish). */
  publish(
    experimentId: string,
    weights: ExperimentWeights,
    ctx: SourceContext,
  ): Promise<{ experimentId: string; version: number }>;
}

/** One of each, as a worker's activities use them. */
export interface Sources {
  social: SocialSource;
  engine: PatternEngine;
  publisher: WeightsPublisher;
}

/** What a sources module's factory gets: the defaults, to keep or to wrap. */
export interface SourcesFactoryOptions {
  defaults: Sources;
}

/**
 * What a module named by VIRALFLOW_SOURCES_MODULE exports as `createSources`: the sources it replaces
 * (the rest stay the defaults). Each source's requests go to the API configured for it
 * (VIRALFLOW_SOCIAL_URL, VIRALFLOW_ENGINE_URL, VIRALFLOW_EXPERIMENTS_URL, with their tokens).
 */
export type SourcesFactory = (options: SourcesFactoryOptions) => Partial<Sources> | Promise<Partial<Sources>>;

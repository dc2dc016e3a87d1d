/**
 * The upstream simulator's contract: the routes the activities call, the shapes they answer with,
 * and the fault knobs. The simulator stands in for third-party APIs that do not exist here, so it
 * behaves like one (latency, 429 + Retry-After, 5xx, hangs, slow or bad bodies), deterministically
 * when seeded.
 *
 * Routes (all JSON unless said otherwise):
 *   GET  /social/accounts/:id                 -> SocialProfile            (route key 'social.profile')
 *   GET  /social/accounts/:id/posts?cursor=&limit=  -> SocialPostsPage    (route key 'social.posts')
 *        accounts listed in `missingAccounts` answer 404 {error}
 *   POST /engine/extract  {items: EngineItem[]} -> EngineExtractResponse  (route key 'engine.extract')
 *        more than `engineMaxBatch` items -> 413 {error}; invalid body -> 400 {error}
 *   GET  /engine/limits                        -> EngineLimits             (route key 'engine.limits')
 *   PUT  /experiments/:id/weights {weights, probabilityBest?} -> PublishedWeights (route key 'experiments.weights')
 *   GET  /experiments/:id/weights              -> PublishedWeights | 404   (route key 'experiments.weights')
 *   GET  /services/:name/health                -> ServiceHealth            (route key 'services.health')
 *   GET  /services/:name/metrics               -> Prometheus text format   (route key 'services.metrics')
 *   GET  /services/:name/metrics.json          -> nested JSON numbers      (route key 'services.metricsJson')
 *        unknown service names -> 404
 *   GET  /v2/users/:id, /v2/users/:id/media?offset=&limit= -> a second social API shape (./example-api,
 *        offset pagination, other field names) on the same route keys and data: not part of the contract
 *   GET  /_sim/stats   -> SimStats (never subject to knobs or limits)
 *   POST /_sim/knobs   {route, knobs} -> sets knobs at run time; POST /_sim/reset -> clears knobs and stats
 *
 * Knobs apply per route key; a key with a target suffix ('services.health:billing',
 * 'social.posts:acct-7') overrides the plain key for that service/account. A request may also carry
 * knobs in its query string as `sim_<knob>=<value>` (e.g. `?sim_latencyMs=50&sim_errorRate=1`).
 */

export type LatencyKnob =
  | number
  | { dist: 'fixed'; ms: number }
  | { dist: 'uniform'; minMs: number; maxMs: number }
  /** log-normal with the given median and 99th percentile: a realistic long-tailed API. */
  | { dist: 'lognormal'; p50Ms: number; p99Ms: number };

export interface Knobs {
  /** Delay before the status line is sent. */
  latencyMs?: LatencyKnob;
  /** Probability (0..1) that a request answers `errorStatus`. */
  errorRate?: number;
  /** Status used for injected errors (default 503). */
  errorStatus?: number;
  /** Probability (0..1) of 429 with a Retry-After header. */
  rateLimitRate?: number;
  /** The first N requests to the route answer 429 (a storm), then normal service resumes. */
  rateLimitFirst?: number;
  /** Retry-After value in seconds (default 1). */
  retryAfterSeconds?: number;
  /** Send Retry-After as an HTTP date instead of seconds. */
  retryAfterHttpDate?: boolean;
  /** Probability (0..1) the server accepts the request and never answers (until the client gives up). */
  hangRate?: number;
  /** Dribble the body out over this many milliseconds, in small chunks. */
  slowBodyMs?: number;
  /** Probability (0..1) of a syntactically broken body (truncated JSON / garbage Prometheus text) with status 200. */
  malformedRate?: number;
  /** Answer a 200 body of this many bytes (valid JSON framing padded with filler) instead of the real one. */
  oversizeBytes?: number;
  /** Destroy the socket without answering (connection reset). */
  resetRate?: number;
  /**
   * A real rate limit: a token bucket refilled at this many requests per second; a request finding it
   * empty answers 429 with the Retry-After (whole seconds) until a token is back. Answers on a limited
   * route carry `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (seconds until full).
   */
  limitPerSecond?: number;
  /** Tokens the bucket holds when full (default: one second's worth, `limitPerSecond`). */
  limitBurst?: number;
  /** Routes naming the same bucket share it, e.g. 'social' on both social routes (default: the route key). */
  limitBucket?: string;
}

export type RouteKey =
  | 'social.profile'
  | 'social.posts'
  | 'engine.extract'
  | 'engine.limits'
  | 'experiments.weights'
  | 'services.health'
  | 'services.metrics'
  | 'services.metricsJson';

export interface SimConfig {
  /** Seed for every random choice (data and faults). Same seed and same request order -> same answers. */
  seed?: number;
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Address to bind (default 127.0.0.1; a container sets 0.0.0.0 so other services can reach it). */
  host?: string;
  /** Posts each account has in total (default 25). */
  postsPerAccount?: number;
  /** Default and maximum page size for posts (default 10, max 100). */
  pageSize?: number;
  /** Accounts that answer 404. */
  missingAccounts?: string[];
  /** Largest batch /engine/extract accepts (default 50). */
  engineMaxBatch?: number;
  /** Names of the simulated services (default: api, auth, billing, search, feed). */
  services?: string[];
  /** Knobs per route key (or `key:target`). */
  knobs?: Partial<Record<string, Knobs>>;
}

export interface PostMetrics {
  likes: number;
  shares: number;
  comments: number;
  views: number;
}

export interface SocialPost {
  id: string;
  accountId: string;
  createdAt: string; // ISO-8601
  text: string;
  metrics: PostMetrics;
}

export interface SocialPostsPage {
  accountId: string;
  posts: SocialPost[];
  /** Opaque; null on the last page. */
  nextCursor: string | null;
}

export interface SocialProfile {
  accountId: string;
  followers: number;
  following: number;
  postCount: number;
  engagementRate: number;
}

export interface EngineItem {
  id: string;
  text: string;
}

export interface EnginePattern {
  name: string;
  score: number; // 0..1
}

export interface EngineResult {
  id: string;
  patterns: EnginePattern[];
  viralityScore: number; // 0..1, a pure function of the text
}

export interface EngineExtractResponse {
  results: EngineResult[];
}

export interface EngineLimits {
  maxBatch: number;
}

export interface PublishedWeights {
  experimentId: string;
  weights: Record<string, number>;
  probabilityBest?: Record<string, number>;
  /** Increments on every PUT for that experiment. */
  version: number;
}

export interface ServiceHealth {
  service: string;
  status: 'ok' | 'degraded';
  version: string;
  checks: Record<string, 'ok' | 'failing'>;
}

export interface RouteStats {
  requests: number;
  byStatus: Record<string, number>;
  /** Most requests to the route being answered at once (from arrival to the answer written): a client's concurrency. */
  peakInFlight: number;
}

export interface SimStats {
  /** TCP connections the server accepted: a client with keep-alive opens few. */
  connections: number;
  requests: number;
  routes: Partial<Record<string, RouteStats>>;
  /** Posts in social API pages written whole with a 200: every copy (`served`) and each post once (`distinct`). */
  posts: { served: number; distinct: number };
}

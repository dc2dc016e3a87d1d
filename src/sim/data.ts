/**
 * The simulator's fake world: every value is a pure function of the seed and the thing asked for,
 * so two simulators with the same seed tell the same story.
 */
import { hash32, mulberry32, normal, pick, randomInt, rngFor } from './random';
import type { EnginePattern, EngineResult, ServiceHealth, SocialPost, SocialProfile } from './types';

/** Time of post 0 (posts added later are newer): fixed so answers never depend on the wall clock. */
const POSTS_EPOCH_MS = Date.UTC(2024, 0, 15, 12, 0, 0);
const HOUR_MS = 3_600_000;

const round = (value: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
};

export function socialProfile(seed: number, accountId: string, postCount: number): SocialProfile {
  const rng = rngFor(seed, 'profile', accountId);
  // Follower counts are long-tailed in real life; a log-normal keeps most accounts small.
  const followers = Math.round(Math.exp(8 + 2 * normal(rng)));
  return {
    accountId,
    followers,
    following: randomInt(rng, 10, 2_000),
    postCount,
    engagementRate: round(0.005 + rng() * 0.12, 4),
  };
}

const HOOKS = ['Nobody talks about', 'Hot take:', 'I tried', 'Stop scrolling:', 'Thread on', 'Why does'];
const TOPICS = [
  'morning routines',
  'remote work',
  'sourdough',
  'indie game dev',
  'marathon training',
  'budget travel',
  'home espresso',
  'TypeScript generics',
];
const ENDINGS = ['Thoughts?', 'Here is what happened.', 'You will not believe #3.', 'Save this.', '(long thread)'];
const HASHTAGS = ['#viral', '#fyp', '#learn', '#tips', '#life', '#tech', '#food'];

/** Post number `index` of an account: 0 the newest at start, older posts larger, posts added later (addPosts) -1, -2, …. */
export function socialPost(seed: number, accountId: string, index: number): SocialPost {
  const rng = rngFor(seed, 'post', accountId, index);
  // 6 h apart with under 3 h of jitter keeps createdAt strictly decreasing with the index.
  const createdAt = new Date(POSTS_EPOCH_MS - index * 6 * HOUR_MS - Math.floor(rng() * 3 * HOUR_MS));
  const text = `${pick(rng, HOOKS)} ${pick(rng, TOPICS)}. ${pick(rng, ENDINGS)} ${pick(rng, HASHTAGS)}`;
  const views = Math.round(Math.exp(7 + 1.5 * normal(rng)));
  const likeRate = 0.01 + rng() * 0.1;
  const likes = Math.round(views * likeRate);
  return {
    id: `${hash32(`${seed}/${accountId}/${index}`).toString(16).padStart(8, '0')}-${index < 0 ? `n${-index}` : index}`,
    accountId,
    createdAt: createdAt.toISOString(),
    text,
    metrics: {
      likes,
      shares: Math.round(likes * rng() * 0.3),
      comments: Math.round(likes * rng() * 0.2),
      views,
    },
  };
}

/** Posts [offset, offset + limit) of an account that has `total` posts. */
export function socialPosts(
  seed: number,
  accountId: string,
  offset: number,
  limit: number,
  total: number,
): SocialPost[] {
  const posts: SocialPost[] = [];
  for (let i = offset; i < Math.min(total, offset + limit); i++) posts.push(socialPost(seed, accountId, i));
  return posts;
}

const PATTERN_NAMES = [
  'hook',
  'question',
  'listicle',
  'controversy',
  'storytelling',
  'call-to-action',
  'trend',
  'humor',
];

/** Seed-independent on purpose: the engine is a model, and a model scores the same text the same way. */
export function engineResult(id: string, text: string): EngineResult {
  const rng = mulberry32(hash32(text));
  const remaining = [...PATTERN_NAMES];
  const patterns: EnginePattern[] = [];
  const count = randomInt(rng, 1, 3);
  for (let i = 0; i < count; i++) {
    const [name] = remaining.splice(Math.floor(rng() * remaining.length), 1);
    if (name !== undefined) patterns.push({ name, score: round(rng(), 3) });
  }
  const best = Math.max(...patterns.map((p) => p.score));
  return { id, patterns, viralityScore: round(0.6 * best + 0.4 * rng(), 3) };
}

export function serviceHealth(seed: number, service: string): ServiceHealth {
  const rng = rngFor(seed, 'health', service);
  const degraded = rng() < 0.2;
  const names = ['database', 'cache', 'queue'];
  const failing = degraded ? pick(rng, names) : undefined;
  const checks: Record<string, 'ok' | 'failing'> = {};
  for (const name of names) checks[name] = name === failing ? 'failing' : 'ok';
  return {
    service,
    status: degraded ? 'degraded' : 'ok',
    version: `2.${randomInt(rng, 0, 9)}.${randomInt(rng, 0, 30)}`,
    checks,
  };
}

/** JSON whose leaves are all numbers, as served by /services/:name/metrics.json. */
export interface NestedNumbers {
  [key: string]: number | NestedNumbers;
}

/** Upper bounds (seconds) of the latency histogram, as a Prometheus client would configure them. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
/** Share of requests at or under each bucket: a plausible long-tailed web service. */
const LATENCY_SHARES = [0.04, 0.12, 0.33, 0.58, 0.79, 0.93, 0.975, 0.992, 0.998, 0.9995];

/** One service's numbers at a moment; both metric formats render the same snapshot. */
interface ServiceSnapshot {
  requestsOk: number;
  requestsClientError: number;
  requestsServerError: number;
  latencyBuckets: number[]; // cumulative, aligned with LATENCY_BUCKETS
  latencySumSeconds: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  memoryBytes: number;
  queueDepth: number;
  dbActive: number;
  dbIdle: number;
}

/** `tick` is how many times this service was scraped before: counters grow with it, gauges wobble. */
function serviceSnapshot(seed: number, service: string, tick: number): ServiceSnapshot {
  const base = rngFor(seed, 'metrics', service);
  const now = rngFor(seed, 'metrics', service, tick);
  const ratePerTick = randomInt(base, 50, 500);
  const total = randomInt(base, 10_000, 1_000_000) + tick * ratePerTick;
  const serverError = Math.floor(total * (0.001 + base() * 0.01));
  const clientError = Math.floor(total * (0.01 + base() * 0.03));
  const meanSeconds = 0.04 + base() * 0.08;
  return {
    requestsOk: total - serverError - clientError,
    requestsClientError: clientError,
    requestsServerError: serverError,
    latencyBuckets: LATENCY_SHARES.map((share) => Math.floor(total * share)),
    latencySumSeconds: round(total * meanSeconds, 3),
    latencyP50Ms: round(meanSeconds * 700, 1),
    latencyP99Ms: round(meanSeconds * 9000, 1),
    memoryBytes: randomInt(base, 80, 400) * 1_048_576 + randomInt(now, 0, 1_048_575),
    queueDepth: randomInt(now, 0, 250),
    dbActive: randomInt(now, 1, 20),
    dbIdle: randomInt(now, 0, 10),
  };
}

/** Label values may contain \, " and newlines, which the exposition format requires escaped. */
const label = (value: string): string => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** Prometheus text exposition format 0.0.4. */
export function prometheusText(seed: number, service: string, tick: number): string {
  const s = serviceSnapshot(seed, service, tick);
  const svc = `service="${label(service)}"`;
  const count = s.requestsOk + s.requestsClientError + s.requestsServerError;
  const lines = [
    '# HELP http_requests_total Total HTTP requests handled, by status code class.',
    '# TYPE http_requests_total counter',
    `http_requests_total{${svc},code="2xx"} ${s.requestsOk}`,
    `http_requests_total{${svc},code="4xx"} ${s.requestsClientError}`,
    `http_requests_total{${svc},code="5xx"} ${s.requestsServerError}`,
    '# HELP process_resident_memory_bytes Resident memory size in bytes.',
    '# TYPE process_resident_memory_bytes gauge',
    `process_resident_memory_bytes{${svc}} ${s.memoryBytes}`,
    '# HELP queue_depth Jobs waiting in the work queue.',
    '# TYPE queue_depth gauge',
    `queue_depth{${svc}} ${s.queueDepth}`,
    '# HELP db_connections Database connections in the pool, by state.',
    '# TYPE db_connections gauge',
    `db_connections{${svc},state="active"} ${s.dbActive}`,
    `db_connections{${svc},state="idle"} ${s.dbIdle}`,
    '# HELP http_request_duration_seconds Time spent answering HTTP requests.',
    '# TYPE http_request_duration_seconds histogram',
    ...LATENCY_BUCKETS.map((le, i) => `http_request_duration_seconds_bucket{${svc},le="${le}"} ${s.latencyBuckets[i]}`),
    `http_request_duration_seconds_bucket{${svc},le="+Inf"} ${count}`,
    `http_request_duration_seconds_sum{${svc}} ${s.latencySumSeconds}`,
    `http_request_duration_seconds_count{${svc}} ${count}`,
  ];
  return `${lines.join('\n')}\n`;
}

/** The same snapshot as prometheusText, as nested JSON (what JSON-only upstreams expose). */
export function metricsJson(seed: number, service: string, tick: number): NestedNumbers {
  const s = serviceSnapshot(seed, service, tick);
  return {
    http: {
      requests: {
        total: s.requestsOk + s.requestsClientError + s.requestsServerError,
        errors: { client: s.requestsClientError, server: s.requestsServerError },
      },
      latency: { p50Ms: s.latencyP50Ms, p99Ms: s.latencyP99Ms },
    },
    db: { connections: { active: s.dbActive, idle: s.dbIdle } },
    queue: { depth: s.queueDepth },
    process: { memoryBytes: s.memoryBytes },
  };
}

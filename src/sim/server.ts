/**
 * The upstream simulator: a plain node:http server answering the routes in ./types with seeded
 * data, after passing each request through its fault knobs.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { exampleMediaPage, exampleUser } from './example-api';
import { engineResult, metricsJson, prometheusText, serviceHealth, socialPosts, socialProfile } from './data';
import {
  isKnobKey,
  parseKnobs,
  parseQueryKnobs,
  planRequest,
  resolveKnobs,
  takeToken,
  type BodyFault,
  type TokenBucket,
} from './knobs';
import { createHolds, type HoldSpec, type RouteHold } from './holds';
import { rngFor } from './random';
import { createServedPosts } from './served-posts';
import type { EngineItem, Knobs, PublishedWeights, RouteKey, RouteStats, SimConfig, SimStats } from './types';

export interface Simulator {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:41234. */
  url: string;
  /** The contract routes it serves (not the `/_sim/` admin ones), paths as templates: `/social/accounts/{id}`. */
  routes: ReadonlyArray<{ method: string; path: string }>;
  /** The second social API shape under `/v2/` (./example-api), for the example source: not part of the contract. */
  exampleRoutes: ReadonlyArray<{ method: string; path: string }>;
  /** A deep copy: later requests do not change it. */
  stats(): SimStats;
  /** `route` is a RouteKey or 'key:target'; the knobs replace that key's config knobs; undefined clears. */
  setKnobs(route: string, knobs: Knobs | undefined): void;
  /**
   * Time moves on: every account gains `count` posts, newer than any it had (seeded like the rest;
   * numbered -1, -2, … so earlier posts keep their IDs). reset() takes them away again.
   */
  addPosts(count: number): void;
  /** Holds matching requests unanswered until released (see ./holds): a test's barrier on an upstream. */
  hold(spec: HoldSpec): RouteHold;
  /** Back to the config's knobs and posts, with zeroed stats and request counts (stored experiments stay); releases holds. */
  reset(): void;
  /** Stops listening and destroys every open socket, hung ones included. */
  close(): Promise<void>;
}

const DEFAULTS = {
  seed: 0x5eed,
  postsPerAccount: 25,
  pageSize: 10,
  engineMaxBatch: 50,
  services: ['api', 'auth', 'billing', 'search', 'feed'],
};
const MAX_PAGE_SIZE = 100;
const MAX_REQUEST_BODY_BYTES = 1 << 20;
/** Write size for bodies; oversize bodies are generated one chunk at a time, never whole. */
const CHUNK_BYTES = 64 * 1024;
const SLOW_BODY_PIECES = 10;
const JSON_TYPE = 'application/json';
const PROMETHEUS_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
/** Stats key for requests that match no route. */
const UNMATCHED = 'unmatched';

type Format = 'json' | 'prometheus';

/** What a route (or a fault) answers, before body faults and pacing. */
interface Answer {
  status: number;
  format: Format;
  payload: Buffer;
  headers?: Record<string, string>;
  /** A page of posts: counted as served once it has been written whole (see ServedPosts). */
  posts?: { accountId: string; offset: number; count: number };
}

interface RequestContext {
  params: Record<string, string>;
  query: URLSearchParams;
  body: Buffer;
  /** Requests this route:target had before this one (metrics counters grow with it). */
  targetIndex: number;
}

interface RouteDef {
  method: 'GET' | 'POST' | 'PUT';
  path: string[]; // ':name' segments capture
  route: RouteKey;
  /** The param whose value addresses 'route:target' knobs. */
  target?: string;
  handle(ctx: RequestContext): Answer;
  /** A route of the example API (./example-api), not of the contract. */
  example?: true;
}

const json = (status: number, value: unknown, headers?: Record<string, string>): Answer => ({
  status,
  format: 'json',
  payload: Buffer.from(JSON.stringify(value)),
  ...(headers ? { headers } : {}),
});
const jsonError = (status: number, error: string): Answer => json(status, { error });

export async function startSimulator(config: SimConfig = {}): Promise<Simulator> {
  const seed = config.seed ?? DEFAULTS.seed;
  const configKnobs = new Map<string, Knobs>();
  for (const [key, knobs] of Object.entries(config.knobs ?? {})) {
    if (knobs !== undefined) configKnobs.set(key, checkedKnobs(key, knobs));
  }
  const runtimeKnobs = new Map<string, Knobs>();
  /** Per key and per key:target: drives the per-request RNG, so other routes never shift it. */
  let requestCounts = new Map<string, number>();
  /** Like requestCounts, but restarted whenever that key's knobs are set: a new storm starts fresh. */
  let stormCounts = new Map<string, number>();
  let stats = emptyStats();
  /** Rate-limit buckets by name (`limitBucket`, or the route key). */
  let buckets = new Map<string, TokenBucket>();
  let servedPosts = createServedPosts();
  const lifetime = new AbortController();
  const holds = createHolds();

  const world: World = {
    seed,
    postsPerAccount: config.postsPerAccount ?? DEFAULTS.postsPerAccount,
    newPosts: 0,
    pageSize: Math.min(config.pageSize ?? DEFAULTS.pageSize, MAX_PAGE_SIZE),
    missingAccounts: new Set(config.missingAccounts ?? []),
    engineMaxBatch: config.engineMaxBatch ?? DEFAULTS.engineMaxBatch,
    services: new Set(config.services ?? DEFAULTS.services),
  };
  const routes = createRoutes(world);

  const lookupKnobs = (key: string): Knobs | undefined => runtimeKnobs.get(key) ?? configKnobs.get(key);

  const setKnobs = (route: string, knobs: Knobs | undefined): void => {
    if (knobs === undefined) runtimeKnobs.delete(route);
    else runtimeKnobs.set(route, checkedKnobs(route, knobs));
    stormCounts.delete(route);
  };

  const routeStats = (key: string): RouteStats =>
    (stats.routes[key] ??= { requests: 0, byStatus: {}, peakInFlight: 0 });
  const record = (key: string, status: number | 'reset' | 'hang'): void => {
    const route = routeStats(key);
    route.byStatus[status] = (route.byStatus[status] ?? 0) + 1;
  };
  // By route, across resets: a request that began before a reset still ends after it.
  const inFlight = new Map<string, number>();

  /** Counts this request under each key and answers the counts it found before it. */
  const countRequest = (keys: string[]): { request: number[]; storm: Map<string, number> } => {
    const storm = new Map<string, number>();
    const request = keys.map((key) => {
      const before = requestCounts.get(key) ?? 0;
      requestCounts.set(key, before + 1);
      storm.set(key, stormCounts.get(key) ?? 0);
      stormCounts.set(key, (stormCounts.get(key) ?? 0) + 1);
      return before;
    });
    return { request, storm };
  };

  const serveAdmin = async (req: IncomingMessage, path: string): Promise<Answer> => {
    const route = `${req.method ?? ''} ${path}`;
    if (route === 'GET /_sim/stats') return json(200, currentStats());
    if (route === 'POST /_sim/reset') {
      reset();
      return json(200, { ok: true });
    }
    if (route === 'POST /_sim/knobs') {
      const body = parseJson(await readBody(req));
      if (!isObject(body) || typeof body['route'] !== 'string' || !isKnobKey(body['route'])) {
        return jsonError(400, 'expected {route, knobs} with a known route key');
      }
      const knobs = body['knobs'] === undefined || body['knobs'] === null ? undefined : parseKnobs(body['knobs']);
      if (knobs && !knobs.ok) return jsonError(400, knobs.error);
      setKnobs(body['route'], knobs?.value);
      return json(200, { route: body['route'], knobs: knobs?.value ?? null });
    }
    return jsonError(404, 'no such simulator endpoint');
  };

  const serve = async (req: IncomingMessage, res: ServerResponse, signal: AbortSignal): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://sim');
    if (url.pathname.startsWith('/_sim/')) {
      await writeAnswer(res, await serveAdmin(req, url.pathname), undefined, 0, signal);
      return;
    }
    stats.requests++;
    const match = matchRoute(routes, req.method ?? 'GET', url.pathname);
    if (match.kind !== 'found') {
      const key = match.kind === 'wrongMethod' ? match.route : UNMATCHED;
      routeStats(key).requests++;
      await readBody(req); // so the connection can be reused
      const answer =
        match.kind === 'wrongMethod'
          ? json(405, { error: 'method not allowed' }, { allow: match.allow })
          : jsonError(404, 'no such route');
      record(key, answer.status);
      await writeAnswer(res, answer, undefined, 0, signal);
      return;
    }

    const { def, params } = match;
    const route = routeStats(def.route);
    route.requests++;
    const answering = (inFlight.get(def.route) ?? 0) + 1;
    inFlight.set(def.route, answering);
    route.peakInFlight = Math.max(route.peakInFlight, answering);
    try {
      await answerRoute(req, res, signal, url, def, params);
    } finally {
      inFlight.set(def.route, (inFlight.get(def.route) ?? 1) - 1);
    }
  };

  const answerRoute = async (
    req: IncomingMessage,
    res: ServerResponse,
    signal: AbortSignal,
    url: URL,
    def: RouteDef,
    params: Record<string, string>,
  ): Promise<void> => {
    const target = def.target === undefined ? undefined : params[def.target];
    const targetKey = target === undefined ? undefined : `${def.route}:${target}`;
    const counted = countRequest(targetKey === undefined ? [def.route] : [def.route, targetKey]);
    const routeIndex = counted.request[0] ?? 0;
    await holds.pass(def.route, target, routeIndex, counted.request[1] ?? routeIndex, signal);

    const query = parseQueryKnobs(url.searchParams);
    if (!query.ok) {
      await readBody(req);
      record(def.route, 400);
      await writeAnswer(res, jsonError(400, query.error), undefined, 0, signal);
      return;
    }
    const { knobs, stormKey } = resolveKnobs(lookupKnobs, def.route, target, query.value);
    let quotaHeaders: Record<string, string> | undefined;
    if (knobs.limitPerSecond !== undefined) {
      const name = knobs.limitBucket ?? def.route;
      const now = performance.now();
      const bucket = buckets.get(name) ?? { tokens: knobs.limitBurst ?? knobs.limitPerSecond, atMs: now };
      buckets.set(name, bucket);
      const decision = takeToken(bucket, knobs.limitPerSecond, knobs.limitBurst ?? knobs.limitPerSecond, now);
      quotaHeaders = {
        'ratelimit-limit': String(decision.limit),
        'ratelimit-remaining': String(decision.remaining),
        'ratelimit-reset': String(decision.resetSeconds),
      };
      if (!decision.allowed) {
        // Like an API gateway: refused at once, before any work or injected latency.
        await readBody(req);
        record(def.route, 429);
        const retryAfter = { 'retry-after': String(decision.retryAfterSeconds), ...quotaHeaders };
        await writeAnswer(res, json(429, { error: 'rate limit exceeded' }, retryAfter), undefined, 0, signal);
        return;
      }
    }
    const plan = planRequest(knobs, rngFor(seed, def.route, routeIndex), counted.storm.get(stormKey) ?? 0, Date.now());

    if (plan.fault?.kind === 'reset') {
      record(def.route, 'reset');
      req.socket.resetAndDestroy(); // RST rather than FIN: what a crashed upstream or middlebox does
      return;
    }
    if (plan.fault?.kind === 'hang') {
      record(def.route, 'hang'); // the socket stays open until the client or close() ends it
      return;
    }

    const body = await readBody(req);
    const answer: Answer =
      plan.fault?.kind === 'rateLimited'
        ? json(429, { error: 'rate limited' }, { 'retry-after': plan.fault.retryAfter })
        : plan.fault?.kind === 'error'
          ? jsonError(plan.fault.status, 'injected upstream error')
          : body === undefined
            ? jsonError(413, 'request body too large')
            : def.handle({ params, query: url.searchParams, body, targetIndex: counted.request[1] ?? routeIndex });
    if (quotaHeaders) answer.headers = { ...answer.headers, ...quotaHeaders };

    await sleep(plan.latencyMs, undefined, { signal });
    // Body faults model a broken successful answer; an error answer stays readable.
    const bodyFault = answer.status >= 200 && answer.status < 300 ? plan.bodyFault : undefined;
    record(def.route, answer.status);
    await writeAnswer(res, answer, bodyFault, plan.slowBodyMs, signal);
    if (answer.posts && answer.status === 200 && !bodyFault)
      servedPosts.add(answer.posts.accountId, answer.posts.offset, answer.posts.count);
  };

  const server = createServer({ headersTimeout: 66_000 }, (req, res) => {
    const finished = new AbortController();
    res.once('close', () => finished.abort());
    const signal = AbortSignal.any([lifetime.signal, finished.signal]);
    serve(req, res, signal).catch(() => {
      // Aborted (client gone or close()) or a bug: either way this exchange is over.
      if (!res.headersSent && !signal.aborted) {
        const answer = jsonError(500, 'simulator error');
        res.writeHead(answer.status, headersFor(answer, answer.payload.length)).end(answer.payload);
      } else {
        res.destroy();
      }
    });
  });
  // Node's 5 s default is shorter than most clients' pool idle timeout; they would race our close.
  server.keepAliveTimeout = 65_000;
  server.on('connection', () => {
    stats.connections++;
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port ?? 0, config.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  function reset(): void {
    holds.releaseAll();
    world.newPosts = 0;
    runtimeKnobs.clear();
    requestCounts = new Map();
    stormCounts = new Map();
    buckets = new Map();
    stats = emptyStats();
    servedPosts = createServedPosts();
  }

  function currentStats(): SimStats {
    return { ...structuredClone(stats), posts: servedPosts.counts() };
  }

  let closing: Promise<void> | undefined;
  return {
    routes: routes.filter((def) => !def.example).map(routeTemplate),
    exampleRoutes: routes.filter((def) => def.example).map(routeTemplate),
    // A wildcard bind is still reached through loopback from this process.
    url: `http://${!config.host || config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host}:${port}`,
    stats: currentStats,
    setKnobs,
    hold: holds.add,
    addPosts(count) {
      if (!Number.isInteger(count) || count < 0) throw new TypeError(`addPosts: ${count} is not a count`);
      world.newPosts += count;
    },
    reset,
    close() {
      closing ??= new Promise<void>((resolve) => {
        holds.releaseAll();
        lifetime.abort();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function routeTemplate(def: RouteDef): { method: string; path: string } {
  return {
    method: def.method,
    path: `/${def.path.map((part) => (part.startsWith(':') ? `{${part.slice(1)}}` : part)).join('/')}`,
  };
}

function emptyStats(): SimStats {
  return { connections: 0, requests: 0, routes: {}, posts: { served: 0, distinct: 0 } };
}

/** Programmer-supplied knobs (config, setKnobs) fail loudly rather than being half-applied. */
function checkedKnobs(key: string, knobs: unknown): Knobs {
  if (!isKnobKey(key)) throw new TypeError(`unknown knob key ${JSON.stringify(key)}`);
  const parsed = parseKnobs(knobs);
  if (!parsed.ok) throw new TypeError(`${key}: ${parsed.error}`);
  return parsed.value;
}

interface World {
  seed: number;
  postsPerAccount: number;
  /** Posts every account gained since start (or reset): newer than the rest, numbered -1, -2, … */
  newPosts: number;
  pageSize: number;
  missingAccounts: ReadonlySet<string>;
  engineMaxBatch: number;
  services: ReadonlySet<string>;
}

function createRoutes(world: World): RouteDef[] {
  const experiments = new Map<string, PublishedWeights>();
  const accountMissing = (id: string | undefined): boolean => id === undefined || world.missingAccounts.has(id);
  const serviceMissing = (name: string | undefined): boolean => name === undefined || !world.services.has(name);
  const notFound = (what: string): Answer => jsonError(404, `${what} not found`);

  return [
    {
      method: 'GET',
      path: ['social', 'accounts', ':id'],
      route: 'social.profile',
      target: 'id',
      handle: ({ params: { id } }) =>
        id === undefined || accountMissing(id)
          ? notFound('account')
          : json(200, socialProfile(world.seed, id, world.postsPerAccount + world.newPosts)),
    },
    {
      method: 'GET',
      path: ['social', 'accounts', ':id', 'posts'],
      route: 'social.posts',
      target: 'id',
      handle: ({ params: { id }, query }) => {
        if (id === undefined || accountMissing(id)) return notFound('account');
        const limit = parseLimit(query.get('limit'), world.pageSize);
        if (limit === undefined) return jsonError(400, `limit must be an integer from 1 to ${MAX_PAGE_SIZE}`);
        // Post indexes run from the newest (-newPosts) to the oldest (postsPerAccount - 1); a cursor names
        // the next index, so pages stay put while newer posts appear (a keyset cursor, as real APIs have).
        const first = -world.newPosts;
        const end = world.postsPerAccount;
        const cursor = query.get('cursor');
        const from = cursor === null || cursor === '' ? first : decodeCursor(cursor);
        if (from === undefined || from < first || from > end) return jsonError(400, 'invalid cursor');
        const next = from + limit;
        const posts = socialPosts(world.seed, id, from, limit, end);
        return {
          ...json(200, { accountId: id, posts, nextCursor: next < end ? encodeCursor(next) : null }),
          posts: { accountId: id, offset: from, count: posts.length },
        };
      },
    },
    {
      method: 'GET',
      path: ['v2', 'users', ':id'],
      route: 'social.profile',
      target: 'id',
      example: true,
      handle: ({ params: { id } }) =>
        id === undefined || accountMissing(id)
          ? notFound('user')
          : json(200, exampleUser(socialProfile(world.seed, id, world.postsPerAccount + world.newPosts))),
    },
    {
      method: 'GET',
      path: ['v2', 'users', ':id', 'media'],
      route: 'social.posts',
      target: 'id',
      example: true,
      handle: ({ params: { id }, query }) => {
        if (id === undefined || accountMissing(id)) return notFound('user');
        const limit = parseLimit(query.get('limit'), world.pageSize);
        if (limit === undefined) return jsonError(400, `limit must be an integer from 1 to ${MAX_PAGE_SIZE}`);
        const total = world.postsPerAccount + world.newPosts;
        const offsetText = query.get('offset') ?? '0';
        const offset = /^(0|[1-9]\d{0,8})$/.test(offsetText) ? Number(offsetText) : undefined;
        if (offset === undefined || offset > total)
          return jsonError(400, `offset must be an integer from 0 to ${total}`);
        const from = offset - world.newPosts;
        const posts = socialPosts(world.seed, id, from, limit, world.postsPerAccount);
        return {
          ...json(200, exampleMediaPage(posts, offset, total)),
          posts: { accountId: id, offset: from, count: posts.length },
        };
      },
    },
    {
      method: 'POST',
      path: ['engine', 'extract'],
      route: 'engine.extract',
      handle: ({ body }) => {
        const parsed = parseJson(body);
        const items = isObject(parsed) ? parsed['items'] : undefined;
        if (!Array.isArray(items)) return jsonError(400, 'expected {items: [{id, text}]}');
        if (items.length > world.engineMaxBatch) {
          return jsonError(413, `batch of ${items.length} exceeds maxBatch ${world.engineMaxBatch}`);
        }
        if (!items.every(isEngineItem)) return jsonError(400, 'every item needs string id and text');
        return json(200, { results: items.map((item) => engineResult(item.id, item.text)) });
      },
    },
    {
      method: 'GET',
      path: ['engine', 'limits'],
      route: 'engine.limits',
      handle: () => json(200, { maxBatch: world.engineMaxBatch }),
    },
    {
      method: 'PUT',
      path: ['experiments', ':id', 'weights'],
      route: 'experiments.weights',
      target: 'id',
      handle: ({ params: { id }, body }) => {
        if (id === undefined) return notFound('experiment');
        const parsed = parseJson(body);
        if (!isObject(parsed) || !isNumberRecord(parsed['weights'])) {
          return jsonError(400, 'weights must be an object of finite numbers');
        }
        const probabilityBest = parsed['probabilityBest'];
        if (probabilityBest !== undefined && !isNumberRecord(probabilityBest)) {
          return jsonError(400, 'probabilityBest must be an object of finite numbers');
        }
        const published: PublishedWeights = {
          experimentId: id,
          weights: { ...parsed['weights'] },
          ...(probabilityBest === undefined ? {} : { probabilityBest: { ...probabilityBest } }),
          version: (experiments.get(id)?.version ?? 0) + 1,
        };
        experiments.set(id, published);
        return json(200, published);
      },
    },
    {
      method: 'GET',
      path: ['experiments', ':id', 'weights'],
      route: 'experiments.weights',
      target: 'id',
      handle: ({ params: { id } }) => {
        const published = id === undefined ? undefined : experiments.get(id);
        return published ? json(200, published) : notFound('experiment');
      },
    },
    {
      method: 'GET',
      path: ['services', ':name', 'health'],
      route: 'services.health',
      target: 'name',
      handle: ({ params: { name } }) =>
        name === undefined || serviceMissing(name) ? notFound('service') : json(200, serviceHealth(world.seed, name)),
    },
    {
      method: 'GET',
      path: ['services', ':name', 'metrics'],
      route: 'services.metrics',
      target: 'name',
      handle: ({ params: { name }, targetIndex }) =>
        name === undefined || serviceMissing(name)
          ? notFound('service')
          : { status: 200, format: 'prometheus', payload: Buffer.from(prometheusText(world.seed, name, targetIndex)) },
    },
    {
      method: 'GET',
      path: ['services', ':name', 'metrics.json'],
      route: 'services.metricsJson',
      target: 'name',
      handle: ({ params: { name }, targetIndex }) =>
        name === undefined || serviceMissing(name)
          ? notFound('service')
          : json(200, metricsJson(world.seed, name, targetIndex)),
    },
  ];
}

type RouteMatch =
  | { kind: 'found'; def: RouteDef; params: Record<string, string> }
  | { kind: 'wrongMethod'; route: RouteKey; allow: string }
  | { kind: 'none' };

function matchRoute(routes: readonly RouteDef[], method: string, pathname: string): RouteMatch {
  let segments: string[];
  try {
    segments = pathname.split('/').slice(1).map(decodeURIComponent);
  } catch {
    return { kind: 'none' }; // malformed %-escapes name nothing we serve
  }
  const allowed: RouteDef[] = [];
  for (const def of routes) {
    const params = matchPath(def.path, segments);
    if (params === undefined) continue;
    if (def.method === method) return { kind: 'found', def, params };
    allowed.push(def);
  }
  const first = allowed[0];
  return first
    ? { kind: 'wrongMethod', route: first.route, allow: allowed.map((d) => d.method).join(', ') }
    : { kind: 'none' };
}

function matchPath(pattern: readonly string[], segments: readonly string[]): Record<string, string> | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of pattern.entries()) {
    const segment = segments[i];
    if (segment === undefined || segment === '') return undefined;
    if (part.startsWith(':')) params[part.slice(1)] = segment;
    else if (part !== segment) return undefined;
  }
  return params;
}

/** Cursors are opaque to clients; the prefix lets us reject ones we did not issue. */
const CURSOR_PREFIX = 'o:';
const encodeCursor = (offset: number): string => Buffer.from(`${CURSOR_PREFIX}${offset}`).toString('base64url');

function decodeCursor(cursor: string): number | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^o:(0|-?[1-9]\d{0,8})$/.exec(text);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

function parseLimit(text: string | null, fallback: number): number | undefined {
  if (text === null || text === '') return fallback;
  if (!/^\d{1,4}$/.test(text)) return undefined;
  const limit = Number(text);
  return limit >= 1 && limit <= MAX_PAGE_SIZE ? limit : undefined;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const isEngineItem = (v: unknown): v is EngineItem =>
  isObject(v) && typeof v['id'] === 'string' && typeof v['text'] === 'string';

const isNumberRecord = (v: unknown): v is Record<string, number> =>
  isObject(v) && Object.values(v).every((n) => typeof n === 'number' && Number.isFinite(n));

function parseJson(body: Buffer | undefined): unknown {
  if (body === undefined) return undefined;
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** The whole request body, or undefined past the limit (still drained, so keep-alive survives). */
async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= MAX_REQUEST_BODY_BYTES) chunks.push(chunk);
  }
  return size <= MAX_REQUEST_BODY_BYTES ? Buffer.concat(chunks) : undefined;
}

/** A body we can cut into pieces without holding all of it: oversize bodies may be huge. */
interface BodySource {
  length: number;
  slice(start: number, end: number): Buffer;
}

const bufferSource = (buffer: Buffer): BodySource => ({
  length: buffer.length,
  slice: (start, end) => buffer.subarray(start, end),
});

/** `{"padding":"xxx…"}`, exactly `bytes` long (just a cut prefix of the framing if that is longer). */
function oversizeSource(bytes: number): BodySource {
  const head = Buffer.from('{"padding":"');
  const tail = Buffer.from('"}');
  if (bytes < head.length + tail.length) return bufferSource(Buffer.concat([head, tail]).subarray(0, bytes));
  const tailStart = bytes - tail.length;
  return {
    length: bytes,
    slice(start, end) {
      const out = Buffer.alloc(end - start, 'x');
      if (start < head.length) head.copy(out, 0, start, Math.min(head.length, end));
      if (end > tailStart) tail.copy(out, Math.max(0, tailStart - start), Math.max(0, start - tailStart));
      return out;
    },
  };
}

/** A proper prefix of a JSON document never parses; Prometheus gets lines no parser accepts. */
function malformedPayload(answer: Answer): Buffer {
  const cut = answer.payload.subarray(0, Math.max(1, Math.floor(answer.payload.length / 2)));
  if (answer.format === 'json') return cut;
  return Buffer.concat([
    cut,
    Buffer.from('\n}}garbage{{ = = =\nhttp_requests_total{code="2xx" NaNbutnot\n\u0000\u0001\n'),
  ]);
}

function headersFor(answer: Answer, length: number): Record<string, string | number> {
  return {
    'content-type': answer.format === 'json' ? JSON_TYPE : PROMETHEUS_TYPE,
    'content-length': length,
    ...answer.headers,
  };
}

async function writeAnswer(
  res: ServerResponse,
  answer: Answer,
  fault: BodyFault | undefined,
  slowBodyMs: number,
  signal: AbortSignal,
): Promise<void> {
  const source =
    fault?.kind === 'oversize'
      ? oversizeSource(fault.bytes)
      : fault?.kind === 'malformed'
        ? bufferSource(malformedPayload(answer))
        : bufferSource(answer.payload);
  res.writeHead(answer.status, headersFor(answer, source.length));
  if (slowBodyMs <= 0) {
    await writeRange(res, source, 0, source.length, signal);
  } else {
    res.flushHeaders(); // the status arrives on time; only the body dribbles
    // No empty pieces: the client is done at the last byte, which must come at slowBodyMs, not sooner.
    const pieces = Math.max(1, Math.min(SLOW_BODY_PIECES, source.length));
    const at = (i: number): number => Math.floor((i * source.length) / pieces);
    for (let i = 0; i < pieces; i++) {
      await sleep(slowBodyMs / pieces, undefined, { signal });
      await writeRange(res, source, at(i), at(i + 1), signal);
    }
  }
  res.end();
}

async function writeRange(
  res: ServerResponse,
  source: BodySource,
  start: number,
  end: number,
  signal: AbortSignal,
): Promise<void> {
  for (let at = start; at < end; at += CHUNK_BYTES) {
    if (!res.write(source.slice(at, Math.min(end, at + CHUNK_BYTES)))) await once(res, 'drain', { signal });
  }
}

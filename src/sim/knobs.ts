/**
 * Fault knobs: validating them, layering them for one request, and turning them into a plan
 * (what to break, how long to wait) with that request's seeded RNG.
 */
import { normalFrom, type Rng } from './random';
import type { Knobs, LatencyKnob, RouteKey } from './types';

export const ROUTE_KEYS: readonly RouteKey[] = [
  'social.profile',
  'social.posts',
  'engine.extract',
  'engine.limits',
  'experiments.weights',
  'services.health',
  'services.metrics',
  'services.metricsJson',
];

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** True for 'social.posts' and for 'social.posts:acct-7' (a route key with a target). */
export function isKnobKey(key: string): boolean {
  const colon = key.indexOf(':');
  const route = colon === -1 ? key : key.slice(0, colon);
  return (ROUTE_KEYS as readonly string[]).includes(route) && (colon === -1 || colon < key.length - 1);
}

const RATES = ['errorRate', 'rateLimitRate', 'hangRate', 'malformedRate', 'resetRate'] as const;
const KNOB_NAMES: ReadonlySet<string> = new Set<keyof Knobs>([
  'latencyMs',
  'errorStatus',
  'rateLimitFirst',
  'retryAfterSeconds',
  'retryAfterHttpDate',
  'slowBodyMs',
  'oversizeBytes',
  'limitPerSecond',
  'limitBurst',
  'limitBucket',
  ...RATES,
]);

const isMs = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

function validLatency(v: unknown): v is LatencyKnob {
  if (isMs(v)) return true;
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  switch (o['dist']) {
    case 'fixed':
      return isMs(o['ms']);
    case 'uniform':
      return isMs(o['minMs']) && isMs(o['maxMs']) && o['minMs'] <= o['maxMs'];
    case 'lognormal':
      return isMs(o['p50Ms']) && isMs(o['p99Ms']) && o['p50Ms'] > 0 && o['p50Ms'] <= o['p99Ms'];
    default:
      return false;
  }
}

/** Checks knobs from an untrusted source (a POST body, a query string); drops undefined entries. */
export function parseKnobs(value: unknown): Parsed<Knobs> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, error: 'knobs must be an object' };
  }
  const knobs: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(value)) {
    if (v === undefined) continue; // so a later layer never blanks an earlier one
    if (!KNOB_NAMES.has(name)) return { ok: false, error: `unknown knob ${name}` };
    const valid =
      name === 'latencyMs'
        ? validLatency(v)
        : name === 'errorStatus'
          ? Number.isInteger(v) && (v as number) >= 400 && (v as number) <= 599
          : name === 'rateLimitFirst' || name === 'oversizeBytes'
            ? isCount(v)
            : name === 'retryAfterSeconds' || name === 'slowBodyMs'
              ? isMs(v)
              : name === 'retryAfterHttpDate'
                ? typeof v === 'boolean'
                : name === 'limitPerSecond'
                  ? isMs(v) && v > 0
                  : name === 'limitBurst'
                    ? isMs(v) && v >= 1
                    : name === 'limitBucket'
                      ? typeof v === 'string' && /^[A-Za-z0-9_.:-]{1,64}$/.test(v)
                      : isMs(v) && v <= 1; // the rates
    if (!valid) return { ok: false, error: `invalid value for knob ${name}` };
    knobs[name] = v;
  }
  return { ok: true, value: knobs as Knobs };
}

const QUERY_PREFIX = 'sim_';

/** `?sim_latencyMs=50&sim_errorRate=1` -> knobs. Only scalars fit in a query: latency is plain ms. */
export function parseQueryKnobs(query: URLSearchParams): Parsed<Knobs> {
  const raw: Record<string, unknown> = {};
  for (const [param, text] of query) {
    if (!param.startsWith(QUERY_PREFIX)) continue;
    const name = param.slice(QUERY_PREFIX.length);
    if (name === 'limitBucket') {
      raw[name] = text;
    } else if (name === 'retryAfterHttpDate') {
      raw[name] = text === 'true' || text === '1' ? true : text === 'false' || text === '0' ? false : text;
    } else {
      raw[name] = text.trim() === '' ? text : Number(text); // Number('') is 0, which would hide a typo
    }
  }
  const parsed = parseKnobs(raw);
  return parsed.ok ? parsed : { ok: false, error: parsed.error.replace('knob ', `query parameter ${QUERY_PREFIX}`) };
}

/** The knobs in force for one request, and which key's request count `rateLimitFirst` counts. */
export interface ResolvedKnobs {
  knobs: Knobs;
  stormKey: string;
}

/**
 * Layers, later winning per knob: the route key, then `route:target`, then the query string.
 * `lookup` answers the knobs configured for one key (runtime knobs replace config ones upstream).
 */
export function resolveKnobs(
  lookup: (key: string) => Knobs | undefined,
  route: RouteKey,
  target: string | undefined,
  query: Knobs,
): ResolvedKnobs {
  const targetKey = target === undefined ? undefined : `${route}:${target}`;
  const byRoute = lookup(route) ?? {};
  const byTarget = (targetKey === undefined ? undefined : lookup(targetKey)) ?? {};
  // A storm set for one target is that target's storm: its first N requests, not the route's.
  const stormKey = targetKey !== undefined && byTarget.rateLimitFirst !== undefined ? targetKey : route;
  return { knobs: { ...byRoute, ...byTarget, ...query }, stormKey };
}

/** Median and 99th percentile of a standard normal are 0 and this many sigmas. */
const Z99 = 2.326;

/** Consumes exactly two draws whatever the knob, so other decisions stay deterministic. */
export function sampleLatency(knob: LatencyKnob | undefined, rng: Rng): number {
  const u = rng();
  const v = rng();
  if (knob === undefined) return 0;
  if (typeof knob === 'number') return knob;
  switch (knob.dist) {
    case 'fixed':
      return knob.ms;
    case 'uniform':
      return knob.minMs + u * (knob.maxMs - knob.minMs);
    case 'lognormal': {
      const sigma = Math.log(knob.p99Ms / knob.p50Ms) / Z99;
      return Math.exp(Math.log(knob.p50Ms) + sigma * normalFrom(u, v));
    }
  }
}

export type Fault =
  | { kind: 'reset' }
  | { kind: 'hang' }
  | { kind: 'rateLimited'; retryAfter: string }
  | { kind: 'error'; status: number };

export type BodyFault = { kind: 'malformed' } | { kind: 'oversize'; bytes: number };

export interface Plan {
  fault: Fault | undefined;
  latencyMs: number;
  bodyFault: BodyFault | undefined;
  slowBodyMs: number;
}

/**
 * Decides one request's fate. `stormIndex` is how many requests the storm key had before this one;
 * `nowMs` only feeds the Retry-After date. Every random draw happens whatever the knobs are, in a
 * fixed order, so the same request number always gets the same numbers.
 */
export function planRequest(knobs: Knobs, rng: Rng, stormIndex: number, nowMs: number): Plan {
  const [reset, hang, rateLimit, error, malformed] = [rng(), rng(), rng(), rng(), rng()] as const;
  const latencyMs = sampleLatency(knobs.latencyMs, rng);
  const bodyFault: BodyFault | undefined =
    knobs.oversizeBytes !== undefined
      ? { kind: 'oversize', bytes: knobs.oversizeBytes }
      : malformed < (knobs.malformedRate ?? 0)
        ? { kind: 'malformed' }
        : undefined;
  const plan = (fault: Fault | undefined): Plan => ({ fault, latencyMs, bodyFault, slowBodyMs: knobs.slowBodyMs ?? 0 });

  if (reset < (knobs.resetRate ?? 0)) return plan({ kind: 'reset' });
  if (hang < (knobs.hangRate ?? 0)) return plan({ kind: 'hang' });
  if (stormIndex < (knobs.rateLimitFirst ?? 0) || rateLimit < (knobs.rateLimitRate ?? 0)) {
    return plan({ kind: 'rateLimited', retryAfter: retryAfter(knobs, nowMs) });
  }
  if (error < (knobs.errorRate ?? 0)) return plan({ kind: 'error', status: knobs.errorStatus ?? 503 });
  return plan(undefined);
}

function retryAfter(knobs: Knobs, nowMs: number): string {
  const seconds = knobs.retryAfterSeconds ?? 1;
  if (!knobs.retryAfterHttpDate) return String(Math.ceil(seconds));
  // HTTP dates have whole seconds; round up so a client never retries earlier than asked.
  return new Date(Math.ceil((nowMs + seconds * 1000) / 1000) * 1000).toUTCString();
}

/** A token bucket's answer for one request: let through or not, what is left, and when to come back. */
export interface BucketDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Whole seconds until the bucket is full again (RateLimit-Reset). */
  resetSeconds: number;
  /** Whole seconds until a token is back, at least 1 (Retry-After on a refusal). */
  retryAfterSeconds: number;
}

export interface TokenBucket {
  tokens: number;
  atMs: number;
}

/** Takes one token from `bucket` (refilled at `perSecond` up to `burst` since its last use), if there is one. */
export function takeToken(bucket: TokenBucket, perSecond: number, burst: number, nowMs: number): BucketDecision {
  bucket.tokens = Math.min(burst, bucket.tokens + ((nowMs - bucket.atMs) / 1000) * perSecond);
  bucket.atMs = nowMs;
  const allowed = bucket.tokens >= 1;
  if (allowed) bucket.tokens -= 1;
  return {
    allowed,
    limit: Math.floor(burst),
    remaining: Math.floor(bucket.tokens),
    resetSeconds: Math.ceil((burst - bucket.tokens) / perSecond),
    retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond)),
  };
}

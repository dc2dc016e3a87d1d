import type { Redis as RedisClient } from 'ioredis';
import type { RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';
import type { Clock } from '../clock';
import type { RateLimitMetrics } from '../metrics/registry';
import { initialState, type RateState } from './adaptive-rate';
import { createLocalInFlight, createRedisInFlight } from './in-flight';
import type { UpstreamLimit } from './limits-spec';
import { readQuota } from './rate-limit-headers';
import { createMemoryStore, createRedisStore, type StateStore } from './shared-state';

/**
 * One upstream's limiter, in the request path of every call to it (src/http/upstream.ts): a request
 * waits here, before it takes a connection, until the fleet's rate, in-flight and per-key limits let
 * it go; its answer then feeds the adaptive rate back.
 */
export interface UpstreamLimiter {
  readonly upstream: string;
  /**
   * A permit, or a refusal when the upstream is closed (paused, or its window spent) for longer than
   * `maxWaitMs`: the caller ends its attempt with `retryAfterMs` as the next retry delay rather than
   * sleep in a worker slot. Waiting behind this worker's own earlier requests is not refused: that
   * queue moves at the allowed rate. Rejects with the signal's reason when it aborts.
   */
  acquire(options?: { signal?: AbortSignal; key?: string }): Promise<Permit | Refusal>;
  /** Stops the refresh timer. */
  close(): void;
}

export interface Permit {
  readonly kind: 'permit';
  /** The answer (status, headers, Retry-After when present), or undefined when none came. Call once. */
  release(answer?: {
    status: number;
    headers: Record<string, string | string[] | undefined>;
    retryAfterMs?: number;
  }): void;
}

export interface Refusal {
  readonly kind: 'refusal';
  retryAfterMs: number;
}

export interface UpstreamLimiterOptions {
  upstream: string;
  limit: UpstreamLimit;
  clock: Clock;
  metrics: RateLimitMetrics;
  /** Longest wait for a closed upstream before the attempt is ended instead. @default 1000 */
  maxWaitMs: number;
  /** Workers assumed alive before Redis has said, or when there is no Redis: the local share is limit / this. @default 1 */
  expectedWorkers: number;
  /** Shared with every limiter of this process; undefined: this process alone (local share). */
  redis?: { client: RedisClient; workerId: string };
  /** An in-flight lease outlives a dead worker by at most this. @default 60000 */
  leaseMs?: number;
  /** How often the shared state is read (and this worker's liveness written). @default 250 */
  refreshMs?: number;
  warn?: (message: string) => void;
  info?: (message: string) => void;
}

/** Points per request at the ceiling: the adaptive rate is applied as a cost per request, so one fixed window serves any rate. */
const SCALE = 100;
const KEY_PREFIX = 'viralflow:ratelimit';
/** A worker gone quiet this long is no longer counted in the live workers. */
const WORKER_TTL_MS = 5_000;
const IN_FLIGHT_POLL_MS = 10;
/** Requests of one worker asking the limiters at once. */
const LANES = 8;
const NO_DEFAULT_RETRY_AFTER_MS = 1_000;
/** The one window key of an upstream's rate (keys of per-key limits are the callers'). */
const RATE_KEY = 'fleet';

type Rlf = typeof import('rate-limiter-flexible');

export function createUpstreamLimiter(o: UpstreamLimiterOptions): UpstreamLimiter {
  // Loaded only when a limit is configured; fixed windows (rate-limiter-flexible's Redis limiter is one
  // atomic INCR per request), a second long, or longer for limits under a request a second.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a synchronous lazy load; import() is async
  const rlf = require('rate-limiter-flexible') as Rlf;
  const { upstream, limit, clock, metrics } = o;
  const ceiling = limit.perSecond;
  const windowSeconds = Math.max(1, Math.ceil(1 / (ceiling * 0.05)));
  const points = Math.max(1, Math.round(ceiling * windowSeconds * SCALE));
  const prefix = `${KEY_PREFIX}:${upstream}`;
  const refreshMs = o.refreshMs ?? 250;
  const labels = { upstream };
  const warn = o.warn ?? ((m: string) => console.warn(m));
  const info = o.info ?? ((m: string) => console.info(m));

  // Shared mode: Redis holds the window, the leases and the adaptive state.
  const redis = o.redis && {
    rate: new rlf.RateLimiterRedis({
      storeClient: o.redis.client,
      keyPrefix: `${prefix}:rate`,
      points,
      duration: windowSeconds,
      rejectIfRedisNotReady: true,
    }),
    perKey:
      limit.perKeyPerSecond === undefined
        ? undefined
        : new rlf.RateLimiterRedis({
            storeClient: o.redis.client,
            keyPrefix: `${prefix}:key`,
            ...keyWindow(limit.perKeyPerSecond, 1),
            rejectIfRedisNotReady: true,
          }),
    inFlight:
      limit.inFlight === undefined
        ? undefined
        : createRedisInFlight(
            o.redis.client,
            `${prefix}:inflight`,
            limit.inFlight,
            o.leaseMs ?? 60_000,
            o.redis.workerId,
          ),
    store: createRedisStore({
      client: o.redis.client,
      prefix,
      workersKey: `${KEY_PREFIX}:workers`,
      workerId: o.redis.workerId,
      ceiling,
      workerTtlMs: WORKER_TTL_MS,
    }),
  };

  // Local mode: this worker's share, limit / live workers (as last known). Rebuilt when that count changes.
  let workers = Math.max(1, o.expectedWorkers);
  let local = buildLocal(workers, initialState(ceiling));
  function buildLocal(n: number, seed: RateState) {
    // The window holds at least one request at the ceiling's cost: a share under one request per fleet
    // window (a low limit over many workers) gets a longer window, not one that admits nothing.
    const localSeconds = Math.max(windowSeconds, Math.ceil(n / ceiling));
    const localPoints = Math.max(SCALE, Math.round((ceiling * localSeconds * SCALE) / n));
    return {
      workers: n,
      points: localPoints,
      windowMs: localSeconds * 1_000,
      rate: new rlf.RateLimiterMemory({ keyPrefix: `${prefix}:rate`, points: localPoints, duration: localSeconds }),
      perKey:
        limit.perKeyPerSecond === undefined
          ? undefined
          : new rlf.RateLimiterMemory({ keyPrefix: `${prefix}:key`, ...keyWindow(limit.perKeyPerSecond, n) }),
      inFlight:
        limit.inFlight === undefined
          ? undefined
          : createLocalInFlight(() => Math.max(1, Math.floor(limit.inFlight! / n))),
      store: createMemoryStore(ceiling, n, seed),
    };
  }

  let shared = false;
  /** After a fallback, Redis is not asked again before this (a breaker's open time). */
  let localUntil = 0;
  let state: RateState = initialState(ceiling);
  let clean = false;
  let slowed = false;

  const publish = () => {
    metrics.allowedRate.set(labels, shared ? state.rate : state.rate / workers);
    metrics.paused.set(labels, Math.max(0, state.pausedUntil - clock.now()) / 1000);
    metrics.shared.set(labels, shared ? 1 : 0);
  };
  const goLocal = (err: unknown) => {
    if (!shared) return;
    shared = false;
    local = buildLocal(workers, state);
    // The shared window may be spent already: the local share starts with the next window, not on top of it.
    void local.rate.penalty(RATE_KEY, local.points);
    // Stay local for two windows: a Redis that answers refreshes but fails rate checks would otherwise
    // flap, spending a fresh local window at every fallback and admitting nothing.
    localUntil = clock.now() + 2 * local.windowMs;
    metrics.fallbacks.inc(labels);
    warn(
      `rate limit ${upstream}: Redis unavailable, limiting to this worker's share (1/${workers}) (${describe(err)})`,
    );
    publish();
  };

  const refresh = async (): Promise<void> => {
    const now = clock.now();
    const wasClean = clean && !slowed;
    clean = false;
    slowed = false;
    if (redis && now >= localUntil) {
      try {
        const view = await redis.store.refresh(now, wasClean);
        state = view.state;
        if (view.workers !== workers) {
          workers = view.workers;
          local = buildLocal(workers, state);
        }
        if (!shared) {
          shared = true;
          info(`rate limit ${upstream}: shared through Redis (${workers} worker${workers === 1 ? '' : 's'} alive)`);
        }
        publish();
        return;
      } catch (err) {
        goLocal(err);
      }
    }
    state = (await local.store.refresh(now, wasClean)).state;
    publish();
  };
  let busy = true;
  const refreshing = refresh().finally(() => (busy = false));
  // A slow Redis must not pile refreshes up: a tick that finds one running skips.
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void refresh().finally(() => (busy = false));
  }, refreshMs);
  timer.unref();

  /** Feeds a slow-down answer to the shared state (and at once to this worker's view). */
  const slowDown = (pauseMs: number, admittedAt: number, decrease: boolean) => {
    const now = clock.now();
    slowed = true;
    state = { ...state, pausedUntil: Math.max(state.pausedUntil, now + pauseMs) };
    const store: StateStore = shared && redis ? redis.store : local.store;
    store.slowDown(now, pauseMs, admittedAt, decrease).then(
      (next) => {
        state = next;
        publish();
      },
      (err) => goLocal(err),
    );
    publish();
  };

  // One queue per upstream per worker: only the few requests at its front (one per lane) ask the
  // limiters, so waiting requests do not each poll Redis, and they go about in the order they came.
  // Several lanes, so a slow round trip to Redis (a busy host) does not cap this worker's rate.
  interface Waiter {
    signal: AbortSignal | undefined;
    enqueuedAt: number;
    resolve(result: Permit | Refusal): void;
    reject(reason: unknown): void;
  }
  const queue: Waiter[] = [];
  let lanes = 0;
  const wakers = new Set<() => void>();
  /** Waits `ms`; a wait for an in-flight slot (`onRelease`) also ends when this worker releases one. */
  const nap = (ms: number, onRelease = false) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(t);
        wakers.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      if (onRelease) wakers.add(done);
    });

  type Admission =
    { kind: 'admitted'; release: (() => void) | undefined } | { kind: 'closed'; ms: number } | { kind: 'busy' };

  const consume = async (limiter: RateLimiterAbstract, key: string, cost: number): Promise<number> => {
    try {
      await limiter.consume(key, cost);
      return 0;
    } catch (res) {
      if (res instanceof Error) throw res;
      return Math.max(1, (res as RateLimiterRes).msBeforeNext);
    }
  };

  const tryAdmit = async (): Promise<Admission> => {
    const now = clock.now();
    const pause = state.pausedUntil - now;
    if (pause > 0) return { kind: 'closed', ms: pause };
    const mode = shared && redis ? redis : local;
    // A request never costs more than its window holds, or it would wait for it for ever.
    const cost = Math.min(
      mode === redis ? points : local.points,
      Math.max(1, Math.round((SCALE * ceiling) / state.rate)),
    );
    let release: (() => void) | undefined;
    try {
      release = mode.inFlight ? await mode.inFlight.tryTake() : undefined;
      if (mode.inFlight && !release) return { kind: 'busy' };
      const ms = await consume(mode.rate, RATE_KEY, cost);
      if (ms > 0) {
        release?.();
        return { kind: 'closed', ms };
      }
      return { kind: 'admitted', release };
    } catch (err) {
      release?.(); // a lease taken before the rate check failed is given back, not left to expire
      if (mode !== redis) throw err;
      goLocal(err);
      return tryAdmit();
    }
  };

  const permit = (admittedAt: number, releaseLease: (() => void) | undefined): Permit => ({
    kind: 'permit',
    release(answer) {
      releaseLease?.();
      for (const w of [...wakers]) w();
      if (!answer) return;
      const retryAfter = answer.retryAfterMs;
      if (answer.status === 429 || (answer.status === 503 && retryAfter !== undefined)) {
        slowDown(retryAfter ?? NO_DEFAULT_RETRY_AFTER_MS, admittedAt, true);
        return;
      }
      if (answer.status < 200 || answer.status > 299) return;
      clean = true;
      const quota = readQuota(answer.headers, clock.now());
      // Spent: wait for the refill the upstream announced, without lowering the rate (nothing was refused).
      if (quota?.remaining === 0) slowDown(quota.resetMs ?? NO_DEFAULT_RETRY_AFTER_MS, admittedAt, false);
    },
  });

  const lane = async () => {
    let w: Waiter | undefined;
    try {
      await refreshing;
      for (w = queue.shift(); w; w = queue.shift()) {
        if (w.signal?.aborted) {
          w.reject(w.signal.reason);
          continue;
        }
        const admission = await tryAdmit();
        if (admission.kind === 'admitted') {
          const now = clock.now();
          metrics.waitSeconds.observe(labels, (now - w.enqueuedAt) / 1000);
          if (w.signal?.aborted) {
            admission.release?.();
            w.reject(w.signal.reason);
          } else {
            w.resolve(permit(now, admission.release));
          }
          continue;
        }
        queue.unshift(w); // back to the front: it keeps its place
        if (admission.kind === 'busy') {
          await nap(IN_FLIGHT_POLL_MS, true);
        } else if (admission.ms > o.maxWaitMs) {
          // Everyone queued would wait at least as long: all of them end their attempts now.
          for (const r of queue.splice(0)) r.resolve({ kind: 'refusal', retryAfterMs: Math.ceil(admission.ms) });
          metrics.refusals.inc(labels);
        } else {
          await nap(admission.ms);
        }
      }
    } catch (err) {
      // The waiter being admitted is out of the queue: it fails with the others, it is not forgotten.
      for (const r of w && !queue.includes(w) ? [w, ...queue.splice(0)] : queue.splice(0)) r.reject(err);
    } finally {
      lanes--;
    }
  };
  const pump = () => {
    while (lanes < Math.min(LANES, queue.length)) {
      lanes++;
      void lane();
    }
  };

  const perKeyWait = async (key: string, signal: AbortSignal | undefined): Promise<Refusal | undefined> => {
    for (;;) {
      signal?.throwIfAborted();
      const mode = shared && redis ? redis : local;
      let ms: number;
      try {
        ms = await consume(mode.perKey!, key, 1);
      } catch (err) {
        if (mode !== redis) throw err;
        goLocal(err);
        continue;
      }
      if (ms === 0) return undefined;
      if (ms > o.maxWaitMs) return { kind: 'refusal', retryAfterMs: ms };
      await new Promise((r) => setTimeout(r, ms));
    }
  };

  return {
    upstream,
    async acquire({ signal, key } = {}) {
      signal?.throwIfAborted();
      const enqueuedAt = clock.now();
      if (key !== undefined && limit.perKeyPerSecond !== undefined) {
        const refused = await perKeyWait(key, signal);
        if (refused) {
          metrics.refusals.inc(labels);
          return refused;
        }
      }
      return new Promise<Permit | Refusal>((resolve, reject) => {
        // Callers share one signal across many requests: the listener goes as soon as this one is settled.
        // A waiter being admitted is out of the queue: its lane sees the abort when the admission is done.
        const onAbort = () => {
          const at = queue.indexOf(waiter);
          if (at >= 0) {
            queue.splice(at, 1);
            waiter.reject(signal!.reason);
          }
        };
        const settled = () => signal?.removeEventListener('abort', onAbort);
        const waiter: Waiter = {
          signal,
          enqueuedAt,
          resolve: (result) => {
            settled();
            resolve(result);
          },
          reject: (reason) => {
            settled();
            reject(reason);
          },
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        queue.push(waiter);
        pump();
      });
    },
    close() {
      clearInterval(timer);
    },
  };
}

/** Per-key windows: whole seconds, at least one request each; the local share divides the points. */
function keyWindow(perSecond: number, share: number): { points: number; duration: number } {
  const duration = Math.max(1, Math.ceil(1 / perSecond));
  return { points: Math.max(1, Math.floor((perSecond * duration) / share)), duration };
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

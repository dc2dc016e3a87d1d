import { MalformedResponseError } from '../http/errors';
import type { Upstream } from '../http/upstream';
import type { SourceHttp } from './types';

export interface SourceHttpOptions {
  /** Deadline for each exchange, body included. @default the pool's headers timeout */
  timeoutMs?: number;
  /** The activity's cancellation: every request made through the helper carries it. */
  signal?: AbortSignal;
  /** Told the upstream's own time for each answered exchange (limiter waits and parsing left out). */
  observe?(elapsedMs: number): void;
}

/**
 * The request helper an activity hands a source: the source says what to ask; the pool, the rate
 * limit, the deadline and the cancellation are the activity's. Cheap enough to make one per call.
 */
export function createSourceHttp(upstream: Upstream, options: SourceHttpOptions = {}): SourceHttp {
  const { timeoutMs, signal, observe } = options;
  let lastPath = '/';
  return {
    origin: upstream.origin,
    async json(req, schema) {
      lastPath = req.path;
      const full = {
        ...(req.method !== undefined && { method: req.method }),
        path: req.path,
        ...(req.query !== undefined && { query: req.query }),
        ...(req.json !== undefined && { json: req.json }),
        ...(timeoutMs !== undefined && { timeoutMs }),
        ...(signal !== undefined && { signal }),
      };
      if (!observe) return upstream.json(full, schema);
      const res = await upstream.send(full);
      observe(res.elapsedMs);
      return upstream.parse(res.body, req.path, schema);
    },
    malformed: (detail) => new MalformedResponseError(detail, upstream.origin, lastPath),
  };
}

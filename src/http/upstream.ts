import { EventEmitter } from 'node:events';
import type { z } from 'zod';
import type { Clock } from '../clock';
import {
  ForbiddenOriginError,
  jsonSyntaxError,
  MalformedResponseError,
  RateLimitedError,
  ResponseTooLargeError,
  UpstreamHttpError,
  UpstreamTimeoutError,
  UpstreamUnreachableError,
  redactor,
} from './errors';
import type { UpstreamLimiter } from '../rate-limit/upstream-limiter';
import { acceptsAsIs } from '../validation/exact-check';
import { subscribeAbort } from './abort-fan-out';
import type { HttpPool } from './pool';
import { parseRetryAfter } from './retry-after';

/** One configured third-party API. Its base URL comes from config, never from workflow input. */
export interface UpstreamConfig {
  name: string;
  baseUrl: string;
  /** Sent as a bearer token; kept out of errors, logs and metrics. */
  token?: string;
}

export interface UpstreamRequest {
  method?: 'GET' | 'POST' | 'PUT';
  /** Path below the base URL, starting with '/'; build it with `path` so segments are encoded. */
  path: string;
  query?: Record<string, string | number | undefined>;
  json?: unknown;
  /** Deadline for the whole exchange, body included (default: the pool's headers timeout). */
  timeoutMs?: number;
  /** Cancellation from the caller (e.g. the activity's), passed through untouched. */
  signal?: AbortSignal;
  /** Counts the request against the upstream's per-key limit (`perkey=` in VIRALFLOW_RATE_LIMITS), e.g. an account. */
  limitKey?: string;
}

export interface UpstreamResponse {
  status: number;
  body: string;
  /** Time from sending to the last body byte. */
  elapsedMs: number;
}

export interface Upstream {
  readonly name: string;
  readonly origin: string;
  /** Resolves with 2xx answers; rejects with a typed UpstreamError for anything else. */
  send(req: UpstreamRequest): Promise<UpstreamResponse>;
  /** `send` plus `parse`. */
  json<S extends z.ZodType>(req: UpstreamRequest, schema: S): Promise<z.output<S>>;
  /** JSON parsing and schema validation of a body from `send`; a mismatch is a MalformedResponseError (token redacted). */
  parse<S extends z.ZodType>(body: string, path: string, schema: S): z.output<S>;
}

/** Template tag that percent-encodes each interpolated value as one path segment. */
export function path(strings: TemplateStringsArray, ...segments: Array<string | number>): string {
  return strings.reduce(
    (out, s, i) => out + s + (i < segments.length ? encodeURIComponent(String(segments[i])) : ''),
    '',
  );
}

const SNIPPET_CHARS = 200;

/** `limiter`: the fleet's rate limit for this upstream; every request waits for it before taking a connection. */
export function createUpstream(
  pool: HttpPool,
  config: UpstreamConfig,
  clock: Clock,
  limiter?: UpstreamLimiter,
): Upstream {
  const base = new URL(config.baseUrl);
  const basePath = base.pathname.replace(/\/+$/, '');
  const headers: Record<string, string> = { accept: 'application/json, text/plain;q=0.9' };
  if (config.token) headers.authorization = `Bearer ${config.token}`;
  // What the upstream says goes into error messages, and from there into history and logs.
  const redact = redactor(config.token);

  const send = async (req: UpstreamRequest): Promise<UpstreamResponse> => {
    const url = new URL(basePath + req.path, base.origin);
    // A path like '//other.host/x' or '/..%2f' must not move the request to another origin.
    if (!req.path.startsWith('/') || url.origin !== base.origin) throw new ForbiddenOriginError(url.origin);
    for (const [key, value] of Object.entries(req.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const where = url.pathname;
    const timeoutMs = req.timeoutMs ?? pool.options.headersTimeoutMs;
    req.signal?.throwIfAborted();
    // Before the deadline starts: waiting for the limiter holds no connection and is not the upstream's slowness.
    const permit =
      limiter &&
      (await limiter.acquire({ signal: req.signal, ...(req.limitKey !== undefined && { key: req.limitKey }) }));
    if (permit?.kind === 'refusal') throw new RateLimitedError(permit.retryAfterMs, base.origin, where, 'limiter');
    // One switch and one timer per request. An AbortController (or AbortSignal.timeout/any) per request
    // costs an EventTarget each; undici takes an EventEmitter as the signal too.
    const abort = new AbortSwitch();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      abort.abort(undefined);
    }, timeoutMs);
    const unsubscribe = req.signal && subscribeAbort(req.signal, () => abort.abort(req.signal?.reason));
    const started = performance.now();

    let status: number;
    let body: string;
    let retryAfter: string | string[] | undefined;
    let answered: { status: number; headers: Record<string, string | string[] | undefined> } | undefined;
    try {
      const res = await pool.dispatcher.request({
        origin: base.origin,
        path: url.pathname + url.search,
        method: req.method ?? 'GET',
        headers: req.json === undefined ? headers : { ...headers, 'content-type': 'application/json' },
        body: req.json === undefined ? undefined : JSON.stringify(req.json),
        signal: abort,
        headersTimeout: timeoutMs,
        bodyTimeout: Math.min(timeoutMs, pool.options.bodyTimeoutMs),
      });
      status = res.statusCode;
      retryAfter = res.headers['retry-after'];
      answered = { status, headers: res.headers };
      body = await res.body.text();
    } catch (err) {
      if (req.signal?.aborted) throw req.signal.reason ?? err;
      const code = (err as { code?: unknown }).code;
      if (timedOut || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
        throw new UpstreamTimeoutError(timeoutMs, base.origin, where, { cause: err });
      }
      if (code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') {
        throw new ResponseTooLargeError(pool.options.maxResponseBytes, base.origin, where);
      }
      throw new UpstreamUnreachableError(base.origin, where, { cause: err });
    } finally {
      clearTimeout(timer);
      unsubscribe?.();
      permit?.release(
        answered && {
          ...answered,
          ...(retryAfter !== undefined && { retryAfterMs: parseRetryAfter(retryAfter, clock.now()) }),
        },
      );
    }

    if (status === 429) throw new RateLimitedError(parseRetryAfter(retryAfter, clock.now()), base.origin, where);
    if (status < 200 || status > 299) {
      // Redacted before it is cut, so a token straddling the cut cannot leave a piece behind.
      const snippet = redact(body.slice(0, SNIPPET_CHARS + (config.token?.length ?? 0))).slice(0, SNIPPET_CHARS);
      throw new UpstreamHttpError(status, base.origin, where, snippet);
    }
    return { status, body, elapsedMs: performance.now() - started };
  };

  const parse = <S extends z.ZodType>(body: string, where: string, schema: S): z.output<S> => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch (err) {
      throw new MalformedResponseError('body is not JSON', base.origin, where, { cause: jsonSyntaxError(err) });
    }
    if (acceptsAsIs(schema, parsed)) return parsed as z.output<S>;
    const result = schema.safeParse(parsed);
    if (!result.success) {
      const issue = result.error.issues[0];
      const at = issue?.path.length ? issue.path.join('.') : '(root)';
      throw new MalformedResponseError(redact(`${at}: ${issue?.message ?? 'unexpected shape'}`), base.origin, where, {
        cause: result.error,
      });
    }
    return result.data;
  };

  return {
    name: config.name,
    origin: base.origin,
    send,
    parse,
    json: async (req, schema) => parse((await send(req)).body, req.path, schema),
  };
}

/** A per-request abort for undici's `signal` option, which accepts an EventEmitter with `aborted` and `reason`. */
class AbortSwitch extends EventEmitter {
  aborted = false;
  reason: unknown;

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.emit('abort');
  }
}

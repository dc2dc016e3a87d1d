/**
 * Typed upstream errors. Each carries the origin and path it was about (never query strings or
 * headers, which may hold tokens) and the underlying cause, so a failure in the Web UI says what
 * went wrong where. Whether an error is worth retrying is decided once, here, by `retryable`.
 */
export abstract class UpstreamError extends Error {
  abstract readonly retryable: boolean;
  constructor(
    message: string,
    readonly origin: string,
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(`${message} (${origin}${path})`, options);
    this.name = new.target.name;
  }
}

/** The upstream answered a non-2xx status other than 429. 5xx and 408 are worth retrying; other 4xx are not. */
export class UpstreamHttpError extends UpstreamError {
  readonly retryable: boolean;
  constructor(
    readonly status: number,
    origin: string,
    path: string,
    readonly bodySnippet: string,
  ) {
    super(`upstream answered HTTP ${status}${bodySnippet ? `: ${bodySnippet}` : ''}`, origin, path);
    this.retryable = status >= 500 || status === 408;
  }
}

/**
 * 429: retry, but not before `retryAfterMs` (from Retry-After, or a default when the header is absent or bad).
 * `by: 'limiter'` when our own fleet limiter held the request back (the upstream is paused) and it was never sent.
 */
export class RateLimitedError extends UpstreamError {
  readonly retryable = true;
  constructor(
    readonly retryAfterMs: number,
    origin: string,
    path: string,
    readonly by: 'upstream' | 'limiter' = 'upstream',
  ) {
    super(
      by === 'limiter'
        ? `held back by the fleet rate limit; retry after ${retryAfterMs} ms`
        : `rate limited; retry after ${retryAfterMs} ms`,
      origin,
      path,
    );
  }
}

/** No answer (headers or body) within the deadline. */
export class UpstreamTimeoutError extends UpstreamError {
  readonly retryable = true;
  constructor(
    readonly timeoutMs: number,
    origin: string,
    path: string,
    options?: { cause?: unknown },
  ) {
    super(`no answer within ${timeoutMs} ms`, origin, path, options);
  }
}

/** Connection refused, reset, DNS failure: the upstream could not be talked to. */
export class UpstreamUnreachableError extends UpstreamError {
  readonly retryable = true;
  constructor(origin: string, path: string, options: { cause: unknown }) {
    super(`upstream unreachable: ${describeCause(options.cause)}`, origin, path, options);
  }
}

/** The body exceeded the pool's size cap; it was not buffered past the cap. Retrying won't shrink it. */
export class ResponseTooLargeError extends UpstreamError {
  readonly retryable = false;
  constructor(
    readonly limitBytes: number,
    origin: string,
    path: string,
  ) {
    super(`response body larger than the ${limitBytes}-byte cap`, origin, path);
  }
}

/** The body could not be parsed or did not match the expected shape. */
export class MalformedResponseError extends UpstreamError {
  readonly retryable = false;
  constructor(detail: string, origin: string, path: string, options?: { cause?: unknown }) {
    super(`malformed response: ${detail}`, origin, path, options);
  }
}

/** A URL outside the configured upstream origins: refused before any socket is opened (SSRF guard). */
export class ForbiddenOriginError extends Error {
  constructor(readonly origin: string) {
    super(`refusing to call ${origin}: not a configured upstream origin`);
    this.name = 'ForbiddenOriginError';
  }
}

/**
 * JSON.parse's error without V8's excerpt of the input (`Unexpected token 'B', "Bearer sk-1"... is not
 * valid JSON`): the excerpt quotes whatever the body held, credentials an upstream echoed back included,
 * and the error travels as a failure cause into workflow history and logs. Positions are kept.
 */
export function jsonSyntaxError(err: unknown): SyntaxError {
  const message = err instanceof Error ? err.message : String(err);
  return new SyntaxError(message.replace(/, ".*"(?:\.\.\.)? is not valid JSON$/s, ' (not valid JSON)'));
}

/**
 * Replaces every occurrence of `secret` (as is, and percent-encoded) in upstream-supplied text with
 * `[redacted]`: some APIs echo the credentials they were sent in their error bodies.
 */
export function redactor(secret: string | undefined): (text: string) => string {
  if (!secret) return (text) => text;
  const forms = [...new Set([secret, encodeURIComponent(secret)])];
  return (text) => forms.reduce((out, form) => out.split(form).join('[redacted]'), text);
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === 'string' ? `${code} ${cause.message}` : cause.message;
  }
  return String(cause);
}

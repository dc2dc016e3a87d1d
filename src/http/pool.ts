import { Agent, type Dispatcher } from 'undici';
import type { ViralflowMetrics } from '../metrics/registry';

export interface HttpPoolOptions {
  /** Keep-alive connections per origin: the ceiling on concurrent requests to one upstream. */
  connectionsPerOrigin: number;
  keepAliveTimeoutMs: number;
  connectTimeoutMs: number;
  /** Time allowed for the status line and headers. */
  headersTimeoutMs: number;
  /** Time allowed between two body chunks (a stalled body). */
  bodyTimeoutMs: number;
  /** Bodies larger than this are cut off while streaming, never buffered whole. */
  maxResponseBytes: number;
}

export const DEFAULT_POOL_OPTIONS: HttpPoolOptions = {
  connectionsPerOrigin: 32,
  keepAliveTimeoutMs: 30_000,
  connectTimeoutMs: 5_000,
  headersTimeoutMs: 10_000,
  bodyTimeoutMs: 10_000,
  maxResponseBytes: 8 * 1024 * 1024,
};

export interface OriginStats {
  requests: number;
  connections: number;
}

/** One keep-alive dispatcher shared by every activity in the process, with per-origin counts. */
export interface HttpPool {
  readonly dispatcher: Dispatcher;
  readonly options: HttpPoolOptions;
  /** Requests and new connections per origin since the pool was made. */
  stats(): Record<string, OriginStats>;
  close(): Promise<void>;
}

export function createHttpPool(
  overrides: Partial<HttpPoolOptions> = {},
  metrics?: Pick<ViralflowMetrics, 'httpRequests' | 'httpConnections'>,
): HttpPool {
  const options = { ...DEFAULT_POOL_OPTIONS, ...overrides };
  const counts = new Map<string, OriginStats>();
  const countsFor = (origin: string) => {
    let entry = counts.get(origin);
    if (!entry) counts.set(origin, (entry = { requests: 0, connections: 0 }));
    return entry;
  };

  const agent = new Agent({
    connections: options.connectionsPerOrigin,
    keepAliveTimeout: options.keepAliveTimeoutMs,
    keepAliveMaxTimeout: Math.max(options.keepAliveTimeoutMs, 60_000),
    connect: { timeout: options.connectTimeoutMs },
    headersTimeout: options.headersTimeoutMs,
    bodyTimeout: options.bodyTimeoutMs,
    maxResponseSize: options.maxResponseBytes,
  });

  // Counted on this agent rather than on undici's process-wide diagnostics channels: those also
  // see Node's built-in fetch and any other dispatcher in the process, which would skew the
  // reuse ratio of this pool.
  agent.on('connect', (origin) => {
    const key = originOf(origin);
    countsFor(key).connections++;
    metrics?.httpConnections.inc({ origin: key });
  });

  const recordRequest = (origin: string, status: string) => {
    countsFor(origin).requests++;
    metrics?.httpRequests.inc({ origin, status });
  };

  return {
    dispatcher: agent.compose(countingInterceptor(recordRequest)),
    options,
    stats: () => Object.fromEntries([...counts].map(([origin, s]) => [origin, { ...s }])),
    close: () => agent.close(),
  };
}

/** Records one request per dispatch with its status, or "error" when no response started. */
function countingInterceptor(
  record: (origin: string, status: string) => void,
): Dispatcher.DispatcherComposeInterceptor {
  // Normalized once per origin string rather than parsed as a URL on every request.
  const origins = new Map<string, string>();
  return (dispatch) => (opts, handler) => {
    const raw = opts.origin ?? '';
    let origin = typeof raw === 'string' ? origins.get(raw) : undefined;
    if (origin === undefined) {
      origin = originOf(raw);
      if (typeof raw === 'string') origins.set(raw, origin);
    }
    let answered = false;
    return dispatch(opts, {
      onRequestStart: (controller, context) => handler.onRequestStart?.(controller, context),
      onRequestUpgrade: (controller, status, headers, socket) =>
        handler.onRequestUpgrade?.(controller, status, headers, socket),
      onResponseStart: (controller, status, headers, message) => {
        answered = true;
        record(origin, String(status));
        return handler.onResponseStart?.(controller, status, headers, message);
      },
      onResponseData: (controller, chunk) => handler.onResponseData?.(controller, chunk),
      onResponseEnd: (controller, trailers) => handler.onResponseEnd?.(controller, trailers),
      onResponseError: (controller, error) => {
        if (!answered) record(origin, 'error');
        return handler.onResponseError?.(controller, error);
      },
    });
  };
}

function originOf(origin: string | URL): string {
  return typeof origin === 'string' ? new URL(origin).origin : origin.origin;
}

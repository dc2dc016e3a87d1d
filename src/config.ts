import { z } from 'zod';
import { ConfigError } from './config-error';
import { envSecret } from './env-secret';
import { DEFAULT_POOL_OPTIONS, type HttpPoolOptions } from './http/pool';
import type { UpstreamConfig } from './http/upstream';
import { parseRateLimits, type RateLimits } from './rate-limit/limits-spec';
import { temporalConfig, type TemporalConfig } from './temporal/connection-config';

export { ConfigError } from './config-error';
export type { TemporalConfig, TemporalTlsConfig } from './temporal/connection-config';

/** Where the standalone simulator listens, and so where every upstream points by default. */
export const DEFAULT_SIM_URL = 'http://127.0.0.1:8787';
export const DEFAULT_SERVICES = ['api', 'auth', 'billing', 'search', 'feed'];

export interface ViralflowConfig {
  temporal: TemporalConfig;
  /** Our prom-client registry: activity histograms, HTTP pool, caches, circuits, process. */
  metrics: { host: string; port: number };
  /** The Temporal SDK core's own Prometheus exporter (poller, slot, latency metrics); 0 turns it off. */
  temporalMetricsPort: number;
  maxConcurrentActivities: number;
  /** The worker process's memory budget in MB (VIRALFLOW_MEMORY_MB); absent: the container's limit, else a default per role. */
  memoryBudgetMB?: number;
  /**
   * What this worker process polls for: `all`, or one side only, so activity workers (I/O, scaled by
   * upstream load) and workflow workers (CPU, the sandbox) can be sized and scaled apart.
   */
  role: WorkerRole;
  http: HttpPoolOptions;
  social: UpstreamConfig;
  engine: UpstreamConfig;
  experiments: UpstreamConfig;
  /** Named services for health checks and metrics collection: workflow input names them, config locates them. */
  services: Record<string, UpstreamConfig>;
  dataDir: string;
  redisUrl?: string;
  /** The shared PostgreSQL results store; absent: results stay in files under `dataDir` (one machine only). */
  database?: DatabaseConfig;
  /** Fleet-wide, adaptive limits per upstream (shared through Redis when REDIS_URL is set); absent: no limits. */
  rateLimits?: RateLimitConfig;
  /** A module exporting `createSources` (src/sources/types.ts), loaded by `loadSources`; absent: the HTTP contract. */
  sourcesModule?: string;
}

export interface DatabaseConfig {
  /** `postgres://user:password@host:port/database`, the password filled in from a file when given so. */
  url: string;
  /** Connections in each worker process's pool, shared by all its activities. @default 10 */
  poolMax: number;
}

export interface RateLimitConfig {
  /** By upstream name: `social`, `engine`, `experiments` or a service name. */
  limits: RateLimits;
  /** Longest a request waits for a paused or spent upstream before its attempt ends (next retry after the wait). @default 1000 */
  maxWaitMs: number;
  /** Workers assumed alive until Redis tells (and without Redis): each keeps to limit / this. @default 1 */
  expectedWorkers: number;
}

export type WorkerRole = 'all' | 'activities' | 'workflows';

const port = z.coerce.number().int().min(0).max(65535);
const positive = z.coerce.number().int().positive();
const url = z.url({ protocol: /^https?$/ });

const envSchema = z.object({
  VIRALFLOW_TASK_QUEUE: z.string().min(1).default('viralflow'),
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  METRICS_PORT: port.default(9464),
  TEMPORAL_METRICS_PORT: port.default(9465),
  VIRALFLOW_MAX_CONCURRENT_ACTIVITIES: positive.default(100),
  VIRALFLOW_MEMORY_MB: positive.optional(),
  VIRALFLOW_WORKER_ROLE: z.enum(['all', 'activities', 'workflows']).default('all'),
  VIRALFLOW_HTTP_CONNECTIONS: positive.default(DEFAULT_POOL_OPTIONS.connectionsPerOrigin),
  VIRALFLOW_HTTP_TIMEOUT_MS: positive.default(DEFAULT_POOL_OPTIONS.headersTimeoutMs),
  VIRALFLOW_HTTP_MAX_BODY_BYTES: positive.default(DEFAULT_POOL_OPTIONS.maxResponseBytes),
  VIRALFLOW_UPSTREAM_URL: url.default(DEFAULT_SIM_URL),
  VIRALFLOW_SOCIAL_URL: url.optional(),
  VIRALFLOW_ENGINE_URL: url.optional(),
  VIRALFLOW_EXPERIMENTS_URL: url.optional(),
  VIRALFLOW_SERVICES: z.string().default(DEFAULT_SERVICES.join(',')),
  VIRALFLOW_DATA_DIR: z.string().min(1).default('.data'),
  REDIS_URL: z.string().min(1).optional(),
  VIRALFLOW_DATABASE_POOL_MAX: positive.default(10),
  VIRALFLOW_RATE_LIMITS: z
    .string()
    .transform((spec, ctx) => {
      const parsed = parseRateLimits(spec);
      if (parsed.ok) return parsed.value;
      ctx.addIssue({ code: 'custom', message: parsed.error });
      return z.NEVER;
    })
    .optional(),
  VIRALFLOW_RATE_LIMIT_MAX_WAIT_MS: z.coerce.number().int().min(0).max(60_000).default(1_000),
  VIRALFLOW_RATE_LIMIT_WORKERS: positive.default(1),
  VIRALFLOW_SOURCES_MODULE: z.string().min(1).optional(),
});

type Env = Record<string, string | undefined>;

/** Reads the whole configuration from the environment; a bad value throws a ConfigError naming the variable. */
export function loadConfig(env: Env = process.env): ViralflowConfig {
  const given: Env = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const parsed = envSchema.safeParse(given);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  }
  const e = parsed.data;
  const root = e.VIRALFLOW_UPSTREAM_URL.replace(/\/+$/, '');
  const upstream = (name: string, explicit: string | undefined, prefix: string): UpstreamConfig => ({
    name,
    baseUrl: explicit ?? `${root}${prefix}`,
    token: envSecret(env, `VIRALFLOW_${name.toUpperCase()}_TOKEN`),
  });

  const services = parseServices(e.VIRALFLOW_SERVICES, root);
  const limited = Object.keys(e.VIRALFLOW_RATE_LIMITS ?? {});
  const unknown = limited.filter((name) => !['social', 'engine', 'experiments'].includes(name) && !services[name]);
  if (unknown.length) {
    throw new ConfigError(
      `VIRALFLOW_RATE_LIMITS: no upstream named ${unknown.join(', ')} (social, engine, experiments or a service in VIRALFLOW_SERVICES)`,
    );
  }

  return {
    temporal: temporalConfig(given, e.VIRALFLOW_TASK_QUEUE),
    metrics: { host: e.METRICS_HOST, port: e.METRICS_PORT },
    temporalMetricsPort: e.TEMPORAL_METRICS_PORT,
    maxConcurrentActivities: e.VIRALFLOW_MAX_CONCURRENT_ACTIVITIES,
    ...(e.VIRALFLOW_MEMORY_MB !== undefined && { memoryBudgetMB: e.VIRALFLOW_MEMORY_MB }),
    role: e.VIRALFLOW_WORKER_ROLE,
    http: {
      ...DEFAULT_POOL_OPTIONS,
      connectionsPerOrigin: e.VIRALFLOW_HTTP_CONNECTIONS,
      headersTimeoutMs: e.VIRALFLOW_HTTP_TIMEOUT_MS,
      bodyTimeoutMs: e.VIRALFLOW_HTTP_TIMEOUT_MS,
      maxResponseBytes: e.VIRALFLOW_HTTP_MAX_BODY_BYTES,
    },
    social: upstream('social', e.VIRALFLOW_SOCIAL_URL, '/social'),
    engine: upstream('engine', e.VIRALFLOW_ENGINE_URL, '/engine'),
    experiments: upstream('experiments', e.VIRALFLOW_EXPERIMENTS_URL, '/experiments'),
    services,
    dataDir: e.VIRALFLOW_DATA_DIR,
    redisUrl: e.REDIS_URL,
    ...databaseConfig(env, e.VIRALFLOW_DATABASE_POOL_MAX),
    ...(limited.length > 0 && {
      rateLimits: {
        limits: e.VIRALFLOW_RATE_LIMITS!,
        maxWaitMs: e.VIRALFLOW_RATE_LIMIT_MAX_WAIT_MS,
        expectedWorkers: e.VIRALFLOW_RATE_LIMIT_WORKERS,
      },
    }),
    ...(e.VIRALFLOW_SOURCES_MODULE !== undefined && { sourcesModule: e.VIRALFLOW_SOURCES_MODULE }),
  };
}

/**
 * VIRALFLOW_DATABASE_URL (or VIRALFLOW_DATABASE_URL_FILE); a password from VIRALFLOW_DATABASE_PASSWORD_FILE
 * replaces the URL's own, so the URL itself can live in plain configuration. Messages never show the URL.
 */
function databaseConfig(env: Env, poolMax: number): { database?: DatabaseConfig } {
  const raw = envSecret(env, 'VIRALFLOW_DATABASE_URL');
  if (raw === undefined) {
    if (env.VIRALFLOW_DATABASE_PASSWORD_FILE) {
      throw new ConfigError('VIRALFLOW_DATABASE_PASSWORD_FILE is set but VIRALFLOW_DATABASE_URL is not');
    }
    return {};
  }
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError('VIRALFLOW_DATABASE_URL: not a URL (expected postgres://user:password@host:port/database)');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new ConfigError(`VIRALFLOW_DATABASE_URL: expected a postgres:// URL, got ${parsed.protocol}//…`);
  }
  if (!parsed.hostname || parsed.pathname.length < 2) {
    throw new ConfigError(
      'VIRALFLOW_DATABASE_URL: must name a host and a database (postgres://user:password@host:port/database)',
    );
  }
  // Only the _FILE form: a password in the environment beside the URL would be one more place to leak it.
  const password = env.VIRALFLOW_DATABASE_PASSWORD_FILE ? envSecret(env, 'VIRALFLOW_DATABASE_PASSWORD') : undefined;
  if (password !== undefined) parsed.password = encodeURIComponent(password);
  return { database: { url: parsed.toString(), poolMax } };
}

/** `name` (a simulator service) or `name=http://host:port/prefix`, comma-separated. */
function parseServices(spec: string, root: string): Record<string, UpstreamConfig> {
  const services: Record<string, UpstreamConfig> = {};
  for (const entry of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [name = '', explicit] = entry.split(/=(.*)/s, 2);
    if (!/^[a-z0-9][a-z0-9_.-]{0,62}$/i.test(name)) {
      throw new ConfigError(`VIRALFLOW_SERVICES: "${name}" is not a valid service name`);
    }
    const baseUrl = explicit ?? `${root}/services/${name}`;
    if (!url.safeParse(baseUrl).success) throw new ConfigError(`VIRALFLOW_SERVICES: ${name} has an invalid URL`);
    services[name] = { name, baseUrl };
  }
  return services;
}

import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { DEFAULT_POOL_OPTIONS, type HttpPoolOptions } from './http/pool';
import type { UpstreamConfig } from './http/upstream';

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
}

export interface DatabaseConfig {
  /** `postgres://user:password@host:port/database`, the password filled in from a file when given so. */
  url: string;
  /** Connections in each worker process's pool, shared by all its activities. @default 10 */
  poolMax: number;
}

export type WorkerRole = 'all' | 'activities' | 'workflows';

export interface TemporalConfig {
  address: string;
  namespace: string;
  taskQueue: string;
  /**
   * TLS to the Temporal frontend, or false for plaintext (the dev server). On when any TEMPORAL_TLS_*
   * file or TEMPORAL_TLS=true is given, and when an API key is (unless TEMPORAL_TLS=false says otherwise).
   */
  tls: TemporalTlsConfig | false;
  /** Sent as `Authorization: Bearer …` on every call (Temporal Cloud API keys); never logged. */
  apiKey?: string;
}

/** PEM contents, read and checked at start-up; the paths are kept for messages. */
export interface TemporalTlsConfig {
  /** CA that signed the server's certificate (TEMPORAL_TLS_CA); the system roots when absent. */
  serverRootCACertificate?: Buffer;
  /** mTLS client certificate and its key (TEMPORAL_TLS_CERT, TEMPORAL_TLS_KEY). */
  clientCertPair?: { crt: Buffer; key: Buffer };
  /** Name checked against the server's certificate instead of the address's host (TEMPORAL_TLS_SERVER_NAME). */
  serverNameOverride?: string;
  files: { ca?: string; cert?: string; key?: string };
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const port = z.coerce.number().int().min(0).max(65535);
const positive = z.coerce.number().int().positive();
const url = z.url({ protocol: /^https?$/ });

const envSchema = z.object({
  TEMPORAL_ADDRESS: z.string().min(1).default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TLS: z
    .enum(['true', 'false', '1', '0'], { error: 'must be true or false' })
    .transform((v) => v === 'true' || v === '1')
    .optional(),
  TEMPORAL_TLS_CERT: z.string().min(1).optional(),
  TEMPORAL_TLS_KEY: z.string().min(1).optional(),
  TEMPORAL_TLS_CA: z.string().min(1).optional(),
  // A DNS name: what the server's certificate must be issued for.
  TEMPORAL_TLS_SERVER_NAME: z
    .string()
    .regex(/^[A-Za-z0-9*]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/, 'must be a host name')
    .optional(),
  VIRALFLOW_TASK_QUEUE: z.string().min(1).default('viralflow'),
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  METRICS_PORT: port.default(9464),
  TEMPORAL_METRICS_PORT: port.default(9465),
  VIRALFLOW_MAX_CONCURRENT_ACTIVITIES: positive.default(100),
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
});

type Env = Record<string, string | undefined>;

/** Reads the whole configuration from the environment; a bad value throws a ConfigError naming the variable. */
export function loadConfig(env: Env = process.env): ViralflowConfig {
  const parsed = envSchema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
    );
  }
  const e = parsed.data;
  const root = e.VIRALFLOW_UPSTREAM_URL.replace(/\/+$/, '');
  const upstream = (name: string, explicit: string | undefined, prefix: string): UpstreamConfig => ({
    name,
    baseUrl: explicit ?? `${root}${prefix}`,
    token: secret(env, `VIRALFLOW_${name.toUpperCase()}_TOKEN`),
  });

  return {
    temporal: temporalConfig(env, e),
    metrics: { host: e.METRICS_HOST, port: e.METRICS_PORT },
    temporalMetricsPort: e.TEMPORAL_METRICS_PORT,
    maxConcurrentActivities: e.VIRALFLOW_MAX_CONCURRENT_ACTIVITIES,
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
    services: parseServices(e.VIRALFLOW_SERVICES, root),
    dataDir: e.VIRALFLOW_DATA_DIR,
    redisUrl: e.REDIS_URL,
    ...databaseConfig(env, e.VIRALFLOW_DATABASE_POOL_MAX),
  };
}

/**
 * VIRALFLOW_DATABASE_URL (or VIRALFLOW_DATABASE_URL_FILE); a password from VIRALFLOW_DATABASE_PASSWORD_FILE
 * replaces the URL's own, so the URL itself can live in plain configuration. Messages never show the URL.
 */
function databaseConfig(env: Env, poolMax: number): { database?: DatabaseConfig } {
  const raw = secret(env, 'VIRALFLOW_DATABASE_URL');
  const passwordFile = env.VIRALFLOW_DATABASE_PASSWORD_FILE;
  if (raw === undefined) {
    if (passwordFile) throw new ConfigError('VIRALFLOW_DATABASE_PASSWORD_FILE is set but VIRALFLOW_DATABASE_URL is not');
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
    throw new ConfigError('VIRALFLOW_DATABASE_URL: must name a host and a database (postgres://user:password@host:port/database)');
  }
  if (passwordFile) {
    try {
      parsed.password = encodeURIComponent(readFileSync(passwordFile, 'utf8').trim());
    } catch (err) {
      throw new ConfigError(`VIRALFLOW_DATABASE_PASSWORD_FILE: cannot read ${passwordFile} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  return { database: { url: parsed.toString(), poolMax } };
}

/** `name` (a simulator service) or `name=http://host:port/prefix`, comma-separated. */
function parseServices(spec: string, root: string): Record<string, UpstreamConfig> {
  const services: Record<string, UpstreamConfig> = {};
  for (const entry of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
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

/** A secret from `NAME` or from the file named by `NAME_FILE` (Docker/Kubernetes secrets). */
function secret(env: Env, name: string): string | undefined {
  if (env[name]) return env[name];
  const file = env[`${name}_FILE`];
  if (!file) return undefined;
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new ConfigError(`${name}_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/** The Temporal connection's security settings: TLS files read and checked now, so a bad path fails start-up naming it. */
function temporalConfig(env: Env, e: z.output<typeof envSchema>): TemporalConfig {
  const apiKey = secret(env, 'TEMPORAL_API_KEY');
  if (apiKey !== undefined && !/^[\x21-\x7e]+$/.test(apiKey)) {
    // It travels in an HTTP/2 header: whitespace or control characters would break (or smuggle) headers.
    throw new ConfigError(`${env.TEMPORAL_API_KEY ? 'TEMPORAL_API_KEY' : 'TEMPORAL_API_KEY_FILE'}: must be one line of visible ASCII characters`);
  }
  const base = { address: e.TEMPORAL_ADDRESS, namespace: e.TEMPORAL_NAMESPACE, taskQueue: e.VIRALFLOW_TASK_QUEUE, ...(apiKey !== undefined && { apiKey }) };

  const given = (['TEMPORAL_TLS_CERT', 'TEMPORAL_TLS_KEY', 'TEMPORAL_TLS_CA', 'TEMPORAL_TLS_SERVER_NAME'] as const).filter((name) => e[name] !== undefined);
  if (e.TEMPORAL_TLS === false) {
    if (given.length) throw new ConfigError(`TEMPORAL_TLS=false conflicts with ${given.join(', ')}`);
    return { ...base, tls: false };
  }
  if (!e.TEMPORAL_TLS && !given.length && apiKey === undefined) return { ...base, tls: false };

  if ((e.TEMPORAL_TLS_CERT === undefined) !== (e.TEMPORAL_TLS_KEY === undefined)) {
    const [has, missing] = e.TEMPORAL_TLS_CERT === undefined ? ['TEMPORAL_TLS_KEY', 'TEMPORAL_TLS_CERT'] : ['TEMPORAL_TLS_CERT', 'TEMPORAL_TLS_KEY'];
    throw new ConfigError(`${missing}: required with ${has} (mTLS needs the client certificate and its key)`);
  }
  const tls: TemporalTlsConfig = { files: {} };
  if (e.TEMPORAL_TLS_CA !== undefined) {
    tls.serverRootCACertificate = pemFile('TEMPORAL_TLS_CA', e.TEMPORAL_TLS_CA, 'certificate');
    tls.files.ca = e.TEMPORAL_TLS_CA;
  }
  if (e.TEMPORAL_TLS_CERT !== undefined && e.TEMPORAL_TLS_KEY !== undefined) {
    const crt = pemFile('TEMPORAL_TLS_CERT', e.TEMPORAL_TLS_CERT, 'certificate');
    const key = pemFile('TEMPORAL_TLS_KEY', e.TEMPORAL_TLS_KEY, 'key');
    if (!new X509Certificate(crt).checkPrivateKey(createPrivateKey(key))) {
      throw new ConfigError(`TEMPORAL_TLS_KEY: ${e.TEMPORAL_TLS_KEY} is not the private key of the certificate in TEMPORAL_TLS_CERT (${e.TEMPORAL_TLS_CERT})`);
    }
    tls.clientCertPair = { crt, key };
    Object.assign(tls.files, { cert: e.TEMPORAL_TLS_CERT, key: e.TEMPORAL_TLS_KEY });
  }
  if (e.TEMPORAL_TLS_SERVER_NAME !== undefined) tls.serverNameOverride = e.TEMPORAL_TLS_SERVER_NAME;
  return { ...base, tls };
}

/** A PEM file that must hold a parsable certificate or private key; the message names the variable, never the contents. */
function pemFile(variable: string, file: string, kind: 'certificate' | 'key'): Buffer {
  let pem: Buffer;
  try {
    pem = readFileSync(file);
  } catch (err) {
    throw new ConfigError(`${variable}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    if (kind === 'certificate') {
      if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no PEM certificate');
      new X509Certificate(pem); // the first one must parse; a CA bundle may hold more
    } else {
      createPrivateKey(pem);
    }
  } catch {
    throw new ConfigError(`${variable}: ${file} is not a PEM ${kind === 'certificate' ? 'certificate' : 'private key'}`);
  }
  return pem;
}

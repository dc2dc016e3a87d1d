import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { postgresBinDir, startLocalPostgres, type LocalPostgres } from '../postgres/local-server';
import { findOnPath } from '../temporal/go-build';
import { CLUSTER_DEFAULTS } from './defaults';
import { haproxyConfig } from './haproxy-config';
import { ManagedProcess } from './managed-process';
import { ensureNamespace } from './namespace-setup';
import {
  baseConfig,
  DB_PASSWORD_ENV,
  DEFAULT_NODE_PORTS,
  dynamicConfig,
  nodeAddress,
  nodeConfig,
  nodeHealthUrl,
  nodeMetricsUrl,
  type NodePorts,
  type NodeSpec,
} from './node-config';
import { ensureRoleAndDatabase, type PsqlTarget } from './postgres-roles';
import { resolveServerBinaries, type ServerBinaries } from './server-binaries';
import { ensureTemporalDatabases, type SchemaVersion } from './temporal-databases';

export interface ClusterOptions {
  /** State kept across runs: PostgreSQL's data, generated passwords, configs, logs. */
  dataDir: string;
  /** Server nodes, each running every service (frontend, history, matching, worker). @default 2 */
  nodes?: number;
  /** Node i (from 1) binds and announces `<nodeSubnet>.<i>`, a loopback address of its own. @default '127.0.10' */
  nodeSubnet?: string;
  /** Ports each node uses on its own address. @default DEFAULT_NODE_PORTS (7233, 6933, …) */
  nodePorts?: NodePorts;
  /** The load balancer: the one address for workers and clients. @default '127.0.0.1:7233' */
  listen?: string;
  /** HAProxy's stats page and Prometheus metrics. @default '127.0.0.1:7299' */
  statsListen?: string;
  /** @default a free port */
  postgresPort?: number;
  /** @default 'default' */
  namespace?: string;
  /** @default 16 (fixed by the first run against a data folder) */
  numHistoryShards?: number;
  /** Also create viralflow's results-store role and database (`viralflow`) in the same PostgreSQL. @default true */
  resultsStore?: boolean;
  /** Skip PostgreSQL's fsync (throwaway clusters, e.g. tests). @default false */
  fastUnsafe?: boolean;
  /** @default resolved by resolveServerBinaries (built with Go on first use) */
  binaries?: ServerBinaries;
  /** @default `haproxy` on PATH, else /usr/sbin/haproxy */
  haproxyPath?: string;
  /** Progress lines. @default stderr */
  log?: (line: string) => void;
  /** How long a node may take to answer its health check after start. @default 90_000 */
  nodeStartTimeoutMs?: number;
}

export interface ClusterNode {
  name: string;
  ip: string;
  /** The node's own frontend (host:port); clients should use the load balancer's address. */
  frontend: string;
  metricsUrl: string;
  healthUrl: string;
  process: ManagedProcess;
  /** A crash: SIGKILL, waiting for the exit. */
  kill(): Promise<void>;
  /** Starts the node again with the same configuration and waits until it answers its health check. */
  restart(): Promise<void>;
  /** Whether the frontend answers its health check right now. */
  healthy(): Promise<boolean>;
}

export interface Cluster {
  /** The load balancer: TEMPORAL_ADDRESS for workers and clients. */
  address: string;
  namespace: string;
  nodes: ClusterNode[];
  postgres: LocalPostgres;
  loadBalancer: {
    process: ManagedProcess;
    statsUrl: string;
    metricsUrl: string;
    /** Each backend's state as HAProxy sees it (UP, DOWN, `DOWN 1/2`, …). */
    backendStatus(): Promise<Record<string, string>>;
  };
  /** `postgres://viralflow:…@host:port/viralflow` (VIRALFLOW_DATABASE_URL), when resultsStore is on. */
  resultsStoreUrl?: string;
  schemaVersions: SchemaVersion[];
  /** Load balancer, nodes (SIGTERM, then SIGKILL after 15 s), then PostgreSQL. */
  stop(): Promise<void>;
}

export class ClusterStartError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ClusterStartError';
  }
}

interface Secrets {
  postgres: string;
  temporal: string;
  viralflow: string;
}

/**
 * Brings up Temporal's production topology on one machine: PostgreSQL, N server nodes on it (each node
 * a process with every service, on a loopback address of its own), the namespace and viralflow's search
 * attributes, and HAProxy in front of the frontends. Everything it starts is stopped by `stop()`.
 */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const log = options.log ?? ((line: string) => console.error(line));
  const dataDir = resolve(options.dataDir);
  const namespace = options.namespace ?? CLUSTER_DEFAULTS.namespace;
  const nodeCount = options.nodes ?? CLUSTER_DEFAULTS.nodes;
  if (!Number.isInteger(nodeCount) || nodeCount < 1 || nodeCount > 9)
    throw new ClusterStartError(`nodes must be 1 to 9, not ${nodeCount}`);
  const subnet = options.nodeSubnet ?? CLUSTER_DEFAULTS.nodeSubnet;
  if (!/^127\.\d{1,3}\.\d{1,3}$/.test(subnet))
    throw new ClusterStartError(`nodeSubnet must be three octets of 127.0.0.0/8, such as 127.0.10, not ${subnet}`);
  const listen = options.listen ?? CLUSTER_DEFAULTS.listen;
  const statsListen = options.statsListen ?? CLUSTER_DEFAULTS.statsListen;
  const haproxy = options.haproxyPath ?? findOnPath('haproxy', process.env) ?? '/usr/sbin/haproxy';
  if (!existsSync(haproxy))
    throw new ClusterStartError('HAProxy not found: apt-get install haproxy (or pass its path)');

  const binaries = options.binaries ?? (await resolveServerBinaries({ log }));
  for (const dir of ['temporal/config', 'logs']) mkdirSync(join(dataDir, dir), { recursive: true });
  const secrets = loadSecrets(join(dataDir, 'secrets.json'));

  const started: Array<{ close(): Promise<void> }> = [];
  const stopAll = async () => {
    for (const part of started.reverse()) await part.close().catch(() => undefined);
  };
  try {
    log(`viralflow cluster: PostgreSQL (data in ${join(dataDir, 'postgres')})`);
    const postgres = await startLocalPostgres({
      dataDir: join(dataDir, 'postgres'),
      superuserPassword: secrets.postgres,
      port: options.postgresPort,
      fastUnsafe: options.fastUnsafe,
      // Two nodes × (20 + 5) connections, the workers' results store, psql and the schema tool.
      settings: { max_connections: 200 },
    });
    started.push({ close: () => postgres.stop() });

    const target: PsqlTarget = {
      psql: findPsql(),
      host: postgres.host,
      port: postgres.port,
      superuserPassword: secrets.postgres,
    };
    const schemaVersions = await ensureTemporalDatabases({
      target,
      sqlTool: binaries.sqlTool,
      schemaDir: binaries.schemaDir,
      role: 'temporal',
      rolePassword: secrets.temporal,
    });
    for (const v of schemaVersions)
      log(
        `viralflow cluster: database ${v.database}: schema ${!v.from ? `created at ${v.to}` : v.from === v.to ? `${v.to} (up to date)` : `migrated ${v.from} → ${v.to}`}`,
      );
    let resultsStoreUrl: string | undefined;
    if (options.resultsStore ?? true) {
      await ensureRoleAndDatabase(target, 'viralflow', secrets.viralflow, 'viralflow');
      resultsStoreUrl = `postgres://viralflow:${secrets.viralflow}@${postgres.host}:${postgres.port}/viralflow`;
    }

    const configDir = join(dataDir, 'temporal', 'config');
    const dynamicConfigFile = join(dataDir, 'temporal', 'dynamicconfig.yaml');
    writeFileSync(dynamicConfigFile, dynamicConfig());
    writeFileSync(
      join(configDir, 'base.yaml'),
      baseConfig({
        postgresAddress: `${postgres.host}:${postgres.port}`,
        dbUser: 'temporal',
        numHistoryShards: options.numHistoryShards,
        rpcAddress: listen,
        dynamicConfigFile,
      }),
    );
    const specs: NodeSpec[] = Array.from({ length: nodeCount }, (_, i) => ({
      name: `node-${String.fromCharCode(97 + i)}`,
      ip: `${subnet}.${i + 1}`,
      ports: options.nodePorts ?? DEFAULT_NODE_PORTS,
    }));
    const nodes = specs.map((spec) => {
      writeFileSync(join(configDir, `${spec.name}.yaml`), nodeConfig(spec));
      return createNode(spec, {
        server: binaries.server,
        root: join(dataDir, 'temporal'),
        env: { PATH: process.env.PATH ?? '', [DB_PASSWORD_ENV]: secrets.temporal },
        logFile: join(dataDir, 'logs', `${spec.name}.log`),
        startTimeoutMs: options.nodeStartTimeoutMs ?? 90_000,
      });
    });
    for (const node of nodes) started.push({ close: () => node.process.close() });
    log(`viralflow cluster: starting ${nodes.map((n) => `${n.name} (${n.frontend})`).join(', ')}`);
    // The first node alone: on a fresh database every node tries to write the initial cluster metadata,
    // and all but one would fail on the duplicate key. The others then start together.
    const [first, ...others] = nodes;
    first!.process.start();
    await first!.waitReady();
    for (const node of others) node.process.start();
    await Promise.all(others.map((node) => node.waitReady()));

    const ns = await ensureNamespace({ frontends: nodes.map((n) => n.frontend), namespace });
    log(
      `viralflow cluster: namespace ${namespace}${ns.created ? ' registered' : ' exists'}` +
        (ns.attributesAdded.length ? `; search attributes added: ${ns.attributesAdded.join(', ')}` : ''),
    );

    const lbConfigFile = join(dataDir, 'haproxy.cfg');
    writeFileSync(
      lbConfigFile,
      haproxyConfig({
        listen,
        statsListen,
        backends: nodes.map((n) => ({ name: n.name, grpc: n.frontend, httpPort: n.spec.ports.http })),
      }),
    );
    const lb = new ManagedProcess({
      name: 'haproxy',
      command: haproxy,
      // -db: stay in the foreground, logs to stderr; -W master-worker so SIGTERM stops it cleanly.
      args: ['-W', '-db', '-f', lbConfigFile],
      env: { PATH: process.env.PATH ?? '' },
      logFile: join(dataDir, 'logs', 'haproxy.log'),
      stopGraceMs: 5_000,
    });
    started.push({ close: () => lb.close() });
    lb.start();
    const statsUrl = `http://${statsListen}/stats`;
    const backendStatus = async () => {
      const res = await fetch(`${statsUrl};csv`, { signal: AbortSignal.timeout(2_000) });
      const rows = (await res.text()).split('\n').map((line) => line.split(','));
      const header = rows[0]?.map((h) => h.replace(/^# /, '')) ?? [];
      const col = (name: string) => header.indexOf(name);
      return Object.fromEntries(
        rows
          .filter((r) => r[col('pxname')] === 'temporal_frontends' && r[col('svname')] !== 'BACKEND')
          .map((r) => [r[col('svname')]!, r[col('status')]!]),
      );
    };
    const deadline = Date.now() + 30_000;
    for (;;) {
      const status = await backendStatus().catch(() => ({}) as Record<string, string>);
      if (nodes.every((n) => status[n.name] === 'UP')) break;
      if (!lb.running || Date.now() > deadline) {
        throw new ClusterStartError(
          `HAProxy did not report every frontend UP (${JSON.stringify(status)}):\n${lb.output()}`,
        );
      }
      await sleep(200);
    }
    log(`viralflow cluster: ready at ${listen} (HAProxy stats ${statsUrl})`);

    return {
      address: listen,
      namespace,
      nodes: nodes.map(({ waitReady: _, spec: __, ...node }) => node),
      postgres,
      loadBalancer: { process: lb, statsUrl, metricsUrl: `http://${statsListen}/metrics`, backendStatus },
      resultsStoreUrl,
      schemaVersions,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    if (err instanceof ClusterStartError) throw err;
    throw new ClusterStartError(`the cluster did not start: ${(err as Error).message}`, { cause: err });
  }
}

function createNode(
  spec: NodeSpec,
  run: { server: string; root: string; env: NodeJS.ProcessEnv; logFile: string; startTimeoutMs: number },
): ClusterNode & { spec: NodeSpec; waitReady(): Promise<void> } {
  const proc = new ManagedProcess({
    name: spec.name,
    command: run.server,
    args: ['--root', run.root, '--config', 'config', '--env', spec.name, '--allow-no-auth', 'start'],
    env: run.env,
    logFile: run.logFile,
  });
  const healthUrl = nodeHealthUrl(spec);
  const healthy = async () => {
    try {
      const res = await fetch(healthUrl, { signal: AbortSignal.timeout(2_000) });
      await res.body?.cancel();
      return res.ok;
    } catch {
      return false;
    }
  };
  const waitReady = async () => {
    const deadline = Date.now() + run.startTimeoutMs;
    while (!(await healthy())) {
      if (!proc.running) throw new ClusterStartError(`${spec.name} exited before it was ready:\n${proc.output()}`);
      if (Date.now() > deadline)
        throw new ClusterStartError(`${spec.name} not healthy after ${run.startTimeoutMs} ms:\n${proc.output()}`);
      await sleep(250);
    }
  };
  return {
    spec,
    name: spec.name,
    ip: spec.ip,
    frontend: nodeAddress(spec),
    metricsUrl: nodeMetricsUrl(spec),
    healthUrl,
    process: proc,
    healthy,
    waitReady,
    kill: () => proc.kill(),
    async restart() {
      proc.start();
      await waitReady();
    },
  };
}

/** psql beside the server's binaries, else on PATH (Debian links only some binaries into PATH). */
function findPsql(): string {
  const beside = join(postgresBinDir(), 'psql');
  const psql = existsSync(beside) ? beside : findOnPath('psql', process.env);
  if (!psql)
    throw new ClusterStartError(
      'psql not found beside the PostgreSQL server binaries or on PATH (apt-get install postgresql-client)',
    );
  return psql;
}

/** Generated once per data folder (PostgreSQL keeps the superuser's), readable by the owner only. */
function loadSecrets(file: string): Secrets {
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as Secrets;
  // base64url: safe inside a connection URL, a SQL literal and the server's config template alike.
  const secret = () => randomBytes(18).toString('base64url');
  const secrets: Secrets = { postgres: secret(), temporal: secret(), viralflow: secret() };
  writeFileSync(file, JSON.stringify(secrets), { mode: 0o600 });
  return secrets;
}

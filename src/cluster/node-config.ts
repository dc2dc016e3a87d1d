/**
 * Temporal server configuration for a cluster of nodes on one machine, in the server's own config
 * layout: `<root>/config/base.yaml` (what every node shares: persistence, cluster metadata, dynamic
 * config) and `<root>/config/<node>.yaml` (its addresses and ports), started with
 * `server --root <root> --config config --env <node> start`. The files are written as JSON, which is
 * YAML, so no YAML library is needed at run time.
 */

/** The server reads the database password from this variable (a template in base.yaml), never from a file. */
export const DB_PASSWORD_ENV = 'VIRALFLOW_TEMPORAL_DB_PASSWORD';

/** Every port a node listens on. Each node has its own loopback address, so nodes can share port numbers. */
export interface NodePorts {
  frontend: number;
  frontendMembership: number;
  /** The frontend's HTTP API: the load balancer's health check asks it for the cluster info. */
  http: number;
  history: number;
  historyMembership: number;
  matching: number;
  matchingMembership: number;
  worker: number;
  workerMembership: number;
  pprof: number;
  /** The server's own Prometheus metrics (`/metrics`). */
  metrics: number;
}

/** The standard ports of a Temporal server (those of its development configs). */
export const DEFAULT_NODE_PORTS: NodePorts = {
  frontend: 7233,
  frontendMembership: 6933,
  http: 7243,
  history: 7234,
  historyMembership: 6934,
  matching: 7235,
  matchingMembership: 6935,
  worker: 7239,
  workerMembership: 6939,
  pprof: 7936,
  metrics: 8000,
};

export interface NodeSpec {
  /** Also the config file's name (`--env`): letters, digits and dashes. */
  name: string;
  /** The loopback address the node binds and announces to the others (e.g. 127.0.10.1). */
  ip: string;
  ports: NodePorts;
}

export interface ClusterSpec {
  /** PostgreSQL as host:port. */
  postgresAddress: string;
  /** The role Temporal connects as (its password comes from DB_PASSWORD_ENV). */
  dbUser: string;
  /**
   * Fixed when the cluster's databases are first initialised (shards are never re-split).
   * @default 16
   */
  numHistoryShards?: number;
  /**
   * The cluster's own frontend address recorded in cluster metadata: the same on every node (the server
   * refuses to start against metadata that names another), so the load balancer's address.
   */
  rpcAddress: string;
  /** Absolute path of the dynamic config file. */
  dynamicConfigFile: string;
  /** @default 'warn' */
  logLevel?: string;
  /** Connections per node to the main database. @default 20 */
  maxConns?: number;
}

export function baseConfig(cluster: ClusterSpec): string {
  const store = (databaseName: string, maxConns: number) => ({
    sql: {
      pluginName: 'postgres12',
      databaseName,
      connectAddr: cluster.postgresAddress,
      connectProtocol: 'tcp',
      user: cluster.dbUser,
      // A raw Go string (backquotes): JSON would escape double quotes.
      password: `{{ env \`${DB_PASSWORD_ENV}\` }}`,
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const config = {
    log: { stdout: true, level: cluster.logLevel ?? 'warn' },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: cluster.numHistoryShards ?? 16,
      datastores: {
        'postgres-default': store('temporal', cluster.maxConns ?? 20),
        'postgres-visibility': store('temporal_visibility', 5),
      },
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: cluster.rpcAddress },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: cluster.dynamicConfigFile, pollInterval: '10s' },
  };
  // The marker makes the server render the file as a Go template, which fills in the password from its environment.
  return `# enable-template\n${JSON.stringify(config, null, 2)}\n`;
}

export function nodeConfig(node: NodeSpec): string {
  const { ip, ports } = node;
  const rpc = (grpcPort: number, membershipPort: number, extra: object = {}) => ({
    rpc: { grpcPort, membershipPort, bindOnIP: ip, ...extra },
  });
  const config = {
    global: {
      membership: { maxJoinDuration: '30s', broadcastAddress: ip },
      pprof: { port: ports.pprof, host: ip },
      metrics: { prometheus: { framework: 'tally', timerType: 'histogram', listenAddress: `${ip}:${ports.metrics}` } },
    },
    services: {
      frontend: rpc(ports.frontend, ports.frontendMembership, { httpPort: ports.http }),
      history: rpc(ports.history, ports.historyMembership),
      matching: rpc(ports.matching, ports.matchingMembership),
      worker: rpc(ports.worker, ports.workerMembership),
    },
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/**
 * Dynamic config shared by the nodes: the server's defaults except where viralflow needs more
 * (workflow IDs such as `<pipeline>/scrape/chunk-N` within the ID length limit).
 */
export function dynamicConfig(): string {
  const config = {
    'limit.maxIDLength': [{ value: 255, constraints: {} }],
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** host:port helpers for one node. */
export const nodeAddress = (node: NodeSpec) => `${node.ip}:${node.ports.frontend}`;
export const nodeMetricsUrl = (node: NodeSpec) => `http://${node.ip}:${node.ports.metrics}/metrics`;
export const nodeHealthUrl = (node: NodeSpec) => `http://${node.ip}:${node.ports.http}/api/v1/cluster-info`;

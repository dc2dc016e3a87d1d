/** Defaults of `startCluster` and `viralflow cluster` (ops/prometheus/cluster.yml scrapes these addresses). */
export const CLUSTER_DEFAULTS = {
  nodes: 2,
  /** Node i (from 1) binds `<nodeSubnet>.<i>`. */
  nodeSubnet: '127.0.10',
  /** The load balancer: TEMPORAL_ADDRESS for workers and clients. */
  listen: '127.0.0.1:7233',
  /** HAProxy's stats page and Prometheus metrics. */
  statsListen: '127.0.0.1:7299',
  namespace: 'default',
} as const;

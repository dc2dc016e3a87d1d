/**
 * HAProxy in front of the Temporal frontends: TCP mode (gRPC is HTTP/2, passed through untouched, so
 * TLS or API keys between clients and the server would pass through too), one address for every
 * worker and client. Each backend is health-checked at layer 7 through the frontend's HTTP API
 * (`GET /api/v1/cluster-info`, answered by the same frontend process as the gRPC port), so a node whose
 * process hangs or dies is taken out of rotation within `fall × inter`.
 */
export interface LoadBalancerBackend {
  name: string;
  /** gRPC frontend, host:port. */
  grpc: string;
  /** The same node's HTTP API port, for the health check. */
  httpPort: number;
}

export interface LoadBalancerSpec {
  /** host:port clients connect to. */
  listen: string;
  /** host:port of the stats page (`/stats`, CSV at `/stats;csv`) and HAProxy's Prometheus metrics (`/metrics`). */
  statsListen: string;
  backends: LoadBalancerBackend[];
  /** Health check interval. @default 1000 */
  checkIntervalMs?: number;
}

export function haproxyConfig(spec: LoadBalancerSpec): string {
  const inter = spec.checkIntervalMs ?? 1000;
  const servers = spec.backends.map(
    (b) =>
      `    server ${b.name} ${b.grpc} check port ${b.httpPort} inter ${inter} fall 2 rise 2 on-marked-down shutdown-sessions`,
  );
  return `# Written by viralflow cluster; regenerated on every start.
global
    maxconn 4096

defaults
    mode tcp
    # Temporal long-polls last up to ~70 s and clients keep their HTTP/2 connections open for minutes.
    timeout connect 2s
    timeout client 10m
    timeout server 10m
    # A connection refused by a dead node is tried again on a live one.
    retries 2
    option redispatch

frontend temporal
    bind ${spec.listen}
    default_backend temporal_frontends

backend temporal_frontends
    balance leastconn
    option httpchk
    http-check send meth GET uri /api/v1/cluster-info ver HTTP/1.1 hdr Host temporal
    http-check expect status 200
${servers.join('\n')}

frontend stats
    mode http
    bind ${spec.statsListen}
    http-request use-service prometheus-exporter if { path /metrics }
    stats enable
    stats uri /stats
    stats refresh 5s
`;
}

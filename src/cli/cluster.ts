import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { CLUSTER_DEFAULTS, startCluster } from '../cluster/supervisor';
import { projectRoot } from '../project-root';

function nodeCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 9) throw new InvalidArgumentError('expected 1 to 9');
  return n;
}

function hostPort(value: string): string {
  if (!/^[\w.-]+:\d{1,5}$/.test(value)) throw new InvalidArgumentError('expected host:port');
  return value;
}

/** `viralflow cluster`: Temporal's production topology on this machine, until Ctrl-C. */
export function clusterCommand(): Command {
  return new Command('cluster')
    .description(
      'run a Temporal cluster on this machine without Docker: PostgreSQL, N server nodes, HAProxy in front (one address); Ctrl-C stops it',
    )
    .option('--nodes <n>', 'server nodes', nodeCount, CLUSTER_DEFAULTS.nodes)
    .option('--data-dir <dir>', 'state kept across runs (PostgreSQL data, passwords, configs, logs)', join(projectRoot(), '.data', 'cluster'))
    .option('--listen <host:port>', 'the load balancer: the address workers and clients use', hostPort, CLUSTER_DEFAULTS.listen)
    .option('--stats <host:port>', "HAProxy's stats page (/stats) and metrics (/metrics)", hostPort, CLUSTER_DEFAULTS.statsListen)
    .option('--node-subnet <a.b.c>', 'node i binds <a.b.c>.<i> (a loopback address of its own)', CLUSTER_DEFAULTS.nodeSubnet)
    .option('--postgres-port <port>', 'PostgreSQL port (default: a free one)', (v) => Number(v))
    .option('--namespace <name>', 'namespace to register', CLUSTER_DEFAULTS.namespace)
    .action(
      async (opts: { nodes: number; dataDir: string; listen: string; stats: string; nodeSubnet: string; postgresPort?: number; namespace: string }) => {
        const cluster = await startCluster({
          nodes: opts.nodes,
          dataDir: opts.dataDir,
          listen: opts.listen,
          statsListen: opts.stats,
          nodeSubnet: opts.nodeSubnet,
          postgresPort: opts.postgresPort,
          namespace: opts.namespace,
        });
        const lines = [
          `Temporal cluster ready: TEMPORAL_ADDRESS=${cluster.address} (namespace ${cluster.namespace})`,
          ...cluster.nodes.map((n) => `  ${n.name}: frontend ${n.frontend}, metrics ${n.metricsUrl}, pid ${n.process.pid}`),
          `  load balancer: HAProxy, stats ${cluster.loadBalancer.statsUrl}, metrics ${cluster.loadBalancer.metricsUrl}`,
          `  PostgreSQL: ${cluster.postgres.host}:${cluster.postgres.port} (data in ${cluster.postgres.dataDir})`,
          ...(cluster.resultsStoreUrl ? [`  results store: VIRALFLOW_DATABASE_URL in ${join(opts.dataDir, 'secrets.json')} (role and database viralflow)`] : []),
          `  logs: ${join(opts.dataDir, 'logs')}`,
          'Ctrl-C stops everything.',
        ];
        console.log(lines.join('\n'));
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        console.error('viralflow cluster: stopping');
        await cluster.stop();
      },
    );
}

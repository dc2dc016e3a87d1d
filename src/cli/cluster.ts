import { join } from 'node:path';
import { InvalidArgumentError } from '@commander-js/extra-typings';
import { CLUSTER_DEFAULTS } from '../cluster/defaults';
import { projectRoot } from '../project-root';
import { integer, type CommandContext } from './context';

function nodeCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 9) throw new InvalidArgumentError('expected 1 to 9');
  return n;
}

function hostPort(value: string): string {
  if (!/^[\w.-]+:\d{1,5}$/.test(value)) throw new InvalidArgumentError('expected host:port');
  return value;
}

/**
 * `viralflow cluster`: Temporal's production topology on this machine (PostgreSQL, N server nodes,
 * HAProxy in front), until Ctrl-C. The cluster code is loaded when the command runs.
 */
export function clusterCommand(ctx: CommandContext) {
  const print = (line: string) => ctx.streams.stdout(`${line}\n`);
  return ctx
    .command('cluster')
    .description(
      'run a Temporal cluster on this machine without Docker: PostgreSQL, N server nodes, HAProxy in front (one address); Ctrl-C stops it',
    )
    .option('--nodes <n>', 'server nodes', nodeCount, CLUSTER_DEFAULTS.nodes as number)
    .option(
      '--data-dir <dir>',
      'state kept across runs (PostgreSQL data, passwords, configs, logs)',
      join(projectRoot(), '.data', 'cluster'),
    )
    .option(
      '--listen <host:port>',
      'the load balancer: the address workers and clients use',
      hostPort,
      CLUSTER_DEFAULTS.listen as string,
    )
    .option(
      '--stats <host:port>',
      "HAProxy's stats page (/stats) and metrics (/metrics)",
      hostPort,
      CLUSTER_DEFAULTS.statsListen as string,
    )
    .option(
      '--node-subnet <a.b.c>',
      'node i binds <a.b.c>.<i> (a loopback address of its own)',
      CLUSTER_DEFAULTS.nodeSubnet as string,
    )
    .option('--postgres-port <port>', 'PostgreSQL port (default: a free one)', integer)
    .option('--namespace <name>', 'namespace to register', CLUSTER_DEFAULTS.namespace as string)
    .action(async (opts) => {
      const { startCluster } = await import('../cluster/supervisor.js');
      const cluster = await startCluster({
        nodes: opts.nodes,
        dataDir: opts.dataDir,
        listen: opts.listen,
        statsListen: opts.stats,
        nodeSubnet: opts.nodeSubnet,
        postgresPort: opts.postgresPort,
        namespace: opts.namespace,
        log: (line) => ctx.streams.stderr(`${line}\n`),
      });
      print(
        [
          `Temporal cluster ready: TEMPORAL_ADDRESS=${cluster.address} (namespace ${cluster.namespace})`,
          ...cluster.nodes.map(
            (n) => `  ${n.name}: frontend ${n.frontend}, metrics ${n.metricsUrl}, pid ${n.process.pid}`,
          ),
          `  load balancer: HAProxy, stats ${cluster.loadBalancer.statsUrl}, metrics ${cluster.loadBalancer.metricsUrl}`,
          `  PostgreSQL: ${cluster.postgres.host}:${cluster.postgres.port} (data in ${cluster.postgres.dataDir})`,
          // The URL holds the role's password: it stays in the owner-only secrets file.
          ...(cluster.resultsStoreUrl
            ? [
                `  results store: VIRALFLOW_DATABASE_URL in ${join(opts.dataDir, 'secrets.json')} (role and database viralflow)`,
              ]
            : []),
          `  logs: ${join(opts.dataDir, 'logs')}`,
          'Ctrl-C stops everything.',
        ].join('\n'),
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      ctx.streams.stderr('viralflow cluster: stopping\n');
      await cluster.stop();
    });
}

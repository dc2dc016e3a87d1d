import { readFileSync } from 'node:fs';
import { loadConfig } from '../config';
import type { SimConfig } from '../sim/types';
import { resolveTemporalCli } from '../temporal/cli-path';
import { integer, type CommandContext } from './context';

/**
 * The long-running processes: `worker`, `sim`, `dev`, and `temporal-cli` (where the Temporal CLI is).
 * The worker, dev and simulator code is loaded when its command runs: the worker SDK's native bridge and
 * the activities would otherwise add ~0.3 s of CPU to every short client command.
 */
export function runtimeCommands(ctx: CommandContext) {
  const print = (line: string) => ctx.streams.stdout(`${line}\n`);

  const worker = ctx
    .command('worker')
    .description('run a worker: every viralflow workflow and activity on VIRALFLOW_TASK_QUEUE (default viralflow)')
    .action(async () => {
      const { runWorker } = await import('../worker.js');
      await runWorker(loadConfig(ctx.env), print);
    });

  const sim = ctx
    .command('sim')
    .description('run the upstream simulator standalone (the default upstream for every API)')
    .option('--port <port>', 'port to listen on', integer, 8787)
    .option('--host <address>', 'address to bind (0.0.0.0 in a container)', '127.0.0.1')
    .option('--seed <seed>', 'seed for data and faults', integer, 42)
    .option('--config <file>', 'JSON SimConfig (knobs per route, services, missing accounts, …)')
    .action(async (opts) => {
      const fromFile = opts.config ? (JSON.parse(readFileSync(opts.config, 'utf8')) as SimConfig) : {};
      const { startSimulator } = await import('../sim/server.js');
      const sim = await startSimulator({ ...fromFile, seed: opts.seed, port: opts.port, host: opts.host });
      print(`viralflow simulator listening at ${sim.url} (stats: ${sim.url}/_sim/stats)`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await sim.close();
    });

  const dev = ctx
    .command('dev')
    .description('one-command demo: Temporal dev server + simulator + worker + a demo run in the Web UI')
    .option('--exit', 'stop after the demo workflow completes')
    .action(async (opts) => {
      const { runDev } = await import('../dev.js');
      await runDev({ exitAfterDemo: opts.exit, env: ctx.env, print });
    });

  const temporalCli = ctx
    .command('temporal-cli')
    .description('print the path of the Temporal CLI, building it with Go on first use')
    .action(async () => {
      const cli = await resolveTemporalCli({ env: ctx.env, log: (line) => ctx.streams.stderr(`${line}\n`) });
      print(`${cli.path}\t(${cli.source})`);
    });

  return [worker, sim, dev, temporalCli];
}

import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { runDev } from './dev';
import { startSimulator } from './sim/server';
import type { SimConfig } from './sim/types';
import { resolveTemporalCli } from './temporal/cli-path';
import { runWorker } from './worker';

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

export function buildCli(): Command {
  const program = new Command('viralflow')
    .description('Content-scraping and experimentation jobs on Temporal')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('worker')
    .description('run a worker: every viralflow workflow and activity on VIRALFLOW_TASK_QUEUE (default viralflow)')
    .action(() => runWorker());

  program
    .command('sim')
    .description('run the upstream simulator standalone (the default upstream for every API)')
    .option('--port <port>', 'port on 127.0.0.1', integer, 8787)
    .option('--seed <seed>', 'seed for data and faults', integer, 42)
    .option('--config <file>', 'JSON SimConfig (knobs per route, services, missing accounts, …)')
    .action(async (opts: { port: number; seed: number; config?: string }) => {
      const fromFile = opts.config ? (JSON.parse(readFileSync(opts.config, 'utf8')) as SimConfig) : {};
      const sim = await startSimulator({ ...fromFile, seed: opts.seed, port: opts.port });
      console.log(`viralflow simulator listening at ${sim.url} (stats: ${sim.url}/_sim/stats)`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await sim.close();
    });

  program
    .command('dev')
    .description('one-command demo: Temporal dev server + simulator + worker + a demo run in the Web UI')
    .option('--exit', 'stop after the demo workflow completes')
    .action((opts: { exit?: boolean }) => runDev({ exitAfterDemo: opts.exit }));

  program
    .command('temporal-cli')
    .description('print the path of the Temporal CLI, building it with Go on first use')
    .action(async () => {
      const cli = await resolveTemporalCli();
      console.log(`${cli.path}\t(${cli.source})`);
    });

  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildCli().parseAsync(argv);
  } catch (err) {
    // commander has already printed help/usage errors; only its exit code matters here.
    if (err instanceof Error && 'exitCode' in err && typeof err.exitCode === 'number') process.exit(err.exitCode);
    throw err;
  }
}

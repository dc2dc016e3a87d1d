import { Command, CommanderError } from '@commander-js/extra-typings';
import { processStreams } from './client/output';
import { banditCommand } from './cli/bandit';
import { clusterCommand } from './cli/cluster';
import { dataCommands } from './cli/data';
import { doctorCommand } from './cli/doctor';
import { createCommandContext, EXIT, programSettings, type CliContext, type CommandGroup } from './cli/context';
import { exitCodeFor, ReportedError } from './cli/exit-codes';
import { runtimeCommands } from './cli/runtime';
import { scheduleCommand } from './cli/schedule';
import { workflowCommands } from './cli/workflows';

export { EXIT, type CliContext } from './cli/context';

/** The `viralflow` commands, in the order help lists them: a new group is one module in src/cli/ and one line here. */
const COMMAND_GROUPS: readonly CommandGroup[] = [
  runtimeCommands,
  workflowCommands,
  banditCommand,
  scheduleCommand,
  dataCommands,
  doctorCommand,
  clusterCommand,
];

export function buildCli(context: CliContext = {}): Command {
  const ctx = createCommandContext(context);
  const program = programSettings(new Command('viralflow'), ctx.streams).description(
    'Content-scraping and experimentation jobs on Temporal',
  );
  for (const group of COMMAND_GROUPS) {
    for (const command of [group(ctx)].flat()) program.addCommand(command);
  }
  return program;
}

/** Runs one command line (argv as in process.argv) and returns its exit code; errors are reported on stderr. */
export async function runCli(argv: string[], context: CliContext = {}): Promise<number> {
  const streams = context.streams ?? processStreams;
  try {
    await buildCli(context).parseAsync(argv);
    return EXIT.ok;
  } catch (err) {
    // commander has already printed its own usage errors and help.
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (err instanceof ReportedError) return exitCodeFor(err);
    streams.stderr(`viralflow: ${err instanceof Error ? err.message : String(err)}\n`);
    return exitCodeFor(err);
  }
}

export async function main(argv: string[]): Promise<void> {
  // exitCode rather than exit(): stdout/stderr may be pipes whose writes have not been flushed yet.
  process.exitCode = await runCli(argv);
}

/**
 * `viralflow worker` without the rest of the CLI: bin/viralflow.js loads this module instead of src/cli for a
 * plain `worker`, so the worker process never loads the client commands' modules (the gRPC client, the
 * command parser, the doctor: ~100 modules, ~5 MB resident) that it would hold for its whole life unused.
 * Same start-up line, error message and exit codes as the CLI's `worker` command.
 */
import { exitCodeFor } from './cli/exit-codes';
import { runWorker } from './worker';

export async function main(): Promise<void> {
  try {
    await runWorker(undefined, (line) => process.stdout.write(`${line}\n`));
  } catch (err) {
    process.stderr.write(`viralflow: ${err instanceof Error ? err.message : String(err)}\n`);
    // exitCode rather than exit(): stdout/stderr may be pipes whose writes have not been flushed yet.
    process.exitCode = exitCodeFor(err);
  }
}

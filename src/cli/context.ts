import { Command, InvalidArgumentError, type CommandUnknownOpts, type OptionValues } from '@commander-js/extra-typings';
import { connectViralflow, type ViralflowClient } from '../client/client';
import type { ConnectOptions } from '../client/connect';
import { createOutput, processStreams, type CliStreams, type Output } from '../client/output';
import type { WorkflowInputSources } from '../client/workflow-input';
import { loadConfig } from '../config';
import { createResultsStore } from '../store/create-store';
import type { ResultsStore } from '../store/types';

export { EXIT } from './exit-codes';

/** What a caller (bin/viralflow.js, a test) gives the CLI. */
export interface CliContext {
  /** Where commands print (default process.stdout/stderr). */
  streams?: CliStreams;
  /** Environment for TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, VIRALFLOW_TASK_QUEUE, TEMPORAL_UI_URL (default process.env). */
  env?: Record<string, string | undefined>;
  /** Overrides for the connection (tests shorten the connect timeout). */
  connect?: ConnectOptions;
}

/** What every command group is built from: one per program, shared by all its commands. */
export interface CommandContext {
  readonly streams: CliStreams;
  /** undefined: process.env. */
  readonly env: Record<string, string | undefined> | undefined;
  /**
   * A new top-level command with the program's settings (its output streams, help after a usage error,
   * errors thrown rather than process.exit). `program.command()` would copy these; a command built in its
   * own module and added with `addCommand` has to be given them. Its subcommands inherit them.
   */
  command(name: string): Command;
  /** Connects, runs, closes: every client command is one short-lived connection. */
  withClient<T>(use: (vf: ViralflowClient) => Promise<T>): Promise<T>;
  /** Opens the configured results store (VIRALFLOW_DATABASE_URL or VIRALFLOW_DATA_DIR), runs, closes. */
  withStore<T>(use: (store: ResultsStore) => Promise<T>): Promise<T>;
  /** Result and progress printing, JSON when the command's `--json` is set. */
  output(opts: { json?: boolean }): Output;
}

/** A command group: one module under src/cli/ answering its top-level command(s). */
export type CommandGroup = (ctx: CommandContext) => CommandUnknownOpts | CommandUnknownOpts[];

export function createCommandContext(context: CliContext = {}): CommandContext {
  const streams = context.streams ?? processStreams;
  return {
    streams,
    env: context.env,
    command: (name) => programSettings(new Command(name), streams),
    async withClient(use) {
      const vf = await connectViralflow({ env: context.env, ...context.connect });
      try {
        return await use(vf);
      } finally {
        await vf.close();
      }
    },
    async withStore(use) {
      const store = createResultsStore(loadConfig(context.env ?? process.env));
      try {
        return await use(store);
      } finally {
        await store.close();
      }
    },
    output: (opts) => createOutput(streams, Boolean(opts.json)),
  };
}

/** The settings the program and each top-level command share. */
export function programSettings(cmd: Command, streams: CliStreams): Command {
  return cmd
    .configureOutput({ writeOut: streams.stdout, writeErr: streams.stderr })
    .showHelpAfterError()
    .exitOverride();
}

// --- shared option parsers and options ------------------------------------------------------------

export function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

export function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

export function withJson<A extends unknown[], O extends OptionValues, G extends OptionValues>(cmd: Command<A, O, G>) {
  return cmd.option('--json', 'print one JSON document on stdout (for scripts)');
}

export function withInput<A extends unknown[], O extends OptionValues, G extends OptionValues>(cmd: Command<A, O, G>) {
  return cmd
    .option('--input <json>', 'the workflow input, a JSON object')
    .option('--input-file <file>', 'read the input from a JSON file')
    .option('--accounts <file>', 'account IDs (one per line, or a JSON array) as the input\'s "accountIds"');
}

/** The options `withInput` adds, as parsed. */
export interface InputOptions {
  input?: string;
  inputFile?: string;
  accounts?: string;
}

export const inputSources = (opts: InputOptions): WorkflowInputSources => ({
  input: opts.input,
  inputFile: opts.inputFile,
  accountsFile: opts.accounts,
});

export const hasInput = (opts: InputOptions) =>
  opts.input !== undefined || opts.inputFile !== undefined || opts.accounts !== undefined;

import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { UsageError } from '../client/errors';
import { createOutput, table, type CliStreams } from '../client/output';
import { loadConfig } from '../config';
import { AccountListFormatError, parseAccountList, storeName } from '../store/account-ids';
import { createResultsStore } from '../store/create-store';
import type { ResultsStore } from '../store/types';

export interface DataCommandsContext {
  streams: CliStreams;
  /** Environment for VIRALFLOW_DATABASE_URL (or VIRALFLOW_DATA_DIR) (default process.env). */
  env?: Record<string, string | undefined>;
}

interface JsonOption {
  json?: boolean;
}

/**
 * The results-store commands: `db migrate`, `accounts import`, `runs purge`. Added to `program` with
 * `.command()` so they inherit its output streams and exit handling.
 */
export function addDataCommands(program: Command, context: DataCommandsContext): void {
  const output = (opts: JsonOption) => createOutput(context.streams, Boolean(opts.json));
  /** Opens the configured store for one command and closes it after. */
  const withStore = async <T>(use: (store: ResultsStore) => Promise<T>): Promise<T> => {
    const store = createResultsStore(loadConfig(context.env ?? process.env));
    try {
      return await use(store);
    } finally {
      await store.close();
    }
  };

  const db = program.command('db').description('the PostgreSQL results store (VIRALFLOW_DATABASE_URL)');
  db.command('migrate')
    .description('bring the results store schema up to date (workers also do this at start; safe to run concurrently)')
    .option('--json', 'print one JSON document on stdout (for scripts)')
    .action((opts: JsonOption) =>
      withStore(async (store) => {
        if (store.kind !== 'postgres') {
          throw new UsageError('db migrate: VIRALFLOW_DATABASE_URL is not set (the NDJSON data folder has no schema to migrate)');
        }
        const report = await store.migrate();
        output(opts).result({ database: store.location, ...report }, () =>
          report.applied.length
            ? `${store.location}: applied ${report.applied.join(', ')}; schema version ${report.version}`
            : `${store.location}: schema version ${report.version}, already current`,
        );
      }),
    );

  const accounts = program.command('accounts').description('account lists in the results store, for workflows to name');
  accounts
    .command('import <file>')
    .description('store the account IDs in <file> (one per line, or a JSON array) as a named list, replacing any list of that name')
    .requiredOption('--name <list>', 'the list name workflows use (A-Z a-z 0-9 _ . -, up to 128)')
    .option('--json', 'print one JSON document on stdout (for scripts)')
    .action(async (file: string, opts: JsonOption & { name: string }) => {
      if (!storeName.safeParse(opts.name).success) throw new UsageError(`--name: "${opts.name}" must be 1-128 characters of A-Z a-z 0-9 _ . -`);
      const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
        throw new UsageError(`cannot read ${file} (${err.code ?? err.message})`);
      });
      let ids: string[];
      try {
        ids = parseAccountList(text, file);
      } catch (err) {
        if (err instanceof AccountListFormatError) throw new UsageError(err.message, { cause: err });
        throw err;
      }
      await withStore(async (store) => {
        const count = await store.importAccountList(opts.name, ids);
        output(opts).result({ list: opts.name, accounts: count, store: store.location }, () => `${store.location}: list "${opts.name}" holds ${count} accounts`);
      });
    });

  const runs = program.command('runs').description("a run's stored results");
  runs
    .command('purge <runKey>')
    .description("delete every row (or file) the results store holds for one run: posts, profiles, account states, outcomes")
    .option('--json', 'print one JSON document on stdout (for scripts)')
    .action(async (runKey: string, opts: JsonOption) => {
      if (!storeName.safeParse(runKey).success) throw new UsageError(`"${runKey}" is not a run key (1-128 characters of A-Z a-z 0-9 _ . -)`);
      await withStore(async (store) => {
        const removed = await store.purgeRun(runKey);
        output(opts).result({ runKey, store: store.location, removed }, () =>
          `${store.location}: purged run ${runKey}\n${table(['TABLE', 'ROWS'], Object.entries(removed).map(([t, n]) => [t, n]))}`,
        );
      });
    });
}

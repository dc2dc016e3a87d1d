import { readFile } from 'node:fs/promises';
import { UsageError } from '../client/errors';
import { table } from '../client/output';
import { AccountListFormatError, parseAccountList, storeName } from '../store/account-ids';
import { withJson, type CommandContext } from './context';

/**
 * The results-store commands: `db migrate`, `accounts import`, `runs purge`. They read
 * VIRALFLOW_DATABASE_URL (or VIRALFLOW_DATA_DIR) from the context's environment.
 */
export function dataCommands(ctx: CommandContext) {
  const withStore = ctx.withStore;

  const db = ctx.command('db').description('the PostgreSQL results store (VIRALFLOW_DATABASE_URL)');
  withJson(
    db
      .command('migrate')
      .description(
        'bring the results store schema up to date (workers also do this at start; safe to run concurrently)',
      ),
  ).action((opts) =>
    withStore(async (store) => {
      if (store.kind !== 'postgres') {
        throw new UsageError(
          'db migrate: VIRALFLOW_DATABASE_URL is not set (the NDJSON data folder has no schema to migrate)',
        );
      }
      const report = await store.migrate();
      ctx
        .output(opts)
        .result({ database: store.location, ...report }, () =>
          report.applied.length
            ? `${store.location}: applied ${report.applied.join(', ')}; schema version ${report.version}`
            : `${store.location}: schema version ${report.version}, already current`,
        );
    }),
  );

  const accounts = ctx.command('accounts').description('account lists in the results store, for workflows to name');
  withJson(
    accounts
      .command('import <file>')
      .description(
        'store the account IDs in <file> (one per line, or a JSON array) as a named list, replacing any list of that name',
      )
      .requiredOption('--name <list>', 'the list name workflows use (A-Z a-z 0-9 _ . -, up to 128)'),
  ).action(async (file, opts) => {
    if (!storeName.safeParse(opts.name).success)
      throw new UsageError(`--name: "${opts.name}" must be 1-128 characters of A-Z a-z 0-9 _ . -`);
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
      ctx
        .output(opts)
        .result(
          { list: opts.name, accounts: count, store: store.location },
          () => `${store.location}: list "${opts.name}" holds ${count} accounts`,
        );
    });
  });

  const runs = ctx.command('runs').description("a run's stored results");
  withJson(
    runs
      .command('purge <runKey>')
      .description(
        'delete every row (or file) the results store holds for one run: posts, profiles, account states, outcomes',
      ),
  ).action(async (runKey, opts) => {
    if (!storeName.safeParse(runKey).success)
      throw new UsageError(`"${runKey}" is not a run key (1-128 characters of A-Z a-z 0-9 _ . -)`);
    await withStore(async (store) => {
      const removed = await store.purgeRun(runKey);
      ctx.output(opts).result(
        { runKey, store: store.location, removed },
        () =>
          `${store.location}: purged run ${runKey}\n${table(
            ['TABLE', 'ROWS'],
            Object.entries(removed).map(([t, n]) => [t, n]),
          )}`,
      );
    });
  });

  return [db, accounts, runs];
}

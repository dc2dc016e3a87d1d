import { readFile } from 'node:fs/promises';
import { parseDuration } from '../client/duration';
import { UsageError } from '../client/errors';
import { table } from '../client/output';
import { AccountListFormatError, parseAccountList, storeName } from '../store/account-ids';
import { withJson, type CommandContext } from './context';

/**
 * The results-store commands: `db migrate`, `accounts import`, `runs list`, `runs purge`. They read
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
  const olderThan = (text: string | undefined) =>
    text === undefined ? undefined : new Date(Date.now() - parseDuration(text, '--older-than'));
  withJson(
    runs
      .command('list')
      .description('the runs the results store holds, least recently written first')
      .option('--older-than <duration>', 'only runs last written longer ago than this, e.g. 30d'),
  ).action(async (opts) => {
    const before = olderThan(opts.olderThan);
    await withStore(async (store) => {
      const list = await store.listRuns(before);
      ctx.output(opts).result({ store: store.location, runs: list }, () =>
        table(
          ['RUN', 'LAST WRITE'],
          list.map((r) => [r.runKey, r.lastWrite]),
        ),
      );
    });
  });
  withJson(
    runs
      .command('purge [runKey]')
      .description(
        'delete every row (or file) the results store holds for one run, or for every run last written before --older-than: ' +
          'posts, profiles, account states, outcomes (never the evidence ledger or the scrape marks)',
      )
      .option('--older-than <duration>', 'purge every run last written longer ago than this, e.g. 30d'),
  ).action(async (runKey, opts) => {
    if ((runKey === undefined) === (opts.olderThan === undefined))
      throw new UsageError('runs purge takes a run key or --older-than <duration>, not both');
    if (runKey !== undefined && !storeName.safeParse(runKey).success)
      throw new UsageError(`"${runKey}" is not a run key (1-128 characters of A-Z a-z 0-9 _ . -)`);
    const before = olderThan(opts.olderThan);
    await withStore(async (store) => {
      const keys = runKey !== undefined ? [runKey] : (await store.listRuns(before)).map((r) => r.runKey);
      const purged: Array<{ runKey: string; removed: Record<string, number> }> = [];
      for (const key of keys) purged.push({ runKey: key, removed: await store.purgeRun(key) });
      const text = () =>
        purged.length === 0
          ? `${store.location}: no run last written before ${before!.toISOString()}`
          : purged
              .map(
                (p) =>
                  `${store.location}: purged run ${p.runKey}\n${table(
                    ['TABLE', 'ROWS'],
                    Object.entries(p.removed).map(([t, n]) => [t, n]),
                  )}`,
              )
              .join('\n');
      ctx
        .output(opts)
        .result(
          runKey !== undefined
            ? { runKey, store: store.location, removed: purged[0]!.removed }
            : { store: store.location, olderThan: before!.toISOString(), purged },
          text,
        );
    });
  });

  return [db, accounts, runs];
}

import { z } from 'zod';
import { describeValue } from './describe-value';
import { withExactlyOne } from './exactly-one';
import { intIn } from './integer';
import { jsonObject } from './json-object';
import { accountId, accountListName, accountsFileName, runKey } from './names';
import { retryOverride } from './retry';

/** Largest inline list; bigger jobs pass `accountsFile` so the start event stays small. */
export const MAX_INLINE_ACCOUNTS = 100_000;
/** Accounts one scrapeAccounts activity takes. */
export const MAX_BATCH = 1_000;

const accountList = 'must be a non-empty array of account IDs';
const listName = 'must be the name of a list imported with viralflow accounts import (A-Z a-z 0-9 _ . -)';

/** A date (2025-01-31) or a date-time with a zone (2025-01-31T12:00:00Z, …+02:00): older posts are not wanted. */
export const since = z.union([z.iso.datetime({ offset: true }), z.iso.date()], {
  error: (i) =>
    `must be an ISO date (2025-01-31) or date-time with a zone (2025-01-31T00:00:00Z), got ${describeValue(i.input)}`,
});

export const SCRAPE_MODES = ['incremental', 'full'] as const;
export const DEFAULT_REFRESH_WINDOW_HOURS = 48;

/** Per-account paging options, as the workflows pass them to the activity. */
const pagingFields = {
  /** @default 100 */
  maxPostsPerAccount: intIn(1, 10_000).optional(),
  /** Posts per page. @default 100 */
  pageSize: intIn(1, 100).optional(),
  since: since.optional(),
  /**
   * `incremental` pages each account newest-first only down to the newest post the store held when the
   * account was last scraped (posts younger than `refreshWindowHours` are read again: their metrics still
   * change); `full` reads everything. @default 'incremental'
   */
  mode: z.enum(SCRAPE_MODES, { error: `must be one of ${SCRAPE_MODES.join(', ')}` }).optional(),
  /** Posts younger than this are re-read by an incremental scrape. @default 48 */
  refreshWindowHours: intIn(0, 24 * 365).optional(),
};

/**
 * Where the accounts come from: exactly one of these fields. Adding a source is adding it here (the
 * scrape and pipeline inputs, and the pipeline's hand-over to the scrape, all follow).
 */
export const accountSourceFields = {
  /** Account IDs, inline (duplicates are dropped and counted in the result)… */
  accountIds: z
    .array(accountId, { error: accountList })
    .min(1, { error: accountList })
    .max(MAX_INLINE_ACCOUNTS, {
      error: (i) =>
        `has ${(i.input as unknown[]).length} IDs; more than ${MAX_INLINE_ACCOUNTS} must come from accountsFile`,
    })
    .optional(),
  /** …or a file under `<dataDir>/accounts/` with one ID per line (or a JSON array)… */
  accountsFile: accountsFileName.optional(),
  /** …or a list in the results store, loaded with `viralflow accounts import <file> --name <list>`. */
  accountList: z
    .string({ error: listName })
    .refine((v) => accountListName.safeParse(v).success, { error: listName })
    .optional(),
};
const ACCOUNT_SOURCES = Object.keys(accountSourceFields);

/** What the scrape fields below default to (the workflow fills them in; summaries count batches with them). */
export const SCRAPE_DEFAULTS = {
  batchSize: 100,
  maxConcurrentBatches: 4,
  chunkSize: 5_000,
  maxConcurrentChunks: 2,
} as const;

/** Everything the scrape workflow takes, and so everything the pipeline hands over to it. */
export const scrapeFields = {
  ...accountSourceFields,
  /** Accounts per scrapeAccounts activity. @default 100 */
  batchSize: intIn(1, MAX_BATCH).optional(),
  /** Activities in flight per chunk. @default 4 */
  maxConcurrentBatches: intIn(1, 64).optional(),
  /** Accounts per child workflow when the job is large. @default 5000 */
  chunkSize: intIn(1, 20_000).optional(),
  /** Child workflows in flight. @default 2 */
  maxConcurrentChunks: intIn(1, 16).optional(),
  ...pagingFields,
  retry: retryOverride.optional(),
};
/** The fields the pipeline hands over to its scrape stage as given. */
export const SCRAPE_FIELD_NAMES = Object.keys(scrapeFields) as Array<keyof typeof scrapeFields>;

export const scrapeAccountsWorkflowInput = withExactlyOne(
  jsonObject({
    ...scrapeFields,
    /** Names the sink location; defaults to the workflow ID, so re-running the same job writes to the same place. */
    runKey: runKey.optional(),
  }),
  ACCOUNT_SOURCES,
);
export type ScrapeAccountsWorkflowInput = z.input<typeof scrapeAccountsWorkflowInput>;

/** One chunk of a large scrape: the parent's settings with the chunk's accounts and the number of its first batch. */
export const scrapeChunkWorkflowInput = withExactlyOne(
  jsonObject({ ...scrapeFields, runKey, batchOffset: intIn(0, 10_000_000).optional() }),
  ACCOUNT_SOURCES,
);
export type ScrapeChunkWorkflowInput = z.input<typeof scrapeChunkWorkflowInput>;

/** The scrapeAccounts activity: one batch of accounts. */
export const scrapeAccountsInput = jsonObject({
  accountIds: z.array(accountId).min(1).max(MAX_BATCH),
  maxPostsPerAccount: pagingFields.maxPostsPerAccount.unwrap().default(100),
  pageSize: pagingFields.pageSize.unwrap().default(100),
  since: pagingFields.since,
  mode: pagingFields.mode.unwrap().default('incremental'),
  refreshWindowHours: pagingFields.refreshWindowHours.unwrap().default(DEFAULT_REFRESH_WINDOW_HOURS),
  /** Names the logical run: every attempt and re-run of it writes to the same sink location. */
  runKey,
  /**
   * Per request; below the activity's heartbeat timeout, so a hung request fails the attempt before the
   * server gives up on it.
   */
  timeoutMs: z.number().int().min(10).max(60_000).default(5_000),
});
export type ScrapeAccountsInput = z.input<typeof scrapeAccountsInput>;

/** The discardAccounts activity: the accounts of a batch that ran out of attempts. */
export const discardAccountsInput = jsonObject({
  runKey,
  accountIds: z.array(accountId).min(1).max(MAX_BATCH),
});
export type DiscardAccountsInput = z.input<typeof discardAccountsInput>;

/** The loadAccountIds activity: one page of a stored account list. */
export const loadAccountIdsInput = withExactlyOne(
  jsonObject({
    /** A list's name in the results store (a file under `<dataDir>/accounts/` for the NDJSON store)… */
    list: accountListName.optional(),
    /** …or its older name: an accounts file. */
    file: accountsFileName.optional(),
    offset: z.number().int().min(0),
    /** At most a chunk: the scrape pages through the list one chunk at a time. */
    limit: scrapeFields.chunkSize.unwrap(),
  }),
  ['list', 'file'],
);
export type LoadAccountIdsInput = z.input<typeof loadAccountIdsInput>;

/** The advanceWatermarks activity: a scrape run whose final output moves the accounts' marks. */
export const advanceWatermarksInput = jsonObject({ runKey });
export type AdvanceWatermarksInput = z.input<typeof advanceWatermarksInput>;

import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure } from '@temporalio/common';
import { z } from 'zod';
import { FailureType } from './failure-types';

/**
 * The completeness guard: a later stage compares what the scrape recorded in its summary (workflow
 * history, the same on every host) with what it read back from its results store. A difference means
 * the reader is not looking at the store the scrape wrote to, most often because the workers do not
 * share one (each has its own VIRALFLOW_DATA_DIR): reporting the run as complete would be silent data
 * loss. Workflow-safe (imports only @temporalio/common and the failure-type list), so the workflows
 * and the activities check with the same code.
 */

const count = z.number().int().min(0).max(100_000_000);
/** What a scrape recorded: complete accounts and their posts (its summary's `scraped` and `posts`). */
export const resultCounts = z.strictObject({ accounts: count, posts: count });
export type ResultCounts = z.output<typeof resultCounts>;

export interface CompletenessCheck {
  runKey: string;
  expected: ResultCounts;
  /** What the reader found; `posts` undefined when only the accounts have been listed so far. */
  read: { accounts: number; posts?: number };
  /** Who read, and from where (`worker w-1, NDJSON folder /data/scrape/run-1`); never a URL or a secret. */
  reader: string;
  /**
   * Reading stopped at a post limit (`maxPosts`): posts are checked up to the limit and accounts are
   * not checked (the reader never reached the later ones).
   * @default undefined (no limit)
   */
  maxPosts?: number;
}

const SHARED_STORE_HINT =
  'Likely cause: the workers do not share one results store (each writes to its own VIRALFLOW_DATA_DIR), so this ' +
  'stage ran on a worker that cannot see what the scrape wrote elsewhere. Set VIRALFLOW_DATABASE_URL on every ' +
  'worker to one PostgreSQL database (or give them one shared VIRALFLOW_DATA_DIR) and run the pipeline again.';

const EXTRA_HINT =
  'Likely cause: the store holds output of an earlier run under the same run key (a workflow ID reused with ' +
  'other accounts); purge that run (viralflow runs purge <runKey>) or use a new workflow ID.';

/**
 * The non-retryable `IncompleteResults` failure for a reader that found other counts than the scrape
 * recorded, or undefined when they agree. Non-retryable: no single host holds the rest, so another
 * attempt on whichever worker picks it up can only repeat the mistake or, worse, pass by luck.
 */
export function completenessFailure(check: CompletenessCheck): ApplicationFailure | undefined {
  const { expected, read, maxPosts } = check;
  const wantPosts = maxPosts === undefined ? expected.posts : Math.min(expected.posts, maxPosts);
  const accountsOk = maxPosts !== undefined || read.accounts === expected.accounts;
  const postsOk = read.posts === undefined || read.posts === wantPosts;
  if (accountsOk && postsOk) return undefined;
  const short =
    (read.posts !== undefined && read.posts < wantPosts) ||
    (maxPosts === undefined && read.accounts < expected.accounts);
  const found =
    read.posts === undefined ? `${read.accounts} accounts` : `${read.accounts} accounts with ${read.posts} posts`;
  const message =
    `results of run ${check.runKey} are ${short ? 'incomplete' : "not the scrape's"}: the scrape recorded ` +
    `${expected.accounts} accounts with ${expected.posts} posts${maxPosts === undefined ? '' : ` (checked up to maxPosts ${maxPosts})`}, ` +
    `but ${check.reader} found ${found}. ${short ? SHARED_STORE_HINT : EXTRA_HINT}`;
  return ApplicationFailure.create({
    type: FailureType.IncompleteResults,
    message,
    nonRetryable: true,
    details: [{ runKey: check.runKey, expected, read }],
  });
}

/**
 * The IncompleteResults failure behind an error, raised here or by an activity or child workflow
 * (through its ActivityFailure/ChildWorkflowFailure), or undefined.
 */
export function incompleteResultsCause(err: unknown): ApplicationFailure | undefined {
  let root = err;
  while ((root instanceof ActivityFailure || root instanceof ChildWorkflowFailure) && root.cause) root = root.cause;
  return root instanceof ApplicationFailure && root.type === FailureType.IncompleteResults ? root : undefined;
}

/** The failure that ends a pipeline whose stage read other counts than the scrape recorded, naming the stage. */
export function incompleteStage(stage: string, failure: ApplicationFailure, cause?: Error): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureType.IncompleteResults,
    message: `${stage} stage: ${failure.message}`,
    nonRetryable: true,
    details: failure.details ?? undefined,
    cause,
  });
}

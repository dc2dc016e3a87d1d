import type { AttemptFence, ResultsSink, ScrapedPost } from '../sink/types';
import type { EvidenceLedger } from './evidence';
import type { Watermarks } from './watermarks';

/**
 * Everything a later stage, another worker or the CLI reads back goes through the results store:
 * scraped posts and profiles (written through `sinkFor`), the patterns stage's per-post outcomes,
 * named account lists, each experiment's evidence ledger (./evidence) and incremental scraping's marks (./watermarks). Two implementations: the NDJSON folder (one machine, the default) and
 * PostgreSQL (shared by every worker; selected by VIRALFLOW_DATABASE_URL).
 */
export interface ResultsStore extends EvidenceLedger, Watermarks {
  readonly kind: 'ndjson' | 'postgres';
  /** Where it is, for messages: a folder, or `host:port/database` (never credentials). */
  readonly location: string;
  /** Brings the store's schema up to date (a no-op for files); safe to call from many workers at once. */
  migrate(): Promise<MigrationReport>;
  /**
   * The sink one activity attempt writes a run's output with. With `fence` (the attempt's, see
   * AttemptFence) an older attempt's open, complete, discard or sweep of an account a newer one has
   * touched fails with SupersededAttemptError or skips it; without one (tools, tests) nothing is fenced.
   */
  sinkFor(runKey: string, fence?: AttemptFence): ResultsSink;
  /**
   * A run's posts, streamed (bounded memory) in account order: the given accounts (those without
   * complete output skipped) or every complete account, sorted by ID; each account's posts in the
   * order they were written.
   */
  readPosts(runKey: string, accountIds?: readonly string[]): AsyncIterable<ScrapedPost>;
  /**
   * The run's accounts with complete output, sorted by ID (only those among `accountIds` when given):
   * what a reader counts against the scrape's summary (the completeness guard), zero-post accounts included.
   */
  completeAccounts(runKey: string, accountIds?: readonly string[]): Promise<string[]>;
  /** Records the patterns stage's verdict per post; writing the same post again replaces it. */
  writeOutcomes(runKey: string, outcomes: readonly PostOutcome[]): Promise<void>;
  /** Stores a named account list, replacing any list of that name in one step; answers its length. */
  importAccountList(name: string, accountIds: readonly string[]): Promise<number>;
  /** One page of a named list; throws AccountListNotFoundError when there is no such list. */
  loadAccountIds(name: string, offset: number, limit: number): Promise<AccountIdsPage>;
  /** Deletes everything stored for a run (posts, profiles, account states, outcomes, partial output); never evidence. */
  purgeRun(runKey: string): Promise<PurgeReport>;
  /** The runs the store holds, least recently written first; only those last written before `writtenBefore` when given. */
  listRuns(writtenBefore?: Date): Promise<StoredRun[]>;
  close(): Promise<void>;
}

/** The patterns stage's result for one post. */
export interface PostOutcome {
  accountId: string;
  postId: string;
  /** The engine's top pattern; absent when it found none. */
  topPattern?: string;
  virality: number;
}

export interface AccountIdsPage {
  accountIds: string[];
  /** True when the list has no IDs past this page. */
  done: boolean;
}

export interface MigrationReport {
  /** Migrations this call applied (empty when the schema was already current). */
  applied: string[];
  /** Schema version now in the store: the number of migrations applied (0 for files). */
  version: number;
}

/** What a purge removed, by table (or file kind). */
export type PurgeReport = Record<string, number>;

export interface StoredRun {
  runKey: string;
  /** ISO time of the run's last write (an account published or scraping, an outcome scored). */
  lastWrite: string;
}

/** A named account list that is not in the store. */
export class AccountListNotFoundError extends Error {
  constructor(readonly list: string) {
    super(
      `no account list named "${list}" in the results store (load it with: viralflow accounts import <file> --name ${list})`,
    );
    this.name = 'AccountListNotFoundError';
  }
}

import { z } from 'zod';
import { hasExactKeys, withExactCheck } from '../validation/exact-check';

/**
 * What the scrape stage stores and later stages read back: the records, the handle that names one
 * run's output, and the writer interface the scraper is given (so tests and other back ends can
 * stand in for the default NDJSON files).
 */

const count = z.number().int().nonnegative();

const MAX_POST_ID_CHARS = 256;
const postCreatedAt = z.iso.datetime({ offset: true });
const postMetrics = z.object({ likes: count, shares: count, comments: count, views: count });
const postShape = z.object({
  id: z.string().min(1).max(MAX_POST_ID_CHARS),
  accountId: z.string().min(1),
  createdAt: postCreatedAt,
  text: z.string(),
  metrics: postMetrics,
});
const profileShape = z.object({
  accountId: z.string().min(1),
  followers: count,
  following: count,
  postCount: count,
  engagementRate: z.number().finite(),
});

/** A post as stored: validated on the way in, so readers get exactly this shape back. */
export const scrapedPost = withExactCheck(postShape, isScrapedPost);
export type ScrapedPost = z.output<typeof scrapedPost>;

export const scrapedProfile = withExactCheck(profileShape, isScrapedProfile);
export type ScrapedProfile = z.output<typeof scrapedProfile>;

// The exact checks (see ../validation/exact-check): the schemas above are the rule; these only
// recognise, without copying, values those schemas pass through unchanged.
const POST_KEYS = Object.keys(postShape.shape);
const METRICS_KEYS = Object.keys(postMetrics.shape);
const PROFILE_KEYS = Object.keys(profileShape.shape);
/** zod's own pattern for the datetime format; without one, no post passes the exact check. */
const CREATED_AT_PATTERN: RegExp | undefined = postCreatedAt._zod.def.pattern;

const isCount = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isNonEmptyString = (v: unknown): v is string => typeof v === 'string' && v.length >= 1;

/** Exact check for `scrapedPost`. */
export function isScrapedPost(v: unknown): boolean {
  if (!hasExactKeys(v, POST_KEYS)) return false;
  const { id, accountId, createdAt, text, metrics } = v;
  return (
    isNonEmptyString(id) &&
    id.length <= MAX_POST_ID_CHARS &&
    isNonEmptyString(accountId) &&
    typeof createdAt === 'string' &&
    CREATED_AT_PATTERN !== undefined &&
    CREATED_AT_PATTERN.test(createdAt) &&
    typeof text === 'string' &&
    hasExactKeys(metrics, METRICS_KEYS) &&
    isCount(metrics.likes) &&
    isCount(metrics.shares) &&
    isCount(metrics.comments) &&
    isCount(metrics.views)
  );
}

/** Exact check for `scrapedProfile`. */
export function isScrapedProfile(v: unknown): boolean {
  return (
    hasExactKeys(v, PROFILE_KEYS) &&
    isNonEmptyString(v.accountId) &&
    isCount(v.followers) &&
    isCount(v.following) &&
    isCount(v.postCount) &&
    typeof v.engagementRate === 'number' &&
    Number.isFinite(v.engagementRate)
  );
}

/** Names one run's output; small enough to travel in activity results. */
export type SinkRef = NdjsonSinkRef | PostgresSinkRef;

export interface NdjsonSinkRef {
  kind: 'ndjson';
  /** Absolute directory holding `<account>.ndjson` files. */
  dir: string;
}

export interface PostgresSinkRef {
  kind: 'postgres';
  runKey: string;
  /** `host:port/database` of the store (never the user or password): says which store, for messages. */
  database: string;
}

/**
 * Where an account's unfinished output stands: the attempt that wrote it and how much of it counts
 * (`bytes`: a length in the sink's own unit, bytes of a file or rows of a table; opaque to the scraper).
 */
export interface PartialCheckpoint {
  attempt: number;
  bytes: number;
}

/**
 * Which attempt a sink writes for: the Temporal server's schedule time (ms) of the activity attempt
 * (`currentAttemptScheduledTimestampMs`). A retry, a reset or a re-run is scheduled later than every
 * attempt before it, on the server's clock, whichever worker runs it. Each account of a run keeps the
 * newest fence that opened, discarded or swept it; an older attempt still running (a zombie whose
 * heartbeat timed out) can then neither publish, discard nor sweep that account.
 */
export type AttemptFence = number;

/** Where a store keeps each account's newest fence, and does a step only while the fence is the caller's. */
export interface AccountFences {
  /**
   * Raises each account's fence to `fence` and, in the same transaction, runs `act` with the accounts
   * whose fence is now `fence` (those held by a newer attempt are left out). Answers those accounts.
   */
  claim(runKey: string, accountIds: readonly string[], fence: AttemptFence, act?: (own: string[]) => void): string[];
}

/** A newer attempt owns the account's output: this one (a zombie) must stop writing it. */
export class SupersededAttemptError extends Error {
  constructor(
    readonly accountId: string,
    readonly fence: AttemptFence,
    options?: { cause?: unknown },
  ) {
    super(
      `account ${accountId}: an attempt scheduled after this one (${new Date(fence).toISOString()}) owns its output; this attempt stops`,
      options,
    );
    this.name = 'SupersededAttemptError';
  }
}

/** Receives one run's output, account by account; every account is all-or-nothing to readers. */
export interface ResultsSink {
  readonly ref: SinkRef;
  /**
   * Starts writing `accountId` for `attempt`. With `resumeFrom`, continues that checkpoint's partial
   * output cut back to its recorded length (anything written after the checkpoint is dropped); when
   * that output is gone or shorter than recorded, the writer starts empty (`bytes` 0) instead.
   */
  open(accountId: string, attempt: number, resumeFrom?: PartialCheckpoint): Promise<AccountWriter>;
  /** Whether complete output for the account exists. */
  isComplete(accountId: string): Promise<boolean>;
  /** Deletes unfinished output of these accounts left by any attempt; answers how many files went. */
  sweepPartials(accountIds: readonly string[]): Promise<number>;
  /**
   * Deletes all output of these accounts, complete or not: the run reports them as failed (their batch
   * ran out of attempts), so readers must not count what an earlier attempt finished. Answers how many
   * accounts had complete output.
   */
  discardAccounts(accountIds: readonly string[]): Promise<number>;
}

export interface AccountWriter {
  /** Bytes of output that count so far; a checkpoint records this (with the attempt) to resume from. */
  readonly bytes: number;
  /** Writes the profile (only at the start, `bytes` 0) and posts; answers the new `bytes` once written. */
  append(records: { profile?: ScrapedProfile; posts: readonly ScrapedPost[] }): Promise<number>;
  /** Makes the output visible to readers in one step, replacing any earlier complete output. */
  complete(): Promise<void>;
  /** Stops writing and keeps the partial output for a later attempt to resume. */
  abandon(): Promise<void>;
  /** Removes the account's output, complete or not: it has no valid result in this run. */
  discard(): Promise<void>;
}

/** A sink path would leave the sink's directory: refused before any file is touched. */
export class SinkPathError extends Error {
  constructor(readonly target: string) {
    super(`refusing sink path for ${JSON.stringify(target)}: it would leave the sink directory`);
    this.name = 'SinkPathError';
  }
}

/** Stored output that cannot be read back as written (truncated, edited, or not ours). */
export class CorruptSinkError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}:${line}: ${detail}`, options);
    this.name = 'CorruptSinkError';
  }
}

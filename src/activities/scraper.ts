import { Context } from '@temporalio/activity';
import pLimit from 'p-limit';
import { z } from 'zod';
import { scrapeAccountsInput, type ScrapeAccountsInput } from '../contracts/scrape';
import { MalformedResponseError, ResponseTooLargeError, UpstreamError, UpstreamHttpError } from '../http/errors';
import type { Upstream } from '../http/upstream';
import type { AccountWriter, AttemptFence, ResultsSink, ScrapedProfile, SinkRef } from '../sink/types';
import { httpSocialSource } from '../sources/http-sources';
import { createSourceHttp } from '../sources/source-http';
import { MAX_CURSOR_CHARS, type PostsPage, type SocialSource } from '../sources/types';
import { toActivityFailure } from './failures';
import { parseInput } from './validate';

/** Accounts in flight at once within one execution, when the deps do not say. */
const DEFAULT_SCRAPE_CONCURRENCY = 128;
const DEFAULT_HEARTBEAT_EVERY_MS = 250;
const KEEP_ALIVE_WITHOUT_TIMEOUT_MS = 5_000;
/** The first page's size for an account scraped before (incremental mode). */
const INCREMENTAL_PROBE_POSTS = 10;
/** Failure reasons travel in heartbeats and the result: enough to say what broke, not a body dump. */
const MAX_REASON_CHARS = 200;

export type { ScrapeAccountsInput } from '../contracts/scrape';

export interface FailedAccount {
  accountId: string;
  reason: string;
  status?: number;
}

export interface ScrapeResult {
  runKey: string;
  /** IDs in the input, duplicates included. */
  requested: number;
  duplicatesDropped: number;
  /** Accounts whose complete output is in the sink. */
  scraped: number;
  failed: FailedAccount[];
  /** Posts in the sink for this batch, and the pages they came from. */
  posts: number;
  pages: number;
  /** Accounts finished (scraped or failed) by an earlier attempt and skipped by this one. */
  resumed: number;
  /** Accounts this attempt continued from a cursor an earlier attempt reached. */
  continued: number;
  /** Of `posts`: those newer than the account's mark (all of them without one), and those read again. */
  newPosts: number;
  refreshedPosts: number;
  /** Scraped accounts with a mark and nothing new or young enough to refresh. */
  unchangedAccounts: number;
  sink: SinkRef;
}

const count = z.number().int().nonnegative();

/** Heartbeat details: IDs, counts and cursors only, never posts. Counts are what the sink holds. */
const scrapeProgress = z.object({
  v: z.literal(1),
  /** `fresh`: of `posts`, those newer than the account's mark (absent in details from before marks: all). */
  done: z.array(z.object({ id: z.string(), posts: count, pages: count, fresh: count.optional() })),
  failed: z.array(z.object({ accountId: z.string(), reason: z.string(), status: z.number().int().optional() })),
  /** Accounts mid-pagination: the attempt whose partial output holds `bytes` that count, and where to go on. */
  partial: z.array(
    z.object({
      id: z.string(),
      attempt: z.number().int().min(1),
      bytes: count,
      cursor: z.string(),
      posts: count,
      pages: count,
      fresh: count.optional(),
    }),
  ),
});
export type ScrapeProgress = z.output<typeof scrapeProgress>;
type PartialAccount = ScrapeProgress['partial'][number];

/** Where an account's pagination stands: the cursor to ask for next, and what is kept so far. */
interface Position {
  cursor: string | undefined;
  posts: number;
  pages: number;
  /** Of `posts`, those newer than the account's mark. */
  fresh: number;
}
const START: Position = { cursor: undefined, posts: 0, pages: 0, fresh: 0 };

interface Fetched {
  /** Posts asked for; a page offering more is cut to this. */
  want: number;
  profile?: ScrapedProfile;
  page: PostsPage;
  /** The error for a page that makes no sense, about the request that fetched it. */
  malformed(detail: string): MalformedResponseError;
}

export interface ScraperDeps {
  /** The social API: its pool, rate limit and typed errors, which every request of `source` goes through. */
  social: Upstream;
  /** Maps the social API's shape to profiles and pages. @default httpSocialSource (viralflow's HTTP contract) */
  source?: SocialSource;
  /** Accounts in flight at once within one execution (default 128). */
  concurrency?: number;
  /** The sink for one run's output, e.g. `(runKey) => createNdjsonSink(config.dataDir, runKey)`. */
  sinkFor(runKey: string, fence?: AttemptFence): ResultsSink;
  /**
   * Least time between two heartbeats handed to the SDK; changes in between go out together in the
   * next one. The SDK serialises every heartbeat at once and only then throttles what it sends on, so
   * a heartbeat per page cost a worker about as much CPU as the pages. The last state is always
   * heartbeated before the attempt ends; 0 heartbeats every change.
   * @default 250
   */
  heartbeatEveryMs?: number;
  /**
   * Each account's mark: the newest post time the store held when the account was last scraped (see
   * store/watermarks.ts). Without it every scrape reads everything, as `mode: 'full'` does.
   */
  watermarks?: (accountIds: readonly string[]) => Promise<ReadonlyMap<string, string>>;
  /** Now, for the refresh window. @default Date.now */
  now?: () => number;
  /**
   * The last state is heartbeated again this often whatever happens, so an attempt waiting on a slow
   * upstream, a long limiter wait or its restore step stays alive, and cancellation still reaches it.
   * @default a third of the activity's heartbeat timeout (5 s without one)
   */
  keepAliveEveryMs?: number;
}

/**
 * ViralScraperOperator, rebuilt: profiles and paginated posts of many accounts at once over the
 * shared pool, posts streamed to a sink, progress heartbeated so a retry resumes instead of redoing.
 * A rate limit or a transient error ends the attempt at once (no sleeping in a worker slot); one
 * bad account is reported, not fatal.
 */
export function createScrapeAccounts(deps: ScraperDeps) {
  const concurrency = deps.concurrency ?? DEFAULT_SCRAPE_CONCURRENCY;
  const source = deps.source ?? httpSocialSource;

  return async function scrapeAccounts(rawInput: ScrapeAccountsInput): Promise<ScrapeResult> {
    const input = parseInput(scrapeAccountsInput, rawInput, 'scrapeAccounts');
    const ctx = Context.current();
    const { attempt } = ctx.info;
    let lastDetails: unknown = ctx.info.heartbeatDetails; // an earlier attempt's, until this one has its own
    const heartbeat = (details: ScrapeProgress) => {
      lastDetails = details;
      ctx.heartbeat(details);
    };
    const keepAlive = setInterval(
      () => ctx.heartbeat(lastDetails),
      deps.keepAliveEveryMs ??
        (ctx.info.heartbeatTimeoutMs ? ctx.info.heartbeatTimeoutMs / 3 : KEEP_ALIVE_WITHOUT_TIMEOUT_MS),
    );
    try {
      const accountIds = [...new Set(input.accountIds)];
      const sinceMs = input.since === undefined ? undefined : Date.parse(input.since);
      // Fenced by the server's schedule time of this attempt: a zombie of an older one cannot publish over it.
      const sink = deps.sinkFor(input.runKey, ctx.info.currentAttemptScheduledTimestampMs);
      // A source that cannot page newest-first reads everything: a mark would stop it at the wrong post.
      const incremental = input.mode === 'incremental' && deps.watermarks && source.order !== 'unordered';
      const marks = incremental ? await deps.watermarks!(accountIds) : new Map<string, string>();
      const refreshFromMs = (deps.now ?? Date.now)() - input.refreshWindowHours * 3_600_000;
      /** Which posts of the account to keep: after `since`, and newer than its mark or young enough to refresh. */
      const keeperFor = (id: string) => {
        const mark = marks.get(id);
        const markMs = mark === undefined ? undefined : Date.parse(mark);
        return {
          keep: (p: { createdAt: string }) => {
            const t = Date.parse(p.createdAt);
            if (sinceMs !== undefined && t < sinceMs) return false;
            return markMs === undefined || t > markMs || t >= refreshFromMs;
          },
          isNew: (p: { createdAt: string }) => markMs === undefined || Date.parse(p.createdAt) > markMs,
        };
      };

      const restored = await restoreProgress(ctx, accountIds, sink);
      const progress = createProgress(restored, heartbeat, deps.heartbeatEveryMs ?? DEFAULT_HEARTBEAT_EVERY_MS);
      const resumed = restored.done.length + restored.failed.length;
      let continued = 0;

      // Our own abort (rate limit, transient error) or Temporal's cancellation: either stops everything in flight.
      const stop = new AbortController();
      const signal = AbortSignal.any([ctx.cancellationSignal, stop.signal]);
      let fatal: { error: unknown } | undefined;

      // One helper per call, so an error names the request it is about; the deadline and cancellation are ours.
      const http = () => createSourceHttp(deps.social, { timeoutMs: input.timeoutMs, signal });
      const profileOf = async (id: string): Promise<ScrapedProfile> => {
        const ctx = { http: http() };
        const profile = await source.profile(id, ctx);
        if (profile.accountId !== id) throw ctx.http.malformed(`profile is for account "${profile.accountId}"`);
        return profile;
      };
      const pageOf = async (id: string, cursor: string | undefined, limit: number) => {
        const ctx = { http: http(), limit };
        const page = await source.page(id, cursor, ctx);
        if (page.posts.some((p) => p.accountId !== id)) throw ctx.http.malformed('posts of another account');
        const next = page.nextCursor;
        if (next !== null && (next === '' || next.length > MAX_CURSOR_CHARS))
          throw ctx.http.malformed(`next cursor is empty or longer than ${MAX_CURSOR_CHARS} characters`);
        return { page, malformed: ctx.http.malformed };
      };

      /** One page of posts, with the profile when `withProfile`; `posts` already kept decides how many to ask for. */
      const fetchPage = (
        id: string,
        cursor: string | undefined,
        posts: number,
        withProfile: boolean,
      ): Promise<Fetched> => {
        // An account with a mark usually has a post or two since: its first page is a small probe, and
        // only an account with more new posts than that pages on at full size.
        const probe = cursor === undefined && marks.has(id) ? INCREMENTAL_PROBE_POSTS : Infinity;
        const want = Math.min(input.pageSize, input.maxPostsPerAccount - posts, probe);
        const page = pageOf(id, cursor, want);
        const fetched: Promise<Fetched> = withProfile
          ? Promise.all([profileOf(id), page]).then(([profile, p]) => ({ want, profile, ...p }))
          : page.then((p) => ({ want, ...p }));
        // Requests start before anyone awaits them (see paginate); an early exit must not leave an unhandled rejection.
        fetched.catch(() => {});
        return fetched;
      };

      /**
       * Pages one account into `writer`, from `start` on, `pending` being the request for the first
       * page. The next page is requested before this one is written, so the file write overlaps the
       * upstream round trip instead of adding to it.
       */
      const paginate = async (
        id: string,
        writer: AccountWriter,
        start: Position,
        pending: Promise<Fetched>,
      ): Promise<void> => {
        let { cursor, posts, pages } = start;
        let fresh = start.fresh;
        const keeper = keeperFor(id);
        for (;;) {
          const { want, profile, page, malformed } = await pending;
          const next = page.nextCursor;
          const offered = page.posts.slice(0, want);
          const kept = takeWhile(offered, keeper.keep);
          fresh += kept.filter(keeper.isNew).length;
          const finished =
            next === null || posts + kept.length >= input.maxPostsPerAccount || kept.length < offered.length;
          // A page that moves nowhere would have us page forever.
          if (!finished && (page.posts.length === 0 || next === cursor))
            throw malformed('next cursor makes no progress');
          if (!finished) pending = fetchPage(id, next, posts + kept.length, false);

          const bytes = await writer.append({ ...(profile && { profile }), posts: kept });
          posts += kept.length;
          pages++;
          if (finished) {
            await writer.complete();
            progress.finish({ id, posts, pages, fresh });
            return;
          }
          cursor = next;
          progress.advance({ id, attempt, bytes, cursor, posts, pages, fresh });
        }
      };

      const scrapeAccount = async (id: string): Promise<void> => {
        const from = progress.partialOf(id);
        // A fresh account's first requests need nothing from the sink: they go out while it opens the file.
        let pending = from ? undefined : fetchPage(id, undefined, 0, true);
        // Should the sink fail, the batch stops and the stop signal aborts these requests.
        const writer = await sink.open(id, attempt, from && { attempt: from.attempt, bytes: from.bytes });
        // The sink answers 0 bytes when that partial output is gone: then the account starts over.
        const resumeFrom = from && writer.bytes > 0 ? from : undefined;
        if (resumeFrom) continued++;
        pending ??= resumeFrom
          ? fetchPage(id, resumeFrom.cursor, resumeFrom.posts, false)
          : fetchPage(id, undefined, 0, true);
        try {
          await paginate(
            id,
            writer,
            resumeFrom ? { ...resumeFrom, fresh: resumeFrom.fresh ?? resumeFrom.posts } : START,
            pending,
          );
        } catch (err) {
          const failure = accountFailure(id, err);
          if (!failure) {
            await writer.abandon(); // keeps the partial output the last checkpoint points at
            throw err;
          }
          await writer.discard();
          progress.fail(failure);
        }
      };

      const limit = pLimit(concurrency);
      const todo = [
        ...restored.partial.map((p) => p.id), // first, so their partial files are finished and cleaned up early
        ...accountIds.filter((id) => !progress.isSettled(id) && !progress.partialOf(id)),
      ];
      await Promise.all(
        todo.map((id) =>
          limit(async () => {
            if (signal.aborted) return; // stop launching
            try {
              await scrapeAccount(id);
            } catch (err) {
              if (signal.aborted) return; // interrupted because of another account, or cancelled
              fatal = { error: err };
              stop.abort(err);
            }
          }),
        ),
      );

      const final = progress.beat();
      if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
      if (fatal) throw toActivityFailure(fatal.error);

      await sink.sweepPartials(accountIds);
      const order = new Map(accountIds.map((id, i) => [id, i]));
      const newPosts = final.done.reduce((sum, d) => sum + (d.fresh ?? d.posts), 0);
      return {
        runKey: input.runKey,
        requested: input.accountIds.length,
        duplicatesDropped: input.accountIds.length - accountIds.length,
        scraped: final.done.length,
        failed: [...final.failed].sort((a, b) => (order.get(a.accountId) ?? 0) - (order.get(b.accountId) ?? 0)),
        posts: final.done.reduce((sum, d) => sum + d.posts, 0),
        pages: final.done.reduce((sum, d) => sum + d.pages, 0),
        resumed,
        continued,
        newPosts,
        refreshedPosts: final.done.reduce((sum, d) => sum + d.posts, 0) - newPosts,
        unchangedAccounts: final.done.filter((d) => d.posts === 0 && marks.has(d.id)).length,
        sink: sink.ref,
      };
    } finally {
      clearInterval(keepAlive);
    }
  };
}

/**
 * The previous attempt's last heartbeat, limited to this batch. Accounts it says are scraped but
 * whose output is missing (a sink that is not shared between workers, say) are scraped again.
 */
async function restoreProgress(
  ctx: Context,
  accountIds: readonly string[],
  sink: ResultsSink,
): Promise<ScrapeProgress> {
  const empty: ScrapeProgress = { v: 1, done: [], failed: [], partial: [] };
  const details: unknown = ctx.info.heartbeatDetails;
  if (details === undefined || details === null) return empty;
  const parsed = scrapeProgress.safeParse(details);
  if (!parsed.success) {
    ctx.log.warn('scrapeAccounts: ignoring unreadable heartbeat details; starting over', {
      issues: parsed.error.issues.length,
    });
    return empty;
  }
  const wanted = new Set(accountIds);
  const present = await Promise.all(
    parsed.data.done.filter((d) => wanted.has(d.id)).map(async (d) => ((await sink.isComplete(d.id)) ? d : undefined)),
  );
  const done = present.filter((d) => d !== undefined);
  const failed = parsed.data.failed.filter((f) => wanted.has(f.accountId));
  const settled = new Set([...done.map((d) => d.id), ...failed.map((f) => f.accountId)]);
  const partial = parsed.data.partial.filter((p) => wanted.has(p.id) && !settled.has(p.id));
  return { v: 1, done, failed, partial };
}

interface Progress {
  isSettled(id: string): boolean;
  partialOf(id: string): PartialAccount | undefined;
  /** An account got further; its output up to `bytes` is written. */
  advance(entry: PartialAccount): void;
  finish(entry: ScrapeProgress['done'][number]): void;
  fail(failure: FailedAccount): void;
  /** Heartbeats the current state now (and nothing more afterwards unless it changes) and answers it. */
  beat(): ScrapeProgress;
}

/**
 * Progress, heartbeated at most every `everyMs`: the first change at once, later ones together at the
 * end of the interval (the SDK throttles again what reaches the server). Each snapshot shares the
 * unchanged done/failed arrays with the last one instead of copying them; those arrays are replaced,
 * never mutated.
 */
function createProgress(
  initial: ScrapeProgress,
  heartbeat: (details: ScrapeProgress) => void,
  everyMs: number,
): Progress {
  let { done, failed } = initial;
  const partial = new Map(initial.partial.map((p) => [p.id, p]));
  const settled = new Set([...done.map((d) => d.id), ...failed.map((f) => f.accountId)]);
  let lastBeat = -Infinity;
  let due: NodeJS.Timeout | undefined;
  const beat = (): ScrapeProgress => {
    clearTimeout(due);
    due = undefined;
    lastBeat = performance.now();
    const snapshot: ScrapeProgress = { v: 1, done, failed, partial: [...partial.values()] };
    heartbeat(snapshot);
    return snapshot;
  };
  const changed = () => {
    if (due) return;
    const wait = lastBeat + everyMs - performance.now();
    if (wait <= 0) beat();
    else due = setTimeout(beat, wait);
  };
  return {
    isSettled: (id) => settled.has(id),
    partialOf: (id) => partial.get(id),
    advance(entry) {
      partial.set(entry.id, entry);
      changed();
    },
    finish(entry) {
      partial.delete(entry.id);
      settled.add(entry.id);
      done = [...done, entry];
      changed();
    },
    fail(failure) {
      partial.delete(failure.accountId);
      settled.add(failure.accountId);
      failed = [...failed, failure];
      changed();
    },
    beat,
  };
}

/**
 * Errors that condemn one account, not the batch: its data is missing, refused or unreadable, and
 * retrying will not change that. 401 is the exception among 4xx: it means our token, for every account.
 */
function accountFailure(accountId: string, err: unknown): FailedAccount | undefined {
  const perAccount =
    err instanceof MalformedResponseError ||
    err instanceof ResponseTooLargeError ||
    (err instanceof UpstreamHttpError && !err.retryable && err.status !== 401);
  if (!perAccount || !(err instanceof UpstreamError)) return undefined;
  // The origin is the same for every account; the path says which call broke.
  const reason = err.message.replace(`${err.origin}${err.path}`, err.path).slice(0, MAX_REASON_CHARS);
  return { accountId, reason, ...(err instanceof UpstreamHttpError && { status: err.status }) };
}

function takeWhile<T>(items: readonly T[], keep: (item: T) => boolean): T[] {
  const end = items.findIndex((item) => !keep(item));
  return end === -1 ? [...items] : items.slice(0, end);
}

import { hostname } from 'node:os';
import { Context } from '@temporalio/activity';
import { completenessFailure } from '../contracts/completeness';
import { extractFromSinkInput, type ExtractFromSinkInput } from '../contracts/patterns';
import type { ResultsStore } from '../store/types';
import type { ExtractPatternsInput, ExtractPatternsResult } from './engine';
import { parseInput } from './validate';

export type { ExtractFromSinkInput } from '../contracts/patterns';

export interface PatternOutcome {
  successes: number;
  failures: number;
}

export interface PatternsSummary {
  runKey: string;
  /** Accounts with complete output read from the store, and their posts sent to the engine. */
  accounts: number;
  posts: number;
  requests: number;
  cache: { l1Hits: number; l2Hits: number; misses: number };
  meanVirality: number;
  patternCounts: Record<string, number>;
  /** Per top pattern: posts at or above the threshold (successes) and below it (failures). */
  outcomes: Record<string, PatternOutcome>;
  topPosts: Array<{ id: string; viralityScore: number; topPattern?: string }>;
}

const TOP_POSTS = 10;
/** Rounds in flight: one is read while another is at the engine or being stored (each holds `chunkSize` posts). */
const ROUNDS_IN_FLIGHT = 2;

/**
 * The engine over a scrape's output: streams posts from the sink in rounds through `extractPatterns`
 * (batching, cache, adaptive timeout included) and keeps only aggregates, so a 100k-post run returns a
 * few kilobytes. A retry re-reads the sink, and rounds already answered come from the cache.
 */
export function createExtractPatternsFromSink(deps: {
  /** Reads the run's posts and records each post's outcome (post → top pattern, virality). */
  store: Pick<ResultsStore, 'kind' | 'location' | 'completeAccounts' | 'readPosts' | 'writeOutcomes'>;
  extractPatterns: (input: ExtractPatternsInput) => Promise<ExtractPatternsResult>;
}) {
  return async function extractPatternsFromSink(raw: ExtractFromSinkInput): Promise<PatternsSummary> {
    const params = parseInput(extractFromSinkInput, raw, 'extractPatternsFromSink');
    const ctx = Context.current();
    // Listed first and then read: the accounts counted are the accounts whose posts are read.
    const accountIds = await deps.store.completeAccounts(params.runKey, params.accountIds);
    const where =
      deps.store.kind === 'postgres'
        ? `the PostgreSQL store ${deps.store.location}`
        : `the NDJSON folder ${deps.store.location}`;
    const check = (read: { accounts: number; posts?: number }) => {
      if (!params.expect) return;
      const failure = completenessFailure({
        runKey: params.runKey,
        expected: params.expect,
        read,
        reader: `the worker on ${hostname()} (pid ${process.pid}), reading ${where},`,
        maxPosts: params.maxPosts,
      });
      if (failure) throw failure;
    };
    // Missing accounts are known before any engine call: fail then, not after the engine has seen the rest.
    if (params.maxPosts === undefined) check({ accounts: accountIds.length });
    const summary: PatternsSummary = {
      runKey: params.runKey,
      accounts: accountIds.length,
      posts: 0,
      requests: 0,
      cache: { l1Hits: 0, l2Hits: 0, misses: 0 },
      meanVirality: 0,
      patternCounts: {},
      outcomes: {},
      topPosts: [],
    };
    let viralitySum = 0;
    let engineTurn: Promise<unknown> = Promise.resolve();

    const round = async (
      items: ExtractPatternsInput['items'],
      keys: ReadonlyArray<{ accountId: string; postId: string }>,
    ) => {
      // One round at the engine at a time: a text repeated in the next round is then a cache hit, not a second request.
      const extracted = engineTurn.then(() =>
        deps.extractPatterns({ items, maxConcurrentBatches: params.maxConcurrentBatches }),
      );
      engineTurn = extracted.catch(() => undefined);
      const r = await extracted;
      // Results come back in input order, so position i is the post keys[i] (ids may be cut to 128 characters).
      await deps.store.writeOutcomes(
        params.runKey,
        r.results.map((result, i) => ({
          ...keys[i]!,
          virality: result.viralityScore,
          ...(result.topPattern !== undefined && { topPattern: result.topPattern }),
        })),
      );
      summary.posts += r.items;
      summary.requests += r.requests;
      summary.cache.l1Hits += r.cache.l1Hits;
      summary.cache.l2Hits += r.cache.l2Hits;
      summary.cache.misses += r.cache.misses;
      for (const [name, n] of Object.entries(r.patternCounts))
        summary.patternCounts[name] = (summary.patternCounts[name] ?? 0) + n;
      for (const result of r.results) {
        viralitySum += result.viralityScore;
        const variant = result.topPattern ?? 'none';
        const o = (summary.outcomes[variant] ??= { successes: 0, failures: 0 });
        if (result.viralityScore >= params.successThreshold) o.successes++;
        else o.failures++;
      }
      summary.topPosts = topPosts(summary.topPosts, r.results);
      ctx.heartbeat({ posts: summary.posts });
    };

    // Rounds overlap: the next one is read while earlier ones are at the engine or being written.
    const inFlight = new Set<Promise<void>>();
    let failure: { err: unknown } | undefined;
    const launch = (items: ExtractPatternsInput['items'], keys: Array<{ accountId: string; postId: string }>) => {
      const done: Promise<void> = round(items, keys)
        .catch((err: unknown) => {
          failure ??= { err };
        })
        .finally(() => inFlight.delete(done));
      inFlight.add(done);
    };
    let read = 0;
    let items: ExtractPatternsInput['items'] = [];
    let keys: Array<{ accountId: string; postId: string }> = [];
    for await (const post of deps.store.readPosts(params.runKey, accountIds)) {
      if (params.maxPosts !== undefined && read >= params.maxPosts) break;
      read++;
      items.push({ id: `${post.accountId}/${post.id}`.slice(0, 128), text: post.text });
      keys.push({ accountId: post.accountId, postId: post.id });
      if (items.length === params.chunkSize) {
        launch(items, keys);
        items = [];
        keys = [];
        while (inFlight.size >= ROUNDS_IN_FLIGHT) await Promise.race(inFlight);
        if (failure) break;
      }
    }
    if (items.length && !failure) launch(items, keys);
    await Promise.all(inFlight);
    if (failure) throw failure.err;
    check({ accounts: summary.accounts, posts: summary.posts });
    summary.meanVirality = summary.posts ? viralitySum / summary.posts : 0;
    return summary;
  };
}

type TopPost = PatternsSummary['topPosts'][number];

/** The TOP_POSTS highest scores of both lists; ties go to the lower id, so the answer does not depend on round order. */
function topPosts(best: TopPost[], results: readonly TopPost[]): TopPost[] {
  const floor = best.length === TOP_POSTS ? best[TOP_POSTS - 1]!.viralityScore : -Infinity;
  const candidates = results.filter((r) => r.viralityScore >= floor);
  if (!candidates.length) return best;
  return [...best, ...candidates]
    .sort((a, b) => b.viralityScore - a.viralityScore || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .slice(0, TOP_POSTS);
}

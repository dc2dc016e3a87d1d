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

    const round = async (
      items: ExtractPatternsInput['items'],
      keys: ReadonlyArray<{ accountId: string; postId: string }>,
    ) => {
      const r = await deps.extractPatterns({ items, maxConcurrentBatches: params.maxConcurrentBatches });
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
      summary.topPosts = [...summary.topPosts, ...r.results]
        .sort((a, b) => b.viralityScore - a.viralityScore)
        .slice(0, TOP_POSTS);
      ctx.heartbeat({ posts: summary.posts });
    };

    let items: ExtractPatternsInput['items'] = [];
    let keys: Array<{ accountId: string; postId: string }> = [];
    for await (const post of deps.store.readPosts(params.runKey, accountIds)) {
      if (params.maxPosts !== undefined && summary.posts + items.length >= params.maxPosts) break;
      items.push({ id: `${post.accountId}/${post.id}`.slice(0, 128), text: post.text });
      keys.push({ accountId: post.accountId, postId: post.id });
      if (items.length === params.chunkSize) {
        await round(items, keys);
        items = [];
        keys = [];
      }
    }
    if (items.length) await round(items, keys);
    check({ accounts: summary.accounts, posts: summary.posts });
    summary.meanVirality = summary.posts ? viralitySum / summary.posts : 0;
    return summary;
  };
}

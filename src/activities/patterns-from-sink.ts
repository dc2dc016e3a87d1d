import { Context } from '@temporalio/activity';
import { extractFromSinkInput, type ExtractFromSinkInput } from '../contracts/patterns';
import { ndjsonSinkRef, readPosts } from '../sink/ndjson-sink';
import type { ExtractPatternsInput, ExtractPatternsResult } from './engine';
import { parseInput } from './validate';

export type { ExtractFromSinkInput } from '../contracts/patterns';

export interface PatternOutcome {
  successes: number;
  failures: number;
}

export interface PatternsSummary {
  runKey: string;
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
  dataDir: string;
  extractPatterns: (input: ExtractPatternsInput) => Promise<ExtractPatternsResult>;
}) {
  return async function extractPatternsFromSink(raw: ExtractFromSinkInput): Promise<PatternsSummary> {
    const params = parseInput(extractFromSinkInput, raw, 'extractPatternsFromSink');
    const ctx = Context.current();
    const summary: PatternsSummary = {
      runKey: params.runKey,
      posts: 0,
      requests: 0,
      cache: { l1Hits: 0, l2Hits: 0, misses: 0 },
      meanVirality: 0,
      patternCounts: {},
      outcomes: {},
      topPosts: [],
    };
    let viralitySum = 0;

    const round = async (items: ExtractPatternsInput['items']) => {
      const r = await deps.extractPatterns({ items, maxConcurrentBatches: params.maxConcurrentBatches });
      summary.posts += r.items;
      summary.requests += r.requests;
      summary.cache.l1Hits += r.cache.l1Hits;
      summary.cache.l2Hits += r.cache.l2Hits;
      summary.cache.misses += r.cache.misses;
      for (const [name, n] of Object.entries(r.patternCounts)) summary.patternCounts[name] = (summary.patternCounts[name] ?? 0) + n;
      for (const result of r.results) {
        viralitySum += result.viralityScore;
        const variant = result.topPattern ?? 'none';
        const o = (summary.outcomes[variant] ??= { successes: 0, failures: 0 });
        if (result.viralityScore >= params.successThreshold) o.successes++;
        else o.failures++;
      }
      summary.topPosts = [...summary.topPosts, ...r.results].sort((a, b) => b.viralityScore - a.viralityScore).slice(0, TOP_POSTS);
      ctx.heartbeat({ posts: summary.posts });
    };

    let items: ExtractPatternsInput['items'] = [];
    for await (const post of readPosts(ndjsonSinkRef(deps.dataDir, params.runKey), params.accountIds)) {
      if (params.maxPosts !== undefined && summary.posts + items.length >= params.maxPosts) break;
      items.push({ id: `${post.accountId}/${post.id}`.slice(0, 128), text: post.text });
      if (items.length === params.chunkSize) {
        await round(items);
        items = [];
      }
    }
    if (items.length) await round(items);
    summary.meanVirality = summary.posts ? viralitySum / summary.posts : 0;
    return summary;
  };
}

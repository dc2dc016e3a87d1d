import { proxyActivities, type RetryPolicy } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ExtractPatternsInput, ExtractPatternsResult } from '../activities/engine';
import type { PatternsSummary } from '../activities/patterns-from-sink';
import { completenessFailure, type ResultCounts } from '../sink/completeness';
import { checkRetry, requireKnownKeys, requireObject } from './input-checks';
import { invalidInput, requireInt } from './invalid-input';
import { activityPolicies, withRetry } from './policies';

export interface ExtractPatternsWorkflowInput {
  /** Content to analyse directly (up to 10,000 items)… */
  items?: ExtractPatternsInput['items'];
  /**
   * …or the posts of a scrape run, read from its sink. `expect` states what the scrape recorded (its
   * summary's `scraped` and `posts`): reading anything else fails the run with IncompleteResults.
   */
  scrape?: { runKey: string; accountIds?: string[]; successThreshold?: number; maxPosts?: number; expect?: ResultCounts };
  maxConcurrentBatches?: number;
  retry?: RetryPolicy;
}

export type ExtractPatternsWorkflowResult =
  | { source: 'items'; result: ExtractPatternsResult }
  | { source: 'scrape'; result: PatternsSummary };

/** ViralEngineOperator's DAG: the engine over given items or over a scrape's output. */
export async function extractPatternsWorkflow(input: ExtractPatternsWorkflowInput): Promise<ExtractPatternsWorkflowResult> {
  const WORKFLOW = 'extractPatternsWorkflow';
  requireKnownKeys(WORKFLOW, requireObject(WORKFLOW, input), ['items', 'scrape', 'maxConcurrentBatches', 'retry']);
  if ((input.items === undefined) === (input.scrape === undefined)) {
    throw invalidInput(WORKFLOW, 'items', 'give exactly one of items or scrape');
  }
  if (input.scrape !== undefined) {
    const raw = requireObject(WORKFLOW, input.scrape, 'scrape').expect;
    if (raw !== undefined) {
      const expect = requireObject(WORKFLOW, raw, 'scrape.expect');
      requireKnownKeys(WORKFLOW, expect, ['accounts', 'posts'], 'scrape.expect.');
      for (const field of ['accounts', 'posts'] as const) {
        if (requireInt(WORKFLOW, `scrape.expect.${field}`, expect[field], 0, 100_000_000) === undefined) {
          throw invalidInput(WORKFLOW, `scrape.expect.${field}`, 'is required with scrape.expect');
        }
      }
    }
  }
  checkRetry(WORKFLOW, input.retry);
  if (input.items) {
    const { extractPatterns } = proxyActivities<Activities>(withRetry(activityPolicies.extractPatterns, input.retry));
    return { source: 'items', result: await extractPatterns({ items: input.items, maxConcurrentBatches: input.maxConcurrentBatches }) };
  }
  const { extractPatternsFromSink } = proxyActivities<Activities>(withRetry(activityPolicies.extractPatternsFromSink, input.retry));
  const scrape = input.scrape!;
  const result = await extractPatternsFromSink({ ...scrape, maxConcurrentBatches: input.maxConcurrentBatches });
  // The activity checks too; checking its answer here as well holds on a worker whose activity does not.
  if (scrape.expect) {
    const failure = completenessFailure({
      runKey: scrape.runKey,
      expected: scrape.expect,
      read: { accounts: result.accounts, posts: result.posts },
      reader: 'extractPatternsFromSink',
      maxPosts: scrape.maxPosts,
    });
    if (failure) throw failure;
  }
  return { source: 'scrape', result };
}

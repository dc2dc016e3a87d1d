import { proxyActivities, type RetryPolicy } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ExtractPatternsInput, ExtractPatternsResult } from '../activities/engine';
import type { PatternsSummary } from '../activities/patterns-from-sink';
import { checkRetry, requireKnownKeys, requireObject } from './input-checks';
import { invalidInput } from './invalid-input';
import { activityPolicies, withRetry } from './policies';

export interface ExtractPatternsWorkflowInput {
  /** Content to analyse directly (up to 10,000 items)… */
  items?: ExtractPatternsInput['items'];
  /** …or the posts of a scrape run, read from its sink. */
  scrape?: { runKey: string; accountIds?: string[]; successThreshold?: number; maxPosts?: number };
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
  if (input.scrape !== undefined) requireObject(WORKFLOW, input.scrape, 'scrape');
  checkRetry(WORKFLOW, input.retry);
  if (input.items) {
    const { extractPatterns } = proxyActivities<Activities>(withRetry(activityPolicies.extractPatterns, input.retry));
    return { source: 'items', result: await extractPatterns({ items: input.items, maxConcurrentBatches: input.maxConcurrentBatches }) };
  }
  const { extractPatternsFromSink } = proxyActivities<Activities>(withRetry(activityPolicies.extractPatternsFromSink, input.retry));
  const scrape = input.scrape!;
  return {
    source: 'scrape',
    result: await extractPatternsFromSink({ ...scrape, maxConcurrentBatches: input.maxConcurrentBatches }),
  };
}

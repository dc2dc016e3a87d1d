import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ExtractPatternsResult } from '../activities/engine';
import type { PatternsSummary } from '../activities/patterns-from-sink';
import { completenessFailure } from '../contracts/completeness';
import { extractPatternsWorkflowInput, type ExtractPatternsWorkflowInput } from '../contracts/patterns';
import { parseWorkflowInput } from './invalid-input';
import { activityPolicies, withRetry } from './policies';
import { extractFromSinkSummary, extractPatternsSummary } from './summaries';

export type { ExtractPatternsWorkflowInput } from '../contracts/patterns';

export type ExtractPatternsWorkflowResult =
  { source: 'items'; result: ExtractPatternsResult } | { source: 'scrape'; result: PatternsSummary };

/** ViralEngineOperator's DAG: the engine over given items or over a scrape's output. */
export async function extractPatternsWorkflow(
  raw: ExtractPatternsWorkflowInput,
): Promise<ExtractPatternsWorkflowResult> {
  const input = parseWorkflowInput('extractPatternsWorkflow', extractPatternsWorkflowInput, raw);
  if (input.items) {
    const { extractPatterns } = proxyActivities<Activities>(withRetry(activityPolicies.extractPatterns, input.retry));
    return {
      source: 'items',
      result: await extractPatterns.executeWithOptions({ summary: extractPatternsSummary(input.items.length) }, [
        { items: input.items, maxConcurrentBatches: input.maxConcurrentBatches },
      ]),
    };
  }
  const { extractPatternsFromSink } = proxyActivities<Activities>(
    withRetry(activityPolicies.extractPatternsFromSink, input.retry),
  );
  const scrape = input.scrape!;
  const result = await extractPatternsFromSink.executeWithOptions({ summary: extractFromSinkSummary(scrape) }, [
    { ...scrape, maxConcurrentBatches: input.maxConcurrentBatches },
  ]);
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

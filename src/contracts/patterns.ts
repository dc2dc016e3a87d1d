import { z } from 'zod';
import { describeValue } from './describe-value';
import { withExactlyOne } from './exactly-one';
import { jsonObject } from './json-object';
import { resultCounts } from './completeness';
import { accountId, runKey, variantName } from './names';
import { retryOverride } from './retry';
import { MAX_INLINE_ACCOUNTS } from './scrape';

const fraction = (i: { input?: unknown }) => `must be a number from 0 to 1, got ${describeValue(i.input)}`;
/** A post whose virality reaches this counts as a success for its top pattern (the bandit's outcome). */
export const successThreshold = z.number({ error: fraction }).min(0, { error: fraction }).max(1, { error: fraction });
export const DEFAULT_SUCCESS_THRESHOLD = 0.5;

/** Engine requests in flight at once. */
const maxConcurrentBatches = z.number().int().min(1).max(32);

/** The extractPatterns activity: content to score. */
export const extractPatternsInput = jsonObject({
  /** Posts to score, e.g. as read from the scrape sink; ids come back on the results. */
  items: z
    .array(z.strictObject({ id: z.string().min(1).max(128), text: z.string().max(20_000) }))
    .min(1)
    .max(10_000),
  /** Extract requests in flight at once for this call. */
  maxConcurrentBatches: maxConcurrentBatches.default(4),
});
export type ExtractPatternsInput = z.input<typeof extractPatternsInput>;

/** A pattern as the engine names it: pattern names are the bandit's variants, so they follow the variant rule. */
export const enginePattern = z.object({ name: variantName, score: z.number().min(0).max(1) });

/** The extractPatternsFromSink activity: the posts of a scrape run, read from its sink. */
export const extractFromSinkInput = jsonObject({
  /** The scrape run whose posts to read (its sink is rebuilt from config: input never names paths). */
  runKey,
  /** Only these accounts' posts (default: all). */
  accountIds: z.array(accountId).max(MAX_INLINE_ACCOUNTS).optional(),
  successThreshold: successThreshold.default(DEFAULT_SUCCESS_THRESHOLD),
  /** Posts sent to the engine step per round (each round is batched and cached by extractPatterns). */
  chunkSize: z.number().int().min(1).max(10_000).default(1_000),
  maxConcurrentBatches: maxConcurrentBatches.optional(),
  /** Stop after this many posts (default: all). */
  maxPosts: z.number().int().min(1).max(10_000_000).optional(),
  /**
   * What the scrape recorded (its summary's `scraped` accounts and `posts`): reading other counts fails
   * with IncompleteResults instead of answering for part of the run. Unchecked when not given.
   */
  expect: resultCounts.optional(),
});
export type ExtractFromSinkInput = z.input<typeof extractFromSinkInput>;

const { runKey: scrapeRunKey, accountIds, successThreshold: threshold, maxPosts, expect } = extractFromSinkInput.shape;

/** The patterns workflow: exactly one of `items` and `scrape`. */
export const extractPatternsWorkflowInput = withExactlyOne(
  jsonObject({
    /** Content to analyse directly (up to 10,000 items)… */
    items: extractPatternsInput.shape.items.optional(),
    /**
     * …or the posts of a scrape run, read from its sink. `expect` states what the scrape recorded:
     * reading anything else fails the run with IncompleteResults.
     */
    scrape: jsonObject({
      runKey: scrapeRunKey,
      accountIds,
      successThreshold: threshold.unwrap().optional(),
      maxPosts,
      expect,
    }).optional(),
    maxConcurrentBatches: maxConcurrentBatches.optional(),
    retry: retryOverride.optional(),
  }),
  ['items', 'scrape'],
);
export type ExtractPatternsWorkflowInput = z.input<typeof extractPatternsWorkflowInput>;

import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import pLimit from 'p-limit';
import { z } from 'zod';
import { enginePattern, extractPatternsInput, type ExtractPatternsInput } from '../contracts/patterns';
import { createResponseCache, type ResponseCache } from '../cache/response-cache';
import type { Clock } from '../clock';
import { createAdaptiveTimeout, type AdaptiveTimeoutOptions } from '../http/adaptive-timeout';
import { MalformedResponseError, UpstreamHttpError, UpstreamTimeoutError } from '../http/errors';
import type { Upstream } from '../http/upstream';
import type { ViralflowMetrics } from '../metrics/registry';
import { toActivityFailure } from './failures';
import { parseInput } from './validate';

export type { ExtractPatternsInput } from '../contracts/patterns';

export interface ExtractPatternsResult {
  items: number;
  uniqueTexts: number;
  /** POSTs to /extract made by this call, 413 retries included. */
  requests: number;
  /** Per unique text. */
  cache: { l1Hits: number; l2Hits: number; misses: number };
  /** The adaptive per-request deadline in force at the last request (or now, when nothing was requested). */
  timeoutMs: number;
  /** In input order. */
  results: Array<{ id: string; viralityScore: number; topPattern?: string }>;
  /** How many items show each pattern. */
  patternCounts: Record<string, number>;
}

/** What the engine says about one text: the cached value, shared by every item with that text. */
const extractionSchema = z.object({
  patterns: z.array(enginePattern).max(100),
  viralityScore: z.number().min(0).max(1),
});
export type EngineExtraction = z.output<typeof extractionSchema>;

const extractResponse = z.object({ results: z.array(extractionSchema.extend({ id: z.string() })) });
const limitsResponse = z.object({ maxBatch: z.number().int().min(1) });

export interface ExtractPatternsDeps {
  engine: Upstream;
  /** Shared by every execution on the worker (see createEngineCache). */
  cache: ResponseCache<EngineExtraction>;
  /** Tuning for the latency-derived request deadline; its history lives as long as the activity function. */
  timeout?: Partial<AdaptiveTimeoutOptions>;
  /** The engine's batch limit if known; otherwise learnt from GET /limits, and learnt again after a 413. */
  maxBatch?: number;
}

interface PendingText {
  hash: string;
  text: string;
}

/**
 * ViralEngineOperator, rebuilt: texts already scored come from the cache, the rest go to the engine
 * in as few batches as it accepts, a bounded number at a time. Each batch is cached as soon as it
 * answers, so when a later batch fails the retry asks only for what is still missing.
 */
export function createExtractPatterns(deps: ExtractPatternsDeps) {
  const { engine, cache } = deps;
  const timeout = createAdaptiveTimeout(deps.timeout);
  let knownMaxBatch = deps.maxBatch;

  const maxBatch = async (signal: AbortSignal): Promise<number> => {
    knownMaxBatch ??= (await engine.json({ path: '/limits', timeoutMs: timeout.current(), signal }, limitsResponse))
      .maxBatch;
    return knownMaxBatch;
  };

  return async function extractPatterns(rawInput: ExtractPatternsInput): Promise<ExtractPatternsResult> {
    const input = parseInput(extractPatternsInput, rawInput, 'extractPatterns');
    const context = Context.current();
    const signal = context.cancellationSignal;

    const hashes = input.items.map((item) => sha256(item.text));
    const texts = new Map<string, string>();
    input.items.forEach((item, i) => texts.set(hashes[i]!, item.text));

    const lookup = await cache.getMany([...texts.keys()]);
    const extractions = lookup.found;
    const pending: PendingText[] = [...texts]
      .filter(([hash]) => !extractions.has(hash))
      .map(([hash, text]) => ({ hash, text }));

    let requests = 0;
    let timeoutMs = timeout.current();
    /** The smallest batch size the engine refused with 413 in this call: larger ones are split unsent. */
    let refusedSize = Infinity;

    const split = async (batch: PendingText[]): Promise<void> => {
      const half = Math.ceil(batch.length / 2);
      await post(batch.slice(0, half));
      await post(batch.slice(half));
    };

    const post = async (batch: PendingText[]): Promise<void> => {
      if (batch.length >= refusedSize && batch.length > 1) return split(batch);
      timeoutMs = timeout.current();
      requests++;
      let body: string;
      try {
        const res = await engine.send({
          method: 'POST',
          path: '/extract',
          // The content hash is the id sent: one request item may stand for several input items.
          json: { items: batch.map(({ hash, text }) => ({ id: hash, text })) },
          timeoutMs,
          signal,
        });
        timeout.observe(res.elapsedMs);
        body = res.body;
      } catch (err) {
        if (err instanceof UpstreamTimeoutError) timeout.observe(err.timeoutMs);
        if (err instanceof UpstreamHttpError && err.status === 413 && batch.length > 1) {
          refusedSize = Math.min(refusedSize, batch.length);
          knownMaxBatch = undefined; // the limit we believed is wrong: ask again on the next call
          return split(batch);
        }
        throw err;
      }
      const fresh = matchResults(batch, engine.parse(body, '/extract', extractResponse), engine.origin);
      for (const [hash, extraction] of fresh) extractions.set(hash, extraction);
      await cache.setMany(fresh);
      // Keeps a heartbeatTimeout satisfied, and Temporal delivers cancellation only in reply to a
      // heartbeat (the SDK throttles them). No details: nothing resumes from them, the cache does that.
      context.heartbeat();
    };

    if (pending.length > 0) {
      try {
        const size = await maxBatch(signal);
        const limit = pLimit(input.maxConcurrentBatches);
        let failure: { err: unknown } | undefined;
        // Batches already in flight may finish (and be cached); queued ones are skipped after a failure.
        await Promise.allSettled(
          chunk(pending, size).map((batch) =>
            limit(async () => {
              if (failure) return;
              await post(batch).catch((err: unknown) => {
                failure ??= { err };
              });
            }),
          ),
        );
        if (failure) throw failure.err;
      } catch (err) {
        throw toActivityFailure(err);
      }
    }

    const patternCounts: Record<string, number> = {};
    const results = input.items.map((item, i) => {
      const extraction = extractions.get(hashes[i]!)!;
      for (const { name } of extraction.patterns) patternCounts[name] = (patternCounts[name] ?? 0) + 1;
      const top = topPattern(extraction);
      return { id: item.id, viralityScore: extraction.viralityScore, ...(top !== undefined && { topPattern: top }) };
    });

    return {
      items: input.items.length,
      uniqueTexts: texts.size,
      requests,
      cache: { l1Hits: lookup.l1Hits, l2Hits: lookup.l2Hits, misses: lookup.misses },
      timeoutMs,
      results,
      patternCounts,
    };
  };
}

export interface EngineCacheDeps {
  metrics: Pick<ViralflowMetrics, 'cacheRequests'>;
  clock: Clock;
  /** Adds the shared Redis layer when set. */
  redisUrl?: string;
}

/** The engine cache's bound when the worker gives none (a process with a large heap gets this much). */
export const ENGINE_CACHE_MAX_BYTES = 64 * 1024 * 1024;

/**
 * The engine's response cache, one per worker; close it on shutdown. Scores are a function of the text alone.
 * `maxBytes` (JSON bytes, see ResponseCacheOptions) @default 64 MiB; a worker passes its share of the heap
 * (engineCacheMaxBytes in src/memory/worker-memory.ts).
 */
export function createEngineCache(
  deps: EngineCacheDeps,
  overrides: { ttlMs?: number; maxEntries?: number; maxBytes?: number } = {},
) {
  return createResponseCache<EngineExtraction>({
    name: 'engine',
    schema: extractionSchema,
    ttlMs: overrides.ttlMs ?? 6 * 60 * 60 * 1000,
    ...(overrides.maxEntries !== undefined && { maxEntries: overrides.maxEntries }),
    maxBytes: overrides.maxBytes ?? ENGINE_CACHE_MAX_BYTES,
    metrics: deps.metrics,
    clock: deps.clock,
    ...(deps.redisUrl !== undefined && { redisUrl: deps.redisUrl }),
  });
}

/** Pairs each text sent with its result; a missing, extra or repeated id means the answer cannot be trusted. */
function matchResults(
  batch: PendingText[],
  response: z.output<typeof extractResponse>,
  origin: string,
): Array<[string, EngineExtraction]> {
  const byId = new Map(response.results.map(({ id, ...extraction }) => [id, extraction]));
  const missing = batch.find(({ hash }) => !byId.has(hash));
  if (missing || byId.size !== batch.length || response.results.length !== batch.length) {
    throw new MalformedResponseError(
      `sent ${batch.length} items, got ${response.results.length} results${missing ? `, none for id ${missing.hash}` : ' with unexpected ids'}`,
      origin,
      '/extract',
    );
  }
  return batch.map(({ hash }) => [hash, byId.get(hash)!]);
}

function topPattern({ patterns }: EngineExtraction): string | undefined {
  let best: EngineExtraction['patterns'][number] | undefined;
  for (const p of patterns) if (best === undefined || p.score > best.score) best = p;
  return best?.name;
}

function chunk<T>(items: T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

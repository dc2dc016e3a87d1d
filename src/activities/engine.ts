import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import pLimit from 'p-limit';
import { extractPatternsInput, type ExtractPatternsInput } from '../contracts/patterns';
import { createResponseCache, type ResponseCache } from '../cache/response-cache';
import type { Clock } from '../clock';
import { createAdaptiveTimeout, type AdaptiveTimeoutOptions } from '../http/adaptive-timeout';
import { MalformedResponseError, UpstreamHttpError, UpstreamTimeoutError } from '../http/errors';
import type { Upstream } from '../http/upstream';
import type { ViralflowMetrics } from '../metrics/registry';
import { httpPatternEngine } from '../sources/http-sources';
import { createSourceHttp } from '../sources/source-http';
import { engineExtraction, type EngineExtraction, type PatternEngine } from '../sources/types';
import { toActivityFailure } from './failures';
import { parseInput } from './validate';

export type { ExtractPatternsInput } from '../contracts/patterns';
export type { EngineExtraction } from '../sources/types';

export interface ExtractPatternsResult {
  items: number;
  uniqueTexts: number;
  /** Extract requests made by this call, 413 retries included. */
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

export interface ExtractPatternsDeps {
  /** The engine API: its pool, rate limit and typed errors, which every request of `patternEngine` goes through. */
  engine: Upstream;
  /** Maps the engine API's shape to extractions. @default httpPatternEngine (viralflow's HTTP contract) */
  patternEngine?: PatternEngine;
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
  const source = deps.patternEngine ?? httpPatternEngine;
  const timeout = createAdaptiveTimeout(deps.timeout);
  let knownMaxBatch = deps.maxBatch;

  const maxBatch = async (signal: AbortSignal): Promise<number> => {
    knownMaxBatch ??= await source.maxBatch({
      http: createSourceHttp(engine, { timeoutMs: timeout.current(), signal }),
    });
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
      const http = createSourceHttp(engine, { timeoutMs, signal, observe: (ms) => timeout.observe(ms) });
      let answer: Array<EngineExtraction & { id: string }>;
      try {
        // The content hash is the id sent: one request item may stand for several input items.
        answer = await source.extract(
          batch.map(({ hash, text }) => ({ id: hash, text })),
          { http },
        );
      } catch (err) {
        if (err instanceof UpstreamTimeoutError) timeout.observe(err.timeoutMs);
        if (err instanceof UpstreamHttpError && err.status === 413 && batch.length > 1) {
          refusedSize = Math.min(refusedSize, batch.length);
          knownMaxBatch = undefined; // the limit we believed is wrong: ask again on the next call
          return split(batch);
        }
        throw err;
      }
      const fresh = matchResults(batch, answer, http.malformed);
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
    schema: engineExtraction,
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
  results: ReadonlyArray<EngineExtraction & { id: string }>,
  malformed: (detail: string) => MalformedResponseError,
): Array<[string, EngineExtraction]> {
  const byId = new Map(results.map(({ id, ...extraction }) => [id, extraction]));
  const missing = batch.find(({ hash }) => !byId.has(hash));
  if (missing || byId.size !== batch.length || results.length !== batch.length) {
    throw malformed(
      `sent ${batch.length} items, got ${results.length} results${missing ? `, none for id ${missing.hash}` : ' with unexpected ids'}`,
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

import { createHash } from 'node:crypto';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Context } from '@temporalio/activity';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import {
  MAX_DRAWS,
  MAX_SAMPLES,
  MAX_VARIANTS,
  publishWeightsInput,
  sampleWeightsInput,
  type PublishWeightsInput,
  type SampleWeightsInput,
} from '../contracts/bandit';
import { isVariantName } from '../contracts/names';
import type { Upstream } from '../http/upstream';
import type { ViralflowMetrics } from '../metrics/registry';
import { createRng } from '../sampling/beta-sampler';
import { betaPosteriors, createBestArmTally, type BetaPosteriors } from '../sampling/thompson';
import { httpWeightsPublisher } from '../sources/http-sources';
import { createSourceHttp } from '../sources/source-http';
import type { WeightsPublisher } from '../sources/types';
import { toActivityFailure } from './failures';
import { parseInput } from './validate';

export { MAX_DRAWS, MAX_SAMPLES, MAX_VARIANTS } from '../contracts/bandit';
export const DEFAULT_DRAWS = 1_000;
/** Beta draws (variants × draws) when `draws` is not given: well under a second, so 100k variants get 50 draws. */
export const DEFAULT_SAMPLES = 5_000_000;
/** Beta draws between two yields to the event loop, so heartbeats and other activities' I/O keep flowing. */
const SAMPLES_PER_SLICE = 1_000_000;

export type { PublishWeightsInput, SampleWeightsInput } from '../contracts/bandit';

export interface SampleWeightsResult {
  /**
   * Traffic share per variant id, summing to 1: Thompson sampling's allocation, which is the
   * probability each variant is best (so the same numbers as `probabilityBest`, a multiple of
   * 1/draws). A variant that won no draw gets 0.
   */
  weights: Record<string, number>;
  /** Monte-Carlo estimate of P(variant has the highest conversion rate). */
  probabilityBest: Record<string, number>;
  /** The seed used: pass it back to reproduce this run exactly. */
  seed: number;
  draws: number;
  /** True when served from the cache of unchanged posteriors (no sampling was done). */
  cached: boolean;
}

export interface SampleWeightsDeps {
  metrics: Pick<ViralflowMetrics, 'cacheRequests'>;
  /** Cache budget in variant entries summed over cached results (default 1,000,000). */
  cacheVariants?: number;
}

/** ThompsonSamplingOperator's sampling half, rebuilt: every variant per draw over typed arrays, unchanged posteriors cached. */
export function createSampleWeights(deps: SampleWeightsDeps) {
  // Sized by variants, not entries: one 100k-variant result weighs as much as 10,000 small ones.
  const cache = new LRUCache<string, { result: Omit<SampleWeightsResult, 'cached'>; variants: number }>({
    max: 1_000,
    maxSize: deps.cacheVariants ?? 1_000_000,
    sizeCalculation: (entry) => entry.variants,
  });

  return async function sampleWeights(rawInput: SampleWeightsInput): Promise<SampleWeightsResult> {
    const { input, shares } = accept(rawInput);
    const posteriors = betaPosteriors(input.variants);
    const draws =
      input.draws ?? Math.max(1, Math.min(DEFAULT_DRAWS, Math.floor(DEFAULT_SAMPLES / posteriors.ids.length)));
    const digest = posteriorDigest(posteriors, draws);
    const seed = input.seed ?? digest.readUInt32BE(0);
    const key = `${digest.toString('base64')}:${seed}`;

    const hit = cache.get(key);
    deps.metrics.cacheRequests.inc({ cache: 'thompson', result: hit ? 'hit' : 'miss' });
    if (hit) return { ...hit.result, cached: true };

    const { cancellationSignal } = Context.current();
    const tally = createBestArmTally(posteriors, createRng(seed));
    const drawsPerSlice = Math.max(1, Math.floor(SAMPLES_PER_SLICE / posteriors.ids.length));
    while (tally.draws < draws) {
      tally.addDraws(Math.min(drawsPerSlice, draws - tally.draws));
      if (tally.draws < draws) {
        // Pure CPU: yield so the worker stays responsive, and heartbeat because that is how a
        // cancellation reaches a running activity.
        await yieldToEventLoop();
        Context.current().heartbeat({ draws: tally.draws });
        if (cancellationSignal.aborted) throw cancellationSignal.reason;
      }
    }

    const p = tally.probabilities();
    for (let i = 0; i < p.length; i++) if (p[i] !== 0) shares[posteriors.ids[i]!] = p[i]!;
    const probabilityBest = Object.freeze(shares);
    const result = { weights: probabilityBest, probabilityBest, seed, draws };
    cache.set(key, { result, variants: posteriors.ids.length });
    return { ...result, cached: false };
  };
}

type ValidInput = z.output<typeof sampleWeightsInput>;

/** Valid input, and the result's id -> share record for it with every share 0 (see zeroShares). */
interface Accepted {
  input: ValidInput;
  shares: Record<string, number>;
}

function accept(raw: SampleWeightsInput): Accepted {
  const plain = acceptPlain(raw);
  if (plain) return plain;
  const input = parseInput(sampleWeightsInput, raw, 'sampleWeights');
  return { input, shares: zeroShares(input.variants)! }; // the schema refuses repeated ids
}

/**
 * The ids' shares, all 0, in input order; undefined when an id repeats. It doubles as the duplicate
 * check (a Set beside it cost half as much again at 100,000 variants), and after sampling only the
 * variants that won a draw (at most `draws` of them) are written.
 */
function zeroShares(variants: readonly { id: string }[]): Record<string, number> | undefined {
  const shares: Record<string, number> = {};
  for (const { id } of variants) {
    if (Object.hasOwn(shares, id)) return undefined;
    shares[id] = 0;
  }
  return shares;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;

const isIntIn = (value: unknown, min: number, max: number): boolean =>
  Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max;

/**
 * Valid input by one typed loop over the variants: zod's parse of 100,000 of them (a new object
 * and a check chain per field) took ~75 ms, a fifth of the activity. It only ever accepts: whatever
 * it does not recognise as valid (bad input, but also class instances) answers undefined and goes
 * through the schema, which stays the one source of error messages. Whatever it accepts, the
 * schema accepts too, with the same values: plain data, as a decoded payload always is.
 */
function acceptPlain(raw: unknown): Accepted | undefined {
  if (!isPlainObject(raw)) return undefined;
  for (const key in raw) if (key !== 'variants' && key !== 'seed' && key !== 'draws') return undefined;
  const { variants, seed, draws } = raw;
  if (!Array.isArray(variants) || variants.length < 1 || variants.length > MAX_VARIANTS) return undefined;
  if (seed !== undefined && !isIntIn(seed, 0, 0xffff_ffff)) return undefined;
  if (draws !== undefined && !(isIntIn(draws, 1, MAX_DRAWS) && variants.length * (draws as number) <= MAX_SAMPLES))
    return undefined;
  for (const v of variants as unknown[]) {
    if (!isPlainObject(v)) return undefined;
    for (const key in v) if (key !== 'id' && key !== 'successes' && key !== 'failures') return undefined;
    const { id, successes, failures } = v;
    if (!isVariantName(id)) return undefined;
    if (!isIntIn(successes, 0, Number.MAX_SAFE_INTEGER) || !isIntIn(failures, 0, Number.MAX_SAFE_INTEGER))
      return undefined;
  }
  const input = raw as ValidInput;
  const shares = zeroShares(input.variants);
  return shares && { input, shares };
}

/** Identifies a posterior summary: ids in order, alphas, betas and draws (the seed is appended by the caller). */
function posteriorDigest(posteriors: BetaPosteriors, draws: number): Buffer {
  return createHash('sha256')
    .update(JSON.stringify(posteriors.ids))
    .update(new Uint8Array(posteriors.alphas.buffer, posteriors.alphas.byteOffset, posteriors.alphas.byteLength))
    .update(new Uint8Array(posteriors.betas.buffer, posteriors.betas.byteOffset, posteriors.betas.byteLength))
    .update(`draws=${draws}`)
    .digest();
}

export interface PublishWeightsResult {
  experimentId: string;
  /** The experiment's weights version after this publish (increments per PUT). */
  version: number;
}

export interface PublishWeightsDeps {
  /** The experiment API: its pool, rate limit and typed errors, which every request of `publisher` goes through. */
  experiments: Upstream;
  /** Maps the weights to the experiment API's shape. @default httpWeightsPublisher (viralflow's HTTP contract) */
  publisher?: WeightsPublisher;
}

/** ThompsonSamplingOperator's update half, rebuilt: one batched PUT per experiment instead of a retried loop per variant. */
export function createPublishWeights(deps: PublishWeightsDeps) {
  const publisher = deps.publisher ?? httpWeightsPublisher;
  return async function publishWeights(rawInput: PublishWeightsInput): Promise<PublishWeightsResult> {
    const input = parseInput(publishWeightsInput, rawInput, 'publishWeights');
    const http = createSourceHttp(deps.experiments, {
      timeoutMs: input.timeoutMs,
      signal: Context.current().cancellationSignal,
    });
    try {
      const published = await publisher.publish(
        input.experimentId,
        { weights: input.weights, ...(input.probabilityBest && { probabilityBest: input.probabilityBest }) },
        { http },
      );
      if (published.experimentId !== input.experimentId) {
        throw http.malformed(`answered for experiment ${JSON.stringify(published.experimentId)}`);
      }
      return { experimentId: input.experimentId, version: published.version };
    } catch (err) {
      throw toActivityFailure(err);
    }
  };
}

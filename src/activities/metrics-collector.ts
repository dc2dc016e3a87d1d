import { ApplicationFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import pLimit from 'p-limit';
import { z } from 'zod';
import { FailureType } from '../contracts/failure-types';
import {
  collectMetricsInput,
  METRICS_FORMATS,
  type CollectMetricsInput,
  type MetricsFormat,
} from '../contracts/metrics';
import { MalformedResponseError, RateLimitedError } from '../http/errors';
import type { Upstream, UpstreamConfig } from '../http/upstream';
import { createAggregator, type Aggregate } from '../metrics-collection/aggregate';
import { flattenNumbers, NestingTooDeepError } from '../metrics-collection/flatten';
import { parsePrometheusText, PrometheusTextError, type PrometheusSample } from '../metrics-collection/prometheus-text';
import { toActivityFailure } from './failures';
import { parseInput } from './validate';

export type { CollectMetricsInput, MetricsFormat } from '../contracts/metrics';

const FORMATS = METRICS_FORMATS;
const FORMAT_PATH: Record<MetricsFormat, string> = { prometheus: '/metrics', json: '/metrics.json' };

/** Labels naming where a sample came from: dropped from aggregate keys, so services sum together. */
const SOURCE_LABELS: ReadonlySet<string> = new Set(['service', 'instance', 'job']);

/** Aggregates kept in the result by default, so a run's history entry stays small. */
export const DEFAULT_MAX_AGGREGATES = 500;

export interface ServiceCollection {
  service: string;
  /** Samples read: Prometheus sample lines plus numeric JSON leaves, NaN/±Inf included. */
  samples: number;
  /** Every requested format was read. */
  ok: boolean;
  /** Set when this name resolves to the same URL as an earlier one: not fetched or counted again. */
  duplicateOf?: string;
}

export interface CollectionFailure {
  service: string;
  format: MetricsFormat;
  reason: string;
}

export interface CollectMetricsResult {
  services: ServiceCollection[];
  failures: CollectionFailure[];
  /**
   * Per metric across services, finite values only. Keys: Prometheus samples as
   * `name{label="value",...}` with labels sorted and the source labels (service, instance, job)
   * dropped, so `http_requests_total{code="2xx"}` sums every service's 2xx count; JSON leaves as
   * their dotted path without the service (`http.requests.total`).
   */
  aggregates: Record<string, Aggregate>;
  /** Metric names left out of `aggregates` beyond the cap (the least-reported go first). */
  aggregatesOmitted: number;
  /** HTTP requests made. */
  requests: number;
  /** Requests saved because several names resolved to one URL. */
  deduplicated: number;
}

export interface MetricsCollectorDeps {
  services: Readonly<Record<string, Upstream>>;
  /** Where each service lives (config.services): names with the same base URL and token are fetched once. */
  locations: Readonly<Record<string, Pick<UpstreamConfig, 'baseUrl' | 'token'>>>;
  /** Requests in flight at once. */
  concurrency: number;
  maxAggregates?: number;
}

/** What one (service, format) fetch produced: aggregate keys and values, in document order. */
type SourceResult = { ok: true; metrics: Array<[string, number]>; samples: number } | { ok: false; error: unknown };

/** MetricsCollectorOperator, rebuilt: every service and format at once over the shared pool, one request per distinct URL. */
export function createCollectMetrics(deps: MetricsCollectorDeps) {
  const limit = pLimit(deps.concurrency);
  const schema = collectMetricsInput(Object.keys(deps.services));
  const maxAggregates = deps.maxAggregates ?? DEFAULT_MAX_AGGREGATES;

  return async function collectMetrics(rawInput: CollectMetricsInput = {}): Promise<CollectMetricsResult> {
    const input = parseInput(schema, rawInput, 'collectMetrics');
    const names = [...new Set(input.services ?? Object.keys(deps.services))];
    const formats = [...new Set(input.formats ?? FORMATS)];
    const { cancellationSignal } = Context.current();

    const ownerOf = new Map<string, string>(); // location -> first service name there
    const duplicateOf = new Map<string, string>();
    for (const name of names) {
      const where = locationKey(name, deps.locations[name]);
      const owner = ownerOf.get(where);
      if (owner === undefined) ownerOf.set(where, name);
      else duplicateOf.set(name, owner);
    }
    const owners = [...ownerOf.values()];

    const fetchSource = async (service: string, format: MetricsFormat): Promise<SourceResult> => {
      const upstream = deps.services[service]!;
      const req = { path: FORMAT_PATH[format], timeoutMs: input.timeoutMs, signal: cancellationSignal };
      try {
        if (format === 'prometheus') {
          const { body } = await upstream.send(req);
          const { samples } = parseOrMalformed(upstream, req.path, () => parsePrometheusText(body));
          return { ok: true, samples: samples.length, metrics: samples.map((s) => [prometheusKey(s), s.value]) };
        }
        const doc = await upstream.json(req, jsonDocument);
        const leaves = parseOrMalformed(upstream, req.path, () => flattenNumbers(doc));
        return { ok: true, samples: leaves.size, metrics: [...leaves] };
      } catch (err) {
        if (cancellationSignal.aborted) throw err;
        return { ok: false, error: err };
      }
    };

    const jobs = owners.flatMap((service) => formats.map((format) => ({ service, format })));
    const results = await Promise.all(jobs.map(({ service, format }) => limit(() => fetchSource(service, format))));

    // Folded in job order after all answers are in, so float sums do not depend on arrival order.
    const aggregator = createAggregator();
    const samplesBy = new Map<string, number>();
    const failedBy = new Set<string>();
    const failures: CollectionFailure[] = [];
    const errors: unknown[] = [];
    results.forEach((result, i) => {
      const { service, format } = jobs[i]!;
      if (result.ok) {
        samplesBy.set(service, (samplesBy.get(service) ?? 0) + result.samples);
        for (const [key, value] of result.metrics) aggregator.add(key, value);
      } else {
        failedBy.add(service);
        errors.push(result.error);
        failures.push({
          service,
          format,
          reason: result.error instanceof Error ? result.error.message : String(result.error),
        });
      }
    });

    if (jobs.length > 0 && errors.length === jobs.length) throw allFailed(errors, failures);

    const { aggregates, omitted } = aggregator.top(maxAggregates);
    return {
      services: names.map((service) => {
        const owner = duplicateOf.get(service) ?? service;
        return {
          service,
          samples: samplesBy.get(owner) ?? 0,
          ok: !failedBy.has(owner),
          ...(owner !== service && { duplicateOf: owner }),
        };
      }),
      failures,
      aggregates,
      aggregatesOmitted: omitted,
      requests: jobs.length,
      deduplicated: duplicateOf.size * formats.length,
    };
  };
}

/** The JSON root must be an object; its leaves are checked by flattenNumbers, which skips non-numbers. */
const jsonDocument = z.record(z.string(), z.unknown());

/** A service's URL as the upstream will call it (trailing slashes dropped), plus its token: same key, same answers. */
function locationKey(service: string, location: Pick<UpstreamConfig, 'baseUrl' | 'token'> | undefined): string {
  if (!location) return `service:${service}`;
  const url = new URL(location.baseUrl);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}\u0000${location.token ?? ''}`;
}

/** Parser errors become the same typed error as any other bad body, naming where it came from. */
function parseOrMalformed<T>(upstream: Upstream, path: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof PrometheusTextError || err instanceof NestingTooDeepError) {
      throw new MalformedResponseError(err.message, upstream.origin, path, { cause: err });
    }
    throw err;
  }
}

/** `name{a="x",b="y"}`: labels sorted, source labels dropped, values escaped as in the exposition format. */
function prometheusKey(sample: PrometheusSample): string {
  const labels = Object.keys(sample.labels)
    .filter((l) => !SOURCE_LABELS.has(l))
    .sort()
    .map((l) => `${l}="${escapeLabel(sample.labels[l]!)}"`);
  return labels.length === 0 ? sample.name : `${sample.name}{${labels.join(',')}}`;
}

const escapeLabel = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/**
 * Every source failed: the workflow should retry the collection. When all were rate limits, wait
 * for the longest Retry-After; otherwise a plain retryable failure listing what went wrong.
 */
function allFailed(errors: unknown[], failures: CollectionFailure[]): unknown {
  if (errors.every((e) => e instanceof RateLimitedError)) {
    const longest = (errors as RateLimitedError[]).reduce((a, b) => (b.retryAfterMs > a.retryAfterMs ? b : a));
    return toActivityFailure(longest);
  }
  const shown = failures.slice(0, 5).map((f) => `${f.service}/${f.format}: ${f.reason}`);
  const more = failures.length > 5 ? ` (+${failures.length - 5} more)` : '';
  return ApplicationFailure.create({
    type: FailureType.MetricsUnavailable,
    message: `all ${failures.length} metric sources failed: ${shown.join('; ')}${more}`,
    nonRetryable: false,
    details: [failures],
  });
}

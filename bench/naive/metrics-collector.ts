/**
 * MetricsCollectorOperator before the review: `for service_name, service_url in self.service_urls.items()`,
 * each service's Prometheus text and then its JSON fetched in turn, the JSON flattened with the
 * quadratic `_flatten_dict`, everything merged into one dict and aggregated at the end. Bench-only.
 */
import { naiveFlatten } from './flatten';
import { naiveJson, naiveRequest } from './http';

export interface NaiveAggregate {
  sum: number;
  min: number;
  max: number;
  count: number;
}

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/;

export async function naiveCollectMetrics(
  servicesUrl: string,
  services: readonly string[],
): Promise<Record<string, NaiveAggregate>> {
  let all: Record<string, unknown> = {};
  for (const service of services) {
    const text = await naiveRequest(`${servicesUrl}/${service}/metrics`);
    for (const line of text.body.split('\n')) {
      if (line.startsWith('#') || line.trim() === '') continue;
      const m = SAMPLE_LINE.exec(line);
      if (m) all = { ...all, [`${service}.${m[1]}${(m[2] ?? '').replace(/service="[^"]*",?/, '')}`]: Number(m[3]) };
    }
    const doc = (await naiveJson(`${servicesUrl}/${service}/metrics.json`)) as Record<string, unknown>;
    all = { ...all, ...naiveFlatten(doc, service) };
  }
  const aggregates: Record<string, NaiveAggregate> = {};
  for (const [key, value] of Object.entries(all)) {
    if (typeof value !== 'number' || !Number.isFinite(value)) continue;
    const name = key.slice(key.indexOf('.') + 1);
    const a = aggregates[name];
    aggregates[name] = a
      ? { sum: a.sum + value, min: Math.min(a.min, value), max: Math.max(a.max, value), count: a.count + 1 }
      : { sum: value, min: value, max: value, count: 1 };
  }
  return aggregates;
}

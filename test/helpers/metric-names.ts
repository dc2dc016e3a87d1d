import { createMetrics } from '../../src/metrics/registry';

/**
 * Every series name a worker's /metrics can expose, read from the registry itself (so a renamed
 * metric breaks the dashboard and alert checks): histograms also expose _bucket, _sum and _count.
 */
export function exposedMetricNames(): Set<string> {
  const names = new Set<string>();
  for (const metric of createMetrics().registry.getMetricsAsArray()) {
    names.add(metric.name);
    const type = String(metric.type); // typed as an enum, a plain string at run time
    if (type === 'histogram' || type === 'summary') {
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${metric.name}${suffix}`);
    }
  }
  return names;
}

/**
 * The metric names a PromQL expression selects. Identifiers followed by `(` are functions, those
 * after `by`/`without` or inside `{…}` are labels, and quoted strings are label values.
 */
export function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '{}')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '')
    .replace(/\[[^\]]*\]/g, '');
  const names = new Set<string>();
  for (const match of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const rest = stripped.slice((match.index ?? 0) + match[0].length);
    if (/^\s*\(/.test(rest)) continue; // a function call
    if (PROMQL_KEYWORDS.has(match[0])) continue;
    names.add(match[0]);
  }
  return [...names];
}

const PROMQL_KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan', 'Inf', 'NaN']);

/**
 * The Temporal server's own metric names that ops/ (alerts) and the tests rely on. Not exported by
 * viralflow's code, so `npm run test:cluster` checks each one against a real server node's /metrics.
 */
export const TEMPORAL_SERVER_METRIC_NAMES = new Set([
  'numshards_gauge',
  'persistence_latency_bucket',
  'task_schedule_to_start_latency_bucket',
]);

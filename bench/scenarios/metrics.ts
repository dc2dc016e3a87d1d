/** MetricsCollectorOperator → collectMetrics: 5 services × (Prometheus text + nested JSON) = 10 requests, parsed, flattened, aggregated. */
import { independentRequestsFloorMs } from '../floor';
import { CONNECTIONS, fixedLatencySim, LATENCY_MS, SERVICES } from '../workload';
import { QUICK_REUSE_RUNS, runs, type OperatorScenario } from './scenario';

const REQUESTS = SERVICES.length * 2;

export const metricsScenario: OperatorScenario = {
  name: 'metrics',
  operator: 'MetricsCollectorOperator → collectMetrics',
  workload: `${SERVICES.length} services × (Prometheus text + JSON) = ${REQUESTS} requests, parsed, flattened and aggregated; L = ${LATENCY_MS} ms`,
  sim: fixedLatencySim(),
  params: {},
  variants: {
    naive: async () => (await import('../variants/metrics/naive.js')).naive,
    viralflow: async () => (await import('../variants/metrics/viralflow.js')).viralflow,
    raw: async () => (await import('../variants/metrics/raw.js')).raw,
  },
  plan: (quick) => [
    { variant: 'naive', label: 'naive (pre-review shape)', role: 'naive', ...runs(quick, [2, 50], [1, 5]) },
    { variant: 'viralflow', label: 'viralflow', role: 'viralflow', ...runs(quick, [20, 200], QUICK_REUSE_RUNS) },
    { variant: 'raw', label: 'bare keep-alive client (reference)', role: 'raw', ...runs(quick, [10, 60], [2, 10]) },
  ],
  floor: {
    analyticMs: independentRequestsFloorMs(REQUESTS, CONNECTIONS, LATENCY_MS),
    formula: `⌈N/C⌉·L = ⌈${REQUESTS}/${CONNECTIONS}⌉ × ${LATENCY_MS} ms (parsing ~50 samples per service not counted)`,
    minRequests: REQUESTS,
  },
  notes: [
    'naive: service after service, text then JSON, a new connection per request, the JSON through the quadratic _flatten_dict (see the flatten rows), every sample merged into one dict by spreading.',
  ],
};

/** HealthCheckOperator → checkHealth: 5 services, one GET /health each, behind per-service circuit breakers. */
import { independentRequestsFloorMs } from '../floor';
import { CONNECTIONS, fixedLatencySim, LATENCY_MS, SERVICES } from '../workload';
import { QUICK_REUSE_RUNS, runs, type OperatorScenario } from './scenario';

export const healthScenario: OperatorScenario = {
  name: 'health',
  operator: 'HealthCheckOperator → checkHealth',
  workload: `${SERVICES.length} services, one GET /health each; L = ${LATENCY_MS} ms`,
  sim: fixedLatencySim(),
  params: {},
  variants: {
    naive: async () => (await import('../variants/health/naive.js')).naive,
    viralflow: async () => (await import('../variants/health/viralflow.js')).viralflow,
    raw: async () => (await import('../variants/health/raw.js')).raw,
  },
  plan: (quick) => [
    { variant: 'naive', label: 'naive (pre-review shape)', role: 'naive', ...runs(quick, [2, 50], [1, 5]) },
    { variant: 'viralflow', label: 'viralflow', role: 'viralflow', ...runs(quick, [20, 200], QUICK_REUSE_RUNS) },
    { variant: 'raw', label: 'bare keep-alive client (reference)', role: 'raw', ...runs(quick, [10, 60], [2, 10]) },
  ],
  floor: {
    analyticMs: independentRequestsFloorMs(SERVICES.length, CONNECTIONS, LATENCY_MS),
    formula: `concurrent checks end with the slowest upstream: ⌈${SERVICES.length}/${CONNECTIONS}⌉ × L = L = ${LATENCY_MS} ms`,
    minRequests: SERVICES.length,
  },
  notes: ["naive: the operator's sequential mode (parallel disabled), a new connection per check, no circuit breaker."],
};

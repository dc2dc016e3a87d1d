/** ViralEngineOperator → extractPatterns: 64 posts the engine has not seen (cold cache, as the naive shape has none). */
import { independentRequestsFloorMs } from '../floor';
import { BATCHES, ENGINE_MAX_BATCH, ITEMS } from '../variants/engine/workload';
import { CONNECTIONS, fixedLatencySim, LATENCY_MS } from '../workload';
import { QUICK_REUSE_RUNS, runs, type OperatorScenario } from './scenario';

export const engineScenario: OperatorScenario = {
  name: 'engine',
  operator: 'ViralEngineOperator → extractPatterns',
  workload: `${ITEMS} posts with unseen texts (cold cache), engine batch limit ${ENGINE_MAX_BATCH}, L = ${LATENCY_MS} ms`,
  sim: fixedLatencySim({ engineMaxBatch: ENGINE_MAX_BATCH }),
  params: {},
  variants: {
    naive: async () => (await import('../variants/engine/naive.js')).naive,
    viralflow: async () => (await import('../variants/engine/viralflow.js')).viralflow,
    raw: async () => (await import('../variants/engine/raw.js')).raw,
  },
  plan: (quick) => [
    { variant: 'naive', label: 'naive (pre-review shape)', role: 'naive', ...runs(quick, [0, 30], [0, 1]) },
    { variant: 'viralflow', label: 'viralflow', role: 'viralflow', ...runs(quick, [20, 200], QUICK_REUSE_RUNS) },
    { variant: 'raw', label: 'bare keep-alive client (reference)', role: 'raw', ...runs(quick, [10, 60], [2, 10]) },
  ],
  floor: {
    analyticMs: independentRequestsFloorMs(BATCHES, CONNECTIONS, LATENCY_MS),
    formula: `⌈N/C⌉·L with N = ⌈${ITEMS} items / ${ENGINE_MAX_BATCH}⌉ = ${BATCHES} POSTs: ⌈${BATCHES}/${CONNECTIONS}⌉ × ${LATENCY_MS} ms`,
    minRequests: BATCHES,
  },
  notes: [
    'naive: one synchronous POST per item (no batching, no cache), a new connection each.',
    'viralflow: texts differ every execution, so every one is a cache miss; the engine limit (GET /limits) was learnt during warm-up.',
  ],
};

/** ThompsonSamplingOperator → sampleWeights + publishWeights: probability-best of 50 variants over 2,000 draws, then publish. */
import { DRAWS, VARIANTS } from '../variants/thompson/workload';
import { fixedLatencySim, LATENCY_MS } from '../workload';
import { QUICK_REUSE_RUNS, runs, type OperatorScenario } from './scenario';

export const thompsonScenario: OperatorScenario = {
  name: 'thompson',
  operator: 'ThompsonSamplingOperator → sampleWeights + publishWeights',
  workload: `${VARIANTS} variants × ${DRAWS} draws (${(VARIANTS * DRAWS).toLocaleString('en')} Beta draws, arg-max per draw), then publish; L = ${LATENCY_MS} ms`,
  sim: fixedLatencySim(),
  params: {},
  variants: {
    naive: async () => (await import('../variants/thompson/naive.js')).naive,
    viralflow: async () => (await import('../variants/thompson/viralflow.js')).viralflow,
    raw: async () => (await import('../variants/thompson/raw.js')).raw,
    'floor-kernel': async () => (await import('../variants/thompson/floor-kernel.js')).floorKernel,
  },
  plan: (quick) => [
    { variant: 'naive', label: 'naive (pre-review shape)', role: 'naive', ...runs(quick, [0, 30], [0, 1]) },
    { variant: 'viralflow', label: 'viralflow', role: 'viralflow', ...runs(quick, [20, 200], QUICK_REUSE_RUNS) },
    {
      variant: 'raw',
      label: 'fused kernel + tally + bare PUT (reference)',
      role: 'raw',
      ...runs(quick, [10, 60], [2, 10]),
    },
    {
      variant: 'floor-kernel',
      label: 'floor CPU term: fused Beta kernel alone',
      role: 'floor',
      ...runs(quick, [10, 200], [2, 20]),
    },
  ],
  floor: {
    analyticMs: LATENCY_MS,
    formula: `1 PUT (${LATENCY_MS} ms) + p50 of the fused Beta kernel for ${VARIANTS}×${DRAWS} draws (measured; the arg-max pass is not counted)`,
    minRequests: 1,
    kernelVariant: 'floor-kernel',
  },
  notes: [
    'naive: one scalar Beta draw per variant per draw into an object (Gamma constants rebuilt per call, Box–Muller normals), arg-max over Object.entries; then one PUT per variant, each in its own 429 retry loop, a new connection each.',
    "viralflow: a different seed per execution, so the activity's posterior cache never answers.",
  ],
};

/** The metrics collector's flattening step alone, on a document big enough to show the shape of the cost. CPU only: no simulator. */
import { GROUPS, LEAVES, METRICS, SERVICES } from '../variants/flatten/document';
import { runs, type OperatorScenario } from './scenario';

export const flattenScenario: OperatorScenario = {
  name: 'flatten',
  operator: 'MetricsCollectorOperator → flattenNumbers (CPU only)',
  workload: `${SERVICES} services × ${GROUPS.length} groups × ${METRICS} metrics = ${LEAVES.toLocaleString('en')} numeric leaves, depth 3`,
  params: {},
  variants: {
    naive: async () => (await import('../variants/flatten/naive.js')).naive,
    viralflow: async () => (await import('../variants/flatten/viralflow.js')).viralflow,
    floor: async () => (await import('../variants/flatten/floor.js')).floor,
  },
  plan: (quick) => [
    { variant: 'naive', label: 'naive _flatten_dict (dict spreads)', role: 'naive', ...runs(quick, [3, 30], [1, 3]) },
    { variant: 'viralflow', label: 'viralflow flattenNumbers', role: 'viralflow', ...runs(quick, [50, 500], [10, 30]) },
    { variant: 'floor', label: 'floor: single recursive pass', role: 'floor', ...runs(quick, [50, 500], [10, 30]) },
  ],
  floor: {
    analyticMs: 0,
    formula: 'a single pass over the leaves, measured (each key built once, each leaf written once)',
    minRequests: 0,
    kernelVariant: 'floor',
  },
  notes: [
    "naive: recursive, every level merges each child's flattened copy into an accumulator by object spread (O(k²) per level of k keys).",
  ],
};

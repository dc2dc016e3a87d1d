/**
 * Thompson sampling throughput (Beta draws per second) at 10, 1,000 and 100,000 variants: the
 * product activity, the product's sampler kernel, the fused floor kernel and the naive per-variant
 * loop, each in its own child. numpy runs beside them (sampling/numpy-anchor.ts). CPU only.
 */
import type { VariantLoaders } from './scenario';

export interface SamplingSize {
  variants: number;
  draws: number;
}

/** ~1M Beta draws per execution at 10 and 1,000 variants; at 100k variants the activity's own default of 50 draws. */
export const SAMPLING_SIZES: SamplingSize[] = [
  { variants: 10, draws: 100_000 },
  { variants: 1_000, draws: 1_000 },
  { variants: 100_000, draws: 50 },
];

export interface SamplingVariantPlan {
  variant: string;
  label: string;
  /** What one execution does: the full Thompson step (Beta draws + arg-max tally) or Beta deviates alone. */
  work: 'thompson' | 'beta';
}

export const SAMPLING_VARIANTS: SamplingVariantPlan[] = [
  { variant: 'naive', label: 'naive: scalar Beta per variant per draw, objects', work: 'thompson' },
  { variant: 'viralflow', label: 'viralflow sampleWeights activity (validation, arg-max, result)', work: 'thompson' },
  { variant: 'sampler', label: 'viralflow Beta sampler kernel (createBetaSampler)', work: 'beta' },
  { variant: 'floor', label: 'floor: fused kernel, all state in locals', work: 'beta' },
];

/** The naive loop takes seconds per execution at 100k variants: fewer runs, no warm-up (a scalar loop is compiled within its first milliseconds). */
export const samplingRuns = (quick: boolean, variant: string) =>
  variant === 'naive'
    ? quick
      ? { warmup: 0, executions: 1 }
      : { warmup: 0, executions: 2 }
    : quick
      ? { warmup: 1, executions: 2 }
      : { warmup: 2, executions: 10 };

export const samplingVariants: VariantLoaders = {
  naive: async () => (await import('../variants/sampling/naive.js')).naive,
  viralflow: async () => (await import('../variants/sampling/viralflow.js')).viralflow,
  sampler: async () => (await import('../variants/sampling/sampler.js')).sampler,
  floor: async () => (await import('../variants/sampling/floor.js')).floor,
};

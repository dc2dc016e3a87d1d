import type { PreparedVariant, VariantContext } from '../../child/variant';
import { naiveSampleWeights } from '../../naive/thompson';
import { benchVariants } from '../../sampling/posteriors';
import { sizeOf } from './size';

export async function naive(ctx: VariantContext): Promise<PreparedVariant> {
  const { variants, draws } = sizeOf(ctx);
  const vs = benchVariants(variants);
  return { run: async () => void naiveSampleWeights(vs, draws) };
}

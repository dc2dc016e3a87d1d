import type { VariantContext } from '../../child/variant';

/** The sampling scenario's size, from the child's params. */
export const sizeOf = (ctx: VariantContext): { variants: number; draws: number } => ({
  variants: ctx.params.variants ?? 10,
  draws: ctx.params.draws ?? 1,
});

/** The Thompson benchmark's experiment: 50 variants, 2,000 draws (100,000 Beta draws), then one publish. */
import { benchVariants } from '../../sampling/posteriors';

export const VARIANTS = 50;
export const DRAWS = 2_000;
export const EXPERIMENT = 'bench-experiment';
export const variants = benchVariants(VARIANTS);

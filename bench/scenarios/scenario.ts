/**
 * What the parent needs to know about an operator benchmark (its workload, variants, run counts and
 * floor), and how a child loads one variant. Definitions stay light: each variant's code, and the
 * product or SDK modules it pulls in, load only in the child that measures it, so one variant's
 * modules never count in another's RSS.
 */
import type { SimConfig } from '../../src/sim/types';
import type { VariantFactory } from '../child/variant';

export type VariantRole = 'naive' | 'viralflow' | 'experiment' | 'raw' | 'floor';

export interface PlannedVariant {
  variant: string;
  label: string;
  role: VariantRole;
  warmup: number;
  executions: number;
}

export interface FloorSpec {
  /** The I/O part, from the formula. */
  analyticMs: number;
  formula: string;
  /** Upstream requests the workload needs at least. */
  minRequests: number;
  /** A measured CPU kernel whose p50 is added to analyticMs (sampling, flattening). */
  kernelVariant?: string;
}

export type VariantLoaders = Record<string, () => Promise<VariantFactory>>;

export interface OperatorScenario {
  name: string;
  /** e.g. "ViralScraperOperator → scrapeAccounts". */
  operator: string;
  workload: string;
  /** Absent for CPU-only scenarios: no simulator is started. */
  sim?: SimConfig;
  params: Record<string, number>;
  variants: VariantLoaders;
  plan(quick: boolean): PlannedVariant[];
  floor: FloorSpec;
  /** Said under the table: how the naive shape was modelled, what the rows leave out. */
  notes: string[];
}

/**
 * Quick runs of the operators whose connection reuse CI gates: a pool may open a connection or two
 * after warm-up (one not yet free when the next execution starts, more often on a loaded machine),
 * once. Enough requests (200 to 1,000 here) that this stays under the gate's 1 %; 40 requests made one
 * new connection a miss.
 */
export const QUICK_REUSE_RUNS: [warmup: number, executions: number] = [10, 100];

/** Run counts: ≥ 200 measured executions for the product in a full run, fewer where a run takes seconds. */
export const runs = (
  quick: boolean,
  full: [warmup: number, executions: number],
  smoke: [warmup: number, executions: number],
) => {
  const [warmup, executions] = quick ? smoke : full;
  return { warmup, executions };
};

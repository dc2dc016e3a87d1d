/**
 * What a benchmark variant is, as the child process that measures it sees it: something prepared
 * once (connections, deps, inputs) and then run once per execution.
 */

export interface VariantContext {
  /** Root URL of the upstream simulator the parent runs (empty for CPU-only scenarios). */
  simUrl: string;
  /** Scratch directory for sinks; the parent deletes it. */
  dataDir: string;
  /** Scenario parameters, e.g. {variants: 1000, draws: 1000}. */
  params: Readonly<Record<string, number>>;
}

export interface RequestTotals {
  requests: number;
  connections: number;
}

export interface PreparedVariant {
  /** One execution; `iteration` counts from 0 across warm-up and measured runs (inputs may vary with it). */
  run(iteration: number): Promise<void>;
  /** The product HTTP pool's counters since it was made, when the variant has one. */
  poolTotals?(): RequestTotals;
  close?(): Promise<void>;
}

export type VariantFactory = (ctx: VariantContext) => Promise<PreparedVariant>;

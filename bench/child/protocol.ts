/** Messages between the bench parent and a child measuring one variant (over the fork IPC channel). */
import type { GcPauses } from '../measure/gc-pauses';
import type { RequestTotals } from './variant';

export interface ChildSpec {
  scenario: string;
  variant: string;
  params: Record<string, number>;
  simUrl: string;
  dataDir: string;
  warmup: number;
  executions: number;
}

export interface ChildResult {
  /** Wall time of each measured execution, ms. */
  wallMs: number[];
  /** CPU time of the whole child over the measured executions, ms. */
  cpuUserMs: number;
  cpuSystemMs: number;
  /** RSS before the variant was prepared: the cost of a bare Node process plus the bench code. */
  baselineRssBytes: number;
  peakRssBytes: number;
  peakHeapUsedBytes: number;
  /** GC pauses over the measured executions. */
  gc: GcPauses;
  /** The product pool's counts over the measured executions, when the variant uses it. */
  pool?: RequestTotals;
}

export type ChildMessage =
  { type: 'warm' } | { type: 'done'; result: ChildResult } | { type: 'failed'; message: string };
export type ParentMessage = { type: 'go' };

export function isChildMessage(m: unknown): m is ChildMessage {
  return typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string';
}

/**
 * Bench-only activities registered beside the product's on bench workers. A no-op measures what
 * Temporal and the worker cost per activity, with no upstream or CPU work to hide it.
 */
import type { Activities } from '../../src/activities';

export const benchActivities = {
  async benchNoop(): Promise<void> {
    // Deliberately nothing.
  },
};

export type BenchActivities = Activities & typeof benchActivities;

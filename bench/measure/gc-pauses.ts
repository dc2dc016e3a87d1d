/**
 * Garbage-collection pauses in this process, from perf_hooks 'gc' entries: the total and the
 * longest, over a window. Tail latencies that line up with long pauses point at allocation, not I/O.
 */
import { PerformanceObserver } from 'node:perf_hooks';

export interface GcPauses {
  totalMs: number;
  maxMs: number;
  count: number;
}

export interface GcRecorder {
  /** Starts a new window. */
  reset(): void;
  read(): GcPauses;
  stop(): void;
}

export function recordGcPauses(): GcRecorder {
  let pauses: GcPauses = { totalMs: 0, maxMs: 0, count: 0 };
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      pauses.totalMs += entry.duration;
      pauses.count++;
      if (entry.duration > pauses.maxMs) pauses.maxMs = entry.duration;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    reset: () => {
      pauses = { totalMs: 0, maxMs: 0, count: 0 };
    },
    read: () => ({ ...pauses }),
    stop: () => observer.disconnect(),
  };
}

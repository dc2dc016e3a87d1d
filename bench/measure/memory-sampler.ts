/**
 * Peak RSS and heap of this process, sampled on a timer and whenever asked (a CPU-bound run starves
 * the timer, so runners also sample after every execution). A sample costs a few microseconds.
 */

export interface MemoryPeak {
  rssBytes: number;
  heapUsedBytes: number;
}

export interface MemorySampler {
  sample(): void;
  peak(): MemoryPeak;
  /** Starts a new window: the peak so far is forgotten. */
  reset(): void;
  stop(): void;
}

export function startMemorySampler(intervalMs = 20): MemorySampler {
  let peak: MemoryPeak = { rssBytes: 0, heapUsedBytes: 0 };
  const sample = () => {
    const m = process.memoryUsage();
    if (m.rss > peak.rssBytes) peak.rssBytes = m.rss;
    if (m.heapUsed > peak.heapUsedBytes) peak.heapUsedBytes = m.heapUsed;
  };
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  sample();
  return {
    sample,
    peak: () => ({ ...peak }),
    reset() {
      peak = { rssBytes: 0, heapUsedBytes: 0 };
      sample();
    },
    stop: () => clearInterval(timer),
  };
}

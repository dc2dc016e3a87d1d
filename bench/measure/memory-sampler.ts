/**
 * Peak RSS and heap of this process, sampled on a timer and whenever asked (a CPU-bound run starves
 * the timer, so runners also sample after every execution). A sample costs a few microseconds;
 * with `anonymous`, a read of /proc/self/status more (tens of microseconds).
 */
import { readFileSync } from 'node:fs';

export interface MemoryPeak {
  rssBytes: number;
  heapUsedBytes: number;
  /**
   * Anonymous resident memory (Linux RssAnon): the RSS this process alone owns, without the
   * file-backed pages of the node binary and native libraries that every Node process maps.
   * 0 when not tracked or not on Linux.
   */
  anonBytes: number;
}

export interface MemorySampler {
  /** Takes a reading now, counts it towards the peak, and answers it. */
  sample(): MemoryPeak;
  peak(): MemoryPeak;
  /** Starts a new window: the peak so far is forgotten. */
  reset(): void;
  stop(): void;
}

/** RssAnon of this process in bytes, or 0 where /proc is not there. */
function anonymousRssBytes(): number {
  try {
    const kB = /^RssAnon:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'latin1'))?.[1];
    return kB === undefined ? 0 : Number(kB) * 1024;
  } catch {
    return 0;
  }
}

export function startMemorySampler(intervalMs = 20, options: { anonymous?: boolean } = {}): MemorySampler {
  const empty = (): MemoryPeak => ({ rssBytes: 0, heapUsedBytes: 0, anonBytes: 0 });
  let peak = empty();
  const sample = (): MemoryPeak => {
    const m = process.memoryUsage();
    const now = { rssBytes: m.rss, heapUsedBytes: m.heapUsed, anonBytes: options.anonymous ? anonymousRssBytes() : 0 };
    peak = {
      rssBytes: Math.max(peak.rssBytes, now.rssBytes),
      heapUsedBytes: Math.max(peak.heapUsedBytes, now.heapUsedBytes),
      anonBytes: Math.max(peak.anonBytes, now.anonBytes),
    };
    return now;
  };
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  sample();
  return {
    sample,
    peak: () => ({ ...peak }),
    reset() {
      peak = empty();
      sample();
    },
    stop: () => clearInterval(timer),
  };
}

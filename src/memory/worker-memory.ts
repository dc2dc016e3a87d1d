import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../config-error';
import type { WorkerRole } from '../config';

/**
 * How a worker process's memory budget becomes V8 heap limits. V8 fixes its heap limits when the process
 * starts, so bin/viralflow.js computes them here (through ./launch-settings) and starts node once with them;
 * the worker checks them again at start-up. One place for the arithmetic, used by both.
 */
export const WORKER_MEMORY = {
  /**
   * Resident memory outside the V8 heap: the node binary's and the SDK core library's pages (~56 MB, file-backed:
   * the kernel can drop and reload them under a limit), the core's threads, malloc'd buffers. An idle activity-only
   * worker holds ~92 MB RSS with a ~29 MB heap (`npm run bench -- interceptor`, "Worker RSS").
   */
  nativeMB: 64,
  /** Live heap of an idle activity-only worker: the SDK, the activities, the metrics registry (bench: 28–29 MB used). */
  idleHeapMB: 29,
  /**
   * Heap each activity slot may hold at once, on average over a mix: a no-op holds ~0.08 MB (1,000 no-ops through
   * 100 slots: 28 → 36 MB used), a 100-account scrape batch ~2 MB live (the pipeline runs 4 at once).
   */
  heapPerActivityMB: 0.25,
  /**
   * Share of the heap limit the engine's response cache (L1) may fill; the slots must fit in the rest.
   * Counted in heap, not in the JSON bytes the cache bounds itself by (see engineCacheMaxBytes). Small: an LRU
   * smaller than a run's texts gets no hits from re-reading that run anyway (Redis, L2, is the shared cache), and
   * a full cache is live heap the pipeline's peak sits on (1,000 accounts: 25,000 texts, more than it holds).
   */
  engineCacheHeapShare: 0.05,
  /** Heap an engine cache entry holds per JSON byte it is counted as (small objects, a 64-char key, the LRU's index). */
  engineCacheHeapPerByte: 2.5,
  /** Budget without VIRALFLOW_MEMORY_MB or a container limit, by role: workflow workers hold the sandbox and its cache. */
  defaultBudgetMB: { activities: 128, workflows: 512, all: 512 } satisfies Record<WorkerRole, number>,
  /**
   * glibc's malloc settings, each set only when the environment leaves it unset. MALLOC_ARENA_MAX: glibc
   * otherwise gives every native thread (SDK core, libuv pool) its own arena. MALLOC_MMAP_THRESHOLD_: blocks
   * from 64 KiB (response bodies, file reads) get their own mapping, returned to the system when freed, instead
   * of a threshold glibc raises as it goes, which kept a pipeline's freed buffers resident (~20 MB at peak, `npm run bench`).
   */
  mallocEnv: { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '65536' },
} as const;

export type BudgetSource = 'VIRALFLOW_MEMORY_MB' | 'cgroup' | 'default';

export interface WorkerMemoryPlan {
  budgetMB: number;
  source: BudgetSource;
  /** --max-old-space-size per isolate: the main thread, and the workflow sandbox's thread when the worker runs workflows. */
  maxOldSpaceMB: number;
  /** --max-semi-space-size: a small young generation in a small budget. */
  maxSemiSpaceMB: number;
  /** The flags node must start with; a flag the user already gave in NODE_OPTIONS is left to them. */
  nodeFlags: string[];
  /** Variables to set before node starts (only those the environment leaves unset). */
  env: Record<string, string>;
}

export interface MemoryInputs {
  role: WorkerRole;
  maxConcurrentActivities: number;
  /** VIRALFLOW_MEMORY_MB */
  memoryBudgetMB?: number;
  /** The container's limit (see cgroupMemoryLimitBytes); undefined when unlimited or not in a cgroup. */
  cgroupLimitBytes?: number;
  /** NODE_OPTIONS as given: flags in it win over the computed ones. @default '' */
  nodeOptions?: string;
  /** The environment's malloc variables: one already set is kept. @default {} */
  mallocEnv?: Partial<Record<keyof typeof WORKER_MEMORY.mallocEnv, string>>;
}

const MiB = 1024 * 1024;

/** The budget, its heap limits, and a ConfigError when the budget cannot hold the activity slots. */
export function planWorkerMemory(inputs: MemoryInputs): WorkerMemoryPlan {
  const { budgetMB, source } =
    inputs.memoryBudgetMB !== undefined
      ? { budgetMB: inputs.memoryBudgetMB, source: 'VIRALFLOW_MEMORY_MB' as const }
      : inputs.cgroupLimitBytes !== undefined
        ? { budgetMB: Math.floor(inputs.cgroupLimitBytes / MiB), source: 'cgroup' as const }
        : { budgetMB: WORKER_MEMORY.defaultBudgetMB[inputs.role], source: 'default' as const };
  // A workflow worker runs the sandbox in a thread with its own isolate, under the same per-isolate limits.
  const isolates = inputs.role === 'activities' ? 1 : 2;
  const maxOldSpaceMB = Math.floor((budgetMB - WORKER_MEMORY.nativeMB) / isolates);
  if (inputs.role !== 'workflows') {
    const neededMB = Math.ceil(
      WORKER_MEMORY.idleHeapMB + inputs.maxConcurrentActivities * WORKER_MEMORY.heapPerActivityMB,
    );
    // The engine cache's share of the heap comes off the top: what is left must hold the slots.
    const slotsHeapMB = Math.floor(maxOldSpaceMB * (1 - WORKER_MEMORY.engineCacheHeapShare));
    if (slotsHeapMB < neededMB) {
      const minBudgetMB =
        WORKER_MEMORY.nativeMB + Math.ceil(neededMB / (1 - WORKER_MEMORY.engineCacheHeapShare)) * isolates;
      const given =
        source === 'cgroup'
          ? `the container's memory limit (${budgetMB} MB)`
          : source === 'default'
            ? `the default memory budget of a worker with role ${inputs.role} (${budgetMB} MB)`
            : `VIRALFLOW_MEMORY_MB=${budgetMB}`;
      throw new ConfigError(
        `${given} leaves ${Math.max(slotsHeapMB, 0)} MB of heap beside the engine cache, too small for VIRALFLOW_MAX_CONCURRENT_ACTIVITIES=${inputs.maxConcurrentActivities} ` +
          `(needs ${neededMB} MB: a budget of at least ${minBudgetMB} MB); raise VIRALFLOW_MEMORY_MB or lower VIRALFLOW_MAX_CONCURRENT_ACTIVITIES`,
      );
    }
  } else if (maxOldSpaceMB < WORKER_MEMORY.idleHeapMB) {
    throw new ConfigError(
      `VIRALFLOW_MEMORY_MB: ${budgetMB} MB is too small for a workflow worker (at least ${WORKER_MEMORY.nativeMB + WORKER_MEMORY.idleHeapMB * 2} MB)`,
    );
  }
  const maxSemiSpaceMB = Math.min(16, Math.max(1, Math.floor(maxOldSpaceMB / 64)));
  const given = inputs.nodeOptions ?? '';
  const nodeFlags = [
    ...(/--max-old-space-size[=\s]/.test(given) ? [] : [`--max-old-space-size=${maxOldSpaceMB}`]),
    ...(/--max-semi-space-size[=\s]/.test(given) ? [] : [`--max-semi-space-size=${maxSemiSpaceMB}`]),
  ];
  const env: Record<string, string> = Object.fromEntries(
    Object.entries(WORKER_MEMORY.mallocEnv).filter(
      ([name]) => !inputs.mallocEnv?.[name as keyof typeof WORKER_MEMORY.mallocEnv],
    ),
  );
  return { budgetMB, source, maxOldSpaceMB, maxSemiSpaceMB, nodeFlags, env };
}

/**
 * The engine response cache's bound in JSON bytes (its unit) for a process whose V8 heap limit is
 * `heapLimitBytes` (v8.getHeapStatistics().heap_size_limit): its share of the heap, at most `ceiling`.
 */
export function engineCacheMaxBytes(heapLimitBytes: number, ceiling: number): number {
  const bytes = (heapLimitBytes * WORKER_MEMORY.engineCacheHeapShare) / WORKER_MEMORY.engineCacheHeapPerByte;
  return Math.min(ceiling, Math.floor(bytes));
}

/** The memory limit of the cgroup this process runs in (v2, else v1), or undefined when there is none. */
export function cgroupMemoryLimitBytes(root = '/sys/fs/cgroup'): number | undefined {
  for (const file of [join(root, 'memory.max'), join(root, 'memory', 'memory.limit_in_bytes')]) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8').trim();
    } catch {
      continue;
    }
    if (text === 'max') return undefined;
    const bytes = Number(text);
    // cgroup v1 writes "unlimited" as a page-aligned LONG_MAX.
    if (!Number.isSafeInteger(bytes) || bytes <= 0) return undefined;
    return bytes;
  }
  return undefined;
}

/**
 * Run by bin/viralflow.js (its POSIX sh part) before `viralflow worker` starts: prints the node flags and
 * variables the worker's memory budget asks for, as shell assignments, and exits; the launcher then `exec`s
 * node with them, so no second node process stays resident. A bad budget exits 2 (EXIT.usage) with the ConfigError.
 */
import { exitCodeFor } from '../cli/exit-codes';
import { loadConfig, type ViralflowConfig } from '../config';
import { cgroupMemoryLimitBytes, planWorkerMemory, type WorkerMemoryPlan } from './worker-memory';

type Env = Record<string, string | undefined>;

/** The plan for this worker's configuration; flags already in NODE_OPTIONS and malloc variables already set are kept. */
export function workerMemoryPlan(
  config: ViralflowConfig,
  env: Env,
  cgroupLimitBytes = cgroupMemoryLimitBytes(),
): WorkerMemoryPlan {
  return planWorkerMemory({
    role: config.role,
    maxConcurrentActivities: config.maxConcurrentActivities,
    memoryBudgetMB: config.memoryBudgetMB,
    cgroupLimitBytes,
    nodeOptions: env.NODE_OPTIONS,
    mallocEnv: { MALLOC_ARENA_MAX: env.MALLOC_ARENA_MAX, MALLOC_MMAP_THRESHOLD_: env.MALLOC_MMAP_THRESHOLD_ },
  });
}

const quote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

export function shellSettings(plan: WorkerMemoryPlan): string {
  return [
    `VIRALFLOW_NODE_FLAGS=${quote(plan.nodeFlags.join(' '))}`,
    ...Object.entries(plan.env).map(([name, value]) => `export ${name}=${quote(value)}`),
  ].join('\n');
}

if (require.main === module) {
  try {
    process.stdout.write(`${shellSettings(workerMemoryPlan(loadConfig(process.env), process.env))}\n`);
  } catch (err) {
    process.stderr.write(`viralflow: ${err instanceof Error ? err.message : String(err)}\n`);
    // The CLI's codes: a bad budget (a ConfigError) is bad input, 2, as when the worker itself refuses it.
    process.exit(exitCodeFor(err));
  }
}

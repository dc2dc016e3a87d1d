/**
 * Runs one operator scenario: the simulator in this (parent) process, each variant in its own
 * child, the simulator's counters zeroed between a variant's warm-up and its measured runs so the
 * requests and connections it reports are the measured window's alone.
 */
import { startSimulator } from '../../src/sim/server';
import { runChild } from '../child/run-child';
import type { ChildResult } from '../child/protocol';
import type { OperatorResult, VariantResult } from '../results-model';
import type { OperatorScenario, PlannedVariant } from '../scenarios/scenario';
import { ratio, reuseRatio, summarize } from '../stats';

const MB = 1024 * 1024;

export interface SuiteOptions {
  quick: boolean;
  dataDir: string;
  log(line: string): void;
}

export async function runOperatorScenario(scenario: OperatorScenario, options: SuiteOptions): Promise<OperatorResult> {
  const sim = scenario.sim ? await startSimulator(scenario.sim) : undefined;
  const variants: VariantResult[] = [];
  try {
    for (const planned of scenario.plan(options.quick)) {
      const started = Date.now();
      const child = await runChild(
        {
          scenario: scenario.name,
          variant: planned.variant,
          params: scenario.params,
          simUrl: sim?.url ?? '',
          dataDir: options.dataDir,
          warmup: planned.warmup,
          executions: planned.executions,
        },
        () => sim?.reset(),
      );
      const stats = sim?.stats();
      const result = variantResult(
        planned,
        child,
        stats && { requests: stats.requests, connections: stats.connections },
      );
      variants.push(result);
      options.log(
        `  ${scenario.name}/${planned.variant}: p50 ${result.wallMs.p50.toFixed(1)} ms, p99 ${result.wallMs.p99.toFixed(1)} ms` +
          (result.upstream
            ? `, ${result.upstream.requestsPerExecution.toFixed(1)} req/exec, reuse ${(result.upstream.reuse * 100).toFixed(1)}%`
            : '') +
          ` (${((Date.now() - started) / 1000).toFixed(1)} s)`,
      );
    }
  } finally {
    await sim?.close();
  }

  const kernel = scenario.floor.kernelVariant
    ? variants.find((v) => v.variant === scenario.floor.kernelVariant)
    : undefined;
  const floorMs = scenario.floor.analyticMs + (kernel?.wallMs.p50 ?? 0);
  const viralflow = variants.find((v) => v.role === 'viralflow');
  const naive = variants.find((v) => v.role === 'naive');
  return {
    name: scenario.name,
    operator: scenario.operator,
    workload: scenario.workload,
    notes: scenario.notes,
    floor: { ms: floorMs, formula: scenario.floor.formula, minRequests: scenario.floor.minRequests },
    variants,
    ratios: {
      viralflowOverNaiveP50: ratio(viralflow?.wallMs.p50, naive?.wallMs.p50),
      viralflowOverNaiveP99: ratio(viralflow?.wallMs.p99, naive?.wallMs.p99),
      viralflowOverFloorP50: ratio(viralflow?.wallMs.p50, floorMs),
      viralflowOverFloorP99: ratio(viralflow?.wallMs.p99, floorMs),
    },
  };
}

function variantResult(
  planned: PlannedVariant,
  child: ChildResult,
  sim: { requests: number; connections: number } | undefined,
): VariantResult {
  const n = child.wallMs.length;
  return {
    variant: planned.variant,
    label: planned.label,
    role: planned.role,
    warmup: planned.warmup,
    executions: n,
    wallMs: summarize(child.wallMs),
    ...(sim &&
      sim.requests > 0 && {
        upstream: {
          requests: sim.requests,
          newConnections: sim.connections,
          requestsPerExecution: sim.requests / n,
          reuse: reuseRatio(sim.requests, sim.connections),
        },
      }),
    ...(child.pool && { pool: { ...child.pool, reuse: reuseRatio(child.pool.requests, child.pool.connections) } }),
    baselineRssMB: child.baselineRssBytes / MB,
    peakRssMB: child.peakRssBytes / MB,
    peakHeapUsedMB: child.peakHeapUsedBytes / MB,
    cpuMsPerExecution: (child.cpuUserMs + child.cpuSystemMs) / n,
    gcMsPerExecution: child.gc.totalMs / n,
    gcMaxPauseMs: child.gc.maxMs,
  };
}

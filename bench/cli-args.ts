/** `npm run bench -- [--quick] [--ci] [--out DIR] [scenario …]`: which scenarios, how many runs, where results go. */
import { CI_SCENARIOS } from './ci-gate';
import { OPERATOR_SCENARIOS } from './scenarios/registry';
import { TEMPORAL_SCENARIOS, type TemporalScenario } from './suites/temporal';

export const ALL_SCENARIOS: readonly string[] = [
  ...OPERATOR_SCENARIOS.map((s) => s.name),
  'sampling',
  'store',
  'ratelimit',
  ...TEMPORAL_SCENARIOS,
];
const GROUPS: Record<string, readonly string[]> = {
  operators: OPERATOR_SCENARIOS.map((s) => s.name),
  temporal: TEMPORAL_SCENARIOS,
};

export interface BenchArgs {
  quick: boolean;
  /** CI's gate (bench/ci-gate.ts): a quick run of its scenarios (unless named), exit 1 on a miss. */
  ci: boolean;
  /** Every scenario selected (no names given, or all of them named). */
  all: boolean;
  scenarios: string[];
  temporal: Set<TemporalScenario>;
  out?: string;
}

export class UsageError extends Error {}

export const USAGE = `usage: node dist/bench/run.js [--quick] [--ci] [--out DIR] [scenario ...]
scenarios: ${ALL_SCENARIOS.join(' ')}
groups:    operators (${GROUPS.operators!.join(' ')}), temporal (${GROUPS.temporal!.join(' ')})
A full run of every scenario writes bench/results/latest.{md,json}; anything else writes dist/bench/results/.`;

export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  let quick = false;
  let ci = false;
  let out: string | undefined;
  const names = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--quick') quick = true;
    else if (arg === '--ci') ci = quick = true;
    else if (arg === '--out') {
      out = argv[++i];
      if (!out) throw new UsageError('--out needs a directory');
    } else if (arg === '--help' || arg === '-h') throw new UsageError('');
    else if (GROUPS[arg]) for (const n of GROUPS[arg]) names.add(n);
    else if (ALL_SCENARIOS.includes(arg)) names.add(arg);
    else throw new UsageError(`unknown scenario or option: ${arg}`);
  }
  if (ci && names.size === 0) for (const n of CI_SCENARIOS) names.add(n);
  const scenarios = names.size === 0 ? [...ALL_SCENARIOS] : ALL_SCENARIOS.filter((n) => names.has(n));
  const temporal = new Set(TEMPORAL_SCENARIOS.filter((n) => scenarios.includes(n)));
  return {
    quick,
    ci,
    all: scenarios.length === ALL_SCENARIOS.length,
    scenarios,
    temporal,
    ...(out !== undefined && { out }),
  };
}

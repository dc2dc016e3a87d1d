/**
 * `npm run bench`: the review's before/after table, measured. Each operator's pre-review shape
 * (bench/naive), the product activity and the physical floor side by side against the simulator at
 * a fixed 20 ms, Thompson sampling against numpy, and the worker through a real Temporal dev
 * server. Progress goes to stderr, the markdown report to stdout and to results/latest.md, every
 * figure to results/latest.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../src/project-root';
import { parseBenchArgs, UsageError, USAGE } from './cli-args';
import { describeMachine } from './machine';
import { renderReport } from './report';
import type { BenchResults, OperatorResult } from './results-model';
import { OPERATOR_SCENARIOS } from './scenarios/registry';
import { runOperatorScenario } from './suites/operators';
import { runRateLimitSuite } from './suites/rate-limit';
import { runSamplingSuite } from './suites/sampling';
import { runStoreSuite } from './suites/store';
import { runTemporalSuite } from './suites/temporal';
import { ciGate } from './ci-gate';
import { checkTargets } from './targets';
import { CONNECTIONS, LATENCY_MS } from './workload';

async function main(): Promise<number> {
  let args;
  try {
    args = parseBenchArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    if (err.message) console.error(err.message);
    console.error(USAGE);
    return err.message ? 2 : 0;
  }
  const root = projectRoot(__dirname);
  const outDir =
    args.out ?? (args.all && !args.quick ? join(root, 'bench', 'results') : join(root, 'dist', 'bench', 'results'));
  const dataDir = mkdtempSync(join(tmpdir(), 'viralflow-bench-'));
  const started = Date.now();
  const log = (line: string) => console.error(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);
  const options = { quick: args.quick, dataDir, log };
  log(`${args.quick ? 'quick' : 'full'} run: ${args.scenarios.join(' ')}`);

  const results: BenchResults = {
    mode: args.quick ? 'quick' : 'full',
    scenarios: args.scenarios,
    startedAt: new Date(started).toISOString(),
    durationSeconds: 0,
    machine: describeMachine(root),
    latencyMs: LATENCY_MS,
    connections: CONNECTIONS,
    operators: [],
    targets: [],
  };
  try {
    const operators: OperatorResult[] = [];
    for (const scenario of OPERATOR_SCENARIOS.filter((s) => args.scenarios.includes(s.name))) {
      log(`${scenario.name}: ${scenario.workload}`);
      operators.push(await runOperatorScenario(scenario, options));
    }
    results.operators = operators;
    if (args.scenarios.includes('sampling')) {
      log('sampling: Beta draws per second at 10, 1,000 and 100,000 variants');
      results.sampling = await runSamplingSuite(options);
    }
    if (args.scenarios.includes('store')) {
      log('store: PostgreSQL results store ingest (per client, through the sink) and read-back, beside NDJSON');
      results.store = await runStoreSuite(options);
    }
    if (args.scenarios.includes('ratelimit')) {
      log("ratelimit: the fleet limiter's cost per request, in-process and through Redis");
      results.rateLimit = await runRateLimitSuite(options);
    }
    if (args.temporal.size > 0) {
      log(`temporal: ${[...args.temporal].join(' ')}`);
      results.temporal = await runTemporalSuite(args.temporal, options);
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }

  results.durationSeconds = (Date.now() - started) / 1000;
  results.targets = checkTargets(results);
  const report = renderReport(results);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'latest.md'), `${report}\n`);
  writeFileSync(join(outDir, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  console.log(report);
  log(`wrote ${join(outDir, 'latest.md')} and latest.json in ${results.durationSeconds.toFixed(0)} s`);
  if (!args.ci) return 0;
  const gate = ciGate(results);
  console.log('\nCI gate (bench/ci-gate.ts):');
  for (const g of gate) console.log(`${g.held ? 'held  ' : 'MISSED'}  ${g.target}: ${g.measured}`);
  const missed = gate.filter((g) => !g.held).length;
  console.log(missed ? `\n${missed} of ${gate.length} CI targets missed` : `\nall ${gate.length} CI targets held`);
  return missed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  },
);

import { ConfigError, loadConfig } from '../config';
import { loadSources } from '../sources/load-sources';
import { fail, pass, runChecks, skip, type CheckResult, type DoctorCheck, type DoctorContext } from './check';
import { redisCheck } from './redis-check';
import { resultsStoreCheck } from './store-check';
import { namespaceCheck, searchAttributesCheck, temporalServerCheck, workersCheck } from './temporal-checks';
import { upstreamsCheck } from './upstream-checks';

const configCheck: DoctorCheck = {
  id: 'config',
  title: 'configuration',
  async run(ctx) {
    try {
      ctx.config = loadConfig(ctx.env);
      return pass(
        `read from the environment (Temporal ${ctx.config.temporal.address}, namespace ${ctx.config.temporal.namespace}, task queue ${ctx.config.temporal.taskQueue})`,
      );
    } catch (err) {
      if (err instanceof ConfigError)
        return fail(err.message, 'fix the variable it names (docs/reference/configuration.md)');
      throw err;
    }
  },
};

/** The module VIRALFLOW_SOURCES_MODULE names loads and answers the sources, as the worker checks at start-up. */
const sourcesCheck: DoctorCheck = {
  id: 'sources',
  title: 'sources module',
  requires: ['config'],
  async run(ctx) {
    const spec = ctx.config!.sourcesModule;
    if (spec === undefined)
      return skip('VIRALFLOW_SOURCES_MODULE not set: the HTTP contract (api/upstream.openapi.yaml)');
    try {
      ctx.sources = await loadSources(ctx.config!);
      return pass(`${spec} replaces ${Object.keys(ctx.sources).join(', ') || 'nothing'}`);
    } catch (err) {
      if (err instanceof ConfigError)
        return fail(err.message, 'fix the module or the path (docs/how-to/connect-your-own-apis.md)');
      throw err;
    }
  },
};

/** What `viralflow doctor` checks, in order: a new check is one more entry. */
export const DOCTOR_CHECKS: readonly DoctorCheck[] = [
  configCheck,
  temporalServerCheck,
  namespaceCheck,
  searchAttributesCheck,
  workersCheck,
  sourcesCheck,
  upstreamsCheck,
  resultsStoreCheck,
  redisCheck,
];

export interface DoctorOptions {
  /** @default process.env */
  env?: Record<string, string | undefined>;
  /** Deadline for each network call. @default 3000 */
  timeoutMs?: number;
  /** @default DOCTOR_CHECKS */
  checks?: readonly DoctorCheck[];
}

export interface DoctorReport {
  /** True when no check failed (skipped ones do not count). */
  ok: boolean;
  checks: CheckResult[];
}

export async function runDoctor(options: DoctorOptions = {}): Promise<DoctorReport> {
  const ctx: DoctorContext = { env: options.env ?? process.env, timeoutMs: options.timeoutMs ?? 3_000 };
  try {
    const checks = await runChecks(options.checks ?? DOCTOR_CHECKS, ctx);
    return { ok: checks.every((c) => c.status !== 'fail'), checks };
  } finally {
    await ctx.temporal?.close();
  }
}

/** Raised by the CLI when a check failed, so the exit code says so. */
export class DoctorFailedError extends Error {
  constructor(readonly failed: string[]) {
    super(`doctor: ${failed.length} check(s) failed: ${failed.join(', ')}`);
    this.name = 'DoctorFailedError';
  }
}

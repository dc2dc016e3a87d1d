import type { Connection } from '@temporalio/client';
import type { ViralflowConfig } from '../config';
import type { Sources } from '../sources/types';

/** What one check found: `skip` when it does not apply here (not configured, or a check it needs failed). */
export type CheckStatus = 'pass' | 'fail' | 'skip';

export interface CheckResult {
  /** Stable ID for scripts (`temporal-server`, `upstream:social`, …). */
  id: string;
  title: string;
  status: CheckStatus;
  /** What was found, in one line. */
  detail: string;
  /** What to do about a failure. */
  fix?: string;
  durationMs: number;
}

/** What earlier checks leave for later ones. */
export interface DoctorContext {
  env: Record<string, string | undefined>;
  /** Set by the configuration check. */
  config?: ViralflowConfig;
  /** What VIRALFLOW_SOURCES_MODULE replaces, set by the sources check; the upstream probes ask through it. */
  sources?: Partial<Sources>;
  /** Set by the Temporal server check; closed when the doctor is done. */
  temporal?: Connection;
  /** Per-check deadline for network calls. */
  timeoutMs: number;
}

export type CheckOutcome = Pick<CheckResult, 'status' | 'detail' | 'fix'>;

/** One entry of the doctor's list: adding a check is adding one of these. */
export interface DoctorCheck {
  id: string;
  title: string;
  /** IDs of earlier checks that must pass first; otherwise this one is skipped, naming them. */
  requires?: string[];
  /** Several results for one entry (one per configured upstream), or one. */
  run(ctx: DoctorContext): Promise<CheckOutcome | CheckResult[]>;
}

export const pass = (detail: string): CheckOutcome => ({ status: 'pass', detail });
export const fail = (detail: string, fix: string): CheckOutcome => ({ status: 'fail', detail, fix });
export const skip = (detail: string): CheckOutcome => ({ status: 'skip', detail });

/** Runs the checks in order; a check whose requirement did not pass is skipped, and none throws out of here. */
export async function runChecks(checks: readonly DoctorCheck[], ctx: DoctorContext): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const passed = new Set<string>();
  for (const check of checks) {
    const started = performance.now();
    const missing = (check.requires ?? []).filter((id) => !passed.has(id));
    let outcome: CheckOutcome | CheckResult[];
    if (missing.length) {
      outcome = skip(`needs ${missing.join(', ')}`);
    } else {
      try {
        outcome = await check.run(ctx);
      } catch (err) {
        outcome = fail(
          `unexpected error: ${err instanceof Error ? err.message : String(err)}`,
          'report this as a bug in viralflow doctor',
        );
      }
    }
    const durationMs = Math.round(performance.now() - started);
    const found = Array.isArray(outcome) ? outcome : [{ id: check.id, title: check.title, durationMs, ...outcome }];
    results.push(...found);
    if (!missing.length && found.every((r) => r.status !== 'fail')) passed.add(check.id);
  }
  return results;
}

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { EXIT } from '../../src/cli';
import { projectRoot } from '../../src/project-root';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

const BIN = join(projectRoot(), 'bin', 'viralflow.js');

/**
 * Runs `viralflow …` as a child process, the way users and scripts do, so exit codes and stream
 * separation are the real ones. Killed after `timeoutMs` so a stuck command fails the test instead of hanging it.
 */
export function viralflow(args: string[], env: Record<string, string>, timeoutMs = 30_000): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, ...env }, timeout: timeoutMs },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr: err && code === -1 ? `${stderr}\n[killed: ${err.message}]` : stderr });
      },
    );
  });
}

/** Parses a run's stdout as the one JSON document `--json` promises, failing with the run's output otherwise. */
export function json<T = Record<string, unknown>>(run: CliRun): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`expected JSON on stdout (exit ${run.code}):\n${run.stdout}\nstderr:\n${run.stderr}`);
  }
}

/** Asserts a run exited 0, showing its output when it did not; answers the run. */
export function expectOk(run: CliRun): CliRun {
  assert.equal(run.code, EXIT.ok, `exit ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
  return run;
}

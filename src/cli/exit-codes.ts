import { UsageError } from '../client/errors';
import { ConfigError } from '../config-error';
import { TemporalUnreachableError } from '../temporal/connection-error';

/**
 * Exit codes, for scripts: 0 done; 1 the operation or the workflow failed (not found, already running,
 * failed/cancelled/timed-out run); 2 bad usage or input, caught before the server was called;
 * 3 the Temporal server could not be reached.
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, unreachable: 3 } as const;

/** An error the command has already reported (e.g. as the `failure` of its JSON document): exit, say nothing more. */
export class ReportedError extends Error {
  constructor(readonly reported: unknown) {
    super(reported instanceof Error ? reported.message : String(reported), { cause: reported });
    this.name = 'ReportedError';
  }
}

/** The exit code for an error that ended a command (see EXIT); the CLI maps its parser's own errors first. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof ReportedError) return exitCodeFor(err.reported);
  if (err instanceof UsageError || err instanceof ConfigError) return EXIT.usage;
  if (err instanceof TemporalUnreachableError) return EXIT.unreachable;
  return EXIT.failed;
}

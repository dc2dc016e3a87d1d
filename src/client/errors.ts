/**
 * The client library's typed errors. Each names the thing that was wrong (the workflow ID, the schedule
 * ID, the cron field, the JSON position) so the CLI can print `err.message` as is, and scripts using
 * the library can branch on the class. `UsageError`s are mistakes in what the caller asked for; they
 * are raised before the server is called.
 */

/** Something the caller supplied is wrong; nothing was sent to the server. */
export class UsageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UsageError';
  }
}

export class UnknownWorkflowError extends UsageError {
  constructor(
    readonly requested: string,
    readonly validShortNames: readonly string[],
  ) {
    super(`unknown workflow "${requested}"; valid workflows: ${validShortNames.join(', ')} (or their full type names)`);
    this.name = 'UnknownWorkflowError';
  }
}

export class InvalidJsonError extends UsageError {
  constructor(
    /** Where the text came from: `--input`, a file name, … */
    readonly source: string,
    /** 0-based character offset of the first problem. */
    readonly position: number,
    readonly line: number,
    readonly column: number,
    readonly problem: string,
  ) {
    super(`${source} is not valid JSON: ${problem} at line ${line}, column ${column} (position ${position})`);
    this.name = 'InvalidJsonError';
  }
}

export class InvalidCronError extends UsageError {
  constructor(
    readonly expression: string,
    readonly problem: string,
    /** The offending field (`minute`, `dayOfWeek`, …), when one field is to blame. */
    readonly field?: string,
    /** That field's text. */
    readonly value?: string,
  ) {
    super(`invalid cron "${expression}": ${problem}`);
    this.name = 'InvalidCronError';
  }
}

export class InvalidDurationError extends UsageError {
  constructor(
    readonly what: string,
    readonly value: string,
  ) {
    super(
      `${what}: "${value}" is not a duration; use a whole number with a unit, e.g. 500ms, 30s, 5m, 2h, 1d (or combined: 1h30m)`,
    );
    this.name = 'InvalidDurationError';
  }
}

/** Starting with the ID of a running workflow fails (conflict policy FAIL) rather than attaching to it. */
export class WorkflowAlreadyRunningError extends Error {
  constructor(
    readonly workflowId: string,
    options: { cause: unknown },
  ) {
    super(
      `workflow ${workflowId} is already running; wait for it, cancel it (viralflow cancel ${workflowId}) or start with another --id`,
      options,
    );
    this.name = 'WorkflowAlreadyRunningError';
  }
}

export class NoSuchWorkflowError extends Error {
  constructor(
    readonly workflowId: string,
    readonly namespace: string,
    options: { cause: unknown },
  ) {
    super(`no workflow with ID ${workflowId} in namespace ${namespace}`, options);
    this.name = 'NoSuchWorkflowError';
  }
}

export class NoSuchScheduleError extends Error {
  constructor(
    readonly scheduleId: string,
    readonly namespace: string,
    options: { cause: unknown },
  ) {
    super(`no schedule with ID ${scheduleId} in namespace ${namespace}`, options);
    this.name = 'NoSuchScheduleError';
  }
}

export class ScheduleExistsError extends Error {
  constructor(
    readonly scheduleId: string,
    options: { cause: unknown },
  ) {
    super(
      `a schedule with ID ${scheduleId} already exists; update it (viralflow schedule update ${scheduleId}) or delete it first`,
      options,
    );
    this.name = 'ScheduleExistsError';
  }
}

/** The workflow ended in a state other than Completed (failed, cancelled, terminated, timed out). */
export class WorkflowRunFailedError extends Error {
  constructor(
    readonly workflowId: string,
    readonly runId: string | undefined,
    /** Why it failed, innermost cause first where there is one. */
    readonly reason: string,
    options: { cause: unknown },
  ) {
    super(`workflow ${workflowId} did not complete: ${reason}`, options);
    this.name = 'WorkflowRunFailedError';
  }
}

/** The bandit entity did not answer in time: usually no worker serves banditWorkflow on the task queue. */
export class BanditUnansweredError extends Error {
  constructor(
    readonly experimentId: string,
    readonly taskQueue: string,
    readonly timeoutMs: number,
    options: { cause: unknown },
  ) {
    super(
      `the bandit entity for experiment ${experimentId} did not answer within ${timeoutMs / 1000} s; ` +
        `is a viralflow worker running on task queue ${taskQueue}?`,
      options,
    );
    this.name = 'BanditUnansweredError';
  }
}

/** `bandit recount`: the entity's evidence totals are not the ledger's (it has read the ledger again since). */
export class EvidenceMismatchError extends Error {
  constructor(
    readonly experimentId: string,
    readonly variants: readonly string[],
  ) {
    super(
      `experiment ${experimentId}: the entity's evidence totals differ from the ledger for ${variants.join(', ')}; it has read the ledger again`,
    );
    this.name = 'EvidenceMismatchError';
  }
}

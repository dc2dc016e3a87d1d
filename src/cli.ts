import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { clusterCommand } from './cli/cluster';
import { connectViralflow, type ViralflowClient } from './client/client';
import type { ConnectOptions } from './client/connect';
import { parseDuration, formatDuration } from './client/duration';
import { UsageError, WorkflowRunFailedError } from './client/errors';
import { createOutput, fields, processStreams, table, type CliStreams, type Output } from './client/output';
import { OVERLAP_POLICIES, prepareSchedule, prepareScheduleUpdate, type OverlapName, type ScheduleInfo } from './client/schedules';
import { readWorkflowInput, type WorkflowInputSources } from './client/workflow-input';
import { resolveWorkflow, WORKFLOW_NAMES, WORKFLOW_TYPES } from './client/workflow-types';
import type { WaitProgress, WorkflowSummary } from './client/workflows';
import { ConfigError } from './config';
import { runDev } from './dev';
import { startSimulator } from './sim/server';
import type { SimConfig } from './sim/types';
import { resolveTemporalCli } from './temporal/cli-path';
import { TemporalUnreachableError } from './temporal/connection-error';
import { runWorker } from './worker';
import { addDataCommands } from './cli/data';

/**
 * Exit codes, for scripts: 0 done; 1 the operation or the workflow failed (not found, already running,
 * failed/cancelled/timed-out run); 2 bad usage or input, caught before the server was called;
 * 3 the Temporal server could not be reached.
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, unreachable: 3 } as const;

export interface CliContext {
  streams?: CliStreams;
  /** Environment for TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, VIRALFLOW_TASK_QUEUE, TEMPORAL_UI_URL (default process.env). */
  env?: Record<string, string | undefined>;
  /** Overrides for the connection (tests shorten the connect timeout). */
  connect?: ConnectOptions;
}

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

function overlapName(value: string): OverlapName {
  if (!(value in OVERLAP_POLICIES)) throw new InvalidArgumentError(`expected one of ${Object.keys(OVERLAP_POLICIES).join(', ')}`);
  return value as OverlapName;
}

interface JsonOption {
  json?: boolean;
}
interface InputOptions extends JsonOption {
  input?: string;
  inputFile?: string;
  accounts?: string;
}

const withJson = (cmd: Command) => cmd.option('--json', 'print one JSON document on stdout (for scripts)');
const withInput = (cmd: Command) =>
  cmd
    .option('--input <json>', 'the workflow input, a JSON object')
    .option('--input-file <file>', 'read the input from a JSON file')
    .option('--accounts <file>', 'account IDs (one per line, or a JSON array) as the input\'s "accountIds"');
const inputSources = (opts: InputOptions): WorkflowInputSources => ({ input: opts.input, inputFile: opts.inputFile, accountsFile: opts.accounts });
const hasInput = (opts: InputOptions) => opts.input !== undefined || opts.inputFile !== undefined || opts.accounts !== undefined;

export function buildCli(context: CliContext = {}): Command {
  const streams = context.streams ?? processStreams;
  const program = new Command('viralflow')
    .description('Content-scraping and experimentation jobs on Temporal')
    .configureOutput({ writeOut: streams.stdout, writeErr: streams.stderr })
    .showHelpAfterError()
    .exitOverride();

  /** Connects, runs, closes: every client command is one short-lived connection. */
  const withClient = async <T>(use: (vf: ViralflowClient) => Promise<T>): Promise<T> => {
    const vf = await connectViralflow({ env: context.env, ...context.connect });
    try {
      return await use(vf);
    } finally {
      await vf.close();
    }
  };
  const output = (opts: JsonOption): Output => createOutput(streams, Boolean(opts.json));

  program
    .command('worker')
    .description('run a worker: every viralflow workflow and activity on VIRALFLOW_TASK_QUEUE (default viralflow)')
    .action(() => runWorker());

  addDataCommands(program, { streams, env: context.env });

  program
    .command('sim')
    .description('run the upstream simulator standalone (the default upstream for every API)')
    .option('--port <port>', 'port to listen on', integer, 8787)
    .option('--host <address>', 'address to bind (0.0.0.0 in a container)', '127.0.0.1')
    .option('--seed <seed>', 'seed for data and faults', integer, 42)
    .option('--config <file>', 'JSON SimConfig (knobs per route, services, missing accounts, …)')
    .action(async (opts: { port: number; host: string; seed: number; config?: string }) => {
      const fromFile = opts.config ? (JSON.parse(readFileSync(opts.config, 'utf8')) as SimConfig) : {};
      const sim = await startSimulator({ ...fromFile, seed: opts.seed, port: opts.port, host: opts.host });
      console.log(`viralflow simulator listening at ${sim.url} (stats: ${sim.url}/_sim/stats)`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await sim.close();
    });

  program
    .command('dev')
    .description('one-command demo: Temporal dev server + simulator + worker + a demo run in the Web UI')
    .option('--exit', 'stop after the demo workflow completes')
    .action((opts: { exit?: boolean }) => runDev({ exitAfterDemo: opts.exit }));

  program.addCommand(clusterCommand());

  program
    .command('temporal-cli')
    .description('print the path of the Temporal CLI, building it with Go on first use')
    .action(async () => {
      const cli = await resolveTemporalCli();
      console.log(`${cli.path}\t(${cli.source})`);
    });

  // --- workflows -------------------------------------------------------------------------------

  const workflowList = WORKFLOW_NAMES.map((n) => `${n} (${WORKFLOW_TYPES[n]})`).join(', ');

  withJson(
    withInput(
      program
        .command('start <workflow>')
        .description(`start a workflow by short name or type: ${workflowList}`)
        .option('--id <workflowId>', 'workflow ID (default <short name>-<epoch ms>; bandit-<experimentId> for bandit); a running ID is refused')
        .option('--wait', 'wait for the result; exit code 1 if the run does not complete')
        .option('--progress-every <duration>', 'with --wait: how often to report progress on stderr', '5s'),
    ),
  ).action(async (workflow: string, opts: InputOptions & { id?: string; wait?: boolean; progressEvery: string }) => {
    const out = output(opts);
    resolveWorkflow(workflow); // an unknown name is reported without connecting
    const input = readWorkflowInput(inputSources(opts));
    const progressEveryMs = parseDuration(opts.progressEvery, '--progress-every');
    await withClient(async (vf) => {
      const started = await vf.startWorkflow(workflow, input, { workflowId: opts.id });
      const startedText = () =>
        `Started ${started.name} workflow ${started.workflowId}\n` +
        fields([
          ['  workflow ID', started.workflowId],
          ['  run ID', started.runId],
          ['  type', started.workflowType],
          ['  task queue', started.taskQueue],
          ['  Web UI', started.link],
        ]);
      if (!opts.wait) return out.result(started, startedText);
      if (!out.json) out.result(null, startedText);
      try {
        const result = await vf.result(started.workflowId, { runId: started.runId, progressEveryMs, onProgress: (p) => out.progress(progressLine(p)) });
        out.result({ ...started, status: 'COMPLETED', result }, () => `Completed.\n${JSON.stringify(result, null, 2)}`);
      } catch (err) {
        if (err instanceof WorkflowRunFailedError && out.json) out.result({ ...started, status: 'FAILED', failure: err.reason }, () => '');
        throw err;
      }
    });
  });

  withJson(
    program
      .command('result <workflowId>')
      .description('wait for a workflow\'s result (exit code 1 if it did not complete)')
      .option('--progress-every <duration>', 'how often to report progress on stderr', '5s'),
  ).action(async (workflowId: string, opts: JsonOption & { progressEvery: string }) => {
    const out = output(opts);
    const progressEveryMs = parseDuration(opts.progressEvery, '--progress-every');
    await withClient(async (vf) => {
      const result = await vf.result(workflowId, { progressEveryMs, onProgress: (p) => out.progress(progressLine(p)) });
      out.result({ workflowId, status: 'COMPLETED', result }, () => JSON.stringify(result, null, 2));
    });
  });

  withJson(program.command('describe <workflowId>').description('status, type, times and Web UI link of a workflow\'s latest run')).action(
    async (workflowId: string, opts: JsonOption) => {
      await withClient(async (vf) => {
        const w = await vf.describeWorkflow(workflowId);
        output(opts).result(w, () => describeText(w));
      });
    },
  );

  withJson(
    program
      .command('list')
      .description('recent workflow runs, most recent first (a visibility query)')
      .option('--status <status>', 'running, completed, failed, canceled, terminated, timed-out or continued-as-new')
      .option('--type <workflow>', 'short name or workflow type')
      .option('--pipeline <name>', 'runs with this ViralflowPipeline search attribute (a pipeline and its children)')
      .option('--experiment <id>', 'runs with this ViralflowExperiment search attribute (its bandit)')
      .option('--limit <n>', 'at most this many', positiveInteger, 20),
  ).action(async (opts: JsonOption & { status?: string; type?: string; pipeline?: string; experiment?: string; limit: number }) => {
    await withClient(async (vf) => {
      const runs = await vf.listWorkflows({
        status: opts.status,
        workflow: opts.type,
        pipeline: opts.pipeline,
        experiment: opts.experiment,
        limit: opts.limit,
      });
      output(opts).result(runs, () =>
        runs.length
          ? table(['WORKFLOW ID', 'TYPE', 'STATUS', 'STARTED', 'CLOSED'], runs.map((w) => [w.workflowId, w.name ?? w.workflowType, w.status, w.startTime, w.closeTime]))
          : 'No workflows match.',
      );
    });
  });

  withJson(program.command('cancel <workflowId>').description('request cancellation of a running workflow')).action(
    async (workflowId: string, opts: JsonOption) => {
      await withClient(async (vf) => {
        const w = await vf.cancelWorkflow(workflowId);
        output(opts).result({ workflowId, runId: w.runId, cancelRequested: true }, () => `Cancellation requested for ${workflowId} (run ${w.runId}).`);
      });
    },
  );

  // --- bandit ----------------------------------------------------------------------------------

  const bandit = program.command('bandit').description('the Thompson-sampling entity of an experiment (one workflow per experiment)');

  withJson(
    bandit
      .command('record <experiment>')
      .description('record outcomes for a variant (creates the experiment\'s entity on first use); prints the new posterior')
      .requiredOption('--variant <variant>', 'the variant the outcome is for')
      .option('--success', 'the outcome was a success')
      .option('--failure', 'the outcome was a failure')
      .option('--count <n>', 'how many such outcomes', positiveInteger, 1)
      .option('--timeout <duration>', 'how long to wait for the entity to answer', '30s'),
  ).action(async (experiment: string, opts: JsonOption & { variant: string; success?: boolean; failure?: boolean; count: number; timeout: string }) => {
    if (Boolean(opts.success) === Boolean(opts.failure)) throw new UsageError('give exactly one of --success or --failure');
    const outcome = { variant: opts.variant, ...(opts.success ? { successes: opts.count } : { failures: opts.count }) };
    const timeoutMs = parseDuration(opts.timeout, '--timeout');
    await withClient(async (vf) => {
      const p = await vf.recordOutcome(experiment, outcome, { timeoutMs });
      output(opts).result({ experimentId: experiment, posterior: p }, () =>
        `${experiment}/${p.variant}: ${p.successes} successes, ${p.failures} failures -> Beta(${p.alpha}, ${p.beta}), mean ${p.mean.toFixed(3)}`,
      );
    });
  });

  withJson(bandit.command('show <experiment>').description('posteriors and the last computed weights of an experiment')).action(
    async (experiment: string, opts: JsonOption) => {
      await withClient(async (vf) => {
        const s = await vf.banditState(experiment);
        output(opts).result(s, () => {
          const rows = s.posteriors.map((p) => [
            p.variant,
            p.successes,
            p.failures,
            p.mean.toFixed(3),
            s.weights?.weights[p.variant]?.toFixed(3),
            s.weights?.probabilityBest[p.variant]?.toFixed(3),
          ]);
          const weights = s.weights
            ? `weights from ${s.weights.basedOnOutcomes} outcomes` +
              (s.weights.publishedVersion !== undefined ? `, published as version ${s.weights.publishedVersion}` : ', not published yet')
            : 'no weights computed yet';
          return `${table(['VARIANT', 'SUCCESSES', 'FAILURES', 'MEAN', 'WEIGHT', 'P(BEST)'], rows)}\n${weights}\nWeb UI: ${s.link}`;
        });
      });
    },
  );

  // --- schedules -------------------------------------------------------------------------------

  const schedule = program
    .command('schedule')
    .description('cron schedules that start workflows on VIRALFLOW_TASK_QUEUE (cron strings are checked before the server is called)');

  withJson(
    withInput(
      schedule
        .command('create <scheduleId>')
        .description('create a schedule; its runs get IDs <scheduleId>-<scheduled time>')
        .requiredOption('--workflow <name>', `short name or type: ${WORKFLOW_NAMES.join(', ')}`)
        .requiredOption('--cron <expr>', 'Temporal cron: "m h dom mon dow" [year], 7 fields with seconds first, @hourly/@daily/…, @every 15m')
        .option('--overlap <policy>', `when a run is due while one is running: ${Object.keys(OVERLAP_POLICIES).join(', ')}`, overlapName, 'skip')
        .option('--jitter <duration>', 'random delay up to this much per run, e.g. 30s')
        .option('--timezone <tz>', 'IANA time zone the cron is read in (default UTC)')
        .option('--paused', 'create it paused')
        .option('--note <text>', 'a note shown with the schedule'),
    ),
  ).action(
    async (
      scheduleId: string,
      opts: InputOptions & { workflow: string; cron: string; overlap: OverlapName; jitter?: string; timezone?: string; paused?: boolean; note?: string },
    ) => {
      const create = {
        scheduleId,
        workflow: opts.workflow,
        cron: opts.cron,
        input: readWorkflowInput(inputSources(opts)),
        overlap: opts.overlap,
        jitter: opts.jitter,
        timezone: opts.timezone,
        paused: opts.paused,
        note: opts.note,
      };
      prepareSchedule(create); // a bad cron, zone or jitter is reported without connecting
      await withClient(async (vf) => {
        const s = await vf.createSchedule(create);
        output(opts).result(s, () => `Created schedule ${scheduleId}\n${scheduleText(s)}`);
      });
    },
  );

  withJson(schedule.command('list').description('every schedule in the namespace')).action(async (opts: JsonOption) => {
    await withClient(async (vf) => {
      const all = await vf.listSchedules();
      output(opts).result(all, () =>
        all.length
          ? table(['SCHEDULE ID', 'WORKFLOW', 'CRON', 'PAUSED', 'NEXT RUN'], all.map((s) => [s.scheduleId, s.name ?? s.workflowType, s.cron.join(' | '), s.paused, s.nextRuns[0]]))
          : 'No schedules.',
      );
    });
  });

  withJson(schedule.command('describe <scheduleId>').description('a schedule\'s spec, policy, state, next and recent runs')).action(
    async (scheduleId: string, opts: JsonOption) => {
      await withClient(async (vf) => {
        const s = await vf.describeSchedule(scheduleId);
        output(opts).result(s, () => scheduleText(s));
      });
    },
  );

  for (const [verb, describe] of [
    ['pause', 'stop taking actions until unpaused'],
    ['unpause', 'resume taking actions'],
  ] as const) {
    withJson(schedule.command(`${verb} <scheduleId>`).description(describe).option('--note <text>', 'why')).action(
      async (scheduleId: string, opts: JsonOption & { note?: string }) => {
        await withClient(async (vf) => {
          await (verb === 'pause' ? vf.pauseSchedule(scheduleId, opts.note) : vf.unpauseSchedule(scheduleId, opts.note));
          output(opts).result({ scheduleId, paused: verb === 'pause' }, () => `Schedule ${scheduleId} ${verb}d.`);
        });
      },
    );
  }

  withJson(
    schedule
      .command('trigger <scheduleId>')
      .description('run the action now, under the schedule\'s overlap policy unless --overlap says otherwise')
      .option('--overlap <policy>', 'overlap policy for this run', overlapName),
  ).action(async (scheduleId: string, opts: JsonOption & { overlap?: OverlapName }) => {
    await withClient(async (vf) => {
      await vf.triggerSchedule(scheduleId, opts.overlap);
      output(opts).result({ scheduleId, triggered: true }, () => `Triggered schedule ${scheduleId}.`);
    });
  });

  withJson(
    schedule
      .command('backfill <scheduleId>')
      .description('take now the actions the schedule would have taken between --start and --end')
      .requiredOption('--start <time>', 'ISO 8601 time, e.g. 2025-01-01T00:00:00Z')
      .requiredOption('--end <time>', 'ISO 8601 time')
      .option('--overlap <policy>', 'overlap policy for the backfilled runs (default: the schedule\'s)', overlapName),
  ).action(async (scheduleId: string, opts: JsonOption & { start: string; end: string; overlap?: OverlapName }) => {
    const start = isoTime(opts.start, '--start');
    const end = isoTime(opts.end, '--end');
    await withClient(async (vf) => {
      await vf.backfillSchedule(scheduleId, { start, end, overlap: opts.overlap });
      output(opts).result({ scheduleId, start: start.toISOString(), end: end.toISOString() }, () =>
        `Backfilling schedule ${scheduleId} from ${start.toISOString()} to ${end.toISOString()}.`,
      );
    });
  });

  withJson(
    withInput(
      schedule
        .command('update <scheduleId>')
        .description('change a schedule; what is not given is kept')
        .option('--workflow <name>', 'short name or type')
        .option('--cron <expr>', 'new cron')
        .option('--overlap <policy>', 'new overlap policy', overlapName)
        .option('--jitter <duration>', 'new jitter')
        .option('--timezone <tz>', 'new time zone')
        .option('--note <text>', 'new note'),
    ),
  ).action(
    async (
      scheduleId: string,
      opts: InputOptions & { workflow?: string; cron?: string; overlap?: OverlapName; jitter?: string; timezone?: string; note?: string },
    ) => {
      const changes = {
        workflow: opts.workflow,
        cron: opts.cron,
        input: hasInput(opts) ? readWorkflowInput(inputSources(opts)) : undefined,
        overlap: opts.overlap,
        jitter: opts.jitter,
        timezone: opts.timezone,
        note: opts.note,
      };
      prepareScheduleUpdate(changes);
      await withClient(async (vf) => {
        const s = await vf.updateSchedule(scheduleId, changes);
        output(opts).result(s, () => `Updated schedule ${scheduleId}\n${scheduleText(s)}`);
      });
    },
  );

  withJson(schedule.command('delete <scheduleId>').description('delete a schedule (runs it started are not affected)')).action(
    async (scheduleId: string, opts: JsonOption) => {
      await withClient(async (vf) => {
        await vf.deleteSchedule(scheduleId);
        output(opts).result({ scheduleId, deleted: true }, () => `Deleted schedule ${scheduleId}.`);
      });
    },
  );

  return program;
}

function progressLine(p: WaitProgress): string {
  const elapsed = formatDuration(Math.round(p.elapsedMs / 1000) * 1000);
  const q = p.progress;
  const detail = q
    ? ` (${q.stage}: ${q.batchesDone}/${q.batchesTotal} batches` + (q.accountsTotal ? `, ${q.accountsDone}/${q.accountsTotal} accounts)` : ')')
    : '';
  return `… ${p.workflowId}: ${elapsed} elapsed${detail}`;
}

function describeText(w: WorkflowSummary): string {
  return fields([
    ['workflow ID', w.workflowId],
    ['run ID', w.runId],
    ['type', w.name ? `${w.workflowType} (${w.name})` : w.workflowType],
    ['status', w.status],
    ['task queue', w.taskQueue],
    ['started', w.startTime],
    ['closed', w.closeTime],
    ['history events', w.historyLength],
    ['Web UI', w.link],
  ]);
}

function scheduleText(s: ScheduleInfo): string {
  const main = fields([
    ['schedule ID', s.scheduleId],
    ['workflow', s.name ? `${s.workflowType} (${s.name})` : s.workflowType],
    ['cron', s.cron.join(' | ')],
    ['time zone', s.timezone ?? 'UTC'],
    ['jitter', s.jitterMs ? formatDuration(s.jitterMs) : undefined],
    ['overlap', s.overlap],
    ['paused', s.paused],
    ['note', s.note],
    ['task queue', s.taskQueue],
    ['input', s.input === undefined ? undefined : JSON.stringify(s.input)],
    ['actions taken', s.actionsTaken],
    ['skipped (overlap)', s.skippedOverlap],
    ['running', s.running?.join(', ')],
    ['next runs', s.nextRuns.slice(0, 3).join(', ')],
    ['Web UI', s.link],
  ]);
  const recent = s.recentRuns.length
    ? `\nrecent runs:\n${table(['WORKFLOW ID', 'SCHEDULED', 'TAKEN'], s.recentRuns.map((r) => [r.workflowId, r.scheduledAt, r.takenAt]))}`
    : '';
  return main + recent;
}

function isoTime(value: string, option: string): Date {
  const date = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(date.getTime())) {
    throw new UsageError(`${option}: "${value}" is not an ISO 8601 time such as 2025-01-01T00:00:00Z`);
  }
  return date;
}

/** The exit code for an error that ended a command (see EXIT). */
function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  if (err instanceof UsageError || err instanceof ConfigError) return EXIT.usage;
  if (err instanceof TemporalUnreachableError) return EXIT.unreachable;
  return EXIT.failed;
}

/** Runs one command line (argv as in process.argv) and returns its exit code; errors are reported on stderr. */
export async function runCli(argv: string[], context: CliContext = {}): Promise<number> {
  const streams = context.streams ?? processStreams;
  try {
    await buildCli(context).parseAsync(argv);
    return EXIT.ok;
  } catch (err) {
    // commander has already printed its own usage errors and help.
    if (!(err instanceof CommanderError)) streams.stderr(`viralflow: ${err instanceof Error ? err.message : String(err)}\n`);
    return exitCodeFor(err);
  }
}

export async function main(argv: string[]): Promise<void> {
  // exitCode rather than exit(): stdout/stderr may be pipes whose writes have not been flushed yet.
  process.exitCode = await runCli(argv);
}

import { InvalidArgumentError } from '@commander-js/extra-typings';
import { formatDuration } from '../client/duration';
import { UsageError } from '../client/errors';
import { fields, table } from '../client/output';
import {
  OVERLAP_POLICIES,
  prepareSchedule,
  prepareScheduleUpdate,
  type OverlapName,
  type ScheduleInfo,
} from '../client/schedules';
import { WORKFLOW_NAMES } from '../client/workflow-types';
import { readWorkflowInput } from '../client/workflow-input';
import { hasInput, inputSources, withInput, withJson, type CommandContext } from './context';

/** `schedule …`: cron schedules that start workflows. */
export function scheduleCommand(ctx: CommandContext) {
  const schedule = ctx
    .command('schedule')
    .description(
      'cron schedules that start workflows on VIRALFLOW_TASK_QUEUE (cron strings are checked before the server is called)',
    );

  withJson(
    withInput(
      schedule
        .command('create')
        .argument('<scheduleId>')
        .description('create a schedule; its runs get IDs <scheduleId>-<scheduled time>')
        .requiredOption('--workflow <name>', `short name or type: ${WORKFLOW_NAMES.join(', ')}`)
        .requiredOption(
          '--cron <expr>',
          'Temporal cron: "m h dom mon dow" [year], 7 fields with seconds first, @hourly/@daily/…, @every 15m',
        )
        .option(
          '--overlap <policy>',
          `when a run is due while one is running: ${Object.keys(OVERLAP_POLICIES).join(', ')}`,
          overlapName,
          'skip' as OverlapName,
        )
        .option('--jitter <duration>', 'random delay up to this much per run, e.g. 30s')
        .option('--timezone <tz>', 'IANA time zone the cron is read in (default UTC)')
        .option('--paused', 'create it paused')
        .option('--note <text>', 'a note shown with the schedule'),
    ),
  ).action(async (scheduleId, opts) => {
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
    await ctx.withClient(async (vf) => {
      const s = await vf.createSchedule(create);
      ctx.output(opts).result(s, () => `Created schedule ${scheduleId}\n${scheduleText(s)}`);
    });
  });

  withJson(schedule.command('list').description('every schedule in the namespace')).action(async (opts) => {
    await ctx.withClient(async (vf) => {
      const all = await vf.listSchedules();
      ctx.output(opts).result(all, () =>
        all.length
          ? table(
              ['SCHEDULE ID', 'WORKFLOW', 'CRON', 'PAUSED', 'NEXT RUN'],
              all.map((s) => [s.scheduleId, s.name ?? s.workflowType, s.cron.join(' | '), s.paused, s.nextRuns[0]]),
            )
          : 'No schedules.',
      );
    });
  });

  withJson(
    schedule
      .command('describe')
      .argument('<scheduleId>')
      .description("a schedule's spec, policy, state, next and recent runs"),
  ).action(async (scheduleId, opts) => {
    await ctx.withClient(async (vf) => {
      const s = await vf.describeSchedule(scheduleId);
      ctx.output(opts).result(s, () => scheduleText(s));
    });
  });

  for (const [verb, describe] of [
    ['pause', 'stop taking actions until unpaused'],
    ['unpause', 'resume taking actions'],
  ] as const) {
    withJson(
      schedule.command(verb).argument('<scheduleId>').description(describe).option('--note <text>', 'why'),
    ).action(async (scheduleId, opts) => {
      await ctx.withClient(async (vf) => {
        await (verb === 'pause' ? vf.pauseSchedule(scheduleId, opts.note) : vf.unpauseSchedule(scheduleId, opts.note));
        ctx.output(opts).result({ scheduleId, paused: verb === 'pause' }, () => `Schedule ${scheduleId} ${verb}d.`);
      });
    });
  }

  withJson(
    schedule
      .command('trigger')
      .argument('<scheduleId>')
      .description("run the action now, under the schedule's overlap policy unless --overlap says otherwise")
      .option('--overlap <policy>', 'overlap policy for this run', overlapName),
  ).action(async (scheduleId, opts) => {
    await ctx.withClient(async (vf) => {
      await vf.triggerSchedule(scheduleId, opts.overlap);
      ctx.output(opts).result({ scheduleId, triggered: true }, () => `Triggered schedule ${scheduleId}.`);
    });
  });

  withJson(
    schedule
      .command('backfill')
      .argument('<scheduleId>')
      .description('take now the actions the schedule would have taken between --start and --end')
      .requiredOption('--start <time>', 'ISO 8601 time, e.g. 2025-01-01T00:00:00Z')
      .requiredOption('--end <time>', 'ISO 8601 time')
      .option('--overlap <policy>', "overlap policy for the backfilled runs (default: the schedule's)", overlapName),
  ).action(async (scheduleId, opts) => {
    const start = isoTime(opts.start, '--start');
    const end = isoTime(opts.end, '--end');
    await ctx.withClient(async (vf) => {
      await vf.backfillSchedule(scheduleId, { start, end, overlap: opts.overlap });
      ctx
        .output(opts)
        .result(
          { scheduleId, start: start.toISOString(), end: end.toISOString() },
          () => `Backfilling schedule ${scheduleId} from ${start.toISOString()} to ${end.toISOString()}.`,
        );
    });
  });

  withJson(
    withInput(
      schedule
        .command('update')
        .argument('<scheduleId>')
        .description('change a schedule; what is not given is kept')
        .option('--workflow <name>', 'short name or type')
        .option('--cron <expr>', 'new cron')
        .option('--overlap <policy>', 'new overlap policy', overlapName)
        .option('--jitter <duration>', 'new jitter')
        .option('--timezone <tz>', 'new time zone')
        .option('--note <text>', 'new note'),
    ),
  ).action(async (scheduleId, opts) => {
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
    await ctx.withClient(async (vf) => {
      const s = await vf.updateSchedule(scheduleId, changes);
      ctx.output(opts).result(s, () => `Updated schedule ${scheduleId}\n${scheduleText(s)}`);
    });
  });

  withJson(
    schedule
      .command('delete')
      .argument('<scheduleId>')
      .description('delete a schedule (runs it started are not affected)'),
  ).action(async (scheduleId, opts) => {
    await ctx.withClient(async (vf) => {
      await vf.deleteSchedule(scheduleId);
      ctx.output(opts).result({ scheduleId, deleted: true }, () => `Deleted schedule ${scheduleId}.`);
    });
  });

  return schedule;
}

function overlapName(value: string): OverlapName {
  if (!(value in OVERLAP_POLICIES)) {
    throw new InvalidArgumentError(`expected one of ${Object.keys(OVERLAP_POLICIES).join(', ')}`);
  }
  return value as OverlapName;
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
    ? `\nrecent runs:\n${table(
        ['WORKFLOW ID', 'SCHEDULED', 'TAKEN'],
        s.recentRuns.map((r) => [r.workflowId, r.scheduledAt, r.takenAt]),
      )}`
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

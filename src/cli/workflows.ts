import { formatDuration, parseDuration } from '../client/duration';
import { WorkflowRunFailedError } from '../client/errors';
import { fields, table } from '../client/output';
import { readWorkflowInput } from '../client/workflow-input';
import { resolveWorkflow, WORKFLOW_NAMES, WORKFLOW_TYPES } from '../client/workflow-types';
import type { WaitProgress, WorkflowSummary } from '../client/workflows';
import { inputSources, positiveInteger, withInput, withJson, type CommandContext } from './context';
import { ReportedError } from './exit-codes';

/** One workflow run at a time: `start`, `result`, `describe`, `list`, `cancel`. */
export function workflowCommands(ctx: CommandContext) {
  const workflowList = WORKFLOW_NAMES.map((n) => `${n} (${WORKFLOW_TYPES[n]})`).join(', ');

  const start = withJson(
    withInput(
      ctx
        .command('start')
        .argument('<workflow>')
        .description(`start a workflow by short name or type: ${workflowList}`)
        .option(
          '--id <workflowId>',
          'workflow ID (default <short name>-<epoch ms>; bandit-<experimentId> for bandit); a running ID is refused',
        )
        .option('--wait', 'wait for the result; exit code 1 if the run does not complete')
        .option('--progress-every <duration>', 'with --wait: how often to report progress on stderr', '5s'),
    ),
  ).action(async (workflow, opts) => {
    const out = ctx.output(opts);
    resolveWorkflow(workflow); // an unknown name is reported without connecting
    const input = readWorkflowInput(inputSources(opts));
    const progressEveryMs = parseDuration(opts.progressEvery, '--progress-every');
    await ctx.withClient(async (vf) => {
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
        const result = await vf.result(started.workflowId, {
          runId: started.runId,
          progressEveryMs,
          onProgress: (p) => out.progress(progressLine(p)),
        });
        out.result({ ...started, status: 'COMPLETED', result }, () => `Completed.\n${JSON.stringify(result, null, 2)}`);
      } catch (err) {
        if (err instanceof WorkflowRunFailedError && out.json) {
          // The document says why; stderr does not say it again.
          out.result({ ...started, status: 'FAILED', failure: err.reason }, () => '');
          throw new ReportedError(err);
        }
        throw err;
      }
    });
  });

  const result = withJson(
    ctx
      .command('result')
      .argument('<workflowId>')
      .description("wait for a workflow's result (exit code 1 if it did not complete)")
      .option('--progress-every <duration>', 'how often to report progress on stderr', '5s'),
  ).action(async (workflowId, opts) => {
    const out = ctx.output(opts);
    const progressEveryMs = parseDuration(opts.progressEvery, '--progress-every');
    await ctx.withClient(async (vf) => {
      const result = await vf.result(workflowId, { progressEveryMs, onProgress: (p) => out.progress(progressLine(p)) });
      out.result({ workflowId, status: 'COMPLETED', result }, () => JSON.stringify(result, null, 2));
    });
  });

  const describe = withJson(
    ctx
      .command('describe')
      .argument('<workflowId>')
      .description("status, type, times and Web UI link of a workflow's latest run"),
  ).action(async (workflowId, opts) => {
    await ctx.withClient(async (vf) => {
      const w = await vf.describeWorkflow(workflowId);
      ctx.output(opts).result(w, () => describeText(w));
    });
  });

  const list = withJson(
    ctx
      .command('list')
      .description('recent workflow runs, most recent first (a visibility query)')
      .option('--status <status>', 'running, completed, failed, canceled, terminated, timed-out or continued-as-new')
      .option('--type <workflow>', 'short name or workflow type')
      .option('--pipeline <name>', 'runs with this ViralflowPipeline search attribute (a pipeline and its stages)')
      .option('--experiment <id>', 'runs with this ViralflowExperiment search attribute (its bandit)')
      .option('--limit <n>', 'at most this many', positiveInteger, 20),
  ).action(async (opts) => {
    await ctx.withClient(async (vf) => {
      const runs = await vf.listWorkflows({
        status: opts.status,
        workflow: opts.type,
        pipeline: opts.pipeline,
        experiment: opts.experiment,
        limit: opts.limit,
      });
      ctx.output(opts).result(runs, () =>
        runs.length
          ? table(
              ['WORKFLOW ID', 'TYPE', 'STATUS', 'STARTED', 'CLOSED'],
              runs.map((w) => [w.workflowId, w.name ?? w.workflowType, w.status, w.startTime, w.closeTime]),
            )
          : 'No workflows match.',
      );
    });
  });

  const cancel = withJson(
    ctx.command('cancel').argument('<workflowId>').description('request cancellation of a running workflow'),
  ).action(async (workflowId, opts) => {
    await ctx.withClient(async (vf) => {
      const w = await vf.cancelWorkflow(workflowId);
      ctx
        .output(opts)
        .result(
          { workflowId, runId: w.runId, cancelRequested: true },
          () => `Cancellation requested for ${workflowId} (run ${w.runId}).`,
        );
    });
  });

  return [start, result, describe, list, cancel];
}

function progressLine(p: WaitProgress): string {
  const elapsed = formatDuration(Math.round(p.elapsedMs / 1000) * 1000);
  const q = p.progress;
  const detail = q
    ? ` (${q.stage}: ${q.batchesDone}/${q.batchesTotal} batches` +
      (q.accountsTotal ? `, ${q.accountsDone}/${q.accountsTotal} accounts)` : ')')
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

import { setTimeout as sleep } from 'node:timers/promises';
import { QueryNotRegisteredError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { banditState, type BanditState } from '../client/bandit';
import type { TemporalSession } from '../client/connect';
import { ScheduleExistsError } from '../client/errors';
import { createSchedule, describeSchedule, type ScheduleInfo } from '../client/schedules';
import { workflowLink } from '../client/web-ui';
import { WORKFLOW_TYPES } from '../client/workflow-types';
import { workflowProgress } from '../client/workflows';
import type { FanOutProgress } from '../workflows/progress';
import type { ViralPipelineInput, ViralPipelineResult } from '../workflows/pipeline';
import { PIPELINE_KEY } from '../workflows/search-attributes';
import { pipelineSummary } from '../workflows/summaries';
import { DEMO_BATCH_SIZE, demoAccountIds } from './demo-world';
import { observedNote } from '../workflows/details';

export const DEMO_EXPERIMENT = 'demo-patterns';
/** The cron schedule the demo leaves behind, so the Web UI's Schedules page has something to show. */
export const DEMO_SCHEDULE = { scheduleId: 'demo-health-every-5m', workflow: 'health', cron: '*/5 * * * *' } as const;

export interface DemoReport {
  workflowId: string;
  link: string;
  result: ViralPipelineResult;
  bandit: BanditState | undefined;
  schedule: ScheduleInfo;
}

export interface DemoRunOptions {
  /** Where progress and the summary are printed. */
  print: (line: string) => void;
  /** How often progress is asked for. @default 1000 */
  progressEveryMs?: number;
}

/**
 * The demo's job: the pipeline over the seeded accounts, with progress while it runs; then the run's
 * totals, top patterns and the bandit's weights; and a cron schedule for the Schedules page.
 */
export async function runDemoPipeline(session: TemporalSession, options: DemoRunOptions): Promise<DemoReport> {
  const { print } = options;
  const workflowId = `demo-pipeline-${Date.now()}`;
  const accountIds = demoAccountIds();
  const input: ViralPipelineInput = { accountIds, batchSize: DEMO_BATCH_SIZE, experimentId: DEMO_EXPERIMENT };
  const searchable = await hasSearchAttribute(session, PIPELINE_KEY.name);
  const handle = await session.client.workflow.start(WORKFLOW_TYPES.pipeline, {
    taskQueue: session.taskQueue,
    workflowId,
    args: [input],
    staticSummary: pipelineSummary(input),
    ...(searchable && { typedSearchAttributes: [{ key: PIPELINE_KEY, value: workflowId }] }),
  });
  const link = workflowLink(session.uiUrl, session.namespace, workflowId, handle.firstExecutionRunId);
  print(`Started the demo pipeline ${workflowId} over ${accountIds.length} accounts\n  Web UI:  ${link}`);
  if (searchable) print(`  All its runs: search ${PIPELINE_KEY.name} = "${workflowId}"`);

  const result = (await withProgress(session, workflowId, handle.result(), options)) as ViralPipelineResult;
  const bandit = result.bandit
    ? await banditState(session, result.bandit.experimentId, { freshWithinMs: 15_000 })
    : undefined;
  const schedule = await demoSchedule(session);
  print(summary(result, bandit, link));
  print(
    `Schedule ${schedule.scheduleId}: ${WORKFLOW_TYPES.health} at "${schedule.cron.join(' | ')}" (next ${schedule.nextRuns[0] ?? '-'})\n  Web UI:  ${schedule.link}`,
  );
  return { workflowId, link, result, bandit, schedule };
}

async function hasSearchAttribute(session: TemporalSession, name: string): Promise<boolean> {
  const { customAttributes } = await session.client.connection.operatorService
    .listSearchAttributes({ namespace: session.namespace })
    .catch(() => ({ customAttributes: {} as Record<string, temporal.api.enums.v1.IndexedValueType> }));
  return customAttributes[name] !== undefined;
}

/** Prints a line whenever the pipeline's progress changes, until `done` settles. */
async function withProgress<T>(
  session: TemporalSession,
  workflowId: string,
  done: Promise<T>,
  options: DemoRunOptions,
): Promise<T> {
  let finished = false;
  let last = '';
  const watch = async () => {
    while (!finished) {
      const progress = await workflowProgress(session, workflowId).catch((err: unknown) => {
        if (err instanceof QueryNotRegisteredError) finished = true;
        return undefined;
      });
      const line = progress && progressLine(progress);
      if (line && line !== last && !finished) options.print(line);
      last = line ?? last;
      await sleep(options.progressEveryMs ?? 1_000);
    }
  };
  const watching = watch();
  try {
    return await done;
  } finally {
    finished = true;
    await watching;
  }
}

function progressLine(p: FanOutProgress): string {
  if (p.stage !== 'scrape' || p.batchesTotal === 0) return `  … ${p.stage}`;
  return `  … scrape: ${p.batchesDone}/${p.batchesTotal} batches, ${p.accountsDone}/${p.accountsTotal} accounts`;
}

async function demoSchedule(session: TemporalSession): Promise<ScheduleInfo> {
  try {
    return await createSchedule(session, { ...DEMO_SCHEDULE, note: 'created by viralflow dev' });
  } catch (err) {
    // Kept from an earlier `npm run dev` (the dev server's state persists): leave it as it is.
    if (err instanceof ScheduleExistsError) return describeSchedule(session, DEMO_SCHEDULE.scheduleId);
    throw err;
  }
}

function summary(r: ViralPipelineResult, bandit: BanditState | undefined, link: string): string {
  const lines = [`Demo pipeline ${r.pipelineId} finished`, `  Web UI:  ${link}`];
  if (r.scrape) {
    lines.push(
      `  Scrape:  ${r.scrape.scraped}/${r.scrape.accounts} accounts, ${r.scrape.posts} posts, ${r.scrape.batches} batches; ${r.scrape.failedTotal} failed` +
        observedNote(r.scrape),
    );
    for (const f of r.scrape.failed.slice(0, 5)) lines.push(`           ✗ ${f.accountId}: ${f.reason}`);
  }
  if (r.patterns) {
    const top = Object.entries(r.patterns.patternCounts)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5);
    lines.push(
      `  Patterns: ${r.patterns.posts} posts, mean virality ${r.patterns.meanVirality.toFixed(3)}; top: ${top.map(([name, n]) => `${name} (${n})`).join(', ')}`,
    );
  }
  if (bandit?.weights) {
    const w = bandit.weights;
    const ranked = Object.entries(w.weights).sort((a, b) => b[1] - a[1]);
    lines.push(
      `  Bandit ${bandit.experimentId}: weights from ${w.basedOnOutcomes} outcomes` +
        (w.publishedVersion !== undefined ? ` (published as version ${w.publishedVersion})` : ' (not published yet)'),
      ...ranked.map(([variant, weight]) => `           ${variant.padEnd(16)} ${weight.toFixed(3)}`),
      `           ${bandit.link}`,
    );
  }
  if (r.metrics) lines.push(`  Metrics collected from ${r.metrics.services.filter((s) => s.ok).length} services`);
  for (const f of r.failures) lines.push(`  Stage ${f.stage} failed: ${f.reason}`);
  for (const s of r.skipped) lines.push(`  Stage ${s.stage} skipped: ${s.reason}`);
  return lines.join('\n');
}

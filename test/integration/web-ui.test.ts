/**
 * What a person sees in the Temporal Web UI: a completed run on the workflows list and its detail
 * page, a schedule with its cron spec, and a pipeline that explains itself (its summary, its children's
 * and activities' summaries, and live details while its scrape runs), in headless Chromium against the
 * dev server's UI.
 * Screenshots are for a human to check. They go to artifacts/web-ui/<page>.png (git-ignored), so test
 * runs leave the work tree clean; UPDATE_SCREENSHOTS=1 writes artifacts/web-ui-<page>.png instead, where
 * the finished pipeline's page (web-ui-pipeline.png) is committed.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { connectViralflow, type ViralflowClient } from '../../src/client/client';
import { DEFAULT_SERVICES } from '../../src/config';
import { projectRoot } from '../../src/project-root';
import { CHROMIUM_PATH, launchHeadlessChromium, type HeadlessBrowser } from '../helpers/headless-browser';
import { pollUntil } from '../helpers/poll';
import { currentDetails, slowDown, slowPipelineInput } from '../helpers/slow-pipeline';
import { startTemporalEnv, type TemporalEnv } from '../helpers/temporal-env';

/** The workflow this test runs and looks for; one constant so it can become the pipeline later. */
const WORKFLOW_TYPE = 'healthCheckWorkflow';
const WORKFLOW_ARGS: unknown[] = [{}];
const CRON = '*/5 * * * *';

const artifacts = join(projectRoot(__dirname), 'artifacts');
const screenshotPath = (page: string) =>
  process.env['UPDATE_SCREENSHOTS'] ? join(artifacts, `web-ui-${page}.png`) : join(artifacts, 'web-ui', `${page}.png`);
/** Per posts page of the slow accounts: each later scrape batch stays put for about 15 s, ample for a page load. */
const SLOW_PAGE_MS = 3_000;

// Counted as a failure of its own (the suite below is cancelled when its before hook throws).
test('Chromium is installed', () => {
  assert.ok(existsSync(CHROMIUM_PATH), `Chromium not found at ${CHROMIUM_PATH}: apt-get install chromium`);
});

describe('Temporal Web UI in headless Chromium', () => {
  let t: TemporalEnv;
  let vf: ViralflowClient;
  let browser: HeadlessBrowser;
  let page: Page;
  const stamp = Date.now();
  const workflowId = `web-ui-${WORKFLOW_TYPE}-${stamp}`;
  const scheduleId = `web-ui-schedule-${stamp}`;
  let runId = '';
  let ui = '';

  /**
   * The text a person reads: the page's, then each frame's (the UI renders summaries and details as
   * markdown in iframes), hidden elements left out, whitespace folded.
   */
  async function renderedText(): Promise<string> {
    const texts = await Promise.all(
      page.frames().map((frame) =>
        frame
          .locator('body')
          .innerText()
          .catch(() => ''),
      ),
    );
    return texts.join(' | ').replace(/\s+/g, ' ');
  }

  /**
   * Loads `url` until each of `texts` is on the page: visibility lags the run by a moment, and the page
   * fills in its parts as their requests answer, so look for a few seconds, then reload. Answers the text.
   */
  async function openUntilVisible(url: string, texts: string | string[], screenshot: string): Promise<string> {
    const wanted = typeof texts === 'string' ? [texts] : texts;
    const text = await pollUntil(
      `${wanted.map((w) => `"${w}"`).join(', ')} on ${url}`,
      async () => {
        await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 15_000 });
        for (const deadline = Date.now() + 5_000; Date.now() < deadline; await sleep(250)) {
          const shown = await renderedText();
          if (wanted.every((w) => shown.includes(w))) return shown;
        }
        return undefined;
      },
      { timeoutMs: 45_000, intervalMs: 500 },
    );
    await page.screenshot({ path: screenshotPath(screenshot), fullPage: true });
    return text;
  }

  before(async () => {
    // Chromium first: when it is missing the suite fails at once, naming the package to install.
    browser = await launchHeadlessChromium();
    page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    mkdirSync(join(artifacts, 'web-ui'), { recursive: true });
    t = await startTemporalEnv();
    vf = await connectViralflow({ address: t.server.address, taskQueue: t.taskQueue, uiUrl: t.server.uiUrl });
    ui = `${t.server.uiUrl}/namespaces/${t.config.temporal.namespace}`;
  });
  after(async () => {
    await t?.client.schedule
      .getHandle(scheduleId)
      .delete()
      .catch(() => undefined);
    await browser?.close();
    await vf?.close();
    await t?.close();
  });

  test('the workflows list shows the completed run', async () => {
    const handle = await t.client.workflow.start(WORKFLOW_TYPE, {
      taskQueue: t.taskQueue,
      workflowId,
      args: WORKFLOW_ARGS,
    });
    runId = handle.firstExecutionRunId;
    await handle.result();

    await openUntilVisible(`${ui}/workflows`, workflowId, 'workflows-list');
    const row = page.locator('tr, [role="row"], a', { hasText: workflowId }).first();
    const rowText = (await row.innerText()).replace(/\s+/g, ' ');
    assert.match(rowText, /Completed/, `the list row says Completed: ${rowText}`);
    assert.match(await page.locator('body').innerText(), new RegExp(WORKFLOW_TYPE));
  });

  test("the run's detail page shows Completed, its type and the task queue", async () => {
    assert.ok(runId, 'the previous test started the run');
    await openUntilVisible(`${ui}/workflows/${workflowId}/${runId}/history`, 'Completed', 'workflow-detail');
    const body = await page.locator('body').innerText();
    assert.match(body, new RegExp(workflowId));
    assert.match(body, new RegExp(WORKFLOW_TYPE));
    assert.match(body, new RegExp(t.taskQueue));
  });

  test('the schedules page lists the schedule, and its page shows the every-5-minutes spec and upcoming runs', async () => {
    await t.client.schedule.create({
      scheduleId,
      spec: { cronExpressions: [CRON] },
      action: { type: 'startWorkflow', workflowType: WORKFLOW_TYPE, taskQueue: t.taskQueue, args: WORKFLOW_ARGS },
    });

    await openUntilVisible(`${ui}/schedules`, scheduleId, 'schedules-list');
    const row = page.locator('tr, [role="row"]', { hasText: scheduleId }).first();
    const rowText = (await row.innerText()).replace(/\s+/g, ' ');
    assert.match(rowText, new RegExp(`Running.*${scheduleId}.*${WORKFLOW_TYPE}`), rowText);

    await openUntilVisible(`${ui}/schedules/${scheduleId}`, 'Schedule Spec', 'schedule-detail');
    const body = (await page.locator('body').innerText()).replace(/[\s⌄]+/g, ' ');
    assert.match(body, new RegExp(`${scheduleId} Running ${WORKFLOW_TYPE}`));
    // The server stores a cron string as a structured calendar, so the UI shows "*/5" as the
    // calendar's minute range with step 5 (every hour, day and month), not the string itself.
    assert.match(body, /"minute": \[ \{ "end": 59, "step": 5 \} \]/, body);
    assert.match(body, /"hour": \[ \{ "end": 23, "step": 1 \} \]/);
    const upcomingList =
      /Upcoming Runs ((?:\d{4}-\d{2}-\d{2} UTC \d{2}:\d{2}:\d{2}(?:\.\d+)? )+)/.exec(body)?.[1] ?? '';
    const upcoming = [...upcomingList.matchAll(/(\d{4}-\d{2}-\d{2}) UTC (\d{2}):(\d{2}):(\d{2})/g)].map(
      ([, day, h, m, sec]) => Date.parse(`${day}T${h}:${m}:${sec}Z`),
    );
    assert.ok(upcoming.length >= 3, `upcoming runs listed: ${upcoming.length}`);
    for (const [i, at] of upcoming.entries()) {
      assert.equal(new Date(at).getUTCMinutes() % 5, 0, `run ${i} on a multiple of 5 minutes`);
      if (i > 0) assert.equal(at - upcoming[i - 1]!, 5 * 60_000, 'runs 5 minutes apart');
    }
  });

  test("a pipeline explains itself: its summary, its children's and activities' summaries, and live details", async () => {
    const pipelineId = `web-ui-pipeline-${stamp}`;
    const experimentId = `web-ui-exp-${stamp}`;
    const scrapeId = `${pipelineId}/scrape`;
    const pipelineSummary = `pipeline: scrape 30 accounts in 3 batches → patterns → bandit ${experimentId} → metrics`;
    slowDown(t.sim, SLOW_PAGE_MS);
    try {
      // Started through viralflow's client library, as `viralflow start pipeline` does.
      const started = await vf.startWorkflow('pipeline', slowPipelineInput(experimentId), { workflowId: pipelineId });
      const runPage = (id: string, runId: string, tab: string) =>
        `${ui}/workflows/${encodeURIComponent(id)}/${runId}/${tab}`;

      // Batch 1 is done, batch 2 waits for its slow account: the scrape child is mid-run.
      await pollUntil(
        'the scrape child to finish batch 1',
        async () => ((await currentDetails(t.client, scrapeId)).includes('1 of 3 batches') ? true : undefined),
        { timeoutMs: 60_000, intervalMs: 200 },
      );
      const scrapeRunId = (await t.client.workflow.getHandle(scrapeId).describe()).runId;
      const scrapePage = runPage(scrapeId, scrapeRunId, 'user-metadata');
      const running = await openUntilVisible(
        scrapePage,
        ['scrape 30 accounts in 3 batches', 'Scraping: 1 of 3 batches', 'scrape batch 1/3'],
        'scrape-running',
      );
      assert.match(running, /Current Details .*\| scrape 30 accounts in 3 batches \|/, running);
      assert.match(running, /Scraping: 1 of 3 batches, 10 of 30 accounts 10 scraped, 0 failed 250 posts/, running);
      assert.match(running, /Activity scrape batch 1\/3: 10 accounts Completed/, running);

      // The pipeline's own page, while its scrape runs: its summary and its stage.
      const pipelinePage = runPage(pipelineId, started.runId, 'user-metadata');
      const pipelineRunning = await openUntilVisible(
        pipelinePage,
        [pipelineSummary, 'Stage 2 of 5: scrape'],
        'pipeline-running',
      );
      assert.ok(pipelineRunning.includes(`| ${pipelineSummary} |`), pipelineRunning);
      assert.match(pipelineRunning, /health: 5 of 5 services up/, pipelineRunning);

      // The details on the page move on with the scrape.
      await openUntilVisible(scrapePage, '2 of 3 batches, 20 of 30 accounts', 'scrape-running-later');

      await vf.result(pipelineId);
      // The timeline names each child by its summary and each activity by its type and summary.
      const history = await openUntilVisible(
        runPage(pipelineId, started.runId, 'history'),
        ['checkHealth • health check', 'collect metrics from'],
        'pipeline-history',
      );
      // The scrape child's own summary, not the pipeline's (which contains it).
      assert.match(history, /(?<!pipeline: )scrape 30 accounts in 3 batches/, history);
      assert.match(history, /checkHealth • health check of all configured services/, history);
      assert.match(history, new RegExp(`collectMetrics • collect metrics from ${DEFAULT_SERVICES.length} services`));

      // Finished: the details say what each stage did.
      const done = await openUntilVisible(pipelinePage, [pipelineSummary, 'Pipeline done'], 'pipeline');
      assert.ok(done.includes(`| ${pipelineSummary} |`), done);
      assert.match(
        done,
        /Pipeline done · health: 5 of 5 services up; metrics: 5 services collected scrape: 30 of 30 accounts scraped, 750 posts/,
        done,
      );
      assert.match(done, new RegExp(`bandit: evidence for bandit-${experimentId}: \\d+ outcomes added`), done);
    } finally {
      slowDown(t.sim, 0);
    }
  });
});

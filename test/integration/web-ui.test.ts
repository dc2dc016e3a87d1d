/**
 * What a person sees in the Temporal Web UI: a completed run on the workflows list and its detail
 * page, and a schedule with its cron spec, in headless Chromium against the dev server's UI.
 * Screenshots go to artifacts/web-ui/ (git-ignored) for a human to check.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { projectRoot } from '../../src/project-root';
import { CHROMIUM_PATH, launchHeadlessChromium, type HeadlessBrowser } from '../helpers/headless-browser';
import { pollUntil } from '../helpers/poll';
import { startTemporalEnv, type TemporalEnv } from '../helpers/temporal-env';

/** The workflow this test runs and looks for; one constant so it can become the pipeline later. */
const WORKFLOW_TYPE = 'healthCheckWorkflow';
const WORKFLOW_ARGS: unknown[] = [{}];
const CRON = '*/5 * * * *';

const artifacts = join(projectRoot(__dirname), 'artifacts', 'web-ui');

// Counted as a failure of its own (the suite below is cancelled when its before hook throws).
test('Chromium is installed', () => {
  assert.ok(existsSync(CHROMIUM_PATH), `Chromium not found at ${CHROMIUM_PATH}: apt-get install chromium`);
});

describe('Temporal Web UI in headless Chromium', () => {
  let t: TemporalEnv;
  let browser: HeadlessBrowser;
  let page: Page;
  const stamp = Date.now();
  const workflowId = `web-ui-${WORKFLOW_TYPE}-${stamp}`;
  const scheduleId = `web-ui-schedule-${stamp}`;
  let runId = '';
  let ui = '';

  /** Loads `url` until `text` is on the page: visibility lags the run by a moment, so reload between tries. */
  async function openUntilVisible(url: string, text: string, screenshot: string) {
    await pollUntil(
      `"${text}" on ${url}`,
      async () => {
        await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 15_000 });
        await page.getByText(text, { exact: false }).first().waitFor({ state: 'visible', timeout: 5_000 });
        return true;
      },
      { timeoutMs: 45_000, intervalMs: 500 },
    );
    await page.screenshot({ path: join(artifacts, screenshot), fullPage: true });
  }

  before(async () => {
    // Chromium first: when it is missing the suite fails at once, naming the package to install.
    browser = await launchHeadlessChromium();
    page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    mkdirSync(artifacts, { recursive: true });
    t = await startTemporalEnv();
    ui = `${t.server.uiUrl}/namespaces/${t.config.temporal.namespace}`;
  });
  after(async () => {
    await t?.client.schedule
      .getHandle(scheduleId)
      .delete()
      .catch(() => undefined);
    await browser?.close();
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

    await openUntilVisible(`${ui}/workflows`, workflowId, 'workflows-list.png');
    const row = page.locator('tr, [role="row"], a', { hasText: workflowId }).first();
    const rowText = (await row.innerText()).replace(/\s+/g, ' ');
    assert.match(rowText, /Completed/, `the list row says Completed: ${rowText}`);
    assert.match(await page.locator('body').innerText(), new RegExp(WORKFLOW_TYPE));
  });

  test("the run's detail page shows Completed, its type and the task queue", async () => {
    assert.ok(runId, 'the previous test started the run');
    await openUntilVisible(`${ui}/workflows/${workflowId}/${runId}/history`, 'Completed', 'workflow-detail.png');
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

    await openUntilVisible(`${ui}/schedules`, scheduleId, 'schedules-list.png');
    const row = page.locator('tr, [role="row"]', { hasText: scheduleId }).first();
    const rowText = (await row.innerText()).replace(/\s+/g, ' ');
    assert.match(rowText, new RegExp(`Running.*${scheduleId}.*${WORKFLOW_TYPE}`), rowText);

    await openUntilVisible(`${ui}/schedules/${scheduleId}`, 'Schedule Spec', 'schedule-detail.png');
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
});

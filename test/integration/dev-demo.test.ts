import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { EXIT } from '../../src/cli';
import { DEMO_ACCOUNT_COUNT, DEMO_FAILING } from '../../src/demo/demo-world';
import { DEMO_EXPERIMENT, DEMO_SCHEDULE } from '../../src/demo/demo-run';
import type { DoctorReport } from '../../src/doctor/doctor';
import { projectRoot } from '../../src/project-root';
import { resolveTemporalCli } from '../../src/temporal/cli-path';
import { freePort, startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { DEV_SERVER_SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes';
import { pollUntil } from '../helpers/poll';
import { expectOk, json, viralflow } from '../helpers/viralflow-cli';

const failingCount = DEMO_FAILING.missing.length + 2;

/**
 * `viralflow dev` as a user runs it, as a child process: against a dev server already running (which
 * `dev` then uses), with its own simulator, worker and metrics ports, until Ctrl-C.
 */
describe('viralflow dev: the demo runs the pipeline and keeps serving', () => {
  let server: DevServer;
  let env: Record<string, string>;
  before(async () => {
    const cli = await resolveTemporalCli();
    server = await startDevServer({ cliPath: cli.path, searchAttributes: DEV_SERVER_SEARCH_ATTRIBUTES });
    env = {
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_UI_URL: server.uiUrl,
      VIRALFLOW_TASK_QUEUE: `dev-demo-${process.pid}`,
      VIRALFLOW_UPSTREAM_URL: `http://127.0.0.1:${await freePort()}`,
      VIRALFLOW_DATA_DIR: mkdtempSync(join(tmpdir(), 'viralflow-dev-')),
      METRICS_PORT: String(await freePort()),
      TEMPORAL_METRICS_PORT: '0',
      REDIS_URL: '',
      VIRALFLOW_DATABASE_URL: '',
    };
  });
  after(() => server?.stop());

  test('progress with the scrape child’s batches, then link, totals, failures, top patterns, weights, schedule; bandit show and doctor answer; Ctrl-C stops it', async () => {
    const dev = spawn(process.execPath, [join(projectRoot(), 'bin', 'viralflow.js'), 'dev'], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    dev.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    dev.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = once(dev, 'exit');
    try {
      await pollUntil('the demo to finish', () => (out.includes('Running; press Ctrl-C') ? true : undefined), {
        timeoutMs: 90_000,
        intervalMs: 500,
      });

      // Progress while it ran: the scrape child's own batches and accounts, not "0/0".
      const progress = [...out.matchAll(/… scrape: (\d+)\/(\d+) batches, (\d+)\/(\d+) accounts/g)];
      assert.ok(progress.length >= 1, out);
      for (const [, , batches, , accounts] of progress)
        assert.deepEqual([batches, accounts], ['3', String(DEMO_ACCOUNT_COUNT)], out);

      const pipelineId = /Started the demo pipeline (demo-pipeline-\d+)/.exec(out)?.[1];
      assert.ok(pipelineId, out);
      assert.ok(out.includes(`${server.uiUrl}/namespaces/default/workflows/${pipelineId}/`), out);
      const scraped = DEMO_ACCOUNT_COUNT - failingCount;
      assert.match(
        out,
        new RegExp(
          `Scrape: {2}${scraped}/${DEMO_ACCOUNT_COUNT} accounts, \\d+ posts, 3 batches; ${failingCount} failed`,
        ),
      );
      for (const id of [...DEMO_FAILING.missing, DEMO_FAILING.forbidden, DEMO_FAILING.malformed])
        assert.match(out, new RegExp(`✗ ${id}: `));
      assert.match(out, /HTTP 404/);
      assert.match(out, /HTTP 403/);
      assert.match(out, /Patterns: \d+ posts, mean virality 0\.\d{3}; top: [a-z-]+ \(\d+\)/);
      assert.match(out, new RegExp(`Bandit ${DEMO_EXPERIMENT}: weights from [1-9]\\d* outcomes`));
      assert.match(
        out,
        new RegExp(`Schedule ${DEMO_SCHEDULE.scheduleId}: healthCheckWorkflow at "\\*/5 \\* \\* \\* \\*"`),
      );
      assert.match(out, new RegExp(`Metrics: http://127\\.0\\.0\\.1:${env['METRICS_PORT']}/metrics`));

      // What a user tries next, while dev keeps serving.
      const show = expectOk(await viralflow(['bandit', 'show', DEMO_EXPERIMENT], env));
      assert.match(show.stdout, /weights from [1-9]\d* outcomes/);
      assert.doesNotMatch(show.stdout, /no weights computed yet/);
      const doctor = json<DoctorReport>(await viralflow(['doctor', '--json'], env));
      assert.ok(doctor.ok, JSON.stringify(doctor.checks.filter((c) => c.status === 'fail')));

      // `start pipeline --wait` shows the scrape child's batches as they go (not "0/0" until the end):
      // slow pages, one batch at a time, so the progress ticks land mid-scrape.
      const knobs = await fetch(`${env['VIRALFLOW_UPSTREAM_URL']}/_sim/knobs`, {
        method: 'POST',
        body: JSON.stringify({ route: 'social.posts', knobs: { latencyMs: 400 } }),
      });
      assert.equal(knobs.status, 200);
      const accounts = Array.from({ length: 30 }, (_, i) => `wait-${i}`);
      const input = JSON.stringify({
        accountIds: accounts,
        batchSize: 10,
        maxConcurrentBatches: 1,
        experimentId: 'wait-progress',
      });
      const waited = expectOk(
        await viralflow(['start', 'pipeline', '--input', input, '--wait', '--progress-every', '250ms'], env, 60_000),
      );
      const ticks = [...waited.stderr.matchAll(/\(scrape: (\d+)\/(\d+) batches, (\d+)\/(\d+) accounts\)/g)];
      assert.ok(ticks.length >= 1, waited.stderr);
      for (const [, , total, , accountsTotal] of ticks)
        assert.deepEqual([total, accountsTotal], ['3', '30'], waited.stderr);
      assert.ok(
        ticks.some(([, done]) => Number(done) < 3),
        `a tick mid-scrape:\n${waited.stderr}`,
      );

      const connection = await Connection.connect({ address: server.address });
      try {
        const client = new Client({ connection });
        const schedule = await client.schedule.getHandle(DEMO_SCHEDULE.scheduleId).describe();
        assert.equal(schedule.action.type, 'startWorkflow');
        const found: string[] = [];
        for await (const wf of client.workflow.list({ query: `ViralflowPipeline = '${pipelineId}'` }))
          found.push(wf.workflowId);
        assert.ok(found.includes(`${pipelineId}/scrape`), found.join(','));
      } finally {
        await connection.close();
      }
    } finally {
      if (dev.exitCode === null) dev.kill('SIGINT');
    }
    const [code] = await exited;
    assert.equal(code, EXIT.ok, out);
    assert.match(out, /Stopped\.\s*$/);
  });
});

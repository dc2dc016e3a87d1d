import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { HealthReport } from '../../src/activities/health';
import { EXIT } from '../../src/cli';
import { connectViralflow } from '../../src/client/client';
import { resolveTemporalCli } from '../../src/temporal/cli-path';
import { freePort } from '../../src/temporal/dev-server';
import { pollUntil } from '../helpers/poll';
import { startTemporalEnv, type TemporalEnv } from '../helpers/temporal-env';
import { expectOk, json, viralflow } from '../helpers/viralflow-cli';

interface Started {
  workflowId: string;
  runId: string;
  name: string;
  workflowType: string;
  taskQueue: string;
  link: string;
  status?: string;
  result?: unknown;
  failure?: string;
}

describe('the viralflow CLI against a real Temporal dev server', () => {
  let t: TemporalEnv;
  let env: Record<string, string>;
  const vf = (...args: string[]) => viralflow(args, env);
  const ok = expectOk;
  const slowHealth = (latencyMs: number) => t.sim.setKnobs('services.health', { latencyMs });

  before(async () => {
    t = await startTemporalEnv();
    env = {
      TEMPORAL_ADDRESS: t.server.address,
      VIRALFLOW_TASK_QUEUE: t.taskQueue,
      TEMPORAL_UI_URL: t.server.uiUrl,
      TEMPORAL_NAMESPACE: 'default',
      // The worker's embedded results store: `bandit recount` reads the ledger the worker writes.
      VIRALFLOW_DATA_DIR: t.config.dataDir,
    };
  });
  after(() => t?.close());

  test('start prints the workflow ID, run ID and Web UI link; the run completes on the worker', async () => {
    const run = ok(await vf('start', 'health', '--input', '{"services":["api","auth"]}'));
    const id = /workflow ID\s+(health-\d+)/.exec(run.stdout)?.[1];
    const runId = /run ID\s+(\S+)/.exec(run.stdout)?.[1];
    assert.ok(id && runId, run.stdout);
    assert.ok(
      run.stdout.includes(`Web UI       ${t.server.uiUrl}/namespaces/default/workflows/${id}/${runId}/history`),
      run.stdout,
    );
    const report = (await t.client.workflow.getHandle(id).result()) as HealthReport;
    assert.deepEqual(report.available.sort(), ['api', 'auth']);
  });

  test('start --wait --json: exit 0 with the result; elapsed-time progress on stderr while it runs', async () => {
    slowHealth(1_500);
    try {
      const run = ok(
        await vf(
          'start',
          'healthCheckWorkflow',
          '--input',
          '{"services":["api"],"timeoutMs":5000}',
          '--wait',
          '--json',
          '--progress-every',
          '400ms',
        ),
      );
      const out = json<Started & { result: HealthReport }>(run);
      assert.equal(out.status, 'COMPLETED');
      assert.equal(out.name, 'health');
      assert.equal(out.taskQueue, t.taskQueue);
      assert.deepEqual(out.result.available, ['api']);
      assert.equal(out.link, `${t.server.uiUrl}/namespaces/default/workflows/${out.workflowId}/${out.runId}/history`);
      // health has no progress query: the CLI reports elapsed time and carries on.
      assert.match(run.stderr, new RegExp(`… ${out.workflowId}: \\d+(ms|s) elapsed\\n`));
    } finally {
      t.sim.reset();
    }
  });

  test('start --wait on a workflow with a progress query (scrape) prints its batches as they finish', async () => {
    t.sim.setKnobs('social.profile', { latencyMs: 400 });
    try {
      const dir = mkdtempSync(join(tmpdir(), 'vf-cli-'));
      writeFileSync(join(dir, 'accounts.json'), JSON.stringify(['p-1', 'p-2', 'p-3', 'p-4', 'p-5']));
      const run = ok(
        await vf(
          'start',
          'scrape',
          '--accounts',
          join(dir, 'accounts.json'),
          '--input',
          '{"batchSize":1,"maxConcurrentBatches":1}',
          '--wait',
          '--progress-every',
          '300ms',
          '--id',
          'cli-progress',
        ),
      );
      const lines = run.stderr.split('\n').filter((l) => l.startsWith('… cli-progress:'));
      assert.ok(
        lines.some((l) => /elapsed \(scrape: [1-4]\/5 batches, [1-4]\/5 accounts\)$/.test(l)),
        `mid-run progress in:\n${run.stderr}`,
      );
      assert.match(run.stdout, /^Completed\.\n\{\n {2}"runKey": "cli-progress"/m);
    } finally {
      t.sim.reset();
    }
  });

  test('start --wait on a run that fails: exit 1 with the failure chain; `result` says the same', async () => {
    const [run, scripted] = await Promise.all([
      vf('start', 'health', '--input', '{"services":["nope"]}', '--wait', '--id', 'cli-failing'),
      vf('start', 'health', '--input', '{"services":["nope"]}', '--wait', '--json'),
    ]);
    assert.equal(run.code, EXIT.failed, run.stderr);
    assert.match(run.stdout, /Started health workflow cli-failing/);
    assert.match(
      run.stderr,
      /^viralflow: workflow cli-failing did not complete: failed: .*InvalidInput: .*services\.0/m,
    );
    const result = await vf('result', 'cli-failing', '--json');
    assert.equal(result.code, EXIT.failed);
    assert.match(result.stderr, /did not complete: failed/);
    assert.equal(scripted.code, EXIT.failed);
    const out = json<Started>(scripted);
    assert.equal(out.status, 'FAILED', 'scripts get one JSON document on failure too');
    assert.match(out.failure ?? '', /InvalidInput/);
    assert.doesNotMatch(scripted.stderr, /did not complete/, 'the document says why; stderr does not say it again');
  });

  test('an ID that is running is refused (conflict policy FAIL); once closed it is reused (ALLOW_DUPLICATE)', async () => {
    slowHealth(3_000);
    try {
      const first = json<Started>(
        ok(
          await vf('start', 'health', '--id', 'cli-dup', '--json', '--input', '{"services":["api"],"timeoutMs":10000}'),
        ),
      );
      const again = await vf('start', 'health', '--id', 'cli-dup');
      assert.equal(again.code, EXIT.failed);
      assert.match(again.stderr, /^viralflow: workflow cli-dup is already running; wait for it, cancel it/m);
      await t.client.workflow.getHandle('cli-dup').result();
      const reused = json<Started>(ok(await vf('start', 'health', '--id', 'cli-dup', '--json')));
      assert.notEqual(reused.runId, first.runId);
    } finally {
      t.sim.reset();
    }
  });

  test("--input-file and --accounts arrive as the workflow's one JSON argument", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vf-cli-'));
    writeFileSync(join(dir, 'input.json'), '{"batchSize": 2}');
    writeFileSync(join(dir, 'accounts.txt'), '# two accounts\nacc_1\nacc_2\n');
    const started = json<Started>(
      ok(
        await vf(
          'start',
          'health',
          '--input-file',
          join(dir, 'input.json'),
          '--accounts',
          join(dir, 'accounts.txt'),
          '--json',
        ),
      ),
    );
    const history = await t.client.workflow.getHandle(started.workflowId).fetchHistory();
    const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.data;
    assert.deepEqual(JSON.parse(Buffer.from(payload!).toString()), { batchSize: 2, accountIds: ['acc_1', 'acc_2'] });
  });

  test('describe and list', async () => {
    const started = json<Started>(ok(await vf('start', 'health', '--wait', '--json', '--id', 'cli-listed')));
    const described = json<Record<string, unknown>>(ok(await vf('describe', 'cli-listed', '--json')));
    assert.equal(described.status, 'COMPLETED');
    assert.equal(described.name, 'health');
    assert.equal(described.runId, started.runId);
    assert.equal(described.link, started.link);
    assert.match(ok(await vf('describe', 'cli-listed')).stdout, /^status\s+COMPLETED$/m);

    // Visibility is eventually consistent: poll until the run shows up as completed.
    const listed = await pollUntil('cli-listed in `list --status completed --type health`', async () => {
      const rows = json<{ workflowId: string; status: string }[]>(
        ok(await vf('list', '--status', 'completed', '--type', 'health', '--json', '--limit', '50')),
      );
      return rows.some((r) => r.workflowId === 'cli-listed') ? rows : undefined;
    });
    assert.ok(listed.every((r) => r.status === 'COMPLETED'));
    assert.ok(!listed.some((r) => r.workflowId === 'cli-failing'), 'the failed run is not listed as completed');
    const [failedRun, limited] = await Promise.all([
      vf('list', '--status', 'failed', '--json'),
      vf('list', '--limit', '1'),
    ]);
    assert.ok(json<{ workflowId: string }[]>(ok(failedRun)).some((r) => r.workflowId === 'cli-failing'));
    assert.match(ok(limited).stdout, /^WORKFLOW ID\s+TYPE\s+STATUS\s+STARTED\s+CLOSED\n[^\n]+\n$/);

    const [badStatus, missing] = await Promise.all([vf('list', '--status', 'sleeping'), vf('describe', 'no-such-run')]);
    assert.equal(badStatus.code, EXIT.usage);
    assert.match(badStatus.stderr, /unknown status "sleeping"; use one of running, completed, failed/);
    assert.equal(missing.code, EXIT.failed);
    assert.match(missing.stderr, /^viralflow: no workflow with ID no-such-run in namespace default$/m);
  });

  test('cancel: a running workflow ends cancelled; a closed or unknown one is a clear error', async () => {
    slowHealth(5_000);
    try {
      ok(await vf('start', 'health', '--id', 'cli-cancel', '--input', '{"services":["api"],"timeoutMs":10000}'));
      assert.match(
        ok(await vf('cancel', 'cli-cancel')).stdout,
        /^Cancellation requested for cli-cancel \(run \S+\)\.$/m,
      );
      const result = await vf('result', 'cli-cancel');
      assert.equal(result.code, EXIT.failed);
      assert.match(result.stderr, /did not complete: cancelled/);
      const again = await vf('cancel', 'cli-cancel');
      assert.equal(again.code, EXIT.usage);
      assert.match(again.stderr, /workflow cli-cancel is not running \(its latest run is CANCELLED\)/);
      const unknown = await vf('cancel', 'never-started');
      assert.equal(unknown.code, EXIT.failed);
      assert.match(unknown.stderr, /no workflow with ID never-started/);
    } finally {
      t.sim.reset();
    }
  });

  test('unknown workflow (exit 2, the valid names listed) and unreachable server (exit 3, the address named)', async () => {
    const address = `127.0.0.1:${await freePort()}`;
    const [unknown, unreachable] = await Promise.all([
      vf('start', 'scraper'),
      viralflow(['describe', 'x'], { ...env, TEMPORAL_ADDRESS: address }),
    ]);
    assert.equal(unknown.code, EXIT.usage);
    assert.match(
      unknown.stderr,
      /unknown workflow "scraper"; valid workflows: pipeline, scrape, patterns, bandit, metrics, health/,
    );
    assert.equal(unreachable.code, EXIT.unreachable);
    assert.match(
      unreachable.stderr,
      new RegExp(`cannot reach the Temporal server at ${address.replace(/\./g, '\\.')}`),
    );
  });

  test('interop: a run started by the official `temporal` CLI runs on our worker, and `viralflow result` reads it', async () => {
    const cli = await resolveTemporalCli();
    await promisify(execFile)(cli.path, [
      'workflow',
      'start',
      '--type',
      'healthCheckWorkflow',
      '--task-queue',
      t.taskQueue,
      '--input',
      '{}',
      '--workflow-id',
      'cli-interop',
      '--address',
      t.server.address,
    ]);
    const out = json<{ status: string; result: HealthReport }>(ok(await vf('result', 'cli-interop', '--json')));
    assert.equal(out.status, 'COMPLETED');
    assert.equal(out.result.services.length, 5);
  });

  test('the client library: runWorkflow returns the typed result; describe and list agree', async () => {
    const client = await connectViralflow({ env });
    try {
      const report = await client.runWorkflow('health', { services: ['feed'] }, { workflowId: 'lib-health' });
      assert.deepEqual(report.available, ['feed']);
      assert.equal((await client.describeWorkflow('lib-health')).status, 'COMPLETED');
      assert.equal(client.workflowLink('lib-health'), `${t.server.uiUrl}/namespaces/default/workflows/lib-health`);
    } finally {
      await client.close();
    }
  });

  test("bandit record creates the experiment's entity on first use and updates it after; show reads it", async () => {
    const first = json<{ posterior: Record<string, number> }>(
      ok(
        await vf(
          'bandit',
          'record',
          'exp-cli',
          '--variant',
          'A',
          '--success',
          '--count',
          '3',
          '--json',
          '--timeout',
          '15s',
        ),
      ),
    );
    assert.deepEqual(first.posterior, { variant: 'A', successes: 3, failures: 0, alpha: 4, beta: 1, mean: 0.8 });
    const runId = (await t.client.workflow.getHandle('bandit-exp-cli').describe()).runId;
    // The same --id twice (a retried script): counted once.
    for (let i = 0; i < 2; i++)
      assert.match(
        ok(await vf('bandit', 'record', 'exp-cli', '--variant', 'A', '--failure', '--id', 'late-1', '--timeout', '15s'))
          .stdout,
        /^exp-cli\/A: 3 successes, 1 failures -> Beta\(4, 2\), mean 0\.667 \(outcome late-1\)$/m,
      );
    ok(await vf('bandit', 'record', 'exp-cli', '--variant', 'B', '--failure', '--count', '2', '--timeout', '15s'));
    assert.equal(
      (await t.client.workflow.getHandle('bandit-exp-cli').describe()).runId,
      runId,
      'the same entity took every outcome',
    );

    const [shownRun, table] = await Promise.all([
      vf('bandit', 'show', 'exp-cli', '--json'),
      vf('bandit', 'show', 'exp-cli'),
    ]);
    const shown = json<{ workflowId: string; posteriors: { variant: string; successes: number; failures: number }[] }>(
      ok(shownRun),
    );
    assert.equal(shown.workflowId, 'bandit-exp-cli');
    assert.deepEqual(
      shown.posteriors.map(({ variant, successes, failures }) => ({ variant, successes, failures })),
      [
        { variant: 'A', successes: 3, failures: 1 },
        { variant: 'B', successes: 0, failures: 2 },
      ],
    );
    assert.match(ok(table).stdout, /^VARIANT\s+SUCCESSES\s+FAILURES\s+MEAN\s+WEIGHT\s+P\(BEST\)\nA\s+3\s+1\s+0\.667/m);
    // Weights as soon as there is evidence: computed from all 6 outcomes, though not published yet (1 minute cadence).
    assert.match(table.stdout, /^weights from 6 outcomes, not published yet$/m);
    const recount = ok(await vf('bandit', 'recount', 'exp-cli'));
    assert.match(recount.stdout, /^A\s+3\/1\s+3\/1\s+agree$/m);
    assert.match(recount.stdout, /^exp-cli: the entity's evidence totals agree with the ledger$/m);
    // Evidence the entity has not read yet (written straight to the ledger): the recount says so, exits 1,
    // and has the entity read it; the next recount agrees.
    await t.worker.deps.store.recordOutcomes('exp-cli', [{ id: 'direct-1', variant: 'B', success: true }]);
    const behind = await vf('bandit', 'recount', 'exp-cli');
    assert.equal(behind.code, EXIT.failed, behind.stderr);
    assert.match(behind.stdout, /^B\s+1\/2\s+0\/2\s+DIFFER$/m);
    assert.match(behind.stderr, /differ from the ledger for B; it has read the ledger again/);
    assert.match(ok(await vf('bandit', 'recount', 'exp-cli')).stdout, /^B\s+1\/2\s+1\/2\s+agree$/m);

    const [invalid, badExperiment, dots, startDots, none] = await Promise.all([
      vf('bandit', 'record', 'exp-cli', '--variant', 'not a variant!', '--success', '--timeout', '15s'),
      vf('bandit', 'record', 'no spaces!', '--variant', 'A', '--success', '--timeout', '15s'),
      vf('bandit', 'record', '..', '--variant', 'A', '--success', '--timeout', '15s'),
      vf('start', 'bandit', '--input', '{"experimentId":".."}'),
      vf('bandit', 'show', 'exp-never'),
    ]);
    assert.equal(invalid.code, EXIT.usage, invalid.stderr);
    assert.match(invalid.stderr, /invalid outcome: variant/);
    assert.equal(badExperiment.code, EXIT.usage, badExperiment.stderr);
    assert.match(
      badExperiment.stderr,
      /the bandit entity for experiment no spaces! could not start: invalid banditWorkflow input: experimentId/,
    );
    // `..` is refused as the publish activity refuses it, and no entity bandit-.. is created.
    assert.equal(dots.code, EXIT.usage, dots.stderr);
    assert.match(
      dots.stderr,
      /the bandit entity for experiment \.\. could not start: invalid banditWorkflow input: experimentId: must be 1-128 of/,
    );
    assert.equal(startDots.code, EXIT.usage, startDots.stderr);
    assert.match(startDots.stderr, /invalid banditWorkflow input: experimentId: must be 1-128 of/);
    await assert.rejects(t.client.workflow.getHandle('bandit-..').describe(), WorkflowNotFoundError);
    assert.equal(none.code, EXIT.failed);
    assert.match(none.stderr, /no workflow with ID bandit-exp-never/);
  });
});

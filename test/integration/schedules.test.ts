import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { ScheduleNotFoundError } from '@temporalio/client';
import { EXIT, runCli } from '../../src/cli';
import { nextFireTimes, parseCron } from '../../src/client/cron';
import type { ScheduleInfo } from '../../src/client/schedules';
import { resolveTemporalCli } from '../../src/temporal/cli-path';
import { pollUntil } from '../helpers/poll';
import { startTemporalEnv, type TemporalEnv } from '../helpers/temporal-env';
import { expectOk, json, viralflow } from '../helpers/viralflow-cli';

describe('viralflow schedule against a real Temporal dev server', () => {
  let t: TemporalEnv;
  let env: Record<string, string>;
  const vf = (...args: string[]) => viralflow(args, env);
  const ok = expectOk;
  /** In-process, for steps that must follow each other within milliseconds. */
  const inProcess = async (...args: string[]) => {
    const err: string[] = [];
    const code = await runCli(['node', 'viralflow', ...args], {
      env,
      streams: { stdout: () => {}, stderr: (s) => void err.push(s) },
    });
    assert.equal(code, EXIT.ok, err.join(''));
  };
  const describeOnServer = (id: string) => t.client.schedule.getHandle(id).describe();
  // A cron that will not fire during the test: runs come only from trigger and backfill.
  const NEVER_DURING_TEST = '0 0 1 1 *';

  before(async () => {
    t = await startTemporalEnv();
    env = { TEMPORAL_ADDRESS: t.server.address, VIRALFLOW_TASK_QUEUE: t.taskQueue, TEMPORAL_UI_URL: t.server.uiUrl };
  });
  after(async () => {
    for await (const s of t.client.schedule.list())
      await t.client.schedule
        .getHandle(s.scheduleId)
        .delete()
        .catch(() => undefined);
    await t?.close();
  });

  test('create: the server holds the cron, zone, jitter, overlap policy and note; the action targets our task queue', async () => {
    const created = json<ScheduleInfo>(
      ok(
        await vf(
          'schedule',
          'create',
          'office-hours',
          '--workflow',
          'health',
          '--cron',
          '*/5 9-17 * * MON-FRI',
          '--input',
          '{"services":["api"]}',
          '--overlap',
          'buffer-one',
          '--jitter',
          '30s',
          '--timezone',
          'Europe/Berlin',
          '--note',
          'checks while people work',
          '--json',
        ),
      ),
    );
    assert.deepEqual(created.cron, ['*/5 9-17 * * MON-FRI']);
    assert.equal(created.timezone, 'Europe/Berlin');
    assert.equal(created.jitterMs, 30_000);
    assert.equal(created.overlap, 'buffer-one');
    assert.equal(created.link, `${t.server.uiUrl}/namespaces/default/schedules/office-hours`);

    const d = await describeOnServer('office-hours');
    assert.equal(d.policies.overlap, 'BUFFER_ONE');
    assert.equal(d.spec.timezone, 'Europe/Berlin');
    assert.equal(d.spec.jitter, 30_000);
    assert.equal(d.state.note, 'checks while people work');
    assert.equal(d.action.workflowType, 'healthCheckWorkflow');
    assert.equal(d.action.taskQueue, t.taskQueue);
    assert.deepEqual(d.action.args, [{ services: ['api'] }]);
    assert.deepEqual(d.spec.calendars?.[0]?.hour, [{ start: 9, end: 17, step: 1 }]);
    assert.deepEqual(d.spec.calendars?.[0]?.dayOfWeek, [{ start: 'MONDAY', end: 'FRIDAY', step: 1 }]);

    const human = ok(await vf('schedule', 'describe', 'office-hours')).stdout;
    assert.match(human, /^cron\s+\*\/5 9-17 \* \* MON-FRI$/m);
    assert.match(human, /^time zone\s+Europe\/Berlin$/m);
    assert.match(human, /^jitter\s+30s$/m);
  });

  test("our next fire times match the server's, across zones and day-of-week/day-of-month rules", async () => {
    for (const [id, cron, timezone] of [
      ['weekday-mornings', '0 9 * * MON-FRI', 'America/New_York'],
      ['friday-13th', '30 6 13 * fri', 'UTC'],
      ['every-90m', '@every 90m/10m', 'UTC'],
    ] as const) {
      ok(
        await vf('schedule', 'create', id, '--workflow', 'health', '--cron', cron, '--timezone', timezone, '--paused'),
      );
      const d = await describeOnServer(id);
      const server = d.info.nextActionTimes.slice(0, 4).map((x) => x.toISOString());
      const from = new Date(Date.now() - 1_000);
      const ours = nextFireTimes(parseCron(cron, { timezone }), { count: 4, from }).map((x) => x.toISOString());
      assert.deepEqual(ours, server, `${cron} in ${timezone}`);
    }
  });

  test('interop: `temporal schedule describe` shows the cron spec of a schedule viralflow created', async () => {
    ok(await vf('schedule', 'create', 'every-five', '--workflow', 'health', '--cron', '*/5 * * * *', '--paused'));
    const cli = await resolveTemporalCli();
    const { stdout } = await promisify(execFile)(cli.path, [
      'schedule',
      'describe',
      '--schedule-id',
      'every-five',
      '--address',
      t.server.address,
    ]);
    assert.match(
      stdout,
      /Spec\s+\[\{"second":"0","minute":"0-59\/5","hour":"0-23",.*"comment":"cron: \*\/5 \* \* \* \*"\}\]/,
    );
    assert.match(stdout, /Paused\s+true/);
  });

  test('an invalid cron never reaches the server: exit 2 naming the field, and no schedule exists', async () => {
    const run = await vf('schedule', 'create', 'bad-cron', '--workflow', 'health', '--cron', '0 9 * * MON-FRY');
    assert.equal(run.code, EXIT.usage);
    assert.equal(
      run.stderr,
      'viralflow: invalid cron "0 9 * * MON-FRY": day-of-week field "MON-FRY": "FRY" is not a number or a day name (sun, mon, tue, …)\n',
    );
    await assert.rejects(describeOnServer('bad-cron'), ScheduleNotFoundError);
    const sixFields = await vf('schedule', 'create', 'bad-year', '--workflow', 'health', '--cron', '*/10 * * * * 1999');
    assert.equal(sixFields.code, EXIT.usage);
    assert.match(sixFields.stderr, /year field "1999": 1999 is out of range 2000-2100/);
    await assert.rejects(describeOnServer('bad-year'), ScheduleNotFoundError);
  });

  test('with --overlap skip, two quick triggers run once; a trigger after that run has finished runs again', async () => {
    t.sim.setKnobs('services.health', { latencyMs: 1_500 });
    try {
      ok(
        await vf(
          'schedule',
          'create',
          'skipper',
          '--workflow',
          'health',
          '--cron',
          NEVER_DURING_TEST,
          '--overlap',
          'skip',
          '--input',
          '{"services":["api"],"timeoutMs":5000}',
        ),
      );
      await inProcess('schedule', 'trigger', 'skipper');
      await inProcess('schedule', 'trigger', 'skipper');
      const settled = await pollUntil('the triggered run to finish', async () => {
        const d = await describeOnServer('skipper');
        return d.info.recentActions.length >= 1 && d.info.runningActions.length === 0 ? d : undefined;
      });
      assert.equal(settled.info.recentActions.length, 1, 'one run for two triggers');
      assert.equal(settled.info.numActionsSkippedOverlap, 1, 'the second trigger was skipped for overlap');
      const runId = settled.info.recentActions[0]!.action.workflow.workflowId;
      assert.match(runId, /^skipper-\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/, 'runs get IDs from the schedule');

      assert.match(ok(await vf('schedule', 'trigger', 'skipper')).stdout, /^Triggered schedule skipper\.$/m);
      const after = await pollUntil('the second run', async () => {
        const d = await describeOnServer('skipper');
        return d.info.recentActions.length === 2 ? d : undefined;
      });
      assert.equal(after.info.numActionsSkippedOverlap, 1);
    } finally {
      t.sim.reset();
    }
  });

  test('pause and unpause, with notes; list shows the schedules', async () => {
    ok(await vf('schedule', 'create', 'pausable', '--workflow', 'health', '--cron', '@hourly'));
    assert.match(
      ok(await vf('schedule', 'pause', 'pausable', '--note', 'maintenance')).stdout,
      /Schedule pausable paused\./,
    );
    let d = await describeOnServer('pausable');
    assert.equal(d.state.paused, true);
    assert.equal(d.state.note, 'maintenance');
    ok(await vf('schedule', 'unpause', 'pausable'));
    d = await describeOnServer('pausable');
    assert.equal(d.state.paused, false);

    const listed = await pollUntil('pausable and every-five in `schedule list`', async () => {
      const all = json<ScheduleInfo[]>(ok(await vf('schedule', 'list', '--json')));
      return all.some((s) => s.scheduleId === 'pausable') && all.some((s) => s.scheduleId === 'every-five')
        ? all
        : undefined;
    });
    const everyFive = listed.find((s) => s.scheduleId === 'every-five')!;
    assert.deepEqual([everyFive.name, everyFive.cron, everyFive.paused], ['health', ['*/5 * * * *'], true]);
    assert.match(ok(await vf('schedule', 'list')).stdout, /^every-five\s+health\s+\*\/5 \* \* \* \*\s+true\s/m);
  });

  test('backfill takes the missed runs now, each with an ID from the schedule and its scheduled time', async () => {
    ok(
      await vf(
        'schedule',
        'create',
        'catch-up',
        '--workflow',
        'health',
        '--cron',
        '*/5 * * * *',
        '--paused',
        '--input',
        '{"services":["auth"]}',
      ),
    );
    ok(
      await vf(
        'schedule',
        'backfill',
        'catch-up',
        '--start',
        '2025-01-01T00:01:00Z',
        '--end',
        '2025-01-01T00:14:00Z',
        '--overlap',
        'allow-all',
      ),
    );
    for (const id of ['catch-up-2025-01-01T00:05:00Z', 'catch-up-2025-01-01T00:10:00Z']) {
      const report = await pollUntil(
        `backfilled run ${id}`,
        () => t.client.workflow.getHandle(id).result() as Promise<{ available: string[] }>,
      );
      assert.deepEqual(report.available, ['auth']);
    }
    const d = await describeOnServer('catch-up');
    assert.deepEqual(d.info.recentActions.map((a) => a.action.workflow.workflowId).sort(), [
      'catch-up-2025-01-01T00:05:00Z',
      'catch-up-2025-01-01T00:10:00Z',
    ]);
    const backwards = await vf(
      'schedule',
      'backfill',
      'catch-up',
      '--start',
      '2025-01-02T00:00:00Z',
      '--end',
      '2025-01-01T00:00:00Z',
    );
    assert.equal(backwards.code, EXIT.usage);
    assert.match(backwards.stderr, /backfill end must be after its start/);
  });

  test('update changes what is given and keeps the rest', async () => {
    ok(
      await vf(
        'schedule',
        'create',
        'changing',
        '--workflow',
        'health',
        '--cron',
        '0 6 * * *',
        '--timezone',
        'Asia/Tokyo',
        '--overlap',
        'buffer-all',
        '--input',
        '{"services":["api"]}',
      ),
    );
    const updated = json<ScheduleInfo>(
      ok(await vf('schedule', 'update', 'changing', '--cron', '@every 2h', '--note', 'less often', '--json')),
    );
    assert.deepEqual(updated.cron, ['@every 2h']);
    assert.equal(updated.note, 'less often');
    assert.equal(updated.overlap, 'buffer-all', 'kept');
    assert.deepEqual(updated.input, { services: ['api'] }, 'kept');
    const d = await describeOnServer('changing');
    assert.equal(d.spec.calendars?.length ?? 0, 0, 'the old calendar is gone');
    assert.equal(d.spec.timezone, 'Asia/Tokyo', 'kept');

    ok(await vf('schedule', 'update', 'changing', '--input', '{"services":["feed"]}', '--overlap', 'skip'));
    const again = await describeOnServer('changing');
    assert.deepEqual(again.action.args, [{ services: ['feed'] }]);
    assert.equal(again.policies.overlap, 'SKIP');
    assert.equal(again.spec.intervals?.[0]?.every, 7_200_000, 'the cron is kept');

    const bad = await vf('schedule', 'update', 'changing', '--cron', '0 0 31 4 *');
    assert.equal(bad.code, EXIT.usage);
    assert.match(bad.stderr, /day-of-month field "31" never occurs in month field "4"/);
    assert.equal(
      (await describeOnServer('changing')).spec.intervals?.[0]?.every,
      7_200_000,
      'unchanged by the rejected update',
    );
  });

  test('missing and duplicate schedules are named; delete removes one', async () => {
    const ghostly = [
      ['describe', 'ghost'],
      ['trigger', 'ghost'],
      ['pause', 'ghost'],
      ['backfill', 'ghost', '--start', '2025-01-01T00:00:00Z', '--end', '2025-01-02T00:00:00Z'],
      ['delete', 'ghost'],
    ];
    const runs = await Promise.all(ghostly.map((args) => vf('schedule', ...args)));
    runs.forEach((run, i) => {
      assert.equal(run.code, EXIT.failed, ghostly[i]!.join(' '));
      assert.match(run.stderr, /^viralflow: no schedule with ID ghost in namespace default$/m, ghostly[i]!.join(' '));
    });
    ok(await vf('schedule', 'create', 'doomed', '--workflow', 'health', '--cron', '@daily'));
    const duplicate = await vf('schedule', 'create', 'doomed', '--workflow', 'health', '--cron', '@daily');
    assert.equal(duplicate.code, EXIT.failed);
    assert.match(duplicate.stderr, /a schedule with ID doomed already exists/);
    assert.match(ok(await vf('schedule', 'delete', 'doomed')).stdout, /Deleted schedule doomed\./);
    await assert.rejects(describeOnServer('doomed'), ScheduleNotFoundError);
  });
});

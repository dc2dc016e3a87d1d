import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { temporal } from '@temporalio/proto';
import { EXIT } from '../../src/cli';
import type { DoctorReport } from '../../src/doctor/doctor';
import { freePort } from '../../src/temporal/dev-server';
import { EXPERIMENT_KEY } from '../../src/workflows/search-attributes';
import { pollUntil } from '../helpers/poll';
import { startTestDatabase, type TestDatabase } from '../helpers/postgres';
import { startTemporalEnv, type TemporalEnv } from '../helpers/temporal-env';
import { expectOk, json, viralflow, type CliRun } from '../helpers/viralflow-cli';

type Status = 'pass' | 'fail' | 'skip';

/** id -> status, for the whole report at a glance in assertions. */
const statuses = (report: DoctorReport): Record<string, Status> =>
  Object.fromEntries(report.checks.map((c) => [c.id, c.status]));
const check = (report: DoctorReport, id: string) => {
  const found = report.checks.find((c) => c.id === id);
  assert.ok(found, `no check ${id} in ${JSON.stringify(statuses(report))}`);
  return found;
};

describe('viralflow doctor against a real dev server, worker, simulator, PostgreSQL and Redis', () => {
  let t: TemporalEnv;
  let db: TestDatabase;
  let redis: ChildProcess;
  let redisUrl: string;
  let healthy: Record<string, string>;

  const doctor = async (overrides: Record<string, string> = {}): Promise<{ run: CliRun; report: DoctorReport }> => {
    const run = await viralflow(['doctor', '--json', '--timeout-ms', '2000'], { ...healthy, ...overrides });
    return { run, report: json<DoctorReport>(run) };
  };

  before(async () => {
    t = await startTemporalEnv();
    db = await startTestDatabase();
    const port = await freePort();
    redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    redisUrl = `redis://127.0.0.1:${port}`;
    healthy = {
      TEMPORAL_ADDRESS: t.server.address,
      TEMPORAL_NAMESPACE: 'default',
      VIRALFLOW_TASK_QUEUE: t.taskQueue,
      VIRALFLOW_UPSTREAM_URL: t.sim.url,
      REDIS_URL: redisUrl,
      VIRALFLOW_DATABASE_URL: db.url,
    };
    expectOk(await viralflow(['db', 'migrate'], healthy));
  });
  after(async () => {
    if (redis && redis.exitCode === null) {
      redis.kill('SIGTERM');
      await once(redis, 'exit');
    }
    await db?.close();
    await t?.close();
  });

  test('a healthy setup passes every check, in order, and exits 0', async () => {
    // The worker's pollers and Redis may take a moment to show.
    const { run, report } = await pollUntil('a passing doctor', async () => {
      const d = await doctor();
      return d.report.ok ? d : undefined;
    });
    assert.equal(run.code, EXIT.ok, run.stderr);
    assert.deepEqual(
      report.checks.map((c) => c.id),
      [
        'config',
        'temporal-server',
        'namespace',
        'search-attributes',
        'workers',
        'sources',
        'upstream:social',
        'upstream:engine',
        'upstream:experiments',
        'service:api',
        'service:auth',
        'service:billing',
        'service:search',
        'service:feed',
        'results-store',
        'redis',
      ],
    );
    // No sources module here: that check does not apply, every other one passes.
    assert.ok(
      report.checks.every((c) => c.status === (c.id === 'sources' ? 'skip' : 'pass')),
      JSON.stringify(statuses(report)),
    );
    assert.match(check(report, 'workers').detail, /[1-9]\d* workflow and [1-9]\d* activity poller/);
    assert.match(check(report, 'temporal-server').detail, /plaintext/);

    // The same, for people: one line per check and a verdict.
    const text = await viralflow(['doctor'], healthy);
    assert.equal(text.code, EXIT.ok);
    assert.match(text.stdout, /^ok {4}Temporal server/m);
    assert.match(text.stdout, /All checks passed\.$/m);
  });

  test('no Temporal server: that check fails with what to do, the ones that need it are skipped', async () => {
    const { run, report } = await doctor({ TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}` });
    assert.equal(run.code, EXIT.failed);
    assert.deepEqual(
      [
        statuses(report)['temporal-server'],
        statuses(report)['namespace'],
        statuses(report)['search-attributes'],
        statuses(report)['workers'],
      ],
      ['fail', 'skip', 'skip', 'skip'],
    );
    assert.match(check(report, 'temporal-server').fix ?? '', /temporal server start-dev|TEMPORAL_ADDRESS/);
    assert.equal(statuses(report)['upstream:social'], 'pass', 'the upstreams are still checked');
    assert.match(run.stderr, /temporal-server/);
  });

  test('the connection settings in use: an API key turns TLS on, which a plaintext server refuses', async () => {
    const tls = await doctor({ TEMPORAL_API_KEY: 'doctor-test-key' });
    const server = check(tls.report, 'temporal-server');
    assert.equal(server.status, 'fail');
    assert.match(server.detail, /\(TLS, system CAs, API key\)/);
    assert.match(server.fix ?? '', /TEMPORAL_TLS=false/);
    assert.ok(!JSON.stringify(tls.report).includes('doctor-test-key'), 'the key stays out of the report');

    const plaintext = await doctor({ TEMPORAL_API_KEY: 'doctor-test-key', TEMPORAL_TLS: 'false' });
    assert.equal(check(plaintext.report, 'temporal-server').status, 'pass');
    assert.match(check(plaintext.report, 'temporal-server').detail, /\(plaintext, API key\)/);
  });

  test('a namespace that does not exist', async () => {
    const { run, report } = await doctor({ TEMPORAL_NAMESPACE: 'no-such-namespace' });
    assert.equal(run.code, EXIT.failed);
    const ns = check(report, 'namespace');
    assert.equal(ns.status, 'fail');
    assert.match(ns.detail, /"no-such-namespace" does not exist/);
    assert.match(ns.fix ?? '', /temporal operator namespace create --namespace no-such-namespace/);
    assert.equal(statuses(report)['workers'], 'skip');
  });

  test('no worker on the task queue: workflow and activity pollers both missing', async () => {
    const { run, report } = await doctor({ VIRALFLOW_TASK_QUEUE: 'nobody-polls-this' });
    assert.equal(run.code, EXIT.failed);
    const workers = check(report, 'workers');
    assert.equal(workers.status, 'fail');
    assert.match(workers.detail, /0 workflow and 0 activity poller/);
    assert.match(workers.fix ?? '', /VIRALFLOW_TASK_QUEUE=nobody-polls-this npx viralflow worker/);
  });

  test('an upstream down: a service failing its health check, an API nobody serves', async () => {
    t.sim.setKnobs('services.health:billing', { errorRate: 1 });
    try {
      const { run, report } = await doctor({ VIRALFLOW_ENGINE_URL: `http://127.0.0.1:${await freePort()}/engine` });
      assert.equal(run.code, EXIT.failed);
      const s = statuses(report);
      assert.deepEqual(
        [s['upstream:engine'], s['service:billing'], s['upstream:social'], s['service:api']],
        ['fail', 'fail', 'pass', 'pass'],
      );
      assert.match(check(report, 'upstream:engine').detail, /unreachable|ECONNREFUSED/);
      assert.match(check(report, 'upstream:engine').fix ?? '', /VIRALFLOW_ENGINE_URL/);
      assert.match(check(report, 'service:billing').detail, /HTTP 503/);
    } finally {
      t.sim.setKnobs('services.health:billing', undefined);
    }
  });

  test('a sources module: the APIs it replaces are asked through it; a module without createSources fails its check', async () => {
    const plugged = await doctor({
      VIRALFLOW_SOURCES_MODULE: require.resolve('../../src/sources/offset-example-source'),
      VIRALFLOW_SOCIAL_URL: `${t.sim.url}/v2`,
    });
    assert.equal(plugged.run.code, 0, plugged.run.stdout);
    assert.match(check(plugged.report, 'sources').detail, /offset-example-source\.js replaces social/);
    assert.match(check(plugged.report, 'upstream:social').detail, /\/v2 answers \(.*through the sources module/);
    assert.doesNotMatch(
      check(plugged.report, 'upstream:engine').detail,
      /sources module/,
      'the engine is not replaced',
    );

    const dir = mkdtempSync(join(tmpdir(), 'doctor-sources-'));
    try {
      const broken = join(dir, 'broken-sources.js');
      writeFileSync(broken, 'exports.makeSources = () => ({});\n');
      const { run, report } = await doctor({ VIRALFLOW_SOURCES_MODULE: broken });
      assert.equal(run.code, EXIT.failed);
      assert.equal(check(report, 'sources').status, 'fail');
      assert.match(check(report, 'sources').detail, /VIRALFLOW_SOURCES_MODULE .*createSources.*exports makeSources/);
      assert.match(check(report, 'sources').fix ?? '', /docs\/how-to\/connect-your-own-apis\.md/);
      assert.equal(check(report, 'upstream:social').status, 'pass', 'the contract is probed without the module');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('Redis down fails its check; without REDIS_URL it is skipped and the rest still pass', async () => {
    const down = await doctor({ REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
    assert.equal(down.run.code, EXIT.failed);
    assert.equal(check(down.report, 'redis').status, 'fail');
    assert.match(check(down.report, 'redis').detail, /ECONNREFUSED/);
    assert.match(check(down.report, 'redis').fix ?? '', /REDIS_URL/);

    const unset = await doctor({ REDIS_URL: '' });
    assert.equal(check(unset.report, 'redis').status, 'skip');
    assert.equal(unset.run.code, EXIT.ok, JSON.stringify(statuses(unset.report)));
  });

  test('a search attribute not registered names the command that registers it', async () => {
    const operator = t.client.connection.operatorService;
    await operator.removeSearchAttributes({ namespace: 'default', searchAttributes: [EXPERIMENT_KEY.name] });
    try {
      const { run, report } = await pollUntil('the removal to show', async () => {
        const d = await doctor();
        return check(d.report, 'search-attributes').status === 'fail' ? d : undefined;
      });
      assert.equal(run.code, EXIT.failed);
      const sa = check(report, 'search-attributes');
      assert.match(sa.detail, new RegExp(`missing: ${EXPERIMENT_KEY.name}`));
      assert.match(
        sa.fix ?? '',
        new RegExp(`search-attribute create --namespace default --name ${EXPERIMENT_KEY.name} --type Keyword`),
      );
    } finally {
      await operator.addSearchAttributes({
        namespace: 'default',
        searchAttributes: { [EXPERIMENT_KEY.name]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD },
      });
    }
  });

  test('the results store: a schema not migrated, and a database that does not answer', async () => {
    const fresh = await doctor({ VIRALFLOW_DATABASE_URL: await db.freshDatabase() });
    assert.equal(fresh.run.code, EXIT.failed);
    const pending = check(fresh.report, 'results-store');
    assert.equal(pending.status, 'fail');
    assert.match(pending.detail, /schema is at version 0 of [1-9]/);
    assert.match(pending.fix ?? '', /viralflow db migrate/);

    const down = await doctor({ VIRALFLOW_DATABASE_URL: db.url.replace(`:${db.pg.port}/`, `:${await freePort()}/`) });
    const unreachable = check(down.report, 'results-store');
    assert.equal(unreachable.status, 'fail');
    assert.match(unreachable.detail, /cannot reach PostgreSQL/);
    assert.ok(!JSON.stringify(down.report).includes(db.password), 'the password stays out of the report');

    const none = await doctor({ VIRALFLOW_DATABASE_URL: '' });
    assert.equal(check(none.report, 'results-store').status, 'skip');
  });

  test('bad configuration stops at the first check, naming the variable', async () => {
    const { run, report } = await doctor({ VIRALFLOW_UPSTREAM_URL: 'not a url' });
    assert.equal(run.code, EXIT.failed);
    assert.equal(check(report, 'config').status, 'fail');
    assert.match(check(report, 'config').detail, /VIRALFLOW_UPSTREAM_URL/);
    assert.ok(report.checks.slice(1).every((c) => c.status === 'skip'));
  });
});

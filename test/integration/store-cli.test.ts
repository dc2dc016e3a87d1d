import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EXIT } from '../../src/cli';
import { MIGRATIONS_TABLE, knownMigrations } from '../../src/store/postgres/migrate';
import { createNdjsonStore } from '../../src/store/ndjson-store';
import { createPostgresStore } from '../../src/store/postgres/postgres-store';
import { freePort } from '../../src/temporal/dev-server';
import { startTestDatabase, type TestDatabase } from '../helpers/postgres';
import { collect, posts, profile } from '../helpers/sink-contract';
import { expectOk, json, viralflow } from '../helpers/viralflow-cli';

let db: TestDatabase;
let dir: string;
before(async () => {
  db = await startTestDatabase();
  dir = mkdtempSync(join(tmpdir(), 'vf-store-cli-'));
});
after(async () => {
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Environment of a CLI run against the test database: the password through a file, as in production. */
const env = (url = db.url) => {
  const u = new URL(url);
  const file = join(dir, `pw-${u.username}`);
  writeFileSync(file, `${decodeURIComponent(u.password)}\n`, { mode: 0o600 });
  u.password = '';
  return {
    VIRALFLOW_DATABASE_URL: u.toString(),
    VIRALFLOW_DATABASE_PASSWORD_FILE: file,
    VIRALFLOW_DATA_DIR: join(dir, 'data'),
  };
};

describe('viralflow db / accounts / runs', () => {
  test('db migrate applies the schema once, then reports it current; without a database URL it is a usage error', async () => {
    const first = json<{ applied: string[]; version: number }>(
      expectOk(await viralflow(['db', 'migrate', '--json'], env())),
    );
    assert.ok(first.applied.length >= 1);
    const again = expectOk(await viralflow(['db', 'migrate'], env()));
    assert.match(again.stdout, new RegExp(`schema version ${first.version}, already current`));
    const none = await viralflow(['db', 'migrate'], { VIRALFLOW_DATABASE_URL: '', VIRALFLOW_DATA_DIR: dir });
    assert.equal(none.code, EXIT.usage);
    assert.match(none.stderr, /VIRALFLOW_DATABASE_URL is not set/);
  });

  test('accounts import loads a line file or a JSON array under a name; a bad ID is named and changes nothing', async () => {
    const lines = join(dir, 'accounts.txt');
    writeFileSync(lines, '# launch list\nacct-1\n\nacct-2\r\nacct-3\n');
    const ok = json<{ accounts: number }>(
      expectOk(await viralflow(['accounts', 'import', lines, '--name', 'launch', '--json'], env())),
    );
    assert.equal(ok.accounts, 3);

    const store = createPostgresStore({ url: db.url });
    try {
      assert.deepEqual(await store.loadAccountIds('launch', 0, 10), {
        accountIds: ['acct-1', 'acct-2', 'acct-3'],
        done: true,
      });
      const arr = join(dir, 'accounts.json');
      writeFileSync(arr, JSON.stringify(['x-1', 'x-2']));
      expectOk(await viralflow(['accounts', 'import', arr, '--name', 'launch'], env()));
      assert.deepEqual((await store.loadAccountIds('launch', 0, 10)).accountIds, ['x-1', 'x-2'], 'replaced whole');

      const bad = join(dir, 'bad.txt');
      writeFileSync(bad, 'good-1\nnot/an/id\n');
      const refused = await viralflow(['accounts', 'import', bad, '--name', 'launch'], env());
      assert.equal(refused.code, EXIT.usage);
      assert.match(refused.stderr, /bad\.txt:2: "not\/an\/id" is not an account ID/);
      assert.deepEqual((await store.loadAccountIds('launch', 0, 10)).accountIds, ['x-1', 'x-2'], 'unchanged');
      const badName = await viralflow(['accounts', 'import', arr, '--name', '../x'], env());
      assert.equal(badName.code, EXIT.usage);
    } finally {
      await store.close();
    }
  });

  test('runs purge drops one run', async () => {
    const store = createPostgresStore({ url: db.url });
    try {
      await store.migrate();
      const w = await store.sinkFor('cli-purge').open('acct-1', 1);
      await w.append({ profile: profile('acct-1'), posts: posts('acct-1', 0, 5) });
      await w.complete();
      const out = json<{ removed: Record<string, number> }>(
        expectOk(await viralflow(['runs', 'purge', 'cli-purge', '--json'], env())),
      );
      assert.equal(out.removed.posts, 5);
      assert.deepEqual(await collect(store.readPosts('cli-purge')), []);
    } finally {
      await store.close();
    }
  });

  for (const kind of ['postgres', 'ndjson'] as const) {
    test(`runs list / purge --older-than (${kind}): runs last written longer ago go; recent runs and the evidence ledger stay`, async () => {
      const dataDir = join(dir, `retention-${kind}`);
      const runEnv = kind === 'postgres' ? env() : { VIRALFLOW_DATABASE_URL: '', VIRALFLOW_DATA_DIR: dataDir };
      const store = kind === 'postgres' ? createPostgresStore({ url: db.url }) : createNdjsonStore(dataDir);
      const [old, recent] = [`${kind}-old-run`, `${kind}-recent-run`];
      try {
        await store.migrate();
        for (const runKey of [old, recent]) {
          const w = await store.sinkFor(runKey).open('acct-1', 1);
          await w.append({ profile: profile('acct-1'), posts: posts('acct-1', 0, 4) });
          await w.complete();
          await store.writeOutcomes(runKey, [
            { accountId: 'acct-1', postId: 'acct-1-p0', topPattern: 'humor', virality: 9 },
          ]);
        }
        await store.recordRunEvidence(`exp-${kind}`, old, 1);
        const totals = await store.evidenceTotals(`exp-${kind}`);
        assert.deepEqual(totals, { humor: { successes: 1, failures: 0 } });
        // The old run was last written 40 days ago.
        const past = new Date(Date.now() - 40 * 86_400_000);
        if (kind === 'postgres') {
          await db.admin(`UPDATE accounts SET updated_at = $2 WHERE run_key = $1`, [old, past]);
          await db.admin(`UPDATE post_outcomes SET scored_at = $2 WHERE run_key = $1`, [old, past]);
        } else {
          for (const folder of ['scrape', 'outcomes']) utimesSync(join(dataDir, folder, old), past, past);
        }

        const listed = json<{ runs: { runKey: string }[] }>(
          expectOk(await viralflow(['runs', 'list', '--older-than', '30d', '--json'], runEnv)),
        );
        assert.deepEqual(
          listed.runs.map((r) => r.runKey),
          [old],
        );
        const all = json<{ runs: { runKey: string }[] }>(expectOk(await viralflow(['runs', 'list', '--json'], runEnv)));
        assert.deepEqual(
          all.runs.map((r) => r.runKey).filter((k) => k.startsWith(kind)),
          [old, recent],
          'least recently written first',
        );
        const purged = json<{ purged: { runKey: string }[] }>(
          expectOk(await viralflow(['runs', 'purge', '--older-than', '30d', '--json'], runEnv)),
        );
        assert.deepEqual(
          purged.purged.map((p) => p.runKey),
          [old],
        );
        assert.deepEqual(await collect(store.readPosts(old)), []);
        assert.equal((await collect(store.readPosts(recent))).length, 4);
        assert.deepEqual(
          await store.evidenceTotals(`exp-${kind}`),
          totals,
          'the ledger the bandit counts rest on stays',
        );

        for (const args of [
          ['runs', 'purge'],
          ['runs', 'purge', recent, '--older-than', '30d'],
          ['runs', 'purge', '--older-than', 'a month'],
        ]) {
          const bad = await viralflow(args, runEnv);
          assert.equal(bad.code, EXIT.usage, `${args.join(' ')}: ${bad.stderr}`);
        }
      } finally {
        await store.close();
      }
    });
  }

  test('db migrate refuses a schema newer than this viralflow, naming both versions', async () => {
    const url = await db.freshDatabase();
    expectOk(await viralflow(['db', 'migrate'], env(url)));
    await db.admin(
      `INSERT INTO ${MIGRATIONS_TABLE} (name, run_on) VALUES ('9999999999999_next', now())`,
      [],
      new URL(url).pathname.slice(1),
    );
    const run = await viralflow(['db', 'migrate'], env(url));
    assert.equal(run.code, EXIT.failed);
    const known = knownMigrations().length;
    assert.match(
      run.stderr,
      new RegExp(
        `database schema version ${known + 1} is newer than this viralflow \\(${known}\\): upgrade the workers`,
      ),
    );
  });
});

describe('viralflow worker with a results store it cannot use', () => {
  test('PostgreSQL unreachable at start: a clear error naming VIRALFLOW_DATABASE_URL, password redacted, non-zero exit', async () => {
    const port = await freePort();
    const run = await viralflow(['worker'], {
      VIRALFLOW_DATABASE_URL: `postgres://viralflow:hunter2-secret@127.0.0.1:${port}/viralflow`,
      VIRALFLOW_DATA_DIR: dir,
      TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`,
      METRICS_PORT: '0',
      TEMPORAL_METRICS_PORT: '0',
    });
    assert.notEqual(run.code, 0);
    assert.match(
      run.stderr,
      new RegExp(
        `cannot reach PostgreSQL at VIRALFLOW_DATABASE_URL \\(postgres://viralflow:\\*\\*\\*@127\\.0\\.0\\.1:${port}/viralflow\\)`,
      ),
    );
    assert.ok(!`${run.stdout}${run.stderr}`.includes('hunter2-secret'), 'the password never shows');
  });

  test('a wrong password at start: a clear error, non-zero exit, neither password shown', async () => {
    const run = await viralflow(['worker'], {
      ...env(db.urlFor(db.role, 'wrong-pw-xyz')),
      TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`,
      METRICS_PORT: '0',
      TEMPORAL_METRICS_PORT: '0',
    });
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /PostgreSQL refused the credentials in VIRALFLOW_DATABASE_URL/);
    assert.ok(!`${run.stdout}${run.stderr}`.includes('wrong-pw-xyz'));
    assert.ok(!`${run.stdout}${run.stderr}`.includes(db.password));
  });
});

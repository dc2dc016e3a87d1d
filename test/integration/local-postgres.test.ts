import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { startLocalPostgres, type LocalPostgres } from '../../src/postgres/local-server';

const exec = promisify(execFile);
// mkdtemp's own folder is the data folder: a folder inside it would be out of the postgres user's reach.
const dir = mkdtempSync(join(tmpdir(), 'vf-pg-test-'));
let pg: LocalPostgres | undefined;
after(async () => {
  await pg?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** One statement through psql over TCP with the given password; answers stdout or throws with stderr. */
async function psql(server: LocalPostgres, sql: string, password = server.superuserPassword): Promise<string> {
  const { stdout } = await exec(
    'psql',
    ['-h', server.host, '-p', String(server.port), '-U', 'postgres', '-d', 'postgres', '-Atc', sql],
    {
      env: { ...process.env, PGPASSWORD: password, PGCONNECT_TIMEOUT: '5' },
    },
  );
  return stdout.trim();
}

test('a local PostgreSQL runs on loopback with password auth, survives a crash and keeps its data', async () => {
  pg = await startLocalPostgres({ dataDir: dir, fastUnsafe: true });
  assert.equal(await psql(pg, 'select 1'), '1');
  await assert.rejects(psql(pg, 'select 1', 'wrong-password'), /password authentication failed/);

  await psql(pg, 'create table kept (n int); insert into kept values (42)');
  const before = pg.pid;
  await pg.kill();
  await assert.rejects(psql(pg, 'select 1'), /connection|refused|Is the server running/i);
  await pg.restart();
  assert.notEqual(pg.pid, before);
  assert.equal(await psql(pg, 'select n from kept'), '42');
});

test('reusing a data folder needs the password it was created with', async () => {
  assert.ok(pg);
  await pg.stop();
  const again = await startLocalPostgres({
    dataDir: pg.dataDir,
    superuserPassword: pg.superuserPassword,
    port: pg.port,
  });
  try {
    assert.equal(await psql(again, 'select n from kept'), '42');
  } finally {
    await again.stop();
  }
  await assert.rejects(startLocalPostgres({ dataDir: pg.dataDir }), /superuserPassword is needed/);
});

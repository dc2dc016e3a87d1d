import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config';
import { createResultsStore } from '../../src/store/create-store';
import { redactDatabaseUrl } from '../../src/store/postgres/errors';

const dir = mkdtempSync(join(tmpdir(), 'vf-dbconf-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('no database URL: the NDJSON folder is the store; with one, PostgreSQL', async () => {
  const none = loadConfig({ VIRALFLOW_DATA_DIR: dir });
  assert.equal(none.database, undefined);
  const files = createResultsStore(none);
  assert.equal(files.kind, 'ndjson');
  await files.close();

  const pg = loadConfig({ VIRALFLOW_DATABASE_URL: 'postgres://vf:pw@db.internal:6543/results' });
  assert.deepEqual(pg.database, { url: 'postgres://vf:pw@db.internal:6543/results', poolMax: 10 });
  const store = createResultsStore(pg);
  assert.equal(store.kind, 'postgres');
  assert.equal(store.location, 'db.internal:6543/results', 'the location never carries credentials');
  await store.close();
});

test("the URL or the password may come from files; the password file wins over the URL's own", () => {
  writeFileSync(join(dir, 'url'), 'postgresql://vf:old@127.0.0.1/viralflow\n');
  writeFileSync(join(dir, 'pw'), 'n3w p@ss/word\n');
  const c = loadConfig({
    VIRALFLOW_DATABASE_URL_FILE: join(dir, 'url'),
    VIRALFLOW_DATABASE_PASSWORD_FILE: join(dir, 'pw'),
    VIRALFLOW_DATABASE_POOL_MAX: '4',
  });
  const url = new URL(c.database!.url);
  assert.equal(decodeURIComponent(url.password), 'n3w p@ss/word');
  assert.equal(c.database!.poolMax, 4);
});

test('bad settings stop start-up naming the variable, never echoing the URL or its password', () => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ VIRALFLOW_DATABASE_URL: 'mysql://u:topsecret@h/db' }, /VIRALFLOW_DATABASE_URL: expected a postgres:\/\/ URL/],
    [{ VIRALFLOW_DATABASE_URL: 'not a url topsecret' }, /VIRALFLOW_DATABASE_URL: not a URL/],
    [{ VIRALFLOW_DATABASE_URL: 'postgres://u:topsecret@h' }, /must name a host and a database/],
    [
      { VIRALFLOW_DATABASE_PASSWORD_FILE: '/nope' },
      /VIRALFLOW_DATABASE_PASSWORD_FILE is set but VIRALFLOW_DATABASE_URL is not/,
    ],
    [
      { VIRALFLOW_DATABASE_URL: 'postgres://u@h/db', VIRALFLOW_DATABASE_PASSWORD_FILE: join(dir, 'missing') },
      /VIRALFLOW_DATABASE_PASSWORD_FILE: cannot read .* \(ENOENT\)/,
    ],
    [
      { VIRALFLOW_DATABASE_URL: 'postgres://u:topsecret@h/db', VIRALFLOW_DATABASE_POOL_MAX: '0' },
      /VIRALFLOW_DATABASE_POOL_MAX/,
    ],
  ];
  for (const [env, message] of cases) {
    assert.throws(
      () => loadConfig(env),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, message);
        assert.ok(!err.message.includes('topsecret'), err.message);
        return true;
      },
    );
  }
});

test('redactDatabaseUrl masks the password in the authority and in a password= parameter', () => {
  assert.equal(redactDatabaseUrl('postgres://vf:s3cr%40t@h:5432/db'), 'postgres://vf:***@h:5432/db');
  assert.equal(
    redactDatabaseUrl('postgres://vf@h/db?password=s3cret&sslmode=require'),
    'postgres://vf@h/db?password=***&sslmode=require',
  );
  assert.equal(redactDatabaseUrl('::: s3cret'), '(an unparsable URL)');
});

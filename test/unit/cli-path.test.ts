import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { resolveTemporalCli } from '../../src/temporal/cli-path';

function executable(dir: string, name = 'temporal'): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  writeFileSync(file, '#!/bin/sh\n');
  chmodSync(file, 0o755);
  return file;
}

describe('resolveTemporalCli', () => {
  const root = mkdtempSync(join(tmpdir(), 'vf-cli-'));
  const explicit = executable(join(root, 'explicit'));
  const onPath = executable(join(root, 'path'));
  const cacheDir = join(root, 'cache');
  const cached = executable(cacheDir);
  const quiet = { log: () => {} };

  test('TEMPORAL_CLI_PATH wins, then PATH, then the cached build', async () => {
    const env = { TEMPORAL_CLI_PATH: explicit, PATH: join(root, 'path') };
    assert.deepEqual(await resolveTemporalCli({ env, cacheDir, ...quiet }), {
      path: explicit,
      source: 'TEMPORAL_CLI_PATH',
    });
    assert.deepEqual(await resolveTemporalCli({ env: { PATH: join(root, 'path') }, cacheDir, ...quiet }), {
      path: onPath,
      source: 'PATH',
    });
    assert.deepEqual(await resolveTemporalCli({ env: { PATH: join(root, 'empty') }, cacheDir, ...quiet }), {
      path: cached,
      source: 'cache',
    });
  });

  test('a TEMPORAL_CLI_PATH that is not an executable file is an error, not a silent fallback', async () => {
    await assert.rejects(
      resolveTemporalCli({ env: { TEMPORAL_CLI_PATH: join(root, 'nope') }, cacheDir, ...quiet }),
      /not an executable file/,
    );
    await assert.rejects(
      resolveTemporalCli({ env: { TEMPORAL_CLI_PATH: root }, cacheDir, ...quiet }),
      /not an executable file/,
    );
  });
});

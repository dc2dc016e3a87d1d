/** fileLines: the sink's line reader splits exactly like the file's `\n`s, across chunk boundaries. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileLines } from '../../src/sink/file-lines';

const dir = mkdtempSync(join(tmpdir(), 'file-lines-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function linesOf(text: string, chunkBytes: number): Promise<string[]> {
  const file = join(dir, 'f.ndjson');
  writeFileSync(file, text);
  const handle = await open(file);
  try {
    const lines: string[] = [];
    for await (const line of fileLines(handle, chunkBytes)) lines.push(line);
    return lines;
  } finally {
    await handle.close();
  }
}

test('lines split at every chunk size, a multi-byte character cut between chunks included', async () => {
  const lines = ['{"profile":{}}', '', 'é€😀 mixed', 'x'.repeat(100), '{"id":"p-1"}'];
  for (const chunkBytes of [1, 2, 3, 5, 7, 64, 65_536]) {
    assert.deepEqual(await linesOf(`${lines.join('\n')}\n`, chunkBytes), lines, `chunk ${chunkBytes}`);
    assert.deepEqual(await linesOf(lines.join('\n'), chunkBytes), lines, `no final newline, chunk ${chunkBytes}`);
  }
});

test('an empty file has no lines; a lone newline is one empty line', async () => {
  assert.deepEqual(await linesOf('', 4), []);
  assert.deepEqual(await linesOf('\n', 4), ['']);
});

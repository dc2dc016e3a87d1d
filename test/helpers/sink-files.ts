import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { socialPosts } from '../../src/sim/data';

/**
 * Reads `<dataDir>/scrape/<runKey>/` straight from disk and checks the exactly-once contract: one
 * `<account>.ndjson` per expected account, nothing else left behind (no `.partial` files), each
 * file a profile line for that account followed by exactly the simulator's posts for it, in order,
 * none missing and none twice. Answers the number of posts read.
 */
export function assertSinkExactlyOnce(
  dataDir: string,
  runKey: string,
  expected: { accountIds: readonly string[]; seed: number; postsPerAccount: number },
): number {
  const dir = join(dataDir, 'scrape', runKey);
  const files = readdirSync(dir).sort();
  const wanted = [...new Set(expected.accountIds)].map((id) => `${id}.ndjson`).sort();
  assert.deepEqual(
    files,
    wanted,
    `the sink holds one complete file per account and nothing else (extra: ${files.filter((f) => !wanted.includes(f)).join(', ') || 'none'})`,
  );
  let posts = 0;
  for (const id of new Set(expected.accountIds)) {
    const lines = readFileSync(join(dir, `${id}.ndjson`), 'utf8').split('\n');
    assert.equal(lines.pop(), '', `${id}: ends with a newline`);
    const [first, ...rest] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal((first?.profile as { accountId?: string } | undefined)?.accountId, id, `${id}: line 1 is its profile`);
    const truth = socialPosts(expected.seed, id, 0, expected.postsPerAccount, expected.postsPerAccount).map(
      (p) => p.id,
    );
    const ids = rest.map((p) => p.id);
    assert.deepEqual(
      ids,
      truth,
      `${id}: every post exactly once, in order (${ids.length} lines, ${new Set(ids).size} distinct)`,
    );
    posts += ids.length;
  }
  return posts;
}

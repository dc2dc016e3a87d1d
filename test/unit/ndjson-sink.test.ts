import assert from 'node:assert/strict';
import { collectPosts } from '../helpers/sink-posts';
import { sinkContract } from '../helpers/sink-contract';
import { createNdjsonStore } from '../../src/store/ndjson-store';
import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createNdjsonSink, ndjsonSinkRef, readPosts, readProfile } from '../../src/sink/ndjson-sink';
import {
  CorruptSinkError,
  SinkPathError,
  type ScrapedPost,
  type ScrapedProfile,
  type NdjsonSinkRef,
} from '../../src/sink/types';

const profile = (accountId: string): ScrapedProfile => ({
  accountId,
  followers: 1234,
  following: 56,
  postCount: 30,
  engagementRate: 0.042,
});

const posts = (accountId: string, from: number, to: number): ScrapedPost[] =>
  Array.from({ length: to - from }, (_, k) => {
    const i = from + k;
    return {
      id: `${accountId}-p${i}`,
      accountId,
      createdAt: new Date(Date.UTC(2024, 0, 1) - i * 3_600_000).toISOString(),
      text: `post ${i} — with "quotes", a newline\nand unicode ✓`,
      metrics: { likes: i, shares: 0, comments: 1, views: 10 * i },
    };
  });

describe('NDJSON results sink', () => {
  let dataDir: string;
  let run = 0;
  /** A fresh run directory per test, so tests cannot see each other's files. */
  const sink = () => createNdjsonSink(dataDir, `run-${++run}`);
  const files = async (ref: NdjsonSinkRef) => (await readdir(ref.dir)).sort();

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'viralflow-sink-'));
  });
  after(() => rm(dataDir, { recursive: true, force: true }));

  test('an account becomes visible to readers only when complete, all at once', async () => {
    const s = sink();
    const writer = await s.open('acct-1', 1);
    await writer.append({ profile: profile('acct-1'), posts: posts('acct-1', 0, 3) });
    await writer.append({ posts: posts('acct-1', 3, 5) });
    assert.deepEqual(await collectPosts(s.ref), [], 'partial output is invisible');
    assert.equal(await readProfile(s.ref, 'acct-1'), undefined);
    assert.equal(await s.isComplete('acct-1'), false);

    await writer.complete();
    assert.deepEqual(await collectPosts(s.ref), posts('acct-1', 0, 5));
    assert.deepEqual(await readProfile(s.ref, 'acct-1'), profile('acct-1'));
    assert.equal(await s.isComplete('acct-1'), true);
    assert.deepEqual(await files(s.ref), ['acct-1.ndjson'], 'no partial file left behind');
    assert.equal(s.ref.dir, join(dataDir, 'scrape', `run-${run}`));
  });

  test('resuming in a new attempt drops what was written after the checkpoint: every post exactly once', async () => {
    const s = sink();
    const first = await s.open('acct-1', 1);
    await first.append({ profile: profile('acct-1'), posts: posts('acct-1', 0, 5) });
    const checkpoint = { attempt: 1, bytes: first.bytes };
    // Written, but the heartbeat recording it never reached the server before the crash.
    await first.append({ posts: posts('acct-1', 5, 10) });
    await first.abandon();

    const second = await s.open('acct-1', 2, checkpoint);
    assert.equal(second.bytes, checkpoint.bytes);
    await second.append({ posts: posts('acct-1', 5, 12) });
    await second.complete();

    const read = await collectPosts(s.ref);
    assert.deepEqual(read, posts('acct-1', 0, 12));
    assert.equal(new Set(read.map((p) => p.id)).size, read.length, 'no duplicates');
    assert.deepEqual(await files(s.ref), ['acct-1.ndjson'], "attempt 1's partial file is removed on completion");
  });

  test('resuming within the same attempt truncates in place', async () => {
    const s = sink();
    const first = await s.open('acct-1', 3);
    await first.append({ profile: profile('acct-1'), posts: posts('acct-1', 0, 2) });
    const checkpoint = { attempt: 3, bytes: first.bytes };
    await first.append({ posts: posts('acct-1', 2, 4) });
    await first.abandon();

    const again = await s.open('acct-1', 3, checkpoint);
    assert.equal(again.bytes, checkpoint.bytes);
    await again.append({ posts: posts('acct-1', 2, 4) });
    await again.complete();
    assert.deepEqual(await collectPosts(s.ref), posts('acct-1', 0, 4));
  });

  test('an earlier attempt still writing (a zombie) cannot interleave with or clobber the new one', async () => {
    const s = sink();
    const zombie = await s.open('acct-1', 1);
    await zombie.append({ profile: profile('acct-1'), posts: posts('acct-1', 0, 3) });
    const checkpoint = { attempt: 1, bytes: zombie.bytes };

    const next = await s.open('acct-1', 2, checkpoint);
    await zombie.append({ posts: posts('acct-1', 90, 95) }); // lands in attempt 1's file only
    await next.append({ posts: posts('acct-1', 3, 6) });
    await next.complete();
    await zombie.append({ posts: posts('acct-1', 95, 99) });
    await assert.rejects(zombie.complete(), { code: 'ENOENT' }, 'its partial file is gone, so it cannot replace ours');

    assert.deepEqual(await collectPosts(s.ref), posts('acct-1', 0, 6));
  });

  test('a checkpoint whose partial output is missing or shorter starts the account over', async () => {
    const s = sink();
    const missing = await s.open('acct-1', 2, { attempt: 1, bytes: 500 });
    assert.equal(missing.bytes, 0);
    await missing.append({ profile: profile('acct-1'), posts: [] });
    await assert.rejects(missing.append({ profile: profile('acct-1'), posts: [] }), /first line/);
    await missing.abandon();

    const short = await s.open('acct-2', 1);
    await short.append({ profile: profile('acct-2'), posts: posts('acct-2', 0, 1) });
    const recorded = short.bytes + 100; // e.g. the machine lost its page cache
    await short.abandon();
    const fresh = await s.open('acct-2', 2, { attempt: 1, bytes: recorded });
    assert.equal(fresh.bytes, 0);
    await fresh.append({ profile: profile('acct-2'), posts: posts('acct-2', 0, 2) });
    await fresh.complete();
    assert.deepEqual(await collectPosts(s.ref, ['acct-2']), posts('acct-2', 0, 2));
  });

  test('re-running a completed account replaces it with identical content; discard removes it', async () => {
    const s = sink();
    const write = async () => {
      const w = await s.open('acct-1', 1);
      await w.append({ profile: profile('acct-1'), posts: posts('acct-1', 0, 4) });
      await w.complete();
      return readFile(join(s.ref.dir, 'acct-1.ndjson'));
    };
    const once = await write();
    const twice = await write();
    assert.ok(once.equals(twice));

    const doomed = await s.open('acct-1', 2);
    await doomed.append({ profile: profile('acct-1'), posts: [] });
    await doomed.discard();
    assert.deepEqual(await files(s.ref), []);
  });

  test('readPosts streams the named accounts in order, skips missing ones, and lists all when none are named', async () => {
    const s = sink();
    for (const id of ['b', 'a', 'c']) {
      const w = await s.open(id, 1);
      await w.append({ profile: profile(id), posts: posts(id, 0, 2) });
      await w.complete();
    }
    const unfinished = await s.open('d', 1);
    await unfinished.append({ profile: profile('d'), posts: posts('d', 0, 2) });
    await unfinished.abandon();

    assert.deepEqual(await collectPosts(s.ref, ['c', 'nope', 'a']), [...posts('c', 0, 2), ...posts('a', 0, 2)]);
    assert.deepEqual(await collectPosts(s.ref), [...posts('a', 0, 2), ...posts('b', 0, 2), ...posts('c', 0, 2)]);

    // Stopping early still closes the file (a leak would show up as a warning and EMFILE in long runs).
    for await (const post of readPosts(s.ref)) {
      assert.equal(post.accountId, 'a');
      break;
    }
  });

  test('sweepPartials removes leftover partial files of the named accounts only', async () => {
    const s = sink();
    for (const [id, attempt] of [
      ['a', 1],
      ['a', 2],
      ['a.1', 3],
      ['b', 1],
    ] as const) {
      const w = await s.open(id, attempt);
      await w.append({ profile: profile(id), posts: [] });
      await w.abandon();
    }
    assert.equal(await s.sweepPartials(['a', 'zzz']), 2);
    assert.deepEqual(await files(s.ref), ['a.1.3.ndjson.partial', 'b.1.ndjson.partial']);
    assert.equal(await createNdjsonSink(dataDir, 'never-written').sweepPartials(['a']), 0);
  });

  test('a corrupt line is an error naming the file and line, not a silently skipped post', async () => {
    const s = sink();
    const w = await s.open('acct-1', 1);
    await w.append({ profile: profile('acct-1'), posts: posts('acct-1', 0, 2) });
    await w.complete();
    await appendFile(join(s.ref.dir, 'acct-1.ndjson'), '{"id":"half a post"\n');
    await assert.rejects(collectPosts(s.ref), (err: unknown) => {
      assert.ok(err instanceof CorruptSinkError);
      assert.equal(err.line, 4);
      assert.match(err.message, /acct-1\.ndjson:4: not JSON/);
      return true;
    });
    await writeFile(join(s.ref.dir, 'acct-1.ndjson'), `${JSON.stringify(posts('acct-1', 0, 1)[0])}\n`);
    await assert.rejects(readProfile(s.ref, 'acct-1'), /acct-1\.ndjson:1: profile/);
  });

  test('path guard: run keys and account IDs cannot leave the sink directory', async () => {
    for (const runKey of ['..', '.', '', '../elsewhere', 'a/b', '/etc']) {
      assert.throws(() => ndjsonSinkRef(dataDir, runKey), SinkPathError, runKey);
    }
    const s = sink();
    for (const id of ['../escape', '../../etc/passwd', 'a/b', '/tmp/x']) {
      await assert.rejects(s.open(id, 1), SinkPathError, id);
      await assert.rejects(collectPosts(s.ref, [id]), SinkPathError, id);
      await assert.rejects(readProfile(s.ref, id), SinkPathError, id);
    }
    await assert.rejects(s.open('ok', 0), RangeError);
    assert.deepEqual(await readdir(dataDir), ['scrape'], 'nothing was created beside the sink root');
  });
});

describe('NDJSON results store', () => {
  let dataDir: string;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'viralflow-store-'));
  });
  after(() => rm(dataDir, { recursive: true, force: true }));
  sinkContract('NDJSON store', () => createNdjsonStore(dataDir));
});

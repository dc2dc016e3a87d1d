import assert from 'node:assert/strict';
import { collectPosts } from '../helpers/sink-posts';
import { sinkContract } from '../helpers/sink-contract';
import { createNdjsonStore } from '../../src/store/ndjson-store';
import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { readdirSync } from 'node:fs';
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

  // The sink's semantics (visibility, resume, zombies, discard, reading) are the shared contract below;
  // these tests hold what is particular to files: names, layout, bytes, and file handles.
  test('on disk: one complete file per account under <dataDir>/scrape/<run>, partial files gone on completion', async () => {
    const s = sink();
    assert.equal(s.ref.dir, join(dataDir, 'scrape', `run-${run}`));
    const first = await s.open('acct-1', 1);
    await first.append({ profile: profile('acct-1'), posts: posts('acct-1', 0, 5) });
    const checkpoint = { attempt: 1, bytes: first.bytes };
    await first.abandon();
    assert.deepEqual(await files(s.ref), ['acct-1.1.ndjson.partial']);

    const second = await s.open('acct-1', 2, checkpoint);
    await second.append({ posts: posts('acct-1', 5, 7) });
    assert.deepEqual(await files(s.ref), ['acct-1.1.ndjson.partial', 'acct-1.2.ndjson.partial']);
    await second.complete();
    assert.deepEqual(await files(s.ref), ['acct-1.ndjson'], "attempt 1's partial file is removed on completion");
    assert.deepEqual(await readProfile(s.ref, 'acct-1'), profile('acct-1'));
  });

  test('re-running a completed account replaces it with identical bytes', async () => {
    const s = sink();
    const write = async () => {
      const w = await s.open('acct-1', 1);
      await w.append({ profile: profile('acct-1'), posts: posts('acct-1', 0, 4) });
      await w.complete();
      return readFile(join(s.ref.dir, 'acct-1.ndjson'));
    };
    assert.ok((await write()).equals(await write()));
  });

  test('a reader stopped early closes its file', async () => {
    const s = sink();
    for (const id of ['a', 'b']) {
      const w = await s.open(id, 1);
      await w.append({ profile: profile(id), posts: posts(id, 0, 2) });
      await w.complete();
    }
    // A leak would show up as a warning and EMFILE in long runs: count this process's open files around 200 early stops.
    const openFiles = () => readdirSync('/proc/self/fd').length;
    const before = openFiles();
    for (let i = 0; i < 200; i++) {
      for await (const post of readPosts(s.ref)) {
        assert.equal(post.accountId, 'a');
        break;
      }
    }
    assert.ok(openFiles() - before < 10, `${openFiles() - before} more files open after 200 early stops`);
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

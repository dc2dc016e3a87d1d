import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SupersededAttemptError, type ScrapedPost, type ScrapedProfile } from '../../src/sink/types';
import type { ResultsStore } from '../../src/store/types';

/**
 * The ResultsSink contract every results store keeps (exactly once across retries, resumes and zombie
 * attempts; an account all-or-nothing to readers), run against whichever store `store()` answers.
 */
export function sinkContract(name: string, store: () => ResultsStore) {
  let run = 0;
  const fresh = () => {
    const runKey = `contract-${process.pid}-${++run}`;
    const s = store();
    return {
      sink: s.sinkFor(runKey),
      /** The sink of an activity attempt scheduled at `fence` (ms). */
      attempt: (fence: number) => s.sinkFor(runKey, fence),
      read: (ids?: string[]) => collect(s.readPosts(runKey, ids)),
    };
  };
  const superseded = (err: unknown) => err instanceof SupersededAttemptError && err.accountId === 'acct-1';

  describe(`${name}: results sink contract`, () => {
    test('an account becomes visible to readers only when complete, all at once', async () => {
      const { sink, read } = fresh();
      const writer = await sink.open('acct-1', 1);
      await writer.append({ profile: profile('acct-1'), posts: posts('acct-1', 0, 3) });
      await writer.append({ posts: posts('acct-1', 3, 5) });
      assert.deepEqual(await read(), [], 'partial output is invisible');
      assert.equal(await sink.isComplete('acct-1'), false);
      await writer.complete();
      assert.deepEqual(await read(), posts('acct-1', 0, 5));
      assert.equal(await sink.isComplete('acct-1'), true);
    });

    test('resuming in a new attempt drops what was written after the checkpoint: every post exactly once', async () => {
      const { sink, read } = fresh();
      const first = await sink.open('acct-1', 1);
      await first.append({ profile: profile('acct-1'), posts: posts('acct-1', 0, 5) });
      const checkpoint = { attempt: 1, bytes: first.bytes };
      await first.append({ posts: posts('acct-1', 5, 10) }); // written, never checkpointed
      await first.abandon();

      const second = await sink.open('acct-1', 2, checkpoint);
      assert.equal(second.bytes, checkpoint.bytes);
      await second.append({ posts: posts('acct-1', 5, 12) });
      await second.complete();
      const got = await read();
      assert.deepEqual(got, posts('acct-1', 0, 12));
      assert.equal(new Set(got.map((p) => p.id)).size, got.length, 'no duplicates');
      assert.equal(await sink.sweepPartials(['acct-1']), 0, "the resumed attempt's partial output went on completion");
    });

    test('resuming within the same attempt cuts back in place', async () => {
      const { sink, read } = fresh();
      const first = await sink.open('acct-1', 3);
      await first.append({ profile: profile('acct-1'), posts: posts('acct-1', 0, 2) });
      const checkpoint = { attempt: 3, bytes: first.bytes };
      await first.append({ posts: posts('acct-1', 2, 4) });
      await first.abandon();
      const again = await sink.open('acct-1', 3, checkpoint);
      assert.equal(again.bytes, checkpoint.bytes);
      await again.append({ posts: posts('acct-1', 2, 4) });
      await again.complete();
      assert.deepEqual(await read(), posts('acct-1', 0, 4));
    });

    test('an earlier attempt still writing (a zombie) cannot interleave with or clobber the new one', async () => {
      const { sink, read } = fresh();
      const zombie = await sink.open('acct-1', 1);
      await zombie.append({ profile: profile('acct-1'), posts: posts('acct-1', 0, 3) });
      const checkpoint = { attempt: 1, bytes: zombie.bytes };
      const next = await sink.open('acct-1', 2, checkpoint);
      await zombie.append({ posts: posts('acct-1', 90, 95) });
      await next.append({ posts: posts('acct-1', 3, 6) });
      await next.complete();
      await zombie.append({ posts: posts('acct-1', 95, 99) });
      await assert.rejects(zombie.complete(), 'its partial output is gone, so it cannot replace ours');
      assert.deepEqual(await read(), posts('acct-1', 0, 6));
    });

    test('attempt fences: a zombie cannot publish over a newer attempt, nor open the account again', async () => {
      const { attempt, read } = fresh();
      const zombie = await attempt(1_000).open('acct-1', 1);
      await zombie.append({ profile: profile('acct-1'), posts: posts('acct-1', 0, 3) });
      const next = await attempt(2_000).open('acct-1', 2);
      await next.append({ profile: profile('acct-1'), posts: posts('acct-1', 10, 15) });
      await next.complete();
      await assert.rejects(zombie.complete(), superseded);
      assert.deepEqual(await read(), posts('acct-1', 10, 15), "the newer attempt's output stands");
      await assert.rejects(async () => {
        const again = await attempt(1_000).open('acct-1', 1);
        await again.append({ profile: profile('acct-1'), posts: [] });
      }, superseded);
      await assert.rejects(zombie.discard(), superseded);
      assert.deepEqual(await read(), posts('acct-1', 10, 15), 'nor can it discard it');
    });

    test('attempt fences: after discardAccounts a late complete cannot bring the account back; a later run can', async () => {
      const { attempt, read } = fresh();
      const late = await attempt(1_000).open('acct-1', 3);
      await late.append({ profile: profile('acct-1'), posts: posts('acct-1', 0, 3) });
      assert.equal(await attempt(2_000).discardAccounts(['acct-1']), 0);
      await assert.rejects(late.complete(), superseded);
      assert.deepEqual(await read(), [], 'the account the summary lists as failed stays gone');
      const rerun = await attempt(3_000).open('acct-1', 1);
      await rerun.append({ profile: profile('acct-1'), posts: posts('acct-1', 0, 2) });
      await rerun.complete();
      assert.deepEqual(await read(), posts('acct-1', 0, 2));
      assert.equal(await attempt(2_500).discardAccounts(['acct-1']), 0, 'an older discard leaves it alone');
      assert.deepEqual(await read(), posts('acct-1', 0, 2));
    });

    test("attempt fences: a zombie's sweep leaves a newer attempt's unfinished output alone", async () => {
      const { attempt, read } = fresh();
      const live = await attempt(2_000).open('acct-1', 2);
      await live.append({ profile: profile('acct-1'), posts: posts('acct-1', 0, 4) });
      const stale = await attempt(1_000).open('acct-2', 1);
      await stale.append({ profile: profile('acct-2'), posts: [] });
      await stale.abandon();
      assert.equal(await attempt(1_000).sweepPartials(['acct-1', 'acct-2']), 1, "only acct-2's leftovers");
      await live.complete();
      assert.deepEqual(await read(['acct-1']), posts('acct-1', 0, 4));
    });

    test('a checkpoint whose partial output is missing or shorter starts the account over', async () => {
      const { sink, read } = fresh();
      const missing = await sink.open('acct-1', 2, { attempt: 1, bytes: 500 });
      assert.equal(missing.bytes, 0);
      await missing.append({ profile: profile('acct-1'), posts: [] });
      await assert.rejects(missing.append({ profile: profile('acct-1'), posts: [] }), /first/);
      await missing.abandon();

      const short = await sink.open('acct-2', 1);
      await short.append({ profile: profile('acct-2'), posts: posts('acct-2', 0, 1) });
      const recorded = short.bytes + 100;
      await short.abandon();
      const over = await sink.open('acct-2', 2, { attempt: 1, bytes: recorded });
      assert.equal(over.bytes, 0);
      await over.append({ profile: profile('acct-2'), posts: posts('acct-2', 0, 2) });
      await over.complete();
      assert.deepEqual(await read(['acct-2']), posts('acct-2', 0, 2));
    });

    test('re-running a completed account replaces it; discard removes it', async () => {
      const { sink, read } = fresh();
      for (const n of [4, 3]) {
        const w = await sink.open('acct-1', 1);
        await w.append({ profile: profile('acct-1'), posts: posts('acct-1', 0, n) });
        await w.complete();
        assert.deepEqual(await read(), posts('acct-1', 0, n));
      }
      const doomed = await sink.open('acct-1', 2);
      await doomed.append({ profile: profile('acct-1'), posts: [] });
      assert.deepEqual(
        await read(),
        posts('acct-1', 0, 3),
        'the complete output stays readable while another attempt writes',
      );
      await doomed.discard();
      assert.deepEqual(await read(), []);
      assert.equal(await sink.isComplete('acct-1'), false);
    });

    test('readPosts streams the named accounts in order, skips missing ones, and lists all when none are named', async () => {
      const { sink, read } = fresh();
      for (const id of ['b', 'a', 'c']) {
        const w = await sink.open(id, 1);
        await w.append({ profile: profile(id), posts: posts(id, 0, 2) });
        await w.complete();
      }
      const unfinished = await sink.open('d', 1);
      await unfinished.append({ profile: profile('d'), posts: posts('d', 0, 2) });
      await unfinished.abandon();
      assert.deepEqual(await read(['c', 'nope', 'a']), [...posts('c', 0, 2), ...posts('a', 0, 2)]);
      assert.deepEqual(await read(), [...posts('a', 0, 2), ...posts('b', 0, 2), ...posts('c', 0, 2)]);
    });

    test('a large account reads whole and in order among small ones, by name or in full', async () => {
      const { sink, read } = fresh();
      const write = async (id: string, n: number) => {
        const w = await sink.open(id, 1);
        for (let i = 0; i < n; i += 100)
          await w.append({ ...(i === 0 && { profile: profile(id) }), posts: posts(id, i, Math.min(n, i + 100)) });
        await w.complete();
      };
      await write('big', 4_550);
      await write('small-a', 30);
      await write('small-z', 7);
      const expected = [...posts('big', 0, 4_550), ...posts('small-a', 0, 30), ...posts('small-z', 0, 7)];
      assert.deepEqual(await read(), expected);
      assert.deepEqual(await read(['small-z', 'big', 'small-z']), [
        ...posts('small-z', 0, 7),
        ...posts('big', 0, 4_550),
        ...posts('small-z', 0, 7),
      ]);
    });

    test('discardAccounts removes complete and partial output of the named accounts only', async () => {
      const { sink } = fresh();
      for (const id of ['done-1', 'done-2', 'kept']) {
        const w = await sink.open(id, 1);
        await w.append({ profile: profile(id), posts: posts(id, 0, 3) });
        await w.complete();
      }
      const partial = await sink.open('half', 2);
      await partial.append({ profile: profile('half'), posts: posts('half', 0, 2) });
      await partial.abandon();
      assert.equal(await sink.discardAccounts(['done-1', 'done-2', 'half', 'never']), 2);
      for (const id of ['done-1', 'done-2', 'half']) assert.equal(await sink.isComplete(id), false, id);
      assert.equal(await sink.isComplete('kept'), true);
      assert.equal(await sink.sweepPartials(['half']), 0, 'the partial output went too');
      assert.equal(await sink.discardAccounts(['done-1']), 0, 'a second discard finds nothing');
    });

    test('sweepPartials removes leftover partial output of the named accounts only', async () => {
      const { sink } = fresh();
      for (const [id, attempt] of [
        ['a', 1],
        ['a', 2],
        ['a.1', 3],
        ['b', 1],
      ] as const) {
        const w = await sink.open(id, attempt);
        await w.append({ profile: profile(id), posts: posts(id, 0, 1) });
        await w.abandon();
      }
      assert.equal(await sink.sweepPartials(['a', 'zzz']), 2);
      assert.equal(await sink.sweepPartials(['a']), 0);
      assert.equal(await sink.sweepPartials(['a.1', 'b']), 2);
    });
  });
}

export function profile(accountId: string): ScrapedProfile {
  return { accountId, followers: 1234, following: 56, postCount: 30, engagementRate: 0.042 };
}

export function posts(accountId: string, from: number, to: number): ScrapedPost[] {
  return Array.from({ length: to - from }, (_, k) => {
    const i = from + k;
    return {
      id: `${accountId}-p${i}`,
      accountId,
      createdAt: new Date(Date.UTC(2024, 0, 1) - i * 3_600_000).toISOString(),
      text: `post ${i} — with "quotes", a tab\t, a newline\nand unicode ✓`,
      metrics: { likes: i, shares: 0, comments: 1, views: 10 * i },
    };
  });
}

export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

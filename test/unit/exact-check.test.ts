/**
 * The exact checks that let the scraper skip zod's walk on the hot path (src/validation/exact-check.ts)
 * must never widen what the schemas accept nor change what they answer: for generated values near and
 * far from valid, a check answering true means the schema accepts the value and returns it unchanged
 * (deep-equal, same key order). And they must serve the common case: the simulator's own answers pass.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { z } from 'zod';
import { socialPost, socialProfile } from '../../src/sim/data';
import { isScrapedPost, isScrapedProfile, scrapedPost, scrapedProfile } from '../../src/sink/types';
import { isPostsPage, postsPageSchema } from '../../src/sources/http-sources';
import { acceptsAsIs } from '../../src/validation/exact-check';

/** Strings near the schemas' edges: empty, at and over the length limits, astral characters, datetimes. */
const edgyString = fc.oneof(
  fc.string(),
  fc.constantFrom('', 'a', 'x'.repeat(256), 'x'.repeat(257), '😀'.repeat(128), '😀'.repeat(129), 'c'.repeat(1025)),
  fc.constantFrom(
    '2024-01-15T12:00:00.000Z',
    '2024-01-15T12:00:00Z',
    '2024-01-15T12:00:00+02:00',
    '2024-01-15T12:00:00',
    '2024-02-30T12:00:00Z',
    '2023-02-29T00:00:00Z',
    '2024-02-29T00:00:00Z',
    '2024-01-15 12:00:00Z',
    ' 2024-01-15T12:00:00Z',
  ),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
);
const edgyNumber = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -0, -1, 1.5, 2 ** 53 - 1, 2 ** 53, Number.NaN, Infinity, -Infinity),
);
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  edgyString,
  edgyNumber,
  fc.constantFrom(null, true, undefined, [], {}),
);

/** A valid-looking object of `keys` in order, then mutated: a value replaced, a key dropped, added or moved. */
function near(base: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<unknown> {
  return fc.oneof(
    { arbitrary: base, weight: 5 },
    fc.tuple(base, fc.nat(), anyValue).map(([o, i, v]) => {
      const keys = Object.keys(o);
      return { ...o, [keys[i % keys.length]!]: v };
    }),
    fc.tuple(base, fc.nat()).map(([o, i]) => {
      const copy = { ...o };
      delete copy[Object.keys(o)[i % Object.keys(o).length]!];
      return copy;
    }),
    fc.tuple(base, fc.string(), anyValue).map(([o, k, v]) => ({ ...o, [k]: v })),
    base.map((o) => Object.fromEntries(Object.entries(o).reverse())),
    base.map((o) => JSON.parse(JSON.stringify(o).replace('{', '{"__proto__":{},')) as unknown),
  );
}

/** Mostly valid values, so that the other fields' edges are reached too. */
const count = fc.oneof({ arbitrary: fc.nat(1_000), weight: 9 }, { arbitrary: edgyNumber, weight: 1 });
const id = fc.oneof(
  { arbitrary: fc.string({ minLength: 1, maxLength: 20 }), weight: 4 },
  { arbitrary: fc.constantFrom('x'.repeat(256), 'x'.repeat(257), '😀'.repeat(128), '😀'.repeat(129)), weight: 1 },
  { arbitrary: edgyString, weight: 1 },
);
const cursor = fc.oneof(
  fc.string({ minLength: 1, maxLength: 20 }),
  fc.constantFrom('c'.repeat(1024), 'c'.repeat(1025)),
);
const createdAt = fc.oneof(
  { arbitrary: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), weight: 4 },
  { arbitrary: edgyString, weight: 1 },
);
const metrics = near(fc.record({ likes: count, shares: count, comments: count, views: count }));
const post = near(fc.record({ id, accountId: id, createdAt, text: fc.string(), metrics }));
const profile = near(
  fc.record({
    accountId: id,
    followers: count,
    following: count,
    postCount: count,
    engagementRate: fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), edgyNumber),
  }),
);
const page = near(
  fc.record({
    accountId: id,
    posts: fc.array(fc.oneof(post, fc.constant(socialPost(1, 'a', 0))), { maxLength: 4 }),
    nextCursor: fc.oneof(cursor, edgyString, fc.constant(null)),
  }),
);

function holdsExactly(schema: z.ZodType, check: (v: unknown) => boolean, values: fc.Arbitrary<unknown>): void {
  let accepted = 0;
  fc.assert(
    fc.property(values, (value) => {
      if (!check(value)) return;
      accepted++;
      const result = schema.safeParse(value);
      assert.ok(result.success, `the check accepted what the schema refuses: ${JSON.stringify(value)}`);
      assert.deepStrictEqual(result.data, value);
      assert.equal(JSON.stringify(result.data), JSON.stringify(value), 'same keys in the same order');
    }),
    { numRuns: 3_000 },
  );
  assert.ok(accepted > 0, 'the generators reach values the check accepts');
}

describe('exact checks beside the zod schemas', () => {
  test('a post the check accepts is one zod accepts and answers unchanged', () => {
    holdsExactly(scrapedPost, isScrapedPost, post);
  });

  test('a profile the check accepts is one zod accepts and answers unchanged', () => {
    holdsExactly(scrapedProfile, isScrapedProfile, profile);
  });

  test('a page the check accepts is one zod accepts and answers unchanged', () => {
    holdsExactly(postsPageSchema, isPostsPage, page);
  });

  test("the simulator's profiles and pages pass the checks, so they skip zod's walk", () => {
    const posts = Array.from({ length: 10 }, (_, i) => socialPost(7, 'acct-1', i));
    // Through JSON, as the scraper sees them.
    const body = JSON.parse(JSON.stringify({ accountId: 'acct-1', posts, nextCursor: 'c1' })) as unknown;
    assert.ok(acceptsAsIs(postsPageSchema, body));
    assert.ok(acceptsAsIs(scrapedProfile, JSON.parse(JSON.stringify(socialProfile(7, 'acct-1', 25))) as unknown));
    assert.ok(!acceptsAsIs(postsPageSchema, { ...(body as object), extra: 1 }), 'an extra key goes through zod');
  });
});

/**
 * Which posts the social API has served, so a test can compare a store's contents with what the
 * upstream actually handed out: `served` counts every post in every 200 page written (a page fetched
 * twice counts twice), `distinct` counts each (account, post) once. Pages are ranges of one account's
 * post indexes, kept as merged ranges per account: a few numbers per account, however many posts.
 */
export interface ServedPosts {
  add(accountId: string, offset: number, count: number): void;
  counts(): { served: number; distinct: number };
}

export function createServedPosts(): ServedPosts {
  const ranges = new Map<string, Array<[start: number, end: number]>>();
  let served = 0;
  let distinct = 0;
  return {
    add(accountId, offset, count) {
      if (count <= 0) return;
      served += count;
      const list = ranges.get(accountId) ?? [];
      let start = offset;
      let end = offset + count;
      let covered = 0;
      const kept: Array<[number, number]> = [];
      for (const [s, e] of list) {
        if (e < start || s > end) kept.push([s, e]);
        else {
          covered += e - s; // merged into the new range; its posts were counted before
          start = Math.min(start, s);
          end = Math.max(end, e);
        }
      }
      kept.push([start, end]);
      kept.sort((a, b) => a[0] - b[0]);
      ranges.set(accountId, kept);
      distinct += end - start - covered;
    },
    counts: () => ({ served, distinct }),
  };
}

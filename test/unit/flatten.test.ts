import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_MAX_DEPTH, flattenNumbers, NestingTooDeepError } from '../../src/metrics-collection/flatten';

/** `{k0: {k0: … {k0: 1}}}` with `levels` containers below the root. */
function nested(levels: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i <= levels; i++) value = { k: value };
  return value;
}

describe('flattenNumbers', () => {
  test('dotted paths for numeric leaves; booleans as 0/1; other leaves skipped', () => {
    const flat = flattenNumbers({
      http: { requests: { total: 10, errors: { client: 2, server: 1 } }, up: true },
      down: false,
      name: 'api',
      missing: null,
      buckets: [1, { le: 5 }],
      empty: {},
    });
    assert.deepEqual(Object.fromEntries(flat), {
      'http.requests.total': 10,
      'http.requests.errors.client': 2,
      'http.requests.errors.server': 1,
      'http.up': 1,
      down: 0,
      'buckets.0': 1,
      'buckets.1.le': 5,
    });
  });

  test('a prefix goes in front of every key', () => {
    const flat = flattenNumbers({ a: { b: 1 }, c: 2 }, { prefix: 'api' });
    assert.deepEqual([...flat.keys()].sort(), ['api.a.b', 'api.c']);
    assert.deepEqual(Object.fromEntries(flattenNumbers(7, { prefix: 'api' })), { api: 7 });
    assert.equal(flattenNumbers('text').size, 0);
  });

  test('non-finite numbers are skipped; __proto__ keys are ordinary keys', () => {
    const flat = flattenNumbers(JSON.parse('{"__proto__": {"x": 1}, "n": 2}'));
    const withInf = flattenNumbers({ a: Number.POSITIVE_INFINITY, b: Number.NaN, c: 3 });
    assert.deepEqual(Object.fromEntries(withInf), { c: 3 });
    assert.equal(flat.get('__proto__.x'), 1);
    assert.equal(flat.get('n'), 2);
  });

  test(`nesting up to the guard is walked; one level deeper throws NestingTooDeepError`, () => {
    assert.equal(flattenNumbers(nested(DEFAULT_MAX_DEPTH)).size, 1);
    assert.throws(
      () => flattenNumbers(nested(DEFAULT_MAX_DEPTH + 1)),
      (err: unknown) => {
        assert.ok(err instanceof NestingTooDeepError);
        assert.equal(err.maxDepth, DEFAULT_MAX_DEPTH);
        assert.match(err.path, /^k(\.k)+$/);
        return true;
      },
    );
    assert.throws(() => flattenNumbers(nested(4), { maxDepth: 3 }), NestingTooDeepError);
    // Far beyond the guard: refused without recursing, so no stack overflow either way.
    assert.throws(() => flattenNumbers(nested(100_000)), NestingTooDeepError);
  });

  test('100k leaves: every leaf once, under its full path (figures reported, not asserted)', (t) => {
    /** groups × groups subsystems × 10 metrics, three levels deep. */
    const tree = (leaves: number) => {
      const root: Record<string, Record<string, Record<string, number>>> = {};
      const groups = Math.round(Math.sqrt(leaves / 10));
      for (let g = 0; g < groups; g++) {
        const group: Record<string, Record<string, number>> = {};
        for (let h = 0; h < groups; h++) {
          const leafs: Record<string, number> = {};
          for (let l = 0; l < 10; l++) leafs[`metric_number_${l}`] = g * h + l;
          group[`subsystem_${h}`] = leafs;
        }
        root[`component_${g}`] = group;
      }
      return root;
    };
    const time = (value: unknown) => {
      let best = Number.POSITIVE_INFINITY;
      let size = 0;
      for (let i = 0; i < 3; i++) {
        const started = performance.now();
        size = flattenNumbers(value).size;
        best = Math.min(best, performance.now() - started);
      }
      return { best, size };
    };
    const small = time(tree(25_000));
    const big = time(tree(100_000));
    // A quadratic flatten would take ~16× as long for 4× the leaves; linear, ~4×.
    t.diagnostic(`25k leaves: ${small.best.toFixed(1)} ms; 100k leaves: ${big.best.toFixed(1)} ms (best of 3)`);
    assert.equal(small.size, 25_000);
    assert.equal(big.size, 100_000);
    const flat = flattenNumbers(tree(100_000));
    assert.equal(flat.get('component_99.subsystem_99.metric_number_9'), 99 * 99 + 9);
  });
});

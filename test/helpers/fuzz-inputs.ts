import fc from 'fast-check';

/** Strings that would be trouble if any of them reached a URL, a path or a header. */
export const HOSTILE_STRINGS = [
  '',
  '.',
  '..',
  '../etc/passwd',
  '..%2f..%2fetc',
  '%2e%2e',
  'a/b',
  'a\\b',
  'http://169.254.169.254/latest/meta-data',
  '//evil.example/x',
  'file:///etc/passwd',
  '?x=1',
  '#frag',
  'a b',
  'a\nb',
  'a\u0000b',
  '\u202e',
  '😀',
  '__proto__',
  'constructor',
  'x'.repeat(10_000),
];
export const HOSTILE_NUMBERS = [
  -1,
  0,
  -0,
  0.5,
  1e21,
  -1e21,
  Number.MAX_SAFE_INTEGER + 2,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
];

export const hostileValue = fc.oneof(
  fc.constantFrom<unknown>(...HOSTILE_STRINGS, ...HOSTILE_NUMBERS, null, undefined, true, [], {}),
  fc.anything({ maxDepth: 2, maxKeys: 4 }),
);

/** Valid-looking inputs with one thing changed: a field replaced, removed, or an unknown one added; or a nested element broken. */
export function mutationsOf(valid: Record<string, unknown>): fc.Arbitrary<unknown> {
  const keys = Object.keys(valid);
  const replaced = fc.tuple(fc.constantFrom(...keys), hostileValue).map(([k, v]) => ({ ...valid, [k]: v }));
  const removed = fc
    .constantFrom(...keys)
    .map((k) => Object.fromEntries(Object.entries(valid).filter(([key]) => key !== k)));
  const added = fc
    .tuple(
      fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'url', 'baseUrl', 'token')),
      hostileValue,
    )
    .map(([k, v]) => {
      const copy: Record<string, unknown> = { ...valid };
      Object.defineProperty(copy, k, { value: v, enumerable: true, configurable: true, writable: true });
      return copy;
    });
  const arrays = keys.filter((k) => Array.isArray(valid[k]));
  const nested = arrays.length
    ? fc
        .tuple(fc.constantFrom(...arrays), hostileValue)
        .map(([k, v]) => ({ ...valid, [k]: [...(valid[k] as unknown[]), v] }))
    : replaced;
  // One level down: a field of an object-valued field (retry.maximumAttempts, scrape.runKey, weights.a).
  const objects = keys.filter((k) => typeof valid[k] === 'object' && valid[k] !== null && !Array.isArray(valid[k]));
  const deep = objects.length
    ? fc
        .tuple(
          fc.constantFrom(...objects),
          fc.oneof(
            fc.string({ maxLength: 8 }),
            fc.constantFrom('maximumAttempts', 'initialInterval', 'backoffCoefficient', 'runKey'),
          ),
          hostileValue,
        )
        .map(([k, sub, v]) => ({ ...valid, [k]: { ...(valid[k] as object), [sub]: v } }))
    : replaced;
  return fc.oneof(replaced, removed, added, nested, deep);
}

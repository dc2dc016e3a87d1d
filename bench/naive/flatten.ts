/**
 * MetricsCollectorOperator's `_flatten_dict` before the review: recursive, each level building a
 * fresh dict and merging every child's flattened copy into it, with string-concatenated keys. In
 * JavaScript the merge is a spread of the accumulated object, so a level with k entries copies
 * O(k²) keys and every leaf is re-copied once per level above it. Bench-only.
 */

type Nested = { [key: string]: unknown };

const isDict = (v: unknown): v is Nested => typeof v === 'object' && v !== null && !Array.isArray(v);

export function naiveFlatten(d: Nested, parentKey = '', sep = '.'): Record<string, unknown> {
  let items: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(d)) {
    const newKey = parentKey ? parentKey + sep + k : k;
    if (isDict(v)) items = { ...items, ...naiveFlatten(v, newKey, sep) };
    else items = { ...items, [newKey]: v };
  }
  return items;
}

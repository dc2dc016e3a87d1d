/**
 * Nested JSON metrics -> flat `prefix.path.to.metric` keys, in one pass over the tree.
 *
 * The Airflow operator flattened recursively by merging each sub-dict's flattened copy into its
 * parent, re-copying every key at every level (O(n·depth) copies, O(n²) on deep trees). Here an
 * explicit stack carries each container's path down, and each leaf is written once.
 */

export const DEFAULT_MAX_DEPTH = 32;

/** Nesting deeper than the guard: refused rather than walked (a hostile or broken document). */
export class NestingTooDeepError extends Error {
  constructor(
    readonly path: string,
    readonly maxDepth: number,
  ) {
    super(`JSON nested deeper than ${maxDepth} levels at ${path || '(root)'}`);
    this.name = 'NestingTooDeepError';
  }
}

export interface FlattenOptions {
  /** Prepended to every key with a '.', e.g. the service name. */
  prefix?: string;
  /** Containers nested deeper than this below the root throw NestingTooDeepError. */
  maxDepth?: number;
}

interface Frame {
  node: object;
  path: string;
  depth: number;
}

/**
 * Every numeric leaf of `value` by its dotted path: finite numbers as they are, booleans as 0/1;
 * strings, nulls and non-finite numbers are skipped. Arrays count as containers keyed by index
 * (`latency.buckets.3`). Keys are not escaped, so `{"a.b": 1}` and `{"a": {"b": 2}}` both land on
 * `a.b`; the later one in walk order wins. A numeric root maps to the prefix itself.
 */
export function flattenNumbers(value: unknown, options: FlattenOptions = {}): Map<string, number> {
  const out = new Map<string, number>();
  const prefix = options.prefix ?? '';
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;

  const leaf = (path: string, v: unknown): boolean => {
    if (typeof v === 'number') {
      if (Number.isFinite(v)) out.set(path, v);
      return true;
    }
    if (typeof v === 'boolean') {
      out.set(path, v ? 1 : 0);
      return true;
    }
    return typeof v !== 'object' || v === null; // true: handled (or skipped); false: a container
  };

  if (leaf(prefix, value)) return out;
  const stack: Frame[] = [{ node: value as object, path: prefix, depth: 0 }];
  while (stack.length > 0) {
    const { node, path, depth } = stack.pop()!;
    for (const key of Object.keys(node)) {
      const child: unknown = (node as Record<string, unknown>)[key];
      const childPath = path === '' ? key : `${path}.${key}`;
      if (leaf(childPath, child)) continue;
      if (depth + 1 > maxDepth) throw new NestingTooDeepError(childPath, maxDepth);
      stack.push({ node: child as object, path: childPath, depth: depth + 1 });
    }
  }
  return out;
}

/** Per-metric summaries across services: sum, min, max, mean and count, in one pass. */

export interface Aggregate {
  sum: number;
  min: number;
  max: number;
  mean: number;
  /** How many values were folded in (one per service reporting the metric, usually). */
  count: number;
}

export interface Aggregator {
  /** Folds one value in; non-finite values are skipped (JSON results cannot carry them) and answer false. */
  add(name: string, value: number): boolean;
  /** Distinct metric names so far. */
  readonly size: number;
  /**
   * At most `limit` aggregates: those reported most often, ties by name, so the same input always
   * keeps the same names. `omitted` counts the names left out.
   */
  top(limit: number): { aggregates: Record<string, Aggregate>; omitted: number };
}

interface Running {
  sum: number;
  min: number;
  max: number;
  count: number;
}

export function createAggregator(): Aggregator {
  // A Map, not an object: metric names are upstream data and may be '__proto__'.
  const byName = new Map<string, Running>();
  return {
    add(name, value) {
      if (!Number.isFinite(value)) return false;
      const r = byName.get(name);
      if (r === undefined) {
        byName.set(name, { sum: value, min: value, max: value, count: 1 });
      } else {
        r.sum += value;
        if (value < r.min) r.min = value;
        if (value > r.max) r.max = value;
        r.count++;
      }
      return true;
    },
    get size() {
      return byName.size;
    },
    top(limit) {
      let entries = [...byName];
      if (entries.length > limit) {
        entries.sort(([a, x], [b, y]) => y.count - x.count || (a < b ? -1 : a > b ? 1 : 0));
        entries = entries.slice(0, Math.max(0, limit));
      }
      return {
        aggregates: Object.fromEntries(
          entries.map(([name, r]) => [
            name,
            { sum: r.sum, min: r.min, max: r.max, mean: r.sum / r.count, count: r.count },
          ]),
        ),
        omitted: byName.size - entries.length,
      };
    },
  };
}

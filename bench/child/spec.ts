/** Checks the spec a child gets on its command line (JSON written by the parent, but a type is not a proof). */
import type { ChildSpec } from './protocol';

export function isChildSpec(v: unknown): v is ChildSpec {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  return (
    typeof s.scenario === 'string' &&
    typeof s.variant === 'string' &&
    typeof s.simUrl === 'string' &&
    typeof s.dataDir === 'string' &&
    Number.isInteger(s.warmup) &&
    Number.isInteger(s.executions) &&
    typeof s.params === 'object' &&
    s.params !== null &&
    Object.values(s.params).every((n) => typeof n === 'number')
  );
}

import { InvalidDurationError } from './errors';

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
type Unit = keyof typeof UNIT_MS;

/**
 * `30s`, `5m`, `1h30m`, `500ms`, `1d`: whole numbers with units, as Temporal's `@every` and the
 * Temporal CLI take them. Stricter than `ms` (no bare numbers, no "5 minutes") so a typo in
 * `--jitter` is reported instead of silently read as milliseconds.
 */
export function parseDuration(text: string, what: string): number {
  const trimmed = text.trim();
  const parts = [...trimmed.matchAll(/(\d+)(ms|s|m|h|d)/g)];
  if (!parts.length || parts.map((p) => p[0]).join('') !== trimmed) throw new InvalidDurationError(what, text);
  return parts.reduce((sum, [, n, unit]) => sum + Number(n) * UNIT_MS[unit as Unit], 0);
}

/** The shortest exact rendering: 90000 -> `1m30s`, 500 -> `500ms`, 0 -> `0s`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = Math.round(ms);
  let out = '';
  for (const unit of ['d', 'h', 'm', 's', 'ms'] as const) {
    const n = Math.floor(rest / UNIT_MS[unit]);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * UNIT_MS[unit];
  }
  return out;
}

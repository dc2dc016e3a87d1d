/**
 * The fleet's rate limits per upstream, as written in `VIRALFLOW_RATE_LIMITS`:
 *
 *   social=90/s,inflight=32;engine=50/s;billing=300/m,perkey=1/s
 *
 * One entry per upstream (`social`, `engine`, `experiments` or a configured service name), separated by
 * `;`: a rate (`N/s` or `N/m`), then optional `inflight=N` (requests in flight across the fleet) and
 * `perkey=N/s` (per key within the upstream, for requests that name one).
 */
export interface UpstreamLimit {
  /** Requests per second across every worker: the ceiling the adaptive rate never exceeds. */
  perSecond: number;
  /** Requests in flight across every worker; no bound when absent. */
  inFlight?: number;
  /** Requests per second for each key within the upstream (requests without a key are not counted). */
  perKeyPerSecond?: number;
}

export type RateLimits = Record<string, UpstreamLimit>;

export type ParsedLimits = { ok: true; value: RateLimits } | { ok: false; error: string };

const RATE = /^(\d+(?:\.\d+)?)\/(s|m)$/;
const NAME = /^[a-z0-9][a-z0-9_.-]{0,62}$/i;

/** Whole-spec parse: the first problem is reported with the entry it is in. */
export function parseRateLimits(spec: string): ParsedLimits {
  const limits: RateLimits = {};
  for (const entry of spec
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [head = '', ...options] = entry.split(',').map((s) => s.trim());
    const [name = '', rate] = head.split('=', 2);
    const fail = (why: string): ParsedLimits => ({ ok: false, error: `"${entry}": ${why}` });
    if (!NAME.test(name)) return fail(`"${name}" is not an upstream name`);
    if (limits[name]) return fail(`${name} is given twice`);
    const perSecond = rate === undefined ? undefined : parseRate(rate);
    if (perSecond === undefined) return fail('expected <upstream>=<number>/s or /m, e.g. social=90/s');
    const limit: UpstreamLimit = { perSecond };
    for (const option of options) {
      const [key = '', value = ''] = option.split('=', 2);
      if (key === 'inflight') {
        if (!/^[1-9]\d{0,5}$/.test(value)) return fail('inflight must be a whole number from 1');
        limit.inFlight = Number(value);
      } else if (key === 'perkey') {
        const perKey = parseRate(value);
        if (perKey === undefined) return fail('perkey must be a rate like 1/s or 30/m');
        limit.perKeyPerSecond = perKey;
      } else {
        return fail(`unknown option "${key}" (inflight, perkey)`);
      }
    }
    limits[name] = limit;
  }
  return { ok: true, value: limits };
}

/** `90/s` -> 90, `30/m` -> 0.5; undefined for anything else, zero or over a million a second. */
function parseRate(text: string): number | undefined {
  const match = RATE.exec(text.trim());
  if (!match) return undefined;
  const perSecond = Number(match[1]) / (match[2] === 'm' ? 60 : 1);
  return perSecond > 0 && perSecond <= 1_000_000 ? perSecond : undefined;
}

import type { Client } from '@temporalio/client';
import { setTimeout as sleep } from 'node:timers/promises';

/** History shards a node owns right now (its `numshards_gauge`); undefined when its metrics do not answer. */
export async function ownedShards(metricsUrl: string): Promise<number | undefined> {
  const text = await metricsText(metricsUrl);
  if (text === undefined) return undefined;
  const line = /^numshards_gauge\{[^}]*service_name="history"[^}]*\} (\S+)$/m.exec(text);
  return line ? Number(line[1]) : 0;
}

/** The sum of one counter's samples on a node (all label sets), or undefined when unreachable. */
export async function counterTotal(metricsUrl: string, name: string, labelFilter = ''): Promise<number | undefined> {
  const text = await metricsText(metricsUrl);
  if (text === undefined) return undefined;
  let total = 0;
  for (const m of text.matchAll(new RegExp(`^${name}\\{([^}]*)\\} (\\S+)$`, 'gm'))) {
    if (m[1]!.includes(labelFilter)) total += Number(m[2]);
  }
  return total;
}

async function metricsText(url: string): Promise<string | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    return res.ok ? await res.text() : undefined;
  } catch {
    return undefined;
  }
}

export interface Stall {
  /** Epoch ms of the last increase before the stall, and of the increase that ended it. */
  from: number;
  to: number;
  ms: number;
}

export interface StallReport {
  /** The longest time the counter did not move, between its first and last increase. */
  longestStallMs: number;
  /** When that stall began (epoch ms). */
  longestStallFrom: number;
  /** Every stretch of 500 ms or more without an increase, in order. */
  stalls: Stall[];
  samples: number;
  first?: number;
  last?: number;
}

/** The longest stall that began at or after `from` and before `to`. */
export function longestStallIn(report: StallReport, from: number, to = Infinity): Stall | undefined {
  return report.stalls.filter((s) => s.from >= from && s.from < to).sort((a, b) => b.ms - a.ms)[0];
}

/**
 * Samples a monotonic counter (e.g. requests the workers made upstream) every `everyMs` and reports
 * the longest stretch in which it did not increase: how long the workers stopped making progress.
 */
export function stallMeter(read: () => Promise<number | undefined>, everyMs = 100) {
  let value: number | undefined;
  let lastIncrease: number | undefined;
  let firstIncrease: number | undefined;
  const report: StallReport = { longestStallMs: 0, longestStallFrom: 0, stalls: [], samples: 0 };
  let running = true;
  const loop = (async () => {
    while (running) {
      const now = Date.now();
      const v = await read().catch(() => undefined);
      if (v !== undefined) {
        report.samples++;
        if (value !== undefined && v > value) {
          if (lastIncrease !== undefined && now - lastIncrease >= 500)
            report.stalls.push({ from: lastIncrease, to: now, ms: now - lastIncrease });
          if (lastIncrease !== undefined && now - lastIncrease > report.longestStallMs) {
            report.longestStallMs = now - lastIncrease;
            report.longestStallFrom = lastIncrease;
          }
          firstIncrease ??= now;
          lastIncrease = now;
        }
        value = v;
      }
      await sleep(everyMs, undefined, { ref: false });
    }
  })();
  return {
    /** Idempotent: answers the same report every time. */
    async stop(): Promise<StallReport> {
      running = false;
      await loop;
      return { ...report, first: firstIncrease, last: lastIncrease };
    },
  };
}

export interface ScheduleAudit {
  /** Fire times from the first to the last expected in the window. */
  expected: number;
  fired: number;
  /** Expected fire times with no run. */
  missed: string[];
  /** Runs that started more than `lateAfterMs` after their scheduled time. */
  late: Array<{ scheduled: string; delayMs: number }>;
  maxDelayMs: number;
}

/**
 * Checks an interval schedule's runs against its fire times over [fromMs, toMs]: the run IDs carry the
 * scheduled time (`<scheduleId>-<ISO time>`), the visibility store has each run's actual start.
 */
export async function auditSchedule(
  client: Client,
  scheduleId: string,
  everyMs: number,
  fromMs: number,
  toMs: number,
  lateAfterMs = 2_000,
): Promise<ScheduleAudit> {
  const runs = new Map<number, number>();
  for await (const info of client.workflow.list({ query: `TemporalScheduledById = '${scheduleId}'` })) {
    const scheduled = Date.parse(info.workflowId.slice(scheduleId.length + 1));
    if (!Number.isNaN(scheduled)) runs.set(scheduled, info.startTime.getTime());
  }
  // Interval schedules fire on multiples of the interval since the epoch.
  const firstDue = Math.ceil(fromMs / everyMs) * everyMs;
  const missed: string[] = [];
  const late: ScheduleAudit['late'] = [];
  let expected = 0;
  let maxDelayMs = 0;
  for (let t = firstDue; t <= toMs; t += everyMs) {
    expected++;
    const started = runs.get(t);
    if (started === undefined) {
      missed.push(new Date(t).toISOString());
      continue;
    }
    const delay = started - t;
    maxDelayMs = Math.max(maxDelayMs, delay);
    if (delay > lateAfterMs) late.push({ scheduled: new Date(t).toISOString(), delayMs: delay });
  }
  return { expected, fired: expected - missed.length, missed, late, maxDelayMs };
}

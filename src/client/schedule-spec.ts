import type { CalendarSpecDescription, Range, ScheduleSpec, ScheduleSpecDescription } from '@temporalio/client';
import { formatDuration } from './duration';
import type { ParsedCron } from './cron';

/**
 * The server compiles a cron string into structured calendars and forgets the string. To keep it visible
 * (in `viralflow schedule describe`, `temporal schedule describe` and the Web UI) it travels as the
 * calendar's comment, `cron: <expression>[; <the user's own comment>]`, which the server keeps.
 */
const MARKER = /^cron: ([^;]*)(?:; (.*))?$/s;

/**
 * The schedule spec for a validated cron. The zone goes in the spec, not in a TZ= prefix; intervals do
 * not depend on it but keep it, so a later switch back to a calendar cron is read in the same zone.
 */
export function specFromCron(cron: ParsedCron, options: { jitterMs?: number; timezone?: string } = {}): ScheduleSpec {
  const timezone = (cron.kind === 'calendar' && cron.timezone) || options.timezone;
  const common = { ...(timezone && { timezone }), ...(options.jitterMs !== undefined && { jitter: options.jitterMs }) };
  if (cron.kind === 'interval') return { intervals: [{ every: cron.everyMs, offset: cron.phaseMs }], ...common };
  const note = `cron: ${cron.body}${cron.comment ? `; ${cron.comment}` : ''}`;
  return { cronExpressions: [`${cron.body} # ${note}`], ...common };
}

/** The cron expressions a described schedule runs on: as originally given where the comment kept it, else rebuilt. */
export function cronsFromSpec(spec: ScheduleSpecDescription | undefined): string[] {
  if (!spec) return [];
  const calendars = (spec.calendars ?? []).map(
    (cal) => MARKER.exec(cal.comment ?? '')?.[1]?.trim() || calendarAsCron(cal),
  );
  const intervals = (spec.intervals ?? []).map(
    (iv) => `@every ${formatDuration(iv.every)}${iv.offset ? `/${formatDuration(iv.offset)}` : ''}`,
  );
  return [...calendars, ...intervals];
}

const MONTHS = [
  'JANUARY',
  'FEBRUARY',
  'MARCH',
  'APRIL',
  'MAY',
  'JUNE',
  'JULY',
  'AUGUST',
  'SEPTEMBER',
  'OCTOBER',
  'NOVEMBER',
  'DECEMBER',
];
const DAYS = ['SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY'];

/** A 7-field Temporal cron (second … year) equivalent to a structured calendar. */
function calendarAsCron(cal: CalendarSpecDescription): string {
  const field = <T>(ranges: Range<T>[], min: number, max: number, toNumber: (v: T) => number) => {
    if (!ranges.length) return '*';
    return ranges
      .map((r) => {
        const start = toNumber(r.start);
        const end = toNumber(r.end ?? r.start);
        const step = r.step && r.step > 1 ? `/${r.step}` : '';
        if (start === min && end === max) return `*${step}`;
        return start === end ? `${start}` : `${start}-${end}${step}`;
      })
      .join(',');
  };
  const n = (v: number) => v;
  return [
    field(cal.second, 0, 59, n),
    field(cal.minute, 0, 59, n),
    field(cal.hour, 0, 23, n),
    field(cal.dayOfMonth, 1, 31, n),
    field(cal.month, 1, 12, (m) => MONTHS.indexOf(m) + 1),
    field(cal.dayOfWeek, 0, 6, (d) => DAYS.indexOf(d)),
    field(cal.year, 2000, 2100, n),
  ].join(' ');
}

import { CronExpressionParser } from 'cron-parser';
import { formatDuration, parseDuration } from './duration';
import { InvalidCronError, InvalidDurationError } from './errors';

/**
 * Cron strings as Temporal schedules read them, checked before anything is sent to the server, with
 * the bad field and value named. The grammar is the server's own (service/worker/scheduler/calendar.go),
 * which differs from classic cron in ways that matter:
 *
 * - 5 fields: minute hour day-of-month month day-of-week
 * - 6 fields: minute hour day-of-month month day-of-week **year** (not seconds first, as in Quartz)
 * - 7 fields: second minute hour day-of-month month day-of-week year
 * - `@yearly` `@annually` `@monthly` `@weekly` `@daily` `@midnight` `@hourly`, and `@every 90m[/15m]`
 * - an optional `TZ=<zone>` or `CRON_TZ=<zone>` prefix and a trailing `# comment`
 * - per field: `*`, `n`, `a-b`, `a-b/s`, `a/s`, `* /s` (no space), comma lists; month names (3+ letters),
 *   day names (2+ letters); day-of-week 0-7 (0 and 7 are Sunday); years 2000-2100
 * - no `?`, `L`, `W` or `#`; day-of-month and day-of-week must BOTH match (no classic-cron "or")
 *
 * cron-parser then computes fire times from the validated fields, which also rejects schedules that can
 * never fire (30 February, only past years) that the server would accept and silently never run.
 */

export const CRON_FIELDS = ['second', 'minute', 'hour', 'dayOfMonth', 'month', 'dayOfWeek', 'year'] as const;
export type CronField = (typeof CRON_FIELDS)[number];

interface FieldRule {
  label: string;
  min: number;
  max: number;
  names?: { list: readonly string[]; minLength: number; first: number };
}

const MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];
const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

const RULES: Record<CronField, FieldRule> = {
  second: { label: 'second', min: 0, max: 59 },
  minute: { label: 'minute', min: 0, max: 59 },
  hour: { label: 'hour', min: 0, max: 23 },
  dayOfMonth: { label: 'day-of-month', min: 1, max: 31 },
  month: { label: 'month', min: 1, max: 12, names: { list: MONTHS, minLength: 3, first: 1 } },
  dayOfWeek: { label: 'day-of-week', min: 0, max: 7, names: { list: DAYS, minLength: 2, first: 0 } },
  // The server's calendar only knows these years.
  year: { label: 'year', min: 2000, max: 2100 },
};

const PREDEFINED: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const FIELD_ORDER: Record<number, readonly CronField[]> = {
  5: ['minute', 'hour', 'dayOfMonth', 'month', 'dayOfWeek'],
  6: ['minute', 'hour', 'dayOfMonth', 'month', 'dayOfWeek', 'year'],
  7: ['second', 'minute', 'hour', 'dayOfMonth', 'month', 'dayOfWeek', 'year'],
};

/** A calendar cron: each field's matching values (sorted; day-of-week 7 folded into 0). */
export interface CalendarCron {
  kind: 'calendar';
  expression: string;
  /** The schedule part as written, without a TZ= prefix or # comment (`@daily`, `0 12 * * MON-FRI`). */
  body: string;
  /** The field texts as written (defaults filled in: second 0, year *). */
  fields: Record<CronField, string>;
  values: Record<CronField, number[]>;
  timezone?: string;
  comment?: string;
}

/** `@every <interval>[/<phase>]`: fires at every multiple of the interval since the Unix epoch, shifted by the phase. */
export interface IntervalCron {
  kind: 'interval';
  expression: string;
  everyMs: number;
  phaseMs: number;
  comment?: string;
}

export type ParsedCron = CalendarCron | IntervalCron;

export interface ParseCronOptions {
  /** "Now", for the can-it-ever-fire check (tests pin it). */
  now?: Date;
  /** Time zone the schedule is evaluated in (a `TZ=` prefix wins); checked to exist. */
  timezone?: string;
}

/** Parses and validates a Temporal cron string; throws InvalidCronError naming the field and value at fault. */
export function parseCron(expression: string, options: ParseCronOptions = {}): ParsedCron {
  const fail = (problem: string, field?: string, value?: string): never => {
    throw new InvalidCronError(expression, problem, field, value);
  };
  let rest = expression.trim();
  if (!rest) fail('it is empty; e.g. "0 * * * *" (hourly) or "@every 15m"');

  let timezone: string | undefined;
  const tzPrefix = /^(?:CRON_)?TZ=(\S*)(?:\s+|$)/.exec(rest);
  if (tzPrefix) {
    timezone = tzPrefix[1] ?? '';
    rest = rest.slice(tzPrefix[0].length);
    if (!rest) fail(`the time zone prefix "${tzPrefix[0].trim()}" has no fields after it`, 'timezone', timezone);
    if (options.timezone && options.timezone !== timezone) {
      fail(
        `the TZ= prefix (${timezone}) conflicts with the schedule's time zone ${options.timezone}`,
        'timezone',
        timezone,
      );
    }
  }
  timezone ??= options.timezone;
  if (timezone !== undefined && !isTimeZone(timezone)) fail(`unknown time zone "${timezone}"`, 'timezone', timezone);

  const hash = rest.indexOf('#');
  // The server reads everything after # as a comment, so "1#2" (Quartz's "second Monday") would silently
  // become "1"; only a # after whitespace is taken as a comment.
  if (hash > 0 && !/\s/.test(rest[hash - 1]!)) {
    const word = rest.slice(0, hash).split(/\s+/).pop() + rest.slice(hash).split(/\s+/)[0]!;
    fail(
      `"${word}": Temporal has no nth-weekday (#) syntax, and reads everything after # as a comment`,
      'dayOfWeek',
      word,
    );
  }
  const comment = hash >= 0 ? rest.slice(hash + 1).trim() || undefined : undefined;
  if (hash >= 0) rest = rest.slice(0, hash).trim();

  if (rest.startsWith('@every')) return parseEvery(expression, rest, comment, fail);
  const body = rest;
  if (rest.startsWith('@')) {
    const word = rest.split(/\s+/)[0] ?? rest;
    if (!PREDEFINED[word]) {
      fail(
        `"${word}" is not a shorthand Temporal accepts; use one of ${Object.keys(PREDEFINED).join(', ')} or @every <interval>`,
        'shorthand',
        word,
      );
    }
    if (word !== rest) fail(`nothing may follow ${word} (except a # comment)`, 'shorthand', rest);
    rest = PREDEFINED[word]!;
  }

  const texts = rest.split(/\s+/);
  const order = FIELD_ORDER[texts.length];
  if (!order) {
    fail(
      `it has ${texts.length} field${texts.length === 1 ? '' : 's'}; Temporal takes 5 (minute hour day-of-month month day-of-week), ` +
        '6 (the same plus year) or 7 (second first, then the 6), or a shorthand like @hourly or @every 15m',
    );
  }
  const fields: Record<CronField, string> = {
    second: '0',
    minute: '',
    hour: '',
    dayOfMonth: '',
    month: '',
    dayOfWeek: '',
    year: '*',
  };
  order!.forEach((name, i) => (fields[name] = texts[i]!));
  const values = {} as Record<CronField, number[]>;
  for (const name of CRON_FIELDS) values[name] = parseField(name, fields[name], fail);

  const cron: CalendarCron = {
    kind: 'calendar',
    expression,
    body,
    fields,
    values,
    ...(timezone && { timezone }),
    ...(comment && { comment }),
  };
  if (!nextFireTimes(cron, { count: 1, from: options.now ?? new Date() }).length) {
    const latest = Math.max(...values.year);
    fail(
      latest < (options.now ?? new Date()).getUTCFullYear()
        ? `it never fires again: year ${fields.year} is in the past`
        : 'it never fires: no date matches day-of-month, month, day-of-week and year together',
    );
  }
  return cron;
}

function parseEvery(
  expression: string,
  text: string,
  comment: string | undefined,
  fail: (p: string, f?: string, v?: string) => never,
): IntervalCron {
  const spec = /^@every\s+(\S+)$/.exec(text)?.[1];
  if (!spec) fail('@every needs one interval, e.g. "@every 15m" or "@every 1h/10m" (interval/phase)', 'interval', text);
  const [everyText = '', phaseText, extra] = spec!.split('/');
  if (extra !== undefined) fail(`"${spec}" has more than one "/"`, 'interval', spec);
  const duration = (value: string, field: string) => {
    try {
      return parseDuration(value, field);
    } catch (err) {
      if (err instanceof InvalidDurationError)
        fail(`${field} "${value}" is not a duration like 30s, 15m, 2h or 1d`, field, value);
      throw err;
    }
  };
  const everyMs = duration(everyText, 'interval');
  const phaseMs = phaseText === undefined ? 0 : duration(phaseText, 'phase');
  if (everyMs < 1_000) fail(`interval "${everyText}" is shorter than Temporal's minimum of 1s`, 'interval', everyText);
  if (phaseMs >= everyMs)
    fail(`phase "${phaseText}" must be shorter than the interval "${everyText}"`, 'phase', phaseText);
  return { kind: 'interval', expression, everyMs, phaseMs, ...(comment && { comment }) };
}

function parseField(name: CronField, text: string, fail: (p: string, f?: string, v?: string) => never): number[] {
  const rule = RULES[name];
  const bad = (why: string): never => fail(`${rule.label} field "${text}": ${why}`, name, text);
  if (/[?LW#]/i.test(text) && !rule.names) {
    bad('Temporal does not accept ?, L, W or # in cron fields; use *, ranges (a-b), steps (*/n) and lists (a,b)');
  }
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const [range = '', step, extra] = part.split('/');
    if (extra !== undefined) bad(`"${part}" has more than one "/"`);
    let by = 1;
    if (step !== undefined) {
      if (!/^\d+$/.test(step) || Number(step) < 1) bad(`step "${step}" must be a whole number of at least 1`);
      by = Number(step);
    }
    let start = rule.min;
    let end = rule.max;
    if (range !== '*') {
      const bounds = range.split('-');
      if (bounds.length > 2) bad(`"${range}" is not a value or a range a-b`);
      start = value(bounds[0] ?? '', rule, rule.min, bad);
      end = bounds.length === 2 ? value(bounds[1] ?? '', rule, start, bad) : step === undefined ? start : rule.max;
    }
    for (let v = start; v <= end; v += by) out.add(name === 'dayOfWeek' && v === 7 ? 0 : v);
  }
  return [...out].sort((a, b) => a - b);
}

function value(text: string, rule: FieldRule, min: number, bad: (why: string) => never): number {
  const { names } = rule;
  let n: number | undefined;
  if (names && text.length >= names.minLength && /^[a-z]+$/i.test(text)) {
    const index = names.list.findIndex((name) => name.startsWith(text.toLowerCase()));
    if (index >= 0) n = index + names.first;
  }
  if (n === undefined) {
    if (!/^\d+$/.test(text)) {
      const kind = rule.label === 'month' ? 'month' : 'day';
      const examples = names
        ? ` or a ${kind} name (${names.list
            .slice(0, 3)
            .map((name) => name.slice(0, 3))
            .join(', ')}, …)`
        : '';
      bad(text === '' ? 'a value is missing' : `"${text}" is not a number${examples}`);
    }
    n = Number(text);
  }
  if (n < rule.min || n > rule.max) bad(`${text} is out of range ${rule.min}-${rule.max}`);
  if (n < min) bad(`range end ${text} is before its start`);
  return n;
}

/** An IANA zone name this runtime knows (the server loads the same tz database). */
export function isTimeZone(name: string): boolean {
  if (!name) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

const LAST_INSTANT = new Date(Date.UTC(2101, 0, 1) - 1);

export interface NextFireTimesOptions {
  count: number;
  /** Times strictly after this (default now). */
  from?: Date;
  /** Zone for calendar crons without a TZ= prefix (default UTC, as on the server). */
  timezone?: string;
}

/**
 * The next fire times, as the server computes them (before jitter). For calendars, cron-parser walks the
 * matching days (day-of-month x month), days failing day-of-week or year are dropped, since Temporal
 * requires all fields to match, and then it walks the times within each kept day.
 */
export function nextFireTimes(cron: ParsedCron, options: NextFireTimesOptions): Date[] {
  const from = options.from ?? new Date();
  if (cron.kind === 'interval') {
    const first = Math.floor((from.getTime() - cron.phaseMs) / cron.everyMs + 1) * cron.everyMs + cron.phaseMs;
    return Array.from({ length: options.count }, (_, i) => new Date(first + i * cron.everyMs));
  }
  const tz = cron.timezone ?? options.timezone ?? 'UTC';
  const { values } = cron;
  const list = (name: CronField) => values[name].join(',');
  let days;
  try {
    // Starting a day early keeps today in the walk; its earlier times are filtered out below.
    const firstYear = Date.UTC(values.year.find((y) => y >= from.getUTCFullYear()) ?? 2101, 0, 1);
    const start = new Date(Math.max(from.getTime(), firstYear) - 86_400_000);
    days = CronExpressionParser.parse(`0 0 0 ${list('dayOfMonth')} ${list('month')} *`, {
      currentDate: start,
      endDate: LAST_INSTANT,
      tz,
    });
  } catch (err) {
    // cron-parser refuses day-of-month values that no listed month has (30 February).
    throw new InvalidCronError(
      cron.expression,
      `day-of-month field "${cron.fields.dayOfMonth}" never occurs in month field "${cron.fields.month}" (${(err as Error).message})`,
      'dayOfMonth',
      cron.fields.dayOfMonth,
    );
  }
  const years = new Set(values.year);
  const weekdays = new Set(values.dayOfWeek);
  const out: Date[] = [];
  while (out.length < options.count && days.hasNext()) {
    const day = days.next();
    if (!years.has(day.getFullYear()) || !weekdays.has(day.getDay())) continue;
    const dayStart = day.getTime();
    const times = CronExpressionParser.parse(`${list('second')} ${list('minute')} ${list('hour')} * * *`, {
      currentDate: new Date(Math.max(from.getTime(), dayStart - 1)),
      endDate: new Date(Math.min(dayStart + 26 * 3_600_000, LAST_INSTANT.getTime())),
      tz,
    });
    while (out.length < options.count && times.hasNext()) {
      const t = times.next();
      if (t.getDate() !== day.getDate()) break;
      out.push(t.toDate());
    }
  }
  return out;
}

/** A compact one-line description: the expression for calendars, `@every 1m30s` for intervals. */
export function describeCron(cron: ParsedCron): string {
  if (cron.kind === 'interval')
    return `@every ${formatDuration(cron.everyMs)}${cron.phaseMs ? `/${formatDuration(cron.phaseMs)}` : ''}`;
  return cron.expression.trim();
}

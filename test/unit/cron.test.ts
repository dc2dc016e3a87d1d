import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeCron, nextFireTimes, parseCron, type CalendarCron } from '../../src/client/cron';
import { InvalidCronError } from '../../src/client/errors';
import { cronsFromSpec, specFromCron } from '../../src/client/schedule-spec';

const now = new Date('2025-03-10T12:00:00Z'); // a Monday
const calendar = (expr: string, timezone?: string) => {
  const c = parseCron(expr, { now, timezone });
  assert.equal(c.kind, 'calendar');
  return c as CalendarCron;
};
const next = (expr: string, count = 3, timezone?: string) =>
  nextFireTimes(parseCron(expr, { now, timezone }), { count, from: now }).map((d) => d.toISOString());

/** Asserts the expression is rejected, naming `field` and `value`, with a message matching `problem`. */
function rejects(
  expr: string,
  field: string | undefined,
  value: string | undefined,
  problem: RegExp,
  timezone?: string,
) {
  assert.throws(
    () => parseCron(expr, { now, timezone }),
    (err: unknown) => {
      assert.ok(err instanceof InvalidCronError, `expected InvalidCronError for ${expr}, got ${String(err)}`);
      assert.equal(err.field, field, `field for ${expr}`);
      assert.equal(err.value, value, `value for ${expr}`);
      assert.match(err.message, problem);
      assert.ok(err.message.includes(expr), 'the message quotes the whole expression');
      return true;
    },
  );
}

describe('parseCron: the forms Temporal accepts', () => {
  test('5 fields: minute hour day-of-month month day-of-week; second defaults to 0 and year to any', () => {
    const c = calendar('*/15 9-17 * * MON-FRI');
    assert.deepEqual(c.values.minute, [0, 15, 30, 45]);
    assert.deepEqual(c.values.hour, [9, 10, 11, 12, 13, 14, 15, 16, 17]);
    assert.deepEqual(c.values.dayOfWeek, [1, 2, 3, 4, 5]);
    assert.deepEqual(c.values.second, [0]);
    assert.equal(c.values.year.length, 101, '2000-2100');
  });

  test('6 fields end with the YEAR (not seconds first, as Quartz and cron-parser read them)', () => {
    const c = calendar('*/15 * * * * *');
    assert.deepEqual(c.values.minute, [0, 15, 30, 45]);
    assert.deepEqual(c.values.second, [0]);
    assert.deepEqual(calendar('0 0 1 1 * 2030').values.year, [2030]);
  });

  test('7 fields put seconds first', () => {
    const c = calendar('30 */5 * * * * *');
    assert.deepEqual(c.values.second, [30]);
    assert.deepEqual(next('30 */5 * * * * *', 2), ['2025-03-10T12:00:30.000Z', '2025-03-10T12:05:30.000Z']);
  });

  test('shorthands', () => {
    assert.deepEqual(next('@hourly', 2), ['2025-03-10T13:00:00.000Z', '2025-03-10T14:00:00.000Z']);
    assert.deepEqual(next('@daily', 1), ['2025-03-11T00:00:00.000Z']);
    assert.deepEqual(next('@midnight', 1), ['2025-03-11T00:00:00.000Z']);
    assert.deepEqual(next('@weekly', 1), ['2025-03-16T00:00:00.000Z'], 'Sunday');
    assert.deepEqual(next('@monthly', 1), ['2025-04-01T00:00:00.000Z']);
    assert.deepEqual(next('@yearly', 1), ['2026-01-01T00:00:00.000Z']);
    assert.deepEqual(next('@annually', 1), ['2026-01-01T00:00:00.000Z']);
  });

  test('@every interval[/phase] fires on multiples since the epoch, shifted by the phase', () => {
    const every = parseCron('@every 90s');
    assert.deepEqual(every, { kind: 'interval', expression: '@every 90s', everyMs: 90_000, phaseMs: 0 });
    assert.deepEqual(next('@every 1h/15m', 2), ['2025-03-10T12:15:00.000Z', '2025-03-10T13:15:00.000Z']);
    assert.equal(describeCron(parseCron('@every 1h30m/5m')), '@every 1h30m/5m');
  });

  test('month names from 3 letters, day names from 2, any case; day-of-week 7 is Sunday', () => {
    assert.deepEqual(calendar('0 0 1 jan,MAR,september *').values.month, [1, 3, 9]);
    assert.deepEqual(calendar('0 0 * * mo,TUES,wednesday').values.dayOfWeek, [1, 2, 3]);
    assert.deepEqual(calendar('0 0 * * 7').values.dayOfWeek, [0]);
    assert.deepEqual(calendar('0 0 * * 5-7').values.dayOfWeek, [0, 5, 6]);
  });

  test('steps on ranges and on single values (a/s runs to the field maximum)', () => {
    assert.deepEqual(calendar('10-30/10 * * * *').values.minute, [10, 20, 30]);
    assert.deepEqual(calendar('50/5 * * * *').values.minute, [50, 55]);
    assert.deepEqual(calendar('1,5-6,58/1 * * * *').values.minute, [1, 5, 6, 58, 59]);
  });

  test('a TZ= or CRON_TZ= prefix sets the zone; a trailing # comment is kept apart', () => {
    const c = calendar('CRON_TZ=Europe/Berlin 0 9 * * * # morning report');
    assert.equal(c.timezone, 'Europe/Berlin');
    assert.equal(c.comment, 'morning report');
    assert.equal(c.body, '0 9 * * *');
    assert.deepEqual(next('TZ=Europe/Berlin 0 9 * * *', 1), ['2025-03-11T08:00:00.000Z'], '09:00 CET is 08:00 UTC');
  });
});

describe('parseCron: mistakes are named by field and value', () => {
  test('values out of range, per field', () => {
    rejects('61 * * * *', 'minute', '61', /minute field "61": 61 is out of range 0-59/);
    rejects('0 24 * * *', 'hour', '24', /hour field "24": 24 is out of range 0-23/);
    rejects('0 0 0 * *', 'dayOfMonth', '0', /day-of-month field "0": 0 is out of range 1-31/);
    rejects('0 0 * 13 *', 'month', '13', /month field "13": 13 is out of range 1-12/);
    rejects('0 0 * * 8', 'dayOfWeek', '8', /day-of-week field "8": 8 is out of range 0-7/);
    rejects('60 0 0 * * * *', 'second', '60', /second field "60"/);
    rejects('0 0 * * * 1999', 'year', '1999', /year field "1999": 1999 is out of range 2000-2100/);
  });

  test('names, ranges, steps and lists', () => {
    rejects('0 0 * * FOO', 'dayOfWeek', 'FOO', /"FOO" is not a number or a day name/);
    rejects('0 0 1 ja *', 'month', 'ja', /"ja" is not a number or a month name/);
    rejects('5-3 * * * *', 'minute', '5-3', /range end 3 is before its start/);
    rejects('5-99 * * * *', 'minute', '5-99', /99 is out of range 0-59/);
    rejects('*/0 * * * *', 'minute', '*/0', /step "0" must be a whole number of at least 1/);
    rejects('1,,2 * * * *', 'minute', '1,,2', /a value is missing/);
    rejects('1-2-3 * * * *', 'minute', '1-2-3', /not a value or a range/);
  });

  test('classic-cron extras Temporal does not have', () => {
    rejects('0 0 ? * *', 'dayOfMonth', '?', /does not accept \?, L, W or #/);
    rejects('0 0 L * *', 'dayOfMonth', 'L', /does not accept/);
    rejects('0 0 * * 1#2', 'dayOfWeek', '1#2', /no nth-weekday \(#\) syntax/);
    rejects('@minutely', 'shorthand', '@minutely', /not a shorthand Temporal accepts; use one of @yearly/);
    rejects('@reboot', 'shorthand', '@reboot', /not a shorthand/);
  });

  test('the number of fields', () => {
    rejects(
      '* * * *',
      undefined,
      undefined,
      /it has 4 fields; Temporal takes 5 \(minute hour day-of-month month day-of-week\)/,
    );
    rejects('* * * * * * * *', undefined, undefined, /it has 8 fields/);
    rejects('   ', undefined, undefined, /it is empty/);
  });

  test('@every needs a valid interval of at least 1s and a phase below it', () => {
    rejects('@every', 'interval', '@every', /@every needs one interval/);
    rejects('@every 0s', 'interval', '0s', /shorter than Temporal's minimum of 1s/);
    rejects('@every 5 minutes', 'interval', '@every 5 minutes', /@every needs one interval/);
    rejects('@every 5x', 'interval', '5x', /interval "5x" is not a duration/);
    rejects('@every 1h/1h', 'phase', '1h', /phase "1h" must be shorter than the interval/);
  });

  test('time zones must exist, and a TZ= prefix must agree with the given zone', () => {
    rejects('TZ=Mars/Olympus 0 9 * * *', 'timezone', 'Mars/Olympus', /unknown time zone "Mars\/Olympus"/);
    rejects('0 9 * * *', 'timezone', 'Nowhere/Land', /unknown time zone/, 'Nowhere/Land');
    rejects(
      'TZ=UTC 0 9 * * *',
      'timezone',
      'UTC',
      /conflicts with the schedule's time zone Europe\/Paris/,
      'Europe/Paris',
    );
    rejects('TZ=UTC', 'timezone', 'UTC', /has no fields after it/);
  });

  test('schedules that can never fire are refused, though the server would accept them', () => {
    rejects('0 0 30 2 *', 'dayOfMonth', '30', /day-of-month field "30" never occurs in month field "2"/);
    rejects('0 0 * * * 2020', undefined, undefined, /never fires again: year 2020 is in the past/);
    assert.deepEqual(next('0 0 29 2 *', 1), ['2028-02-29T00:00:00.000Z'], '29 February does occur');
  });
});

describe('nextFireTimes', () => {
  test('day-of-month and day-of-week must both match (Temporal has no classic-cron "or")', () => {
    assert.deepEqual(next('0 0 13 * FRI', 3), [
      '2025-06-13T00:00:00.000Z',
      '2026-02-13T00:00:00.000Z',
      '2026-03-13T00:00:00.000Z',
    ]);
  });

  test('times are read in the zone, across a daylight-saving change', () => {
    // Berlin moves from UTC+1 to UTC+2 on 2025-03-30.
    const from = new Date('2025-03-28T00:00:00Z');
    const times = nextFireTimes(parseCron('0 9 * * *', { now: from, timezone: 'Europe/Berlin' }), { count: 4, from });
    assert.deepEqual(
      times.map((d) => d.toISOString()),
      ['2025-03-28T08:00:00.000Z', '2025-03-29T08:00:00.000Z', '2025-03-30T07:00:00.000Z', '2025-03-31T07:00:00.000Z'],
    );
  });

  test('times are strictly after `from`, and years limit them', () => {
    assert.deepEqual(next('0 12 * * *', 1), ['2025-03-11T12:00:00.000Z'], 'not 12:00 today, which is `from` itself');
    assert.deepEqual(next('0 0 1 1 * 2027-2028', 5), ['2027-01-01T00:00:00.000Z', '2028-01-01T00:00:00.000Z']);
  });
});

describe('the cron string as a schedule spec', () => {
  test('a calendar keeps its expression in the comment the server stores, and gets it back', () => {
    const spec = specFromCron(parseCron('TZ=Europe/Berlin */5 9-17 * * mon-fri # office hours'), { jitterMs: 30_000 });
    assert.deepEqual(spec, {
      cronExpressions: ['*/5 9-17 * * mon-fri # cron: */5 9-17 * * mon-fri; office hours'],
      timezone: 'Europe/Berlin',
      jitter: 30_000,
    });
    const described = {
      calendars: [
        {
          second: [],
          minute: [],
          hour: [],
          dayOfMonth: [],
          month: [],
          year: [],
          dayOfWeek: [],
          comment: 'cron: */5 9-17 * * mon-fri; office hours',
        },
      ],
    };
    assert.deepEqual(cronsFromSpec(described), ['*/5 9-17 * * mon-fri']);
  });

  test('calendars made elsewhere are rebuilt as 7-field crons; intervals as @every', () => {
    const cal = {
      second: [{ start: 0, end: 0, step: 1 }],
      minute: [{ start: 0, end: 59, step: 5 }],
      hour: [{ start: 9, end: 17, step: 1 }],
      dayOfMonth: [{ start: 1, end: 31, step: 1 }],
      month: [{ start: 'JANUARY' as const, end: 'MARCH' as const, step: 1 }],
      year: [],
      dayOfWeek: [{ start: 'MONDAY' as const, end: 'FRIDAY' as const, step: 1 }],
      comment: '',
    };
    assert.deepEqual(cronsFromSpec({ calendars: [cal], intervals: [{ every: 5_400_000, offset: 600_000 }] }), [
      '0 */5 9-17 * 1-3 1-5 *',
      '@every 1h30m/10m',
    ]);
    assert.deepEqual(specFromCron(parseCron('@every 90s')), { intervals: [{ every: 90_000, offset: 0 }] });
    assert.deepEqual(specFromCron(parseCron('@every 90s'), { timezone: 'Asia/Tokyo' }), {
      intervals: [{ every: 90_000, offset: 0 }],
      timezone: 'Asia/Tokyo',
    });
  });
});

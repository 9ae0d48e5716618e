// cron → launchd StartCalendarInterval: a small evaluator of launchd's documented matching rules
// (launchd.plist(5): a missing key is a wildcard; Weekday 0 and 7 are Sunday; a dict with both Day
// and Weekday matches when either does) must fire at exactly cron-parser's times over every minute
// of a whole year. Run in UTC: launchd matches wall-clock fields, and what it does in the hours
// summer time skips or repeats is launchd's own business (nothing here can observe it); the
// translation of the fields is what is checked, minute by minute, 527 040 minutes of leap year 2028.
process.env.TZ = 'UTC';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CRON_TABLE } from './cron-table';

const { nextRuns } = await import('../../src/config/cron');
const { cronToCalendarIntervals, MAX_INTERVALS } = await import('../../src/schedule/cron-to-launchd');
type CalendarInterval = import('../../src/schedule/cron-to-launchd').CalendarInterval;
const { PraxisError } = await import('../../src/core/errors');

const test = suite('cron → launchd StartCalendarInterval');

const YEAR_START = Date.UTC(2028, 0, 1);
const YEAR_END = Date.UTC(2029, 0, 1);

/** When launchd would start the job, per its man page, for every minute of the year. */
function launchdFires(dicts: CalendarInterval[]): string[] {
  // Index by Minute (we always write it): each minute only looks at the dicts that can match it.
  const byMinute = new Map<number | undefined, CalendarInterval[]>();
  for (const d of dicts) byMinute.set(d.Minute, [...(byMinute.get(d.Minute) ?? []), d]);
  const wildMinute = byMinute.get(undefined) ?? [];
  const out: string[] = [];
  for (let t = YEAR_START; t < YEAR_END; t += 60_000) {
    const minute = (t / 60_000) % 60; // UTC, no leap seconds: no Date needed to skip most minutes
    const candidates = [...(byMinute.get(minute) ?? []), ...wildMinute];
    if (candidates.length === 0) continue;
    const date = new Date(t);
    const hour = date.getUTCHours();
    const day = date.getUTCDate();
    const month = date.getUTCMonth() + 1;
    const weekday = date.getUTCDay();
    const matches = (d: CalendarInterval) => {
      if (d.Hour !== undefined && d.Hour !== hour) return false;
      if (d.Month !== undefined && d.Month !== month) return false;
      const dayOk = d.Day === undefined || d.Day === day;
      const weekdayOk = d.Weekday === undefined || d.Weekday % 7 === weekday;
      // launchd.plist(5): "If both Day and Weekday are specified, then the job will be started if either one matches".
      if (d.Day !== undefined && d.Weekday !== undefined) return d.Day === day || d.Weekday % 7 === weekday;
      return dayOk && weekdayOk;
    };
    if (candidates.some(matches)) out.push(date.toISOString());
  }
  return out;
}

function cronFires(expr: string): string[] {
  const out: string[] = [];
  let from = new Date(YEAR_START - 1000);
  for (;;) {
    const batch = nextRuns(expr, 500, from);
    for (const d of batch) {
      if (d.getTime() >= YEAR_END) return out;
      out.push(d.toISOString());
    }
    from = batch[batch.length - 1]!;
  }
}

test('the evaluator itself: {Minute, Hour} fires daily, a dict without Minute every minute, Weekday 7 is Sunday', () => {
  assert.is(launchdFires([{ Minute: 15, Hour: 3 }]).length, 366);
  assert.is(launchdFires([{ Hour: 3 } as CalendarInterval]).length, 366 * 60);
  const sundays = launchdFires([{ Minute: 0, Hour: 22, Weekday: 7 }]);
  assert.is(sundays.length, 53); // 2028 starts on a Saturday and is a leap year: 53 Sundays
  assert.ok(sundays.every((s) => new Date(s).getUTCDay() === 0));
  // A dict with both Day and Weekday: either (man page).
  assert.is(launchdFires([{ Minute: 0, Hour: 3, Day: 1, Weekday: 1 }]).length, 12 + 52 - 1); // 52 Mondays; 1 May is one of them
});

for (const [expr, why] of CRON_TABLE) {
  test(`"${expr}" (${why}): launchd fires at cron-parser's times over all of 2028`, () => {
    const dicts = cronToCalendarIntervals(expr);
    const expected = cronFires(expr);
    const got = launchdFires(dicts);
    assert.ok(expected.length > 0, 'the year has runs');
    assert.is(got.length, expected.length);
    assert.equal(got, expected);
  });
}

test('shape: Minute always set, never Day and Weekday in one dict, `*` fields left out', () => {
  for (const [expr] of CRON_TABLE) {
    for (const d of cronToCalendarIntervals(expr)) {
      assert.type(d.Minute, 'number', expr);
      assert.not.ok(d.Day !== undefined && d.Weekday !== undefined, `${expr}: ${JSON.stringify(d)}`);
    }
  }
  assert.equal(cronToCalendarIntervals('15 3 * * 1-5'), [1, 2, 3, 4, 5].map((w) => ({ Minute: 15, Hour: 3, Weekday: w })));
  assert.equal(cronToCalendarIntervals('0 3 1,15 * *'), [
    { Minute: 0, Hour: 3, Day: 1 },
    { Minute: 0, Hour: 3, Day: 15 },
  ]);
  // Both restricted → one group with Day, one with Weekday.
  assert.equal(cronToCalendarIntervals('0 3 1 * 1'), [
    { Minute: 0, Hour: 3, Day: 1 },
    { Minute: 0, Hour: 3, Weekday: 1 },
  ]);
  // Sunday written as 7 becomes 0; 0 and 7 together are one Sunday.
  assert.equal(cronToCalendarIntervals('0 22 * * 7'), [{ Minute: 0, Hour: 22, Weekday: 0 }]);
  assert.equal(cronToCalendarIntervals('0 0 * * 5-7').map((d) => d.Weekday), [0, 5, 6]);
  // Minute `*` is written out (60 dicts), never left to the wildcard rule.
  assert.is(cronToCalendarIntervals('* 3 * * *').length, 60);
  // A whole-range Hour is left out; 31 April is never written.
  assert.equal(cronToCalendarIntervals('7 0-23 * * *'), [{ Minute: 7 }]);
  assert.equal(cronToCalendarIntervals('0 3 31 4,5 *'), [{ Minute: 0, Hour: 3, Day: 31, Month: 5 }]);
  assert.is(cronToCalendarIntervals('*/15 8-18 * * 1-5').length, 4 * 11 * 5);
});

test(`refuses past ${MAX_INTERVALS} dicts with exit 2 and a simpler suggestion; exactly ${MAX_INTERVALS} is fine`, () => {
  assert.is(cronToCalendarIntervals('*/3 0-9 * * 1-5').length, 1000); // 20 × 10 × 5
  for (const [expr, count] of [['*/3 0-10 * * 1-5', 1100], ['* 8-18 * * 1-5', 3300], ['* 8-18 1,15 * 1-5', 4620]] as const) {
    const err = thrown(() => cronToCalendarIntervals(expr));
    assert.instance(err, PraxisError, `${expr} was accepted`);
    assert.is(err!.exitCode, 2);
    assert.is(err!.message_.key, 'schedule.tooManyIntervals');
    assert.is(err!.message_.params!.count, count);
  }
  // Hours named in full are left out, so a minute list every hour stays small.
  assert.is(cronToCalendarIntervals('* * 1,15 * 1-5').length, 60 * 7);
});

test('an invalid expression is refused with exit 2 naming the field', () => {
  const err = thrown(() => cronToCalendarIntervals('61 3 * * *'));
  assert.instance(err, PraxisError);
  assert.is(err!.exitCode, 2);
  assert.is(err!.message_.key, 'schedule.invalidCron');
  assert.equal(err!.message_.params!.field, { key: 'config.cronField.minute' });
});

function thrown(fn: () => unknown): InstanceType<typeof PraxisError> | undefined {
  try {
    fn();
  } catch (e) {
    return e as InstanceType<typeof PraxisError>;
  }
  return undefined;
}

test.run();

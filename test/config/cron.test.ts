// cronProblem() and nextRuns() (src/config/cron.ts). Expected dates are worked out by hand for the
// practice's time zone, Europe/Berlin, including the weeks in which summer time starts and ends
// (2026: Sun 29 March 02:00 CET → 03:00 CEST; Sun 25 October 03:00 CEST → 02:00 CET).
process.env.TZ = 'Europe/Berlin';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

// Imported after TZ is set, so that nothing in the module graph sees another zone first.
const { cronProblem, nextRuns } = await import('../../src/config/cron');

const test = suite('cron');

const HOUR = 3_600_000;
/** A wall-clock time in Berlin (month 1-12). */
const local = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0) => new Date(y, mo - 1, d, h, mi, s);
const utc = (y: number, mo: number, d: number, h = 0, mi = 0) => new Date(Date.UTC(y, mo - 1, d, h, mi));
const iso = (ds: Date[]) => ds.map((d) => d.toISOString());

test('the time zone really is Europe/Berlin (CET in winter, CEST in summer)', () => {
  assert.is(local(2026, 1, 15).getTimezoneOffset(), -60);
  assert.is(local(2026, 7, 15).getTimezoneOffset(), -120);
});

// ---- cronProblem: valid ----------------------------------------------------------------------

for (const expr of ['15 3 * * 1-5', '*/10 * * * *', '0 2 1,15 * *', '0 22 * * 0', '0 22 * * 7', '1,2-3/2 * * * *', '0 0 * * 1-7']) {
  test(`valid: "${expr}" → null`, () => {
    assert.is(cronProblem(expr), null);
  });
}

// ---- cronProblem: invalid, naming field and value ----------------------------------------------

const INVALID: [expr: string, field: string, value: string, reason?: string][] = [
  ['61 3 * * *', 'minute', '61', '0-59'],
  ['0 24 * * *', 'hour', '24', '0-23'],
  ['0 3 32 * *', 'dayOfMonth', '32', '1-31'],
  ['0 3 0 * *', 'dayOfMonth', '0', '1-31'],
  ['0 3 * 13 *', 'month', '13', '1-12'],
  ['0 3 * * 8', 'dayOfWeek', '8', '0-7'],
  ['*/0 3 * * *', 'minute', '*/0'],
  ['0 0 */0 * *', 'dayOfMonth', '*/0'],
  ['5-1 3 * * *', 'minute', '5-1', '5-1'],
  ['0 5-1 * * *', 'hour', '5-1', '5-1'],
  ['x 3 * * *', 'minute', 'x', 'only *, numbers'],
  ['0 3 * x *', 'month', 'x', 'only *, numbers'],
  ['15 3 * * MON-FRI', 'dayOfWeek', 'MON-FRI', 'only *, numbers'],
  ['15 3 * *', 'expression', '15 3 * *', 'got 4'],
  ['0 15 3 * * 1-5', 'expression', '0 15 3 * * 1-5', 'got 6'],
  ['', 'expression', '', 'got 0'],
  // Each field fine on its own; 31 February never comes.
  ['* * 31 2 *', 'dayOfMonth', '31'],
];

for (const [expr, field, value, reason] of INVALID) {
  test(`invalid: "${expr}" → field ${field}, value "${value}"`, () => {
    const p = cronProblem(expr);
    assert.ok(p, `"${expr}" was accepted`);
    assert.is(p!.field, field);
    assert.is(p!.value, value);
    assert.type(p!.reason, 'string');
    assert.ok(p!.reason.length > 0);
    if (reason) assert.ok(p!.reason.includes(reason), `reason "${p!.reason}" lacks "${reason}"`);
  });
}

test('the first wrong field is named, not a later one', () => {
  assert.is(cronProblem('0 25 40 * *')!.field, 'hour');
  assert.is(cronProblem('0 3 40 13 *')!.field, 'dayOfMonth');
});

// ---- nextRuns ----------------------------------------------------------------------------------

test('"15 3 * * 1-5" over the week summer time starts: Fri 03:15 CET, then Mon–Thu 03:15 CEST', () => {
  const runs = nextRuns('15 3 * * 1-5', 5, local(2026, 3, 26, 12, 0)); // Thu 26 March, noon
  // Wall clock: always 03:15, weekdays only (Sat 28, Sun 29 skipped).
  assert.equal(
    runs.map((d) => [d.getDate(), d.getDay(), d.getHours(), d.getMinutes()]),
    [
      [27, 5, 3, 15],
      [30, 1, 3, 15],
      [31, 2, 3, 15],
      [1, 3, 3, 15],
      [2, 4, 3, 15],
    ],
  );
  // Instants: 03:15 CET = 02:15Z before the change, 03:15 CEST = 01:15Z after it.
  assert.equal(iso(runs), iso([utc(2026, 3, 27, 2, 15), utc(2026, 3, 30, 1, 15), utc(2026, 3, 31, 1, 15), utc(2026, 4, 1, 1, 15), utc(2026, 4, 2, 1, 15)]));
  // Fri → Mon is 71 hours, not 72: the weekend lost an hour.
  assert.is(runs[1]!.getTime() - runs[0]!.getTime(), 71 * HOUR);
});

test('"0 22 * * 0" and "0 22 * * 7" both mean Sunday 22:00', () => {
  const from = local(2026, 3, 26, 12, 0);
  const expected = iso([utc(2026, 3, 29, 20, 0), utc(2026, 4, 5, 20, 0)]); // 22:00 CEST
  assert.equal(iso(nextRuns('0 22 * * 0', 2, from)), expected);
  assert.equal(iso(nextRuns('0 22 * * 7', 2, from)), expected);
});

test('"*/10 * * * *": next full ten minutes, strictly after `from`', () => {
  assert.equal(iso(nextRuns('*/10 * * * *', 3, local(2026, 3, 26, 12, 5, 30))), iso([local(2026, 3, 26, 12, 10), local(2026, 3, 26, 12, 20), local(2026, 3, 26, 12, 30)]));
  // From exactly 12:10:00 the 12:10 run is not "next" any more.
  assert.equal(iso(nextRuns('*/10 * * * *', 1, local(2026, 3, 26, 12, 10, 0))), iso([local(2026, 3, 26, 12, 20)]));
  // Across midnight.
  assert.equal(iso(nextRuns('*/10 * * * *', 2, local(2026, 3, 26, 23, 55))), iso([local(2026, 3, 27, 0, 0), local(2026, 3, 27, 0, 10)]));
});

test('"0 2 1,15 * *": 1st and 15th at 02:00, across the change to summer time', () => {
  const runs = nextRuns('0 2 1,15 * *', 5, local(2026, 1, 20, 10, 0));
  assert.equal(
    iso(runs),
    iso([utc(2026, 2, 1, 1, 0), utc(2026, 2, 15, 1, 0), utc(2026, 3, 1, 1, 0), utc(2026, 3, 15, 1, 0), utc(2026, 4, 1, 0, 0)]),
  );
  for (const d of runs) assert.is(d.getHours(), 2);
});

test('a daily run in the hour that does not exist (29 March 02:30) still runs once that day', () => {
  const runs = nextRuns('30 2 * * *', 3, local(2026, 3, 28, 12, 0));
  // 02:00–03:00 is skipped on 29 March. The run is not dropped: it comes at the instant 02:30 CET
  // would have been (01:30Z = 03:30 CEST); from the next day on, 02:30 CEST again.
  assert.equal(iso(runs), iso([utc(2026, 3, 29, 1, 30), utc(2026, 3, 30, 0, 30), utc(2026, 3, 31, 0, 30)]));
  assert.is(runs.filter((d) => d.getDate() === 29).length, 1);
});

test('a daily run in the hour that happens twice (25 October 02:30) runs once, not twice', () => {
  const runs = nextRuns('30 2 * * *', 3, local(2026, 10, 24, 12, 0));
  // 02:30 CEST = 00:30Z; the repeated 02:30 CET (01:30Z) must not be a second backup.
  assert.equal(iso(runs), iso([utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30), utc(2026, 10, 27, 1, 30)]));
  assert.is(runs.filter((d) => d.getMonth() === 9 && d.getDate() === 25).length, 1);
});

test('hourly across the end of summer time: every real hour once, 60 minutes apart', () => {
  const runs = nextRuns('0 * * * *', 5, local(2026, 10, 25, 0, 30));
  // 01:00 CEST, 02:00 CEST, 02:00 CET, 03:00 CET, 04:00 CET
  assert.equal(iso(runs), iso([utc(2026, 10, 24, 23, 0), utc(2026, 10, 25, 0, 0), utc(2026, 10, 25, 1, 0), utc(2026, 10, 25, 2, 0), utc(2026, 10, 25, 3, 0)]));
  assert.equal(runs.map((d) => d.getHours()), [1, 2, 2, 3, 4]);
});

test('nextRuns defaults `from` to now and returns `count` increasing dates', () => {
  // nextRuns reads the clock between `before` and `after`: its first run is after the one and at
  // most ten minutes after the other (true at any time, also across a ten-minute boundary).
  const before = Date.now();
  const runs = nextRuns('*/10 * * * *', 4);
  const after = Date.now();
  assert.is(runs.length, 4);
  assert.ok(runs[0]!.getTime() > before && runs[0]!.getTime() <= after + 10 * 60_000);
  for (let i = 1; i < runs.length; i++) assert.is(runs[i]!.getTime() - runs[i - 1]!.getTime(), 10 * 60_000);
});

test.run();

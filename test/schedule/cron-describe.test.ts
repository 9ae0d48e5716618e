// The expression in words, German and English, for the shapes a practice uses; null (the caller
// shows the raw expression) for the rest.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { describeCron } from '../../src/schedule/cron-describe';

const test = suite('cron in words');

const CASES: [expr: string, de: string | null, en: string | null][] = [
  ['15 3 * * 1-5', 'Mo–Fr um 03:15', 'Mon–Fri at 03:15'],
  ['0 22 * * 0', 'So um 22:00', 'Sun at 22:00'],
  ['0 22 * * 7', 'So um 22:00', 'Sun at 22:00'],
  ['0 0 * * 5-7', 'Fr–So um 00:00', 'Fri–Sun at 00:00'],
  ['0 1 * * 0,6', 'Sa, So um 01:00', 'Sat, Sun at 01:00'],
  ['0 3 * * 1,3,5', 'Mo, Mi, Fr um 03:00', 'Mon, Wed, Fri at 03:00'],
  ['30 2 * * *', 'täglich um 02:30', 'daily at 02:30'],
  ['0 12,18 * * *', 'täglich um 12:00 und 18:00', 'daily at 12:00 and 18:00'],
  ['0 3 1,15 * *', 'am 1. und 15. um 03:00', 'on day 1 and 15 at 03:00'],
  ['0 3 1 * 1', 'am 1. und jeden Mo um 03:00', 'on day 1 and every Mon at 03:00'],
  ['30 2 * 6-8 0', 'So um 02:30 (nur Jun–Aug)', 'Sun at 02:30 (only Jun–Aug)'],
  ['*/15 8-18 * * 1-5', 'Mo–Fr alle 15 Minuten von 08:00 bis 18:45', 'Mon–Fri every 15 minutes from 08:00 to 18:45'],
  ['*/10 * * * *', 'täglich alle 10 Minuten', 'daily every 10 minutes'],
  ['7 * * * 1-5', 'Mo–Fr stündlich um :07', 'Mon–Fri every hour at :07'],
  ['0 3 1-31 * 0', 'täglich um 03:00', 'daily at 03:00'],
  ['5,35 */6 * * *', null, null], // 8 times a day: no short wording, the expression is shown
  ['10-20/5 1,13 * * 6', 'Sa um 01:10, 01:15, 01:20, 13:10, 13:15 und 13:20', 'Sat at 01:10, 01:15, 01:20, 13:10, 13:15 and 13:20'],
  ['*/7 8-18 * * *', null, null], // 7 does not divide the hour
];

for (const [expr, de, en] of CASES) {
  test(`"${expr}"`, () => {
    assert.is(describeCron(expr, 'de'), de);
    assert.is(describeCron(expr, 'en'), en);
  });
}

test.run();

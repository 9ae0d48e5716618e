// cron → OnCalendar=: the generated strings, fed to the real `systemd-analyze calendar`, must give
// the same next 20 times as cron-parser (what `status` and `schedule next` show). In the practice's
// zone, Europe/Berlin, from several base times; two OnCalendar= lines (cron's day OR) are merged.
// Also pinned: where systemd and cron-parser really differ (the hours summer time skips or repeats).
process.env.TZ = 'Europe/Berlin';

import { execFileSync } from 'node:child_process';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CRON_TABLE } from './cron-table';

const { nextRuns } = await import('../../src/config/cron');
const { cronToOnCalendar, systemdValues, systemdWeekdays } = await import('../../src/schedule/cron-to-systemd');

const test = suite('cron → systemd OnCalendar');
const ITERATIONS = 20;

interface Elapse {
  instant: string;
  /** systemd's local wall clock and zone: "2026-11-25 03:15:00 CET". */
  local: string;
}

/** Runs the real systemd-analyze and reads "Next elapse" / "Iter. #N" with their "(in UTC)" lines. */
function systemdElapses(spec: string, base: Date, iterations = ITERATIONS): Elapse[] {
  const out = execFileSync('systemd-analyze', ['calendar', `--iterations=${iterations}`, `--base-time=@${Math.floor(base.getTime() / 1000)}`, spec], {
    env: { ...process.env, TZ: 'Europe/Berlin', LANG: 'C' },
    encoding: 'utf8',
  });
  const lines = out.split('\n');
  const result: Elapse[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s*(?:Next elapse|Iter\. #\d+): \w{3} (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) (\S+)$/.exec(lines[i]!);
    if (!m) continue;
    const utc = /^\s*\(in UTC\): \w{3} (\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d) UTC$/.exec(lines[i + 1] ?? '');
    if (!utc) throw new Error(`no "(in UTC)" line after: ${lines[i]}`);
    result.push({ instant: new Date(`${utc[1]}T${utc[2]}Z`).toISOString(), local: `${m[1]} ${m[2]}` });
  }
  return result;
}

/** The next times of all OnCalendar= lines together, as a timer elapses: earliest first, once each. */
function mergedElapses(specs: string[], base: Date): Elapse[] {
  const all = new Map<string, Elapse>();
  for (const s of specs) for (const e of systemdElapses(s, base)) all.set(e.instant, e);
  return [...all.values()].sort((a, b) => a.instant.localeCompare(b.instant)).slice(0, ITERATIONS);
}

const zoneName = (d: Date) => (d.getTimezoneOffset() === -120 ? 'CEST' : 'CET');
const localText = (d: Date) => {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())} ${zoneName(d)}`;
};

// Base times away from the two hours summer time moves (see the last tests), 30 s past a minute so
// that no base time is itself a run time.
const BASES = [new Date(2026, 0, 10, 12, 0, 30), new Date(2026, 5, 15, 7, 59, 30), new Date(2026, 10, 24, 23, 30, 30)];

test('systemd-analyze is the real one and speaks Europe/Berlin', () => {
  const [e] = systemdElapses('*-*-* 03:15:00', new Date(2026, 6, 1, 12, 0, 0), 1);
  assert.is(e!.local, '2026-07-02 03:15:00 CEST');
  assert.is(e!.instant, '2026-07-02T01:15:00.000Z');
});

test('the table has at least 15 expressions, Sunday as 0 and as 7, both day fields restricted', () => {
  const exprs = CRON_TABLE.map(([e]) => e);
  assert.ok(exprs.length >= 15);
  assert.ok(exprs.includes('30 2 * 6-8 0') && exprs.includes('30 2 * 6-8 7'));
  assert.ok(exprs.includes('*/15 8-18 * * 1-5') && exprs.includes('0 3 1,15 * *'));
  assert.ok(cronToOnCalendar('0 3 1 * 1').length === 2);
});

for (const [expr, why] of CRON_TABLE) {
  test(`"${expr}" (${why}): systemd's next ${ITERATIONS} = cron-parser's`, () => {
    const specs = cronToOnCalendar(expr);
    for (const base of BASES) {
      const expected = nextRuns(expr, ITERATIONS, base);
      const got = mergedElapses(specs, base);
      assert.is(got.length, ITERATIONS, `${specs.join(' | ')} from ${base.toISOString()}`);
      assert.equal(
        got.map((e) => e.instant),
        expected.map((d) => d.toISOString()),
        `${specs.join(' | ')} from ${base.toISOString()}`,
      );
      // The same wall clock in the same zone, not only the same instant.
      assert.equal(got.map((e) => e.local), expected.map(localText));
    }
  });
}

test('exact strings for the common shapes', () => {
  assert.equal(cronToOnCalendar('15 3 * * 1-5'), ['Mon..Fri *-*-* 03:15:00']);
  assert.equal(cronToOnCalendar('*/15 8-18 * * 1-5'), ['Mon..Fri *-*-* 08..18:00/15:00']);
  assert.equal(cronToOnCalendar('0 3 1,15 * *'), ['*-*-01,15 03:00:00']);
  assert.equal(cronToOnCalendar('30 2 * 6-8 0'), ['Sun *-06..08-* 02:30:00']);
  assert.equal(cronToOnCalendar('30 2 * 6-8 7'), ['Sun *-06..08-* 02:30:00']);
  assert.equal(cronToOnCalendar('0 3 1 * 1'), ['*-*-01 03:00:00', 'Mon *-*-* 03:00:00']);
  assert.equal(cronToOnCalendar('0 3 1-31 * 0'), ['*-*-* 03:00:00']);
  assert.equal(cronToOnCalendar('10-20/5 1,13 * * 6'), ['Sat *-*-* 01,13:10..20/5:00']);
});

test('value lists: full range is *, progressions are steps, stretches are ranges', () => {
  assert.is(systemdValues([0, 15, 30, 45], 0, 59), '00/15');
  assert.is(systemdValues([5, 20, 35, 50], 0, 59), '05/15');
  assert.is(systemdValues([10, 15, 20], 0, 59), '10..20/5');
  assert.is(systemdValues([1, 2, 3, 7], 1, 31), '01..03,07');
  assert.is(systemdValues([1, 2], 1, 31), '01,02');
  assert.is(systemdValues([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23], 0, 23), '*');
  assert.is(systemdWeekdays([1, 2, 3, 4, 5]), 'Mon..Fri');
  assert.is(systemdWeekdays([0, 5, 6]), 'Fri..Sun');
  assert.is(systemdWeekdays([0, 6]), 'Sat,Sun');
  assert.is(systemdWeekdays([1, 3, 5]), 'Mon,Wed,Fri');
});

// Measured here (systemd 252), kept as tests so a change on either side is noticed. Both are
// outside the table's comparison on purpose: the translation is right, the engines disagree.
test('known difference: a daily 02:30 on the day summer time starts — systemd skips it, cron-parser runs at 03:30', () => {
  const base = new Date(2026, 2, 28, 12, 0, 30); // Sat 28 March 2026
  const sd = systemdElapses(cronToOnCalendar('30 2 * * *')[0]!, base, 2).map((e) => e.instant);
  const cp = nextRuns('30 2 * * *', 2, base).map((d) => d.toISOString());
  assert.equal(sd, ['2026-03-30T00:30:00.000Z', '2026-03-31T00:30:00.000Z']); // no run on the 29th
  assert.equal(cp, ['2026-03-29T01:30:00.000Z', '2026-03-30T00:30:00.000Z']);
});

test('known difference: hourly over the end of summer time — systemd runs the repeated 02:00 once, cron-parser twice', () => {
  const base = new Date(Date.UTC(2026, 9, 24, 22, 30, 30)); // 00:30:30 CEST, 25 October
  const sd = systemdElapses(cronToOnCalendar('0 * * * *')[0]!, base, 4).map((e) => e.local);
  const cp = nextRuns('0 * * * *', 4, base).map(localText);
  assert.equal(sd, ['2026-10-25 01:00:00 CEST', '2026-10-25 02:00:00 CEST', '2026-10-25 03:00:00 CET', '2026-10-25 04:00:00 CET']);
  assert.equal(cp, ['2026-10-25 01:00:00 CEST', '2026-10-25 02:00:00 CEST', '2026-10-25 02:00:00 CET', '2026-10-25 03:00:00 CET']);
});

test.run();

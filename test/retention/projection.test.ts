// projectRetention (src/retention/projection.ts): how many backups a policy keeps once every rule is
// full, how far back they reach and the disk they need. The expected figures are worked out here
// from the rules' definitions on the calendar (which dates a nightly or Mon–Fri schedule has, and
// which of them each rule picks: the newest day, the last run of each earlier week, month, quarter),
// not by running the policy. The clock is injected; the zone is the practice's, so the same
// figures must come out under any zone: a child process computes a table under several.
// The practice's zone for this process: the calendar figures below assume runs before 08:00 UTC
// fall on the local date of the same instant (true in Berlin; the zone comparison covers others).
process.env.TZ = 'Europe/Berlin';
import { execa } from 'execa';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { RetentionConfig } from '../../src/config/schema';
import { DEFAULT_RETENTION, type GenerationRule } from '../../src/retention/policy';
import { projectRetention } from '../../src/retention/projection';

const DAY = 86_400_000;
/** Days counted from 1970-01-01: calendar arithmetic only (Date.UTC applies no zone). */
const dayNo = (y: number, m: number, d: number) => Date.UTC(y, m - 1, d) / DAY;
const ymd = (n: number) => {
  const d = new Date(n * DAY);
  return { y: d.getUTCFullYear(), m: d.getUTCMonth() + 1, d: d.getUTCDate(), weekday: (d.getUTCDay() + 6) % 7 /* Monday 0 */ };
};

/**
 * The dates a policy keeps when the newest backup is on day `newest` and the schedule runs once on
 * each day `runs(day)` says: last/daily take the newest n run days; weekly the newest, then the last
 * run day of each earlier week (Monday to Sunday); monthly and quarterly alike for months and quarters.
 */
function expectedDays(policy: Partial<Record<GenerationRule, number>>, newest: number, runs: (day: number) => boolean): { days: Set<number>; byRule: Record<string, number> } {
  const days = new Set<number>();
  const byRule: Record<string, number> = {};
  const runDays: number[] = [];
  for (let d = newest; runDays.length < 4000; d--) if (runs(d)) runDays.push(d);
  const take = (rule: GenerationRule, picked: number[]) => {
    byRule[rule] = picked.length;
    picked.forEach((d) => days.add(d));
  };
  const lastRunOnOrBefore = (d: number) => runDays.find((r) => r <= d)!;
  if (policy.last) take('last', runDays.slice(0, policy.last));
  if (policy.daily) take('daily', runDays.slice(0, policy.daily));
  if (policy.weekly) {
    const picked = [newest];
    let monday = newest - ymd(newest).weekday;
    while (picked.length < policy.weekly) {
      picked.push(lastRunOnOrBefore(monday - 1));
      monday = picked.at(-1)! - ymd(picked.at(-1)!).weekday;
    }
    take('weekly', picked);
  }
  const byCalendar = (rule: 'monthly' | 'quarterly', months: number) => {
    const picked = [newest];
    let { y, m } = ymd(newest);
    m = m - ((m - 1) % months); // first month of the period
    while (picked.length < policy[rule]!) {
      picked.push(lastRunOnOrBefore(dayNo(y, m, 1) - 1));
      ({ y, m } = ymd(picked.at(-1)!));
      m = m - ((m - 1) % months);
    }
    take(rule, picked);
  };
  if (policy.monthly) byCalendar('monthly', 1);
  if (policy.quarterly) byCalendar('quarterly', 3);
  return { days, byRule };
}

/** The projection's look-ahead from its clock: enough for the longest rule (a quarter 92 days, a month 31, a week 7) plus a month. */
function projectionEnd(policy: Partial<Record<GenerationRule, number>>, now: Date): number {
  const span: Record<GenerationRule, number> = { last: 1, daily: 1, weekly: 7, monthly: 31, quarterly: 92 };
  const days = Math.max(1, ...Object.entries(policy).map(([r, n]) => span[r as GenerationRule] * (n ?? 0))) + 31;
  const end = new Date(now.getTime() + days * DAY);
  return dayNo(end.getUTCFullYear(), end.getUTCMonth() + 1, end.getUTCDate());
}

const nightly = () => true;
const monToFri = (d: number) => ymd(d).weekday < 5;

// Clocks at 08:00 UTC (09:00 or 10:00 in Berlin: after the 03:15 run in either zone), spread over
// the year so that the newest projected backup falls on every weekday and at month starts and ends.
const CLOCKS = Array.from({ length: 9 }, (_, k) => new Date(Date.UTC(2026, 0, 1 + k * 41, 8)));
const sizes = { dumpBytes: 700_000_000, folderBytes: 40_000_000_000, folderChangeBytes: 150_000_000 };

function check(policy: RetentionConfig, rules: Partial<Record<GenerationRule, number>>, cron: string, runs: (d: number) => boolean) {
  for (const now of CLOCKS) {
    let newest = projectionEnd(rules, now);
    while (!runs(newest)) newest--;
    const want = expectedDays(rules, newest, runs);
    const p = projectRetention({ retention: policy, cron, now, ...sizes });
    const label = `${cron} ${JSON.stringify(policy)} from ${now.toISOString()}`;
    assert.is(p.kept, want.days.size, label);
    assert.equal(p.byRule, want.byRule, label);
    assert.is(p.reachDays, newest - Math.min(...want.days), `${label}: reach`);
    assert.is(p.bytes, p.kept * sizes.dumpBytes + sizes.folderBytes + (p.kept - 1) * sizes.folderChangeBytes, `${label}: bytes`);
  }
}

test('nightly, the default (tomedo’s scheme and 8 quarters): counts, rules and reach as the calendar says', () => {
  check({ ...DEFAULT_RETENTION } as RetentionConfig, DEFAULT_RETENTION, '15 3 * * *', nightly);
  // And in numbers for one clock: 2 Dec 2026 + 767 days → the newest projected backup on Sunday 7 Jan 2029.
  const p = projectRetention({ retention: { ...DEFAULT_RETENTION } as RetentionConfig, cron: '15 3 * * *', now: new Date('2026-12-02T08:00:00Z'), ...sizes });
  assert.equal(p.byRule, { last: 20, daily: 7, weekly: 4, monthly: 12, quarterly: 8 });
  // 20 nights (19 Dec 2028 – 7 Jan 2029); weeks: Sundays 31, 24 and 17 Dec, only 17 Dec beyond the
  // 20; months: 11 ends, 31 Dec already kept → 10 more (Nov … Feb 2028); quarters: 7 ends, 31 Dec,
  // Sep, Jun and Mar 2028 already kept → Dec, Sep and Jun 2027. 20 + 1 + 10 + 3.
  assert.is(p.kept, 34);
  assert.is(p.reachDays, dayNo(2029, 1, 7) - dayNo(2027, 6, 30));
});

test('Mon–Fri: weeks end on Friday, months on their last weekday; keep N reaches over the weekends', () => {
  check({ ...DEFAULT_RETENTION } as RetentionConfig, DEFAULT_RETENTION, '15 3 * * 1-5', monToFri);
  check({ keep: 10 } as RetentionConfig, { last: 10 }, '15 3 * * 1-5', monToFri);
  check({ daily: 7, monthly: 6 } as RetentionConfig, { daily: 7, monthly: 6 }, '15 3 * * 1-5', monToFri);
  check({ weekly: 10, quarterly: 3 } as RetentionConfig, { weekly: 10, quarterly: 3 }, '30 6 * * 1-5', monToFri);
});

test('nightly, other policies: any subset, keep N as last N', () => {
  for (const [policy, rules] of [
    [{ keep: 10 }, { last: 10 }],
    [{ last: 5, quarterly: 12 }, { last: 5, quarterly: 12 }],
    [{ weekly: 52 }, { weekly: 52 }],
    [{ daily: 30, weekly: 8, monthly: 24 }, { daily: 30, weekly: 8, monthly: 24 }],
  ] as [RetentionConfig, Partial<Record<GenerationRule, number>>][]) {
    check(policy, rules, '0 3 * * *', nightly);
  }
});

test('a schedule with fewer runs than days still fills every rule (Mon–Fri with daily 200, Sundays only with daily 30)', () => {
  // 200 run days of Mon–Fri take 40 weeks: a look-ahead of 231 days (200 + a month) holds only ~165.
  const now = new Date('2026-12-02T08:00:00Z');
  const weekdays = projectRetention({ retention: { daily: 200 } as RetentionConfig, cron: '15 3 * * 1-5', now, ...sizes });
  assert.is(weekdays.kept, 200);
  assert.equal(weekdays.byRule, { daily: 200 });
  // 200 weekdays are 40 working weeks: 279 days back from a Monday … Thursday, 277 from a Friday.
  assert.ok(weekdays.reachDays === 279 || weekdays.reachDays === 277, `${weekdays.reachDays}`);
  const sundays = projectRetention({ retention: { daily: 30, last: 3 } as RetentionConfig, cron: '0 12 * * 0', now, ...sizes });
  assert.is(sundays.kept, 30);
  assert.is(sundays.reachDays, 29 * 7);
});

test('no schedule: one backup a night is assumed', () => {
  const now = new Date('2026-12-02T08:00:00Z');
  const policy = { last: 3, monthly: 4 } as RetentionConfig;
  assert.equal(projectRetention({ retention: policy, now, ...sizes }), projectRetention({ retention: policy, cron: '0 3 * * *', now, ...sizes }));
});

test('the same figures in UTC, in Berlin (DST nights in the look-ahead) and in New York', async () => {
  const script = `
    const { projectRetention } = await import(${JSON.stringify(new URL('../../src/retention/projection.ts', import.meta.url).href)});
    const rows = [];
    const cases = [];
    for (const cron of ['15 3 * * *', '30 2 * * *', '15 3 * * 1-5'])
      for (const retention of [{ last: 20, daily: 7, weekly: 4, monthly: 12, quarterly: 8 }, { keep: 10 }, { daily: 40, weekly: 9 }]) cases.push([cron, retention]);
    cases.push(['0 */6 * * *', { keep: 10 }], ['0 */6 * * *', { daily: 30, weekly: 4 }]);
    for (const [cron, retention] of cases)
        for (let k = 0; k < 12; k += 3) {
          const now = new Date(Date.UTC(2026, k, 14, 12));
          const p = projectRetention({ retention, cron, now, dumpBytes: 3, folderBytes: 5, folderChangeBytes: 7 });
          rows.push([cron, JSON.stringify(retention), k, p.kept, p.reachDays, p.bytes, JSON.stringify(p.byRule)].join(' '));
        }
    console.log(rows.join('\\n'));`;
  const run = async (tz: string) => (await execa(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: { ...process.env, TZ: tz } })).stdout;
  const [utc, berlin, newYork] = await Promise.all([run('UTC'), run('Europe/Berlin'), run('America/New_York')]);
  assert.is(utc.split('\n').length, 11 * 4);
  assert.is(berlin, utc);
  assert.is(newYork, utc);
});

test.run();

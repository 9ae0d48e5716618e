// The retention policy (src/retention/policy.ts) as a pure function of backup ids, checked two ways:
// against a reference written here independently — ISO weeks from a day-of-year formula and a
// weekday from Sakamoto's rule (no Date at all), quarters from a table, and restic's documented
// counting done rule by rule ("walking snapshots newest first, keep one if its period differs from
// the last period that rule kept, until n periods are kept") — over generated years of nightly ids
// with gaps, DST nights, backups by hand at odd hours and days with several backups; and by hand
// on small lists whose expected ids are written out, chosen so that a week starting on Sunday, a
// week numbered inside its calendar year, or a quarter boundary off by a month would fail them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
// The benchmark's seeded generator (mulberry32): a failure can be replayed from its seed.
import { prng } from '../../bench/tree';
import type { RetentionConfig } from '../../src/config/schema';
import { applyPolicy, DEFAULT_RETENTION, GENERATION_RULES, isoWeek, periodOf, policyKey, policyRules, quarterOf, type GenerationRule, type GenerationsPolicy } from '../../src/retention/policy';

// ---------------------------------------------------------------- the reference

const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const daysIn = (y: number, m: number) => (m === 2 && isLeap(y) ? 29 : MONTH_DAYS[m - 1]!);

/** Day of the week, Monday 1 … Sunday 7 (Sakamoto's method). */
function weekday(y: number, m: number, d: number): number {
  const t = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4];
  const yy = m < 3 ? y - 1 : y;
  const sunday0 = (yy + Math.floor(yy / 4) - Math.floor(yy / 100) + Math.floor(yy / 400) + t[m - 1]! + d) % 7;
  return sunday0 === 0 ? 7 : sunday0;
}

function dayOfYear(y: number, m: number, d: number): number {
  let n = d;
  for (let k = 1; k < m; k++) n += daysIn(y, k);
  return n;
}

/** A year has 53 ISO weeks when it starts on a Thursday, or on a Wednesday in a leap year. */
const weeksIn = (y: number) => (weekday(y, 1, 1) === 4 || (isLeap(y) && weekday(y, 1, 1) === 3) ? 53 : 52);

/** ISO week by the textbook formula: week = ⌊(ordinal − weekday + 10) / 7⌋, then fixed at the year's ends. */
function refIsoWeek(y: number, m: number, d: number): string {
  let year = y;
  let week = Math.floor((dayOfYear(y, m, d) - weekday(y, m, d) + 10) / 7);
  if (week < 1) {
    year = y - 1;
    week = weeksIn(year);
  } else if (week > weeksIn(y)) {
    year = y + 1;
    week = 1;
  }
  return `${year}-W${String(week).padStart(2, '0')}`;
}

const QUARTER_OF_MONTH = [0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4];

function parts(id: string) {
  return { y: Number(id.slice(0, 4)), m: Number(id.slice(4, 6)), d: Number(id.slice(6, 8)) };
}

function refPeriod(rule: Exclude<GenerationRule, 'last'>, id: string): string {
  const { y, m, d } = parts(id);
  if (rule === 'daily') return `${y}-${m}-${d}`;
  if (rule === 'weekly') return refIsoWeek(y, m, d);
  if (rule === 'monthly') return `${y}-${m}`;
  return `${y}/Q${QUARTER_OF_MONTH[m]}`;
}

/** restic's rules, one rule at a time, united at the end. id → the rules that keep it. */
function reference(ids: string[], policy: GenerationsPolicy): Map<string, GenerationRule[]> {
  const newestFirst = [...new Set(ids)].sort((a, b) => (a < b ? 1 : -1));
  const keptBy = new Map<string, GenerationRule[]>();
  const keep = (id: string, rule: GenerationRule) => keptBy.set(id, [...(keptBy.get(id) ?? []), rule]);
  for (const rule of GENERATION_RULES) {
    const n = policy[rule] ?? 0;
    if (n <= 0) continue;
    if (rule === 'last') {
      newestFirst.slice(0, n).forEach((id) => keep(id, rule));
      continue;
    }
    let lastPeriod: string | undefined;
    let periods = 0;
    for (const id of newestFirst) {
      if (periods === n) break;
      const p = refPeriod(rule, id);
      if (p !== lastPeriod) {
        keep(id, rule);
        lastPeriod = p;
        periods++;
      }
    }
  }
  return keptBy;
}

// ---------------------------------------------------------------- generated backup histories

const p2 = (n: number) => String(n).padStart(2, '0');
const idOf = (y: number, m: number, d: number, hh: number, mm: number, ss = 0) => `${y}${p2(m)}${p2(d)}_${p2(hh)}${p2(mm)}${p2(ss)}`;

/** The last Sunday of a month: the nights European clocks change (March, October). */
function lastSunday(y: number, m: number): number {
  for (let d = daysIn(y, m); ; d--) if (weekday(y, m, d) === 7) return d;
}

/**
 * Nightly ids from `from` for `years` years: most nights one at 03:15, some nights missing (a
 * server switched off), now and then a week or three away (holidays), backups by hand in the
 * day, some days two or three of them, the DST nights with ids at hours that exist only on one
 * side of the change (02:30 in March does not exist in Berlin; in October it happens twice).
 */
function history(seed: number, from: [number, number, number], years: number): string[] {
  const rnd = prng(seed);
  const ids = new Set<string>();
  let [y, m, d] = from;
  const endYear = y + years;
  let holidayLeft = 0;
  while (y < endYear || (y === endYear && m < from[1])) {
    const dst = (m === 3 || m === 10) && d === lastSunday(y, m);
    if (holidayLeft > 0) holidayLeft--;
    else if (rnd() < 0.01) holidayLeft = 5 + Math.floor(rnd() * 16);
    else {
      if (rnd() > 0.12) ids.add(idOf(y, m, d, 3, 15));
      if (rnd() < 0.08) ids.add(idOf(y, m, d, 8 + Math.floor(rnd() * 12), Math.floor(rnd() * 60), Math.floor(rnd() * 60)));
      if (rnd() < 0.03) ids.add(idOf(y, m, d, 23, 59, 59));
      if (rnd() < 0.03) ids.add(idOf(y, m, d, 0, 0, 1));
      if (dst) {
        ids.add(idOf(y, m, d, 2, 30));
        if (rnd() < 0.5) ids.add(idOf(y, m, d, 1, 59, 59));
        if (rnd() < 0.5) ids.add(idOf(y, m, d, 2, 45));
      }
    }
    if (++d > daysIn(y, m)) {
      d = 1;
      if (++m > 12) {
        m = 1;
        y++;
      }
    }
  }
  return [...ids];
}

function randomPolicy(rnd: () => number): GenerationsPolicy {
  const policy: GenerationsPolicy = {};
  const max: Record<GenerationRule, number> = { last: 40, daily: 30, weekly: 60, monthly: 40, quarterly: 20 };
  for (const rule of GENERATION_RULES) if (rnd() < 0.55) policy[rule] = Math.floor(rnd() * max[rule]);
  if (!GENERATION_RULES.some((r) => (policy[r] ?? 0) > 0)) policy.daily = 1 + Math.floor(rnd() * 10);
  return policy;
}

/** applyPolicy's answer as the reference's shape, and both sides checked against each other. */
function assertSame(ids: string[], policy: GenerationsPolicy, label: string) {
  const got = applyPolicy(ids, policy);
  const want = reference(ids, policy);
  const gotKept = new Map(got.kept.map((k) => [k.id, k.rules]));
  const sortedRules = (r: GenerationRule[] | undefined) => [...(r ?? [])].sort();
  for (const id of new Set([...gotKept.keys(), ...want.keys()])) {
    assert.equal(sortedRules(gotKept.get(id)), sortedRules(want.get(id)), `${label}: ${id} kept by`);
  }
  const all = [...new Set(ids)].sort().reverse();
  assert.equal(got.removed, all.filter((id) => !want.has(id)), `${label}: removed`);
  assert.equal(got.kept.map((k) => k.id), all.filter((id) => want.has(id)), `${label}: kept, newest first`);
}

// ---------------------------------------------------------------- the tests

test('isoWeek and quarterOf agree with the reference on every day of 2015–2035', () => {
  let days = 0;
  for (let y = 2015; y <= 2035; y++) {
    for (let m = 1; m <= 12; m++) {
      for (let d = 1; d <= daysIn(y, m); d++) {
        const id = idOf(y, m, d, 3, 15);
        assert.is(isoWeek(id), refIsoWeek(y, m, d), id);
        assert.equal(quarterOf(id), { quarter: QUARTER_OF_MONTH[m]!, year: y }, id);
        days++;
      }
    }
  }
  assert.is(days, 21 * 365 + 5, 'every day was looked at (five leap years)');
});

test('ISO weeks across year ends, written out: 2020 and 2026 have a week 53, 2019-12-30 is 2020-W01', () => {
  assert.is(isoWeek('20201231_031500'), '2020-W53');
  assert.is(isoWeek('20210103_031500'), '2020-W53', 'a Sunday of 2021 in 2020’s last week');
  assert.is(isoWeek('20210104_031500'), '2021-W01');
  assert.is(isoWeek('20191230_031500'), '2020-W01', 'a Monday of 2019 in 2020’s first week');
  assert.is(isoWeek('20261231_031500'), '2026-W53');
  assert.is(isoWeek('20270103_235959'), '2026-W53');
  assert.is(isoWeek('20270104_000000'), '2027-W01');
  assert.is(isoWeek('20251229_031500'), '2026-W01');
  assert.is(isoWeek('20261129_031500'), '2026-W48', 'Sunday closes its week');
  assert.is(isoWeek('20261130_031500'), '2026-W49', 'Monday opens the next');
  assert.throws(() => isoWeek('2026-11-30'), /not a backup id/);
});

test('generated histories: applyPolicy keeps exactly what the reference keeps, for many policies', () => {
  const seeds = [1, 18, 2026, 0xdecaf, 77_777];
  let compared = 0;
  for (const seed of seeds) {
    // Starts in different months so that year ends, quarter ends and DST nights fall differently.
    const ids = history(seed, [2018 + (seed % 3), 1 + (seed % 12), 1 + (seed % 28)], 5 + (seed % 3));
    assert.ok(ids.length > 1200, `seed ${seed}: ${ids.length} ids`);
    const rnd = prng(seed * 31 + 7);
    const policies: GenerationsPolicy[] = [{ ...DEFAULT_RETENTION }, { last: 1 }, { quarterly: 1000 }, { weekly: 1000 }, { daily: 1000, monthly: 1000 }];
    for (let k = 0; k < 60; k++) policies.push(randomPolicy(rnd));
    for (const policy of policies) {
      assertSame(ids, policy, `seed ${seed} ${JSON.stringify(policy)}`);
      compared++;
    }
    // The newest backups only (what a young installation has): every rule still has room.
    assertSame([...ids].sort().slice(-9), { ...DEFAULT_RETENTION }, `seed ${seed} young`);
  }
  assert.is(compared, seeds.length * 65);
});

test('the order of the ids given and duplicates do not matter', () => {
  const ids = history(5, [2024, 11, 20], 2);
  const shuffled = [...ids, ...ids.slice(0, 50)];
  const rnd = prng(5);
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  assert.equal(applyPolicy(shuffled, DEFAULT_RETENTION), applyPolicy(ids, DEFAULT_RETENTION));
});

test('keep: N is last: N, for the policy, its key and its result', () => {
  const ids = history(9, [2025, 1, 1], 1);
  for (const n of [1, 7, 10, 365]) {
    const keep: RetentionConfig = { keep: n };
    assert.equal(policyRules(keep), { last: n });
    assert.is(policyKey(keep), `last=${n}`);
    assert.equal(applyPolicy(ids, policyRules(keep)), applyPolicy(ids, { last: n }));
    assert.is(applyPolicy(ids, policyRules(keep)).kept.length, Math.min(n, ids.length));
  }
  // A rule at 0 is off: not in the rules, not in the key.
  assert.equal(policyRules({ last: 0, daily: 3 } as RetentionConfig), { daily: 3 });
  assert.is(policyKey({ ...DEFAULT_RETENTION } as RetentionConfig), 'last=20,daily=7,weekly=4,monthly=12,quarterly=8');
});

test('daily: days without a backup are not counted, a day with several keeps its newest', () => {
  const ids = ['20261102_031500', '20261104_031500', '20261105_031500', '20261105_141233', '20261107_031500', '20261107_031501'];
  const r = applyPolicy(ids, { daily: 3 });
  // Three days that have backups, newest first: 7th (its newest), 5th (its newest), 4th — the 6th had none.
  assert.equal(r.kept.map((k) => k.id), ['20261107_031501', '20261105_141233', '20261104_031500']);
  assert.equal(r.removed, ['20261107_031500', '20261105_031500', '20261102_031500']);
});

test('weekly: the week starts on Monday (Sunday and Monday are different weeks, Saturday and Sunday the same)', () => {
  const ids = ['20261128_031500', '20261129_031500', '20261130_031500'];
  // ISO: Mon 30 Nov is W49, Sun 29 and Sat 28 are W48 → the newest of W48 is Sunday.
  // A week starting on Sunday would put 29 and 30 together and keep Saturday instead.
  assert.equal(applyPolicy(ids, { weekly: 2 }).kept.map((k) => k.id), ['20261130_031500', '20261129_031500']);
  assert.equal(applyPolicy(ids, { weekly: 2 }).removed, ['20261128_031500']);
});

test('weekly across a year end: 2020-W53 runs into January 2021, 2026-W53 into January 2027', () => {
  const y2020 = ['20201228_031500', '20201231_031500', '20210103_031500', '20210104_031500', '20210111_031500'];
  // W02, W01, then 2020-W53 (newest is 3 Jan): 28 and 31 Dec are the same week as 3 Jan.
  assert.equal(applyPolicy(y2020, { weekly: 10 }).kept.map((k) => k.id), ['20210111_031500', '20210104_031500', '20210103_031500']);
  const y2026 = ['20261228_031500', '20270101_220000', '20270103_031500', '20270104_031500'];
  assert.equal(applyPolicy(y2026, { weekly: 10 }).kept.map((k) => k.id), ['20270104_031500', '20270103_031500']);
  // monthly sees the calendar month instead: December and January differ.
  assert.equal(applyPolicy(y2026, { monthly: 10 }).kept.map((k) => k.id), ['20270104_031500', '20261228_031500']);
});

test('quarterly: the last state of each quarter, with the boundaries on the exact day', () => {
  const ids = ['20260331_235959', '20260401_000001', '20260630_031500', '20260701_031500', '20260930_031500', '20261001_000000', '20261202_031500', '20251231_031500', '20260101_031500'];
  const r = applyPolicy(ids, { quarterly: 4 });
  // Q4/2026 (newest: 2 Dec), Q3 (30 Sep), Q2 (30 Jun), Q1 (31 Mar); a quarter off by one month
  // (March in Q2, or ⌊m/3⌋) would keep other days.
  assert.equal(r.kept.map((k) => k.id), ['20261202_031500', '20260930_031500', '20260630_031500', '20260331_235959']);
  assert.ok(r.removed.includes('20251231_031500'), 'Q4/2025 is the fifth quarter: beyond 4');
  assert.is(periodOf('quarterly', '20260331_235959', 0), '2026-Q1');
  assert.is(periodOf('quarterly', '20260401_000000', 0), '2026-Q2');
  assert.equal(applyPolicy(ids, { quarterly: 5 }).kept.at(-1)!.id, '20251231_031500');
});

test('DST nights: the day comes from the id, whatever hour it names', () => {
  // 29 Mar 2026 (02:00 → 03:00) and 25 Oct 2026 (03:00 → 02:00) in Central Europe.
  const ids = ['20260328_031500', '20260329_015959', '20260329_023000', '20260329_030000', '20260330_031500', '20261024_031500', '20261025_023000', '20261025_024500', '20261026_031500'];
  const r = applyPolicy(ids, { daily: 6 });
  assert.equal(r.kept.map((k) => k.id), ['20261026_031500', '20261025_024500', '20261024_031500', '20260330_031500', '20260329_030000', '20260328_031500']);
  assertSame(ids, { daily: 6, weekly: 3, last: 2 }, 'DST');
});

test('rules united: a backup kept by several rules names each, last counts backups not days', () => {
  const ids = ['20261201_080000', '20261201_120000', '20261201_180000', '20261130_031500', '20261001_031500'];
  const r = applyPolicy(ids, { last: 2, daily: 2, quarterly: 2 });
  assert.equal(r.kept, [
    { id: '20261201_180000', rules: ['last', 'daily', 'quarterly'] },
    { id: '20261201_120000', rules: ['last'] },
    { id: '20261130_031500', rules: ['daily'] },
  ]);
  assert.equal(r.removed, ['20261201_080000', '20261001_031500'], 'Q4 is one quarter: 1 Oct is in the same one as 1 Dec');
  assert.equal(applyPolicy(ids, { quarterly: 2 }).kept.map((k) => k.id), ['20261201_180000']);
});

test.run();

// A validated crontab expression as concrete value lists, the common ground of the launchd and
// systemd translations and of the describer. cron-parser expands the fields, so lists, ranges and
// steps mean exactly what `status` and `schedule next` (cron-parser's nextRuns) say they mean.
import { CronExpressionParser } from 'cron-parser';
import { cronProblem } from '../config/cron';
import { ExitCode, PraxisError } from '../core/errors';

export interface CronFields {
  expr: string;
  /** The five fields as written: minute hour day month weekday. */
  raw: [string, string, string, string, string];
  minutes: number[];
  hours: number[];
  days: number[];
  months: number[];
  /** 0 = Sunday … 6 = Saturday; a written 7 is folded into 0. */
  weekdays: number[];
  /**
   * Whether day of month / day of week are restricted. As in cron-parser (the oracle of `next`),
   * only a field written exactly `*` is unrestricted: `*\/2` or `1-31` count as restricted, so
   * `0 3 *\/2 * 1` runs on odd days OR Mondays.
   */
  dayRestricted: boolean;
  weekdayRestricted: boolean;
}

/** cron-parser types day values as number | 'L'; cronProblem() has already refused 'L'. */
const numbers = (values: readonly unknown[]) => values.filter((v): v is number => typeof v === 'number');

const range = (min: number, max: number) => Array.from({ length: max - min + 1 }, (_, i) => min + i);

export function coversAll(values: readonly number[], min: number, max: number): boolean {
  const set = new Set(values);
  return range(min, max).every((v) => set.has(v));
}

export function cronFields(expr: string): CronFields {
  const problem = cronProblem(expr);
  if (problem) {
    throw new PraxisError(
      'schedule.invalidCron',
      { cron: expr, field: { key: `config.cronField.${problem.field}` }, value: problem.value, reason: problem.reason },
      ExitCode.invalidInput,
    );
  }
  const f = CronExpressionParser.parse(expr).fields;
  const raw = expr.trim().split(/\s+/) as CronFields['raw'];
  const sorted = (v: readonly number[]) => [...new Set(v)].sort((a, b) => a - b);
  return {
    expr: raw.join(' '),
    raw,
    minutes: sorted(f.minute.values),
    hours: sorted(f.hour.values),
    days: sorted(numbers(f.dayOfMonth.values)),
    months: sorted(f.month.values),
    weekdays: sorted(numbers(f.dayOfWeek.values).map((d) => d % 7)),
    dayRestricted: !f.dayOfMonth.isWildcard,
    weekdayRestricted: !f.dayOfWeek.isWildcard,
  };
}

/** Which days a schedule names: every day, some days of the month, some weekdays, or either (cron's OR). */
export type DaySelection =
  | { kind: 'every' }
  | { kind: 'days'; days: number[] }
  | { kind: 'weekdays'; weekdays: number[] }
  | { kind: 'either'; days: number[]; weekdays: number[] };

export function daySelection(c: CronFields): DaySelection {
  // A restricted field that still names every day lets every day through, whatever the other says.
  const allDays = c.dayRestricted && coversAll(c.days, 1, 31);
  const allWeekdays = c.weekdayRestricted && coversAll(c.weekdays, 0, 6);
  if (c.dayRestricted && c.weekdayRestricted) {
    if (allDays || allWeekdays) return { kind: 'every' };
    return { kind: 'either', days: c.days, weekdays: c.weekdays };
  }
  if (c.dayRestricted) return allDays ? { kind: 'every' } : { kind: 'days', days: c.days };
  if (c.weekdayRestricted) return allWeekdays ? { kind: 'every' } : { kind: 'weekdays', weekdays: c.weekdays };
  return { kind: 'every' };
}

// cron → launchd `StartCalendarInterval`: an array of dicts, each naming one combination of
// Minute / Hour / Day / Weekday / Month; launchd starts the job when any dict matches, and a key
// left out of a dict is a wildcard (launchd.plist(5)).
//
// Day of month and day of week: cron runs when EITHER matches if both are restricted. launchd's man
// page says a dict with both Day and Weekday also fires when either one matches, so one dict with
// both would be right by the letter. We still emit two groups (dicts with Day, dicts with Weekday,
// never both in one dict), because
//   - the union of Day-only and Weekday-only dicts means "either" whatever launchd does with a
//     dict holding both: it does not rest on one sentence of a man page nobody here can test;
//   - it is smaller: |days| + |weekdays| dicts per time instead of |days| × |weekdays|.
//
// Minute is always written, even for `*` (as 60 values): a dict without Minute means "every minute"
// only by launchd's wildcard rule, which FACTS.md marks unverified, and a missing Minute next to an
// Hour is the classic mistake of running 60 times an hour. Hour and Month are left out when cron
// names all their values; Day / Weekday when the schedule runs on every day.
import { ExitCode, PraxisError } from '../core/errors';
import { coversAll, cronFields, daySelection } from './cron-fields';

export interface CalendarInterval {
  Minute: number;
  Hour?: number;
  Day?: number;
  Weekday?: number;
  Month?: number;
}

/** Past this many dicts the plist stops being something an admin can read or launchd should scan. */
export const MAX_INTERVALS = 1000;

/** Days each month can have (February with the 29th: leap years exist). */
const DAYS_IN_MONTH = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function cronToCalendarIntervals(expr: string): CalendarInterval[] {
  const c = cronFields(expr);
  const hours: (number | undefined)[] = coversAll(c.hours, 0, 23) ? [undefined] : c.hours;
  const months: (number | undefined)[] = coversAll(c.months, 1, 12) ? [undefined] : c.months;
  const sel = daySelection(c);
  const days = sel.kind === 'days' || sel.kind === 'either' ? sel.days : [];
  const weekdays = sel.kind === 'weekdays' || sel.kind === 'either' ? sel.weekdays : [];

  // Day × Month pairs that exist at least once (no 31 April): the others would never fire.
  const dayMonth: [number | undefined, number | undefined][] = [];
  if (days.length) {
    for (const m of months) for (const d of days) if (m === undefined || d <= DAYS_IN_MONTH[m]!) dayMonth.push([d, m]);
  }
  const dayGroups = (sel.kind === 'every' ? months.length : 0) + dayMonth.length + weekdays.length * months.length;
  const count = dayGroups * hours.length * c.minutes.length;
  if (count > MAX_INTERVALS) {
    throw new PraxisError('schedule.tooManyIntervals', { cron: c.expr, count, max: MAX_INTERVALS }, ExitCode.invalidInput);
  }

  const out: CalendarInterval[] = [];
  const times = (base: Omit<CalendarInterval, 'Minute' | 'Hour'>) => {
    for (const h of hours) {
      for (const m of c.minutes) {
        const d: CalendarInterval = { Minute: m };
        if (h !== undefined) d.Hour = h;
        if (base.Day !== undefined) d.Day = base.Day;
        if (base.Weekday !== undefined) d.Weekday = base.Weekday;
        if (base.Month !== undefined) d.Month = base.Month;
        out.push(d);
      }
    }
  };
  if (sel.kind === 'every') for (const mo of months) times({ Month: mo });
  for (const [d, mo] of dayMonth) times({ Day: d, Month: mo });
  for (const mo of months) for (const w of weekdays) times({ Weekday: w, Month: mo });
  return out;
}

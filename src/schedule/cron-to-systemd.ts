// cron → systemd `OnCalendar=` (systemd.time(7)): `[Weekdays] Year-Month-Day Hour:Minute:Second`,
// with lists `1,15`, ranges `8..18`, repetitions `0/15` and `5..50/15`.
//
// cron's OR of a restricted day of month and day of week cannot be said in one systemd expression
// (systemd ANDs the weekday with the date), so such a schedule becomes two OnCalendar= lines; a
// timer with several OnCalendar= lines elapses at the earliest of them, and once when two coincide.
import { coversAll, cronFields, daySelection } from './cron-fields';

const WEEKDAY = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

const pad = (n: number) => String(n).padStart(2, '0');

/** One component: `*`, a repetition, or a list of single values and ranges. */
export function systemdValues(values: readonly number[], min: number, max: number): string {
  if (coversAll(values, min, max)) return '*';
  if (values.length >= 3) {
    const step = values[1]! - values[0]!;
    const progression = step > 1 && values.every((v, i) => i === 0 || v - values[i - 1]! === step);
    if (progression) {
      const first = values[0]!;
      const last = values[values.length - 1]!;
      // `first/step` runs to the field's end; `first..last/step` stops earlier.
      return last + step > max ? `${pad(first)}/${step}` : `${pad(first)}..${pad(last)}/${step}`;
    }
  }
  return runs(values).map(([a, b]) => (a === b ? pad(a) : b === a + 1 ? `${pad(a)},${pad(b)}` : `${pad(a)}..${pad(b)}`)).join(',');
}

/** Consecutive stretches of sorted values: [1,2,3,7] → [[1,3],[7,7]]. */
function runs(values: readonly number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const v of values) {
    const last = out[out.length - 1];
    if (last && v === last[1] + 1) last[1] = v;
    else out.push([v, v]);
  }
  return out;
}

/** Weekdays in systemd's order (Mon … Sun), consecutive ones as ranges: `Mon..Fri`, `Sat,Sun`. */
export function systemdWeekdays(weekdays: readonly number[]): string {
  const mondayFirst = [...weekdays].map((d) => (d === 0 ? 7 : d)).sort((a, b) => a - b);
  return runs(mondayFirst)
    .map(([a, b]) => {
      const name = (d: number) => WEEKDAY[d % 7]!;
      return a === b ? name(a) : b === a + 1 ? `${name(a)},${name(b)}` : `${name(a)}..${name(b)}`;
    })
    .join(',');
}

export function cronToOnCalendar(expr: string): string[] {
  const c = cronFields(expr);
  const month = systemdValues(c.months, 1, 12);
  const time = `${systemdValues(c.hours, 0, 23)}:${systemdValues(c.minutes, 0, 59)}:00`;
  const sel = daySelection(c);
  const byDay = (days: number[]) => `*-${month}-${systemdValues(days, 1, 31)} ${time}`;
  const byWeekday = (weekdays: number[]) => `${systemdWeekdays(weekdays)} *-${month}-* ${time}`;
  switch (sel.kind) {
    case 'every':
      return [`*-${month}-* ${time}`];
    case 'days':
      return [byDay(sel.days)];
    case 'weekdays':
      return [byWeekday(sel.weekdays)];
    case 'either':
      return [byDay(sel.days), byWeekday(sel.weekdays)];
  }
}

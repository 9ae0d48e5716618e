// A crontab expression in words, for `schedule next` and the tray: „Mo–Fr um 03:15“ /
// "Mon–Fri at 03:15". Covers the shapes a practice uses (fixed times on some days, every N
// minutes within hours, hourly); anything else returns null and the caller shows the expression.
import { t, type Lang } from '../i18n';
import { coversAll, cronFields, daySelection, type CronFields } from './cron-fields';

const pad = (n: number) => String(n).padStart(2, '0');
const MAX_TIMES = 6;

/** "a, b und c" / "a, b and c". */
function joinList(lang: Lang, items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} ${t(lang, 'cron.and')} ${items[items.length - 1]}`;
}

/** Consecutive stretches of at least three become "a–b", the rest stay single. */
function stretches(values: number[], name: (v: number) => string): string[] {
  const runs: [number, number][] = [];
  for (const v of values) {
    const last = runs[runs.length - 1];
    if (last && v === last[1] + 1) last[1] = v;
    else runs.push([v, v]);
  }
  return runs.flatMap(([a, b]) => (b - a >= 2 ? [`${name(a)}–${name(b)}`] : Array.from({ length: b - a + 1 }, (_, i) => name(a + i))));
}

function weekdayWords(lang: Lang, weekdays: number[]): string {
  const names = t(lang, 'cron.weekdayNames').split(',');
  const mondayFirst = weekdays.map((d) => (d === 0 ? 7 : d)).sort((a, b) => a - b);
  return stretches(mondayFirst, (d) => names[d % 7]!).join(', ');
}

function dayWords(lang: Lang, c: CronFields): string {
  const sel = daySelection(c);
  const days = (ds: number[]) => joinList(lang, ds.map((d) => t(lang, 'cron.dayOrdinal', { n: d })));
  switch (sel.kind) {
    case 'every':
      return t(lang, 'cron.daily');
    case 'weekdays':
      return weekdayWords(lang, sel.weekdays);
    case 'days':
      return t(lang, 'cron.monthDays', { days: days(sel.days) });
    case 'either':
      return t(lang, 'cron.either', { days: days(sel.days), weekdays: weekdayWords(lang, sel.weekdays) });
  }
}

/** Minutes 0, n, 2n … through the hour: "every n minutes". */
function minuteStep(minutes: number[]): number | null {
  const n = minutes[1];
  if (minutes.length < 2 || minutes[0] !== 0 || n === undefined || 60 % n !== 0) return null;
  return minutes.every((m, i) => m === i * n) && minutes.length === 60 / n ? n : null;
}

export function describeCron(expr: string, lang: Lang): string | null {
  const c = cronFields(expr);
  const days = dayWords(lang, c);
  const allHours = coversAll(c.hours, 0, 23);
  const contiguousHours = c.hours.every((h, i) => i === 0 || h === c.hours[i - 1]! + 1);
  let text: string | null = null;
  const step = minuteStep(c.minutes);
  if (!allHours && c.hours.length * c.minutes.length <= MAX_TIMES) {
    const times = c.hours.flatMap((h) => c.minutes.map((m) => `${pad(h)}:${pad(m)}`));
    text = t(lang, 'cron.at', { days, times: joinList(lang, times) });
  } else if (step && allHours) {
    text = t(lang, 'cron.every', { days, n: step });
  } else if (step && contiguousHours) {
    const last = c.minutes[c.minutes.length - 1]!;
    text = t(lang, 'cron.everyBetween', { days, n: step, from: `${pad(c.hours[0]!)}:00`, to: `${pad(c.hours[c.hours.length - 1]!)}:${pad(last)}` });
  } else if (allHours && c.minutes.length === 1) {
    text = t(lang, 'cron.hourly', { days, minute: pad(c.minutes[0]!) });
  }
  if (text === null) return null;
  if (!coversAll(c.months, 1, 12)) {
    const names = t(lang, 'cron.monthNames').split(',');
    text = t(lang, 'cron.inMonths', { text, months: stretches(c.months, (m) => names[m - 1]!).join(', ') });
  }
  return text;
}

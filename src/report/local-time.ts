// Dates and times as the practice's documents print them: in the process's local time zone (the
// server's), German „02.12.2026 08:00“, English ISO-like „2026-12-02 08:00“ (unambiguous on both
// sides of the Atlantic). Hand-made rather than Intl so a document never depends on the ICU data
// the Node binary happens to carry.
import type { Lang } from '../i18n';

const pad = (n: number) => String(n).padStart(2, '0');

export function localDate(d: Date, lang: Lang): string {
  return lang === 'de' ? `${pad(d.getDate())}.${pad(d.getMonth() + 1)}.${d.getFullYear()}` : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export function localTime(d: Date, seconds = false): string {
  return `${pad(d.getHours())}:${pad(d.getMinutes())}${seconds ? `:${pad(d.getSeconds())}` : ''}`;
}

export function localDateTime(d: Date, lang: Lang): string {
  return `${localDate(d, lang)} ${localTime(d)}`;
}

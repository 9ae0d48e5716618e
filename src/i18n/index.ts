// One catalogue per language; code uses keys. German is the default (the product's users are
// German practices); English when the system language says so.
import { de, type MessageKey } from './de';
import { en } from './en';

export type { MessageKey };
export type Lang = 'de' | 'en';
/** Parameters may themselves be messages (e.g. the meaning of an rsync exit code), rendered in the same language. */
export type Params = { [name: string]: string | number | Message };

/** A message that can be rendered in any language later (events carry these, not strings). */
export interface Message {
  key: MessageKey;
  params?: Params;
}

const catalogs: Record<Lang, Record<MessageKey, string>> = { de, en };

export function detectLang(env: NodeJS.ProcessEnv = process.env): Lang {
  const raw = env.PRAXIS_BACKUP_LANG || env.LC_ALL || env.LC_MESSAGES || env.LANG || '';
  return raw.toLowerCase().startsWith('en') ? 'en' : 'de';
}

export function t(lang: Lang, key: MessageKey, params: Params = {}): string {
  if (key === 'format.bytes') return formatBytes(Number(params.n), lang);
  const template = catalogs[lang][key] ?? de[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (m, name: string) => {
    const v = params[name];
    if (v === undefined) return m;
    return typeof v === 'object' ? t(lang, v.key, v.params) : String(v);
  });
}

export function render(lang: Lang, msg: Message): string {
  return t(lang, msg.key, msg.params);
}

export function msg(key: MessageKey, params?: Params): Message {
  return { key, params };
}

/**
 * A byte count inside a message the engine emits before it knows the reader's language (events,
 * status file, logs): rendered when the message is, so English reads "8.0 KB" and German "8,0 KB".
 */
export function byteCount(n: number): Message {
  return { key: 'format.bytes', params: { n } };
}

export function formatBytes(n: number, lang: Lang = 'de'): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  const s = i === 0 ? String(v) : v.toFixed(v < 10 ? 1 : 0);
  return `${lang === 'de' ? s.replace('.', ',') : s} ${units[i]}`;
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

// „Aufbewahrung“ in the settings window, Qt-free: the form state of a retention policy (a count,
// `{keep: N}`, or generations: last/daily/weekly/monthly/quarterly), the way back to the config
// that changes nothing nobody touched, the disk a policy needs once full next to the free space,
// and whether saving it would remove so many backups at once that the admin has to confirm it.
import type { BackupEntry } from '../../backup-directory/catalog';
import type { DiskSpace } from '../../backup-directory/space-check';
import { RESERVE_FRACTION } from '../../backup-directory/space-check';
import { cronProblem } from '../../config/cron';
import type { RetentionConfig } from '../../config/schema';
import { formatBytes, t, type Lang } from '../../i18n';
import { DEFAULT_RETENTION, GENERATION_RULES, policyKey, type GenerationRule } from '../../retention/policy';
import { projectRetention, type Projection } from '../../retention/projection';
import { sizesOf } from '../../retention/retention-preview';
import { planRetention, SHRINK_CONFIRM_ABOVE } from '../../retention/retention-plan';
import { inOriginalOrder, obj, str, whole } from './form-values';

export type RetentionMode = 'keep' | 'generations';
export const RETENTION_MODES: readonly RetentionMode[] = ['generations', 'keep'];

/** The section as the widgets hold it: every count as text. */
export interface RetentionForm {
  mode: RetentionMode;
  keep: string;
  last: string;
  daily: string;
  weekly: string;
  monthly: string;
  quarterly: string;
}

/** What the count shows when the admin switches a generations policy to „Anzahl“ (the old default). */
const NEW_KEEP = '10';

const defaults = (): Record<GenerationRule, string> =>
  Object.fromEntries(GENERATION_RULES.map((r) => [r, String(DEFAULT_RETENTION[r])])) as Record<GenerationRule, string>;

/**
 * The form for the config's `retention` (absent: the default a run applies, DEFAULT_RETENTION).
 * A count is shown as „Anzahl“; the generation fields then hold the default, ready for a switch.
 * A rule the file leaves out is off: 0.
 */
export function retentionFormFrom(raw: unknown): RetentionForm {
  if (raw === undefined) return { mode: 'generations', keep: NEW_KEEP, ...defaults() };
  const r = obj(raw);
  if ('keep' in r) return { mode: 'keep', keep: str(r.keep), ...defaults() };
  const rules = Object.fromEntries(GENERATION_RULES.map((k) => [k, k in r ? str(r[k]) : '0'])) as Record<GenerationRule, string>;
  return { mode: 'generations', keep: NEW_KEEP, ...rules };
}

/** The form still says what a config without `retention` means (so saving leaves the key out). */
function isUntouchedDefault(f: RetentionForm): boolean {
  return f.mode === 'generations' && GENERATION_RULES.every((k) => f[k].trim() === String(DEFAULT_RETENTION[k]));
}

/**
 * The config's `retention` for the form: undefined when the file had none and the form still shows
 * the default (writing it out would be a change nobody made). Keys the window does not edit stay
 * (validation then names them); a rule at 0 is written only when the file had it, and the keys
 * keep the file's order. Text that is not a whole number goes through as text, so validation
 * names the field ("retention.daily").
 */
export function retentionConfigOf(f: RetentionForm, original: unknown, hadKey: boolean): Record<string, unknown> | undefined {
  if (!hadKey && isUntouchedDefault(f)) return undefined;
  const origin = hadKey ? obj(original) : undefined;
  const extra = Object.fromEntries(Object.entries(origin ?? {}).filter(([k]) => k !== 'keep' && !(GENERATION_RULES as readonly string[]).includes(k)));
  if (f.mode === 'keep') return inOriginalOrder({ keep: whole(f.keep), ...extra }, origin);
  const rules: Record<string, unknown> = {};
  for (const k of GENERATION_RULES) {
    const v = whole(f[k]);
    if (v === 0 && !(origin && k in origin)) continue;
    rules[k] = v;
  }
  return inOriginalOrder({ ...rules, ...extra }, origin);
}

/** The policy the form says, when every count it needs is a whole number (else null: validation speaks). */
export function retentionOfForm(f: RetentionForm): RetentionConfig | null {
  const n = (s: string) => (/^\d+$/.test(s.trim()) ? Number(s.trim()) : NaN);
  if (f.mode === 'keep') return Number.isInteger(n(f.keep)) && n(f.keep) >= 1 ? ({ keep: n(f.keep) } as RetentionConfig) : null;
  const out: Partial<Record<GenerationRule, number>> = {};
  for (const k of GENERATION_RULES) {
    const v = n(f[k]);
    if (!Number.isInteger(v)) return null;
    if (v > 0) out[k] = v;
  }
  return Object.keys(out).length ? (out as RetentionConfig) : null;
}

// ---- the disk a policy needs ----

/** What the projection needs of the newest backup: its dumps, its folders, what the folders took new. */
export type BackupSizes = ReturnType<typeof sizesOf>;

/** From the newest backup's manifest (retention-preview.ts, the CLI's `retention preview`); null: no backup yet. */
export function backupSizes(newest: BackupEntry | undefined): BackupSizes | null {
  return newest ? sizesOf(newest) : null;
}

export interface NeedInput {
  retention: RetentionConfig;
  /** The form's schedule; an empty or invalid one projects one backup a night (projection.ts). */
  cron: string;
  now: Date;
  /** The newest backup's sizes (null: no backup yet: the count and reach are still said). */
  sizes: BackupSizes | null;
  /** Complete backups in the directory now (they already take their share of the disk). */
  present: number;
  /** The backup directory's disk (null: not readable, e.g. the folder does not exist yet). */
  space: DiskSpace | null;
}

export interface Need {
  projection: Projection;
  /** What the backups there now take, by the same estimate (what the disk already holds of the need). */
  presentBytes: number;
  /** false: the kept backups would leave less than the 10 % reserve free; null: not known. */
  fits: boolean | null;
  text: string;
}

function estimate(kept: number, s: BackupSizes): number {
  return kept > 0 ? kept * s.dumpBytes + s.folderBytes + (kept - 1) * s.folderChangeBytes : 0;
}

/** „18 Monate“, „5 Wochen“, „9 Tage“: how far back the oldest kept backup reaches. */
export function reachText(days: number, lang: Lang): string {
  if (days >= 60) {
    const months = Math.round(days / 30.44);
    return t(lang, 'tray.settings.retention.reach.months', { n: months });
  }
  if (days >= 14) return t(lang, 'tray.settings.retention.reach.weeks', { n: Math.round(days / 7) });
  return t(lang, days === 1 ? 'tray.settings.retention.reach.day' : 'tray.settings.retention.reach.days', { n: days });
}

/**
 * „Bedarf bei voller Aufbewahrung: ca. 38 GB (34 Sicherungen, reicht 18 Monate zurück) – frei: 120 GB“.
 * It fits when what the policy adds to the backups there now leaves the reserve (10 % of the disk,
 * space-check.ts) free: the backups there now already take their part of the need.
 */
export function retentionNeed(i: NeedInput, lang: Lang): Need {
  const cron = i.cron.trim().replace(/\s+/g, ' ');
  const usable = cron && !cronProblem(cron) ? cron : undefined;
  const s = i.sizes ?? { dumpBytes: 0, folderBytes: 0, folderChangeBytes: 0 };
  const projection = projectRetention({ retention: i.retention, cron: usable, now: i.now, ...s });
  const presentBytes = i.sizes ? estimate(Math.min(i.present, projection.kept), i.sizes) : 0;
  const what = { count: projection.kept, reach: reachText(projection.reachDays, lang) };
  const head = i.sizes
    ? t(lang, 'tray.settings.retention.need', { bytes: formatBytes(projection.bytes, lang), ...what })
    : t(lang, 'tray.settings.retention.needUnknown', what);
  let fits: boolean | null = null;
  let text = head;
  if (i.space) {
    text = t(lang, 'tray.settings.retention.needFree', { need: head, free: formatBytes(i.space.free, lang) });
    if (i.sizes) {
      const reserve = Math.ceil(i.space.total * RESERVE_FRACTION);
      fits = i.space.free - Math.max(0, projection.bytes - presentBytes) >= reserve;
      if (!fits) text = `${text} ${t(lang, 'tray.settings.retention.tooBig', { reserve: formatBytes(reserve, lang) })}`;
    }
  }
  return { projection, presentBytes, fits, text };
}

// ---- a policy that removes many backups at once ----

export interface Shrink {
  policy: string;
  /** The backups it would remove now, newest first. */
  remove: string[];
}

/**
 * Saving this policy would remove more than SHRINK_CONFIRM_ABOVE backups at the next run, and it
 * is neither the policy the file had nor one confirmed or applied before (`applied`: status.json
 * retentionApplied.local.policy): then the window asks, as `retention apply` does in a terminal.
 * null: nothing to ask.
 */
export function shrinkToConfirm(complete: BackupEntry[], next: RetentionConfig, before: RetentionConfig | null, applied: string | undefined, now: Date): Shrink | null {
  const policy = policyKey(next);
  if (policy === applied || (before && policyKey(before) === policy)) return null;
  const plan = planRetention(complete, next, now);
  if (plan.remove.length <= SHRINK_CONFIRM_ABOVE) return null;
  return { policy, remove: plan.remove.map((b) => b.id) };
}

/** The question: how many and which (by date, „20261130_031500“ → „30.11.2026 03:15“), at most `max` named. */
export function shrinkQuestion(s: Shrink, lang: Lang, max = 12): string {
  const named = s.remove.slice(0, max).map((id) => idText(id, lang));
  const more = s.remove.length > max ? t(lang, 'tray.settings.retention.shrinkMore', { n: s.remove.length - max }) : '';
  return t(lang, 'tray.settings.retention.shrinkAsk', { count: s.remove.length, list: named.join(', ') + more });
}

/** A backup id as a date for people; the id's own wall time, no time zone applied. */
function idText(id: string, lang: Lang): string {
  const m = /^(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})/.exec(id);
  if (!m) return id;
  return lang === 'de' ? `${m[3]}.${m[2]}.${m[1]} ${m[4]}:${m[5]}` : `${m[1]}-${m[2]}-${m[3]} ${m[4]}:${m[5]}`;
}

// How much disk a retention policy needs once it is full (the steady state), said in advance: in
// `retention preview` and next to the free space in the settings window. Database dumps are full
// copies every time; folders are hard-linked, so a kept backup costs only what changed in them.
// So: kept backups × the dumps + one whole copy of the folders + (kept − 1) × a night's changes.
//
// How many backups the policy keeps when full depends on the schedule: the policy is applied to
// the runs the cron expression makes over enough time for every rule to fill (a year of nightly
// runs fills "monthly 12"; "quarterly 8" needs two), taken from the given clock.
import { CronExpressionParser } from 'cron-parser';
import { backupId } from '../backup-directory/catalog';
import type { RetentionConfig } from '../config/schema';
import { applyPolicy, periodOf, policyRules, type GenerationRule } from './policy';

/** Without a schedule the projection assumes one backup a night (what a practice runs). */
export const PROJECTION_DEFAULT_CRON = '0 3 * * *';

export interface ProjectionInput {
  retention: RetentionConfig;
  /** The schedule's cron expression (absent: PROJECTION_DEFAULT_CRON). */
  cron?: string;
  now: Date;
  /** The newest backup's database dumps together. */
  dumpBytes: number;
  /** The folders' whole size (one full copy). */
  folderBytes: number;
  /** What a night adds to the folders (new and changed files: the newest backup's bytesCopied). */
  folderChangeBytes: number;
}

export interface Projection {
  /** Backups kept once every rule is full. */
  kept: number;
  /** Per rule: how many of those it keeps (a backup may be kept by several). */
  byRule: Partial<Record<GenerationRule, number>>;
  /** The disk the kept backups need. */
  bytes: number;
  /** How far back the oldest kept backup reaches, in days. */
  reachDays: number;
}

/** Days a rule needs to fill at one backup a day (a quarter at most 92 days). */
const SPAN_DAYS: Record<GenerationRule, number> = { last: 1, daily: 1, weekly: 7, monthly: 31, quarterly: 92 };

export function projectRetention(p: ProjectionInput): Projection {
  const rules = policyRules(p.retention);
  const horizonDays = Math.max(...Object.entries(rules).map(([r, n]) => SPAN_DAYS[r as GenerationRule] * (n ?? 0)), 1) + 31;
  const ids: string[] = [];
  const it = CronExpressionParser.parse(p.cron ?? PROJECTION_DEFAULT_CRON, { currentDate: p.now });
  const end = p.now.getTime() + horizonDays * 86_400_000;
  // "last N" counts runs, not days: a schedule of several runs a day needs more than the horizon's days;
  // and a schedule with fewer runs than days (Mon–Fri, Sundays only) needs more days for "daily N":
  // every rule must have seen more periods than it keeps before the policy is full.
  const filling = Object.keys(rules).map((r) => ({ rule: r as GenerationRule, n: rules[r as GenerationRule]!, seen: 0, last: '' }));
  for (;;) {
    const next = it.next().toDate();
    if (next.getTime() > end && filling.every((f) => f.seen > f.n)) break;
    const id = backupId(next);
    for (const f of filling) {
      const period = periodOf(f.rule, id, ids.length);
      if (period !== f.last) {
        f.seen++;
        f.last = period;
      }
    }
    ids.push(id);
    if (ids.length > 200_000) break; // a cron of every minute: the policy is full long before
  }
  const result = applyPolicy(ids, rules);
  const byRule: Projection['byRule'] = {};
  for (const k of result.kept) for (const r of k.rules) byRule[r] = (byRule[r] ?? 0) + 1;
  const kept = result.kept.length;
  const oldest = result.kept[kept - 1]?.id;
  const newest = result.kept[0]?.id;
  const reachDays = oldest && newest ? Math.round((idDay(newest) - idDay(oldest)) / 86_400_000) : 0;
  const bytes = kept * p.dumpBytes + (kept > 0 ? p.folderBytes + (kept - 1) * p.folderChangeBytes : 0);
  return { kept, byRule, bytes, reachDays };
}

/** The calendar day of an id as a UTC day number: arithmetic only, no time zone. */
function idDay(id: string): number {
  return Date.UTC(+id.slice(0, 4), +id.slice(4, 6) - 1, +id.slice(6, 8));
}

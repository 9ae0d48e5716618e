// Which backups a retention policy keeps (issue 18): pure functions of the backup ids, no clock,
// no file system, no time zone. The rules are restic's `forget --keep-*` ones, so an admin who
// knows restic (or tomedo's „Drei-Generationen“ pruning, which works the same way) reads them the
// same: walking the backups newest first, each rule keeps the newest backup of each of its periods
// (day, ISO week, month, quarter) until it has kept `n` periods; `last` keeps the newest n backups.
// Periods without a backup are not counted. A backup is kept when any rule keeps it.
//
// The periods come from the id itself (YYYYMMDD_HHMMSS, the server's local wall time when it was
// made): a backup made at 00:30 on the night the clocks change belongs to the day its name says,
// whatever the UTC offset was, and no test or run depends on the machine's time zone.
import type { RetentionConfig } from '../config/schema';

/** The generation rules, in the order they are shown (restic's names; quarterly is ours). */
export const GENERATION_RULES = ['last', 'daily', 'weekly', 'monthly', 'quarterly'] as const;
export type GenerationRule = (typeof GENERATION_RULES)[number];

/** A policy in rules only: `{ keep: N }` is `{ last: N }`. */
export type GenerationsPolicy = Partial<Record<GenerationRule, number>>;

/**
 * The default of a new config: tomedo's „KBV-Empfehlung Drei-Generationen“ (every backup of 7
 * days, one a week for 4 weeks, one a month for 12, the newest 20) and, after TURBOMED's
 * „Quartalssicherung“, the last state of each of 8 quarters (two years).
 */
export const DEFAULT_RETENTION: Required<GenerationsPolicy> = { last: 20, daily: 7, weekly: 4, monthly: 12, quarterly: 8 };

/** The rules of a configured policy (`keep: N` → last N). */
export function policyRules(r: RetentionConfig): GenerationsPolicy {
  if (r.keep !== undefined) return { last: r.keep };
  const out: GenerationsPolicy = {};
  for (const rule of GENERATION_RULES) if (r[rule]) out[rule] = r[rule];
  return out;
}

/** A stable text of a policy's rules (what a run remembers it applied; see shrink-guard.ts). */
export function policyKey(r: RetentionConfig): string {
  const rules = policyRules(r);
  return GENERATION_RULES.filter((k) => rules[k]).map((k) => `${k}=${rules[k]}`).join(',');
}

const ID = /^(\d{4})(\d{2})(\d{2})_\d{6}$/;

function dateParts(id: string): { y: number; m: number; d: number } {
  const m = ID.exec(id);
  if (!m) throw new Error(`not a backup id: ${id}`);
  return { y: +m[1]!, m: +m[2]!, d: +m[3]! };
}

/** ISO 8601 week of a calendar date ("2026-W01"): weeks start on Monday, week 1 holds the year's first Thursday. */
export function isoWeek(id: string): string {
  const { y, m, d } = dateParts(id);
  // Calendar arithmetic in UTC is only arithmetic here: no offset is ever applied to the id.
  const date = new Date(Date.UTC(y, m - 1, d));
  const weekday = (date.getUTCDay() + 6) % 7; // Monday 0
  date.setUTCDate(date.getUTCDate() - weekday + 3); // the Thursday of this week decides the year
  const year = date.getUTCFullYear();
  const firstThursday = new Date(Date.UTC(year, 0, 4));
  firstThursday.setUTCDate(firstThursday.getUTCDate() - ((firstThursday.getUTCDay() + 6) % 7) + 3);
  const week = 1 + Math.round((date.getTime() - firstThursday.getTime()) / (7 * 86_400_000));
  return `${year}-W${String(week).padStart(2, '0')}`;
}

/** The quarter of a backup: { quarter: 1–4, year }. */
export function quarterOf(id: string): { quarter: number; year: number } {
  const { y, m } = dateParts(id);
  return { quarter: Math.floor((m - 1) / 3) + 1, year: y };
}

/** The period a rule counts a backup in. */
export function periodOf(rule: GenerationRule, id: string, position: number): string {
  switch (rule) {
    case 'last':
      return String(position); // every backup is a period of its own
    case 'daily':
      return id.slice(0, 8);
    case 'weekly':
      return isoWeek(id);
    case 'monthly':
      return id.slice(0, 6);
    case 'quarterly': {
      const q = quarterOf(id);
      return `${q.year}-Q${q.quarter}`;
    }
  }
}

export interface PolicyResult {
  /** Kept ids (newest first) with the rules that keep each. */
  kept: { id: string; rules: GenerationRule[] }[];
  /** Ids no rule keeps, newest first. */
  removed: string[];
}

/**
 * restic's ApplyPolicy over backup ids: the ids are sorted newest first; each rule remembers the
 * last period it kept and its remaining count; a backup in a new period is kept by that rule and
 * uses up one of its count. Every backup is looked at by every rule (not only until it is kept).
 * An empty policy keeps everything (the schema never lets one through).
 */
export function applyPolicy(ids: readonly string[], policy: GenerationsPolicy): PolicyResult {
  const sorted = [...new Set(ids)].sort().reverse();
  const rules = GENERATION_RULES.filter((r) => (policy[r] ?? 0) > 0);
  if (rules.length === 0) return { kept: sorted.map((id) => ({ id, rules: [] })), removed: [] };
  const left = new Map(rules.map((r) => [r, policy[r]!]));
  const lastPeriod = new Map<GenerationRule, string>();
  const kept: PolicyResult['kept'] = [];
  const removed: string[] = [];
  sorted.forEach((id, position) => {
    const by: GenerationRule[] = [];
    for (const rule of rules) {
      if (left.get(rule)! <= 0) continue;
      const period = periodOf(rule, id, position);
      if (period !== lastPeriod.get(rule)) {
        by.push(rule);
        lastPeriod.set(rule, period);
        left.set(rule, left.get(rule)! - 1);
      }
    }
    if (by.length) kept.push({ id, rules: by });
    else removed.push(id);
  });
  return { kept, removed };
}

/**
 * A quarter-end state („Quartalssicherung Q3/2026“): kept by the quarterly rule for a quarter that
 * is over (the newest backup of the current quarter is kept by that rule too, but it is not the
 * quarter's last state until the quarter has ended). `newestId`: the newest backup there.
 */
export function isQuarterArchive(entry: { id: string; rules: GenerationRule[] }, newestId: string): boolean {
  if (!entry.rules.includes('quarterly')) return false;
  return periodOf('quarterly', entry.id, 0) !== periodOf('quarterly', newestId, 0);
}

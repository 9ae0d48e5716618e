// What retention does to one directory of backups (the local one, or a mirror's): the policy's
// answer (policy.ts) plus the promises that hold whatever the policy says:
// - only complete backups count (the catalogue's `complete`: never a .partial, never a future one);
// - the newest complete backup is never removed;
// - a restore's safety backup is kept for SAFETY_KEEP_MS after it was made, so the state before a
//   restore can be gone back to during that week even if the policy has no room for it;
// - backups made by hand count like scheduled ones (nothing here looks at who started a run).
// And one guard (shrinkHeld): a policy that was changed so that it would remove more than
// SHRINK_CONFIRM_ABOVE backups at once removes nothing until somebody confirmed it
// (`praxis-backup retention apply`, the settings window): a typo in a count must not cost a year
// of history in one night.
import { backupId, type BackupEntry } from '../backup-directory/catalog';
import type { RetentionConfig } from '../config/schema';
import { applyPolicy, isQuarterArchive, policyKey, policyRules, type GenerationRule } from './policy';

/** A restore's safety backup outlives the policy for this long (a week: „in der selben Woche“). */
export const SAFETY_KEEP_MS = 7 * 86_400_000;

/** More removals than this in one go, after the policy changed, need a confirmation. */
export const SHRINK_CONFIRM_ABOVE = 3;

export type KeepReason = GenerationRule | 'newest' | 'safety';

export interface RetentionDecision {
  entry: BackupEntry;
  /** Why it stays (empty: it goes). */
  reasons: KeepReason[];
  /** A quarter-end state kept by the quarterly rule („Quartalssicherung Q3/2026“). */
  quarterArchive?: { quarter: number; year: number };
}

export interface RetentionPlan {
  policy: string;
  /** Every complete backup, newest first, with why it stays or that it goes. */
  decisions: RetentionDecision[];
  /** What goes, newest first. */
  remove: BackupEntry[];
}

/** The manifest says a restore made it (its safety backup). */
export function isSafetyBackup(b: BackupEntry): boolean {
  return b.manifest.trigger === 'restoreSafety';
}

/** `complete`: newest first, as readCatalog gives it. `now`: the run's clock. */
export function planRetention(complete: BackupEntry[], retention: RetentionConfig, now: Date): RetentionPlan {
  const result = applyPolicy(
    complete.map((b) => b.id),
    policyRules(retention),
  );
  const rulesOf = new Map(result.kept.map((k) => [k.id, k.rules]));
  const newest = complete[0]?.id;
  // A quarter is over when the calendar says so, not only once the next quarter has a backup (the
  // server off over the new year); the newest id wins when it is later (a clock set back a little).
  const current = newest && newest > backupId(now) ? newest : backupId(now);
  const decisions: RetentionDecision[] = complete.map((entry) => {
    const reasons: KeepReason[] = [...(rulesOf.get(entry.id) ?? [])];
    if (entry.id === newest) reasons.push('newest');
    // finishedAt is an ISO instant: the age needs no time zone.
    if (isSafetyBackup(entry) && now.getTime() - Date.parse(entry.manifest.finishedAt) < SAFETY_KEEP_MS) reasons.push('safety');
    const d: RetentionDecision = { entry, reasons };
    const rules = rulesOf.get(entry.id);
    if (rules && isQuarterArchive({ id: entry.id, rules }, current)) {
      const m = /^(\d{4})(\d{2})/.exec(entry.id)!;
      d.quarterArchive = { quarter: Math.floor((+m[2]! - 1) / 3) + 1, year: +m[1]! };
    }
    return d;
  });
  return { policy: policyKey(retention), decisions, remove: decisions.filter((d) => d.reasons.length === 0).map((d) => d.entry) };
}

/**
 * Removal held back for a confirmation: more than SHRINK_CONFIRM_ABOVE backups would go and the
 * policy is not the one last applied (or confirmed) to this directory. `applied`: the policyKey
 * recorded when retention last ran there (status.json `retentionApplied`); absent on a first run.
 */
export function shrinkHeld(plan: RetentionPlan, applied: string | undefined): boolean {
  return plan.remove.length > SHRINK_CONFIRM_ABOVE && plan.policy !== applied;
}

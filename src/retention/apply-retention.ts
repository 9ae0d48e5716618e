// Retention applied to the local backup directory after a backup (and by `retention apply`):
// the plan (retention-plan.ts), the shrink guard, the removals (retention.ts: rename, then
// delete), and the policy recorded as applied in status.json so the guard knows the next time.
import type { BackupEntry } from '../backup-directory/catalog';
import type { RetentionConfig } from '../config/schema';
import type { Reporter } from '../run/events';
import type { StatusStore } from '../run/status-store';
import { removeBackup } from './retention';
import { planRetention, shrinkHeld, type RetentionPlan } from './retention-plan';

/** status.json `retentionApplied` key of the local backup directory (mirrors use their name). */
export const LOCAL_RETENTION = 'local';

export interface RetentionOutcome {
  plan: RetentionPlan;
  removed: string[];
  /** Removals held back for a confirmation (shrinkHeld): nothing was removed. */
  held: boolean;
}

export interface ApplyRetentionOptions {
  /** The run's clock. */
  now: Date;
  status: StatusStore;
  reporter: Reporter;
  /** `retention apply --yes` or a confirmed question: the shrink guard is passed. */
  confirmed?: boolean;
  /** status.json key (LOCAL_RETENTION or a mirror's name). */
  where?: string;
  /** Removes one backup (default: the local rename-then-delete). */
  remove?: (b: BackupEntry) => Promise<void>;
}

export async function applyRetention(complete: BackupEntry[], retention: RetentionConfig, o: ApplyRetentionOptions): Promise<RetentionOutcome> {
  const where = o.where ?? LOCAL_RETENTION;
  const plan = planRetention(complete, retention, o.now);
  const applied = (await o.status.read()).retentionApplied?.[where]?.policy;
  if (!o.confirmed && shrinkHeld(plan, applied)) {
    o.reporter.warn('retention.held', {
      count: plan.remove.length,
      ids: plan.remove.map((b) => b.id).join(', '),
      policy: plan.policy,
      ...(where === LOCAL_RETENTION ? {} : { name: where }),
    });
    return { plan, removed: [], held: true };
  }
  const removed: string[] = [];
  for (const old of plan.remove) {
    await (o.remove ?? removeBackup)(old);
    removed.push(old.id);
    o.reporter.info('run.retention.removed', { id: old.id, policy: plan.policy });
  }
  if (applied !== plan.policy) {
    await o.status.update((s) => {
      (s.retentionApplied ??= {})[where] = { policy: plan.policy, at: o.now.toISOString() };
    });
  }
  return { plan, removed, held: false };
}

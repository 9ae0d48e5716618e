// Which backups a mirror gets and which it loses, in terms of the Destination contract (ids and
// local source folders), so every destination kind — a folder or a repository — is kept the same
// way: what an interrupted run left is tidied first, new backups are put oldest first, and only
// after everything new is complete are the backups that no longer belong there removed.
//
// Mode "all" keeps there what the mirror's policy keeps (its own `retention`, else the local one),
// decided over the local backups and those there together: a USB disk with a bigger policy keeps
// generations the local disk already dropped, and a local backup the target's policy would drop at
// once is not copied at all. The shrink guard holds a changed policy's mass removal there as it
// does locally (status.json retentionApplied[mirror name]). When the copies do not fit, the oldest
// generations the policy allows go first, before the copy (space-plan.ts).
import type { BackupEntry } from '../backup-directory/catalog';
import type { RetentionConfig } from '../config/schema';
import type { Destination } from '../destinations/contract';
import type { Reporter } from '../run/events';
import type { StatusStore } from '../run/status-store';
import { LOCAL_RETENTION } from '../retention/apply-retention';
import { planRetention, shrinkHeld, type RetentionPlan } from '../retention/retention-plan';
import { makeRoom } from './space-plan';
import { PraxisError } from '../core/errors';
import type { Message } from '../i18n';

export interface SyncResult {
  copied: string[];
  removed: string[];
  bytesCopied: number;
  /** The newest complete backup on the destination afterwards. */
  newest?: string;
  /** What the destination said it stored for the last backup put (a repository's snapshot id), and its files. */
  stored?: string;
  files?: number;
  /** Said, not failed: the destination refused a removal (an append-only server). */
  warnings: Message[];
}

export interface SyncOptions {
  name: string;
  mode: 'all' | 'latest';
  /** The generations kept there (mode "all"): the mirror's own `retention`, else the local policy. */
  retention?: RetentionConfig;
  /** The run's clock (a restore's safety backup is kept for a week: retention-plan.ts). */
  now?: Date;
  /** Where the policy last applied there is recorded (the shrink guard); absent: a changed policy's mass removal is held. */
  status?: StatusStore;
  /** Reads the new copies back (mirror-run); called after the copies, before any removal. */
  verifyCopied?: (ids: string[]) => Promise<void>;
  reporter: Reporter;
  signal: AbortSignal;
}

/** `local`: the complete local backups, newest first. */
export async function syncBackups(local: BackupEntry[], d: Destination, o: SyncOptions): Promise<SyncResult> {
  const result: SyncResult = { copied: [], removed: [], bytesCopied: 0, warnings: [] };
  if (local.length === 0) return result; // nothing to copy, and never a reason to delete anything there

  await d.tidy(o.reporter);
  const newestLocal = local[0]!.id;
  const before = await d.list();
  const there = new Map(before.map((b) => [b.id, b]));
  const same = (a: BackupEntry, b: BackupEntry | undefined) => !!b && b.manifest.finishedAt === a.manifest.finishedAt && b.manifest.host === a.manifest.host;
  const g = o.mode === 'all' ? await generations(local, before, d, o) : null;
  if (g?.warning) result.warnings.push(g.warning);
  const oldestFirst = [...local].reverse();
  const wanted = g ? oldestFirst.filter((b) => g.keeps.has(b.id)) : oldestFirst.slice(-1);
  let toCopy = wanted.filter((b) => !same(b, there.get(b.id)));

  if (g) {
    const room = await makeRoom(d, { decisions: g.plan.decisions, there: before, toPut: toCopy, newestLocal, held: g.held, name: o.name, mode: o.mode, reporter: o.reporter });
    toCopy = room.put;
    result.removed.push(...room.removed);
    result.warnings.push(...room.warnings);
  }
  await d.prepare(toCopy, o.mode, o.reporter);
  for (const b of toCopy) {
    o.signal.throwIfAborted();
    const put = await d.put(b, { mode: o.mode, reporter: o.reporter, signal: o.signal });
    result.bytesCopied += put.bytesCopied;
    result.warnings.push(...(put.warnings ?? []));
    if (put.stored) Object.assign(result, { stored: put.stored, files: put.files });
    result.copied.push(b.id);
    o.reporter.info('mirror.copied', { name: o.name, id: b.id });
  }

  await o.verifyCopied?.(result.copied);

  // Remove what no longer belongs there — only after everything new is complete and read back, never the newest
  // there, and never anything newer than our newest backup (it may come from another server or a
  // restored copy). An append-only destination keeps everything: its retention is the storage side's job.
  const after = d.keepsAll ? [] : await d.list();
  const goes = (id: string) => (g ? g.drop.has(id) : id !== newestLocal);
  for (const t of after) {
    if (t.id > newestLocal || t.id === after[0]!.id || !goes(t.id)) continue;
    try {
      await d.remove(t.id);
    } catch (e) {
      // A server that refuses deletions (append-only though the config did not say so) keeps the
      // old backups; the copy itself is complete: a warning, not a failed mirror.
      if (!(e instanceof PraxisError) || e.message_.key !== 'offsite.deleteRefused') throw e;
      result.warnings.push(e.message_);
      o.reporter.warn(e.message_.key, e.message_.params);
      break;
    }
    result.removed.push(t.id);
    o.reporter.info('mirror.removed', { name: o.name, id: t.id });
  }
  if (g && o.retention && !g.held && !d.keepsAll && o.status && g.applied !== g.plan.policy) {
    const at = (o.now ?? new Date()).toISOString();
    await o.status.update((s) => void ((s.retentionApplied ??= {})[o.name] = { policy: g.plan.policy, at }));
  }
  if (d.keepsAll && toCopy.length) o.reporter.info('offsite.keepsAll', { name: o.name });
  result.newest = (await d.list())[0]?.id;
  return result;
}

interface Generations {
  plan: RetentionPlan;
  /** Local backups that belong there (the others are not copied). */
  keeps: Set<string>;
  /** Backups there that the policy drops (empty while the shrink guard holds, or append-only). */
  drop: Set<string>;
  held: boolean;
  /** The policy recorded as applied there before this run. */
  applied?: string;
  /** The shrink guard's word (mirror.retentionHeld). */
  warning?: Message;
}

/** Mode "all": the policy over the local backups and those there (none newer than our newest: not ours to judge). */
async function generations(local: BackupEntry[], there: BackupEntry[], d: Destination, o: SyncOptions): Promise<Generations> {
  if (!o.retention) {
    // No policy handed in: the target follows the local directory exactly.
    const ids = new Set(local.map((b) => b.id));
    const plan: RetentionPlan = { policy: '', decisions: [], remove: [] };
    return { plan, keeps: ids, drop: new Set(there.filter((t) => !ids.has(t.id)).map((t) => t.id)), held: false };
  }
  const newestLocal = local[0]!.id;
  const byId = new Map<string, BackupEntry>();
  for (const t of there) if (t.id <= newestLocal) byId.set(t.id, t);
  for (const b of local) byId.set(b.id, b); // the local manifest decides (a safety backup's age)
  const union = [...byId.values()].sort((a, b) => (a.id < b.id ? 1 : -1));
  const plan = planRetention(union, o.retention, o.now ?? new Date());
  const dropped = new Set(plan.remove.map((b) => b.id));
  const keeps = new Set(local.filter((b) => !dropped.has(b.id)).map((b) => b.id));
  if (d.keepsAll) return { plan, keeps, drop: new Set(), held: false };

  // The guard counts what would go there; a policy confirmed for the local directory
  // (`retention apply`) is confirmed for the mirrors that have it too.
  const onTarget = plan.remove.filter((b) => there.some((t) => t.id === b.id));
  const st = o.status ? await o.status.read() : undefined;
  const applied = st?.retentionApplied?.[o.name]?.policy;
  const confirmed = st?.retentionApplied?.[LOCAL_RETENTION]?.policy === plan.policy ? plan.policy : applied;
  const held = shrinkHeld({ ...plan, remove: onTarget }, confirmed);
  const warning: Message | undefined = held ? { key: 'mirror.retentionHeld', params: { name: o.name, count: onTarget.length, ids: onTarget.map((b) => b.id).join(', '), policy: plan.policy } } : undefined;
  if (warning) o.reporter.warn(warning.key, warning.params);
  return { plan, keeps, drop: held ? new Set() : new Set(onTarget.map((b) => b.id)), held, applied, warning };
}

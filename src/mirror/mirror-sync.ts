// Which backups a mirror gets and which it loses, in terms of the Destination contract (ids and
// local source folders), so every destination kind — a folder or a repository — is kept the same
// way: what an interrupted run left is tidied first, new backups are put oldest first, and only
// after everything new is complete are the backups that no longer belong there removed.
import type { BackupEntry } from '../backup-directory/catalog';
import type { RetentionConfig } from '../config/schema';
import type { Destination } from '../destinations/contract';
import type { Reporter } from '../run/events';
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
  reporter: Reporter;
  signal: AbortSignal;
}

/** `local`: the complete local backups, newest first. */
export async function syncBackups(local: BackupEntry[], d: Destination, o: SyncOptions): Promise<SyncResult> {
  const result: SyncResult = { copied: [], removed: [], bytesCopied: 0, warnings: [] };
  if (local.length === 0) return result; // nothing to copy, and never a reason to delete anything there

  await d.tidy(o.reporter);
  const oldestFirst = [...local].reverse();
  const wanted = o.mode === 'all' ? oldestFirst : oldestFirst.slice(-1);
  const there = new Map((await d.list()).map((b) => [b.id, b]));
  const same = (a: BackupEntry, b: BackupEntry | undefined) => !!b && b.manifest.finishedAt === a.manifest.finishedAt && b.manifest.host === a.manifest.host;
  const toCopy = wanted.filter((b) => !same(b, there.get(b.id)));

  await d.prepare(toCopy, o.mode, o.reporter);
  for (const b of toCopy) {
    o.signal.throwIfAborted();
    const put = await d.put(b, { mode: o.mode, reporter: o.reporter, signal: o.signal });
    result.bytesCopied += put.bytesCopied;
    if (put.stored) Object.assign(result, { stored: put.stored, files: put.files });
    result.copied.push(b.id);
    o.reporter.info('mirror.copied', { name: o.name, id: b.id });
  }

  // Remove what no longer belongs there — only after everything new is complete, and never
  // anything newer than our newest backup (it may come from another server or a restored copy).
  // An append-only destination keeps everything: its retention is the storage side's job.
  const keep = new Set(wanted.map((b) => b.id));
  const newestLocal = local[0]!.id;
  for (const t of d.keepsAll ? [] : await d.list()) {
    if (keep.has(t.id) || t.id > newestLocal) continue;
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
  if (d.keepsAll && toCopy.length) o.reporter.info('offsite.keepsAll', { name: o.name });
  result.newest = (await d.list())[0]?.id;
  return result;
}

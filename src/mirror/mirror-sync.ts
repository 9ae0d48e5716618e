// Which backups a mirror gets and which it loses, in terms of the Destination contract (ids and
// local source folders), so every destination kind — a folder or a repository — is kept the same
// way: what an interrupted run left is tidied first, new backups are put oldest first, and only
// after everything new is complete are the backups that no longer belong there removed.
import type { BackupEntry } from '../backup-directory/catalog';
import type { Destination } from '../destinations/contract';
import type { Reporter } from '../run/events';

export interface SyncResult {
  copied: string[];
  removed: string[];
  bytesCopied: number;
  /** The newest complete backup on the destination afterwards. */
  newest?: string;
}

export interface SyncOptions {
  name: string;
  mode: 'all' | 'latest';
  reporter: Reporter;
  signal: AbortSignal;
}

/** `local`: the complete local backups, newest first. */
export async function syncBackups(local: BackupEntry[], d: Destination, o: SyncOptions): Promise<SyncResult> {
  const result: SyncResult = { copied: [], removed: [], bytesCopied: 0 };
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
    result.copied.push(b.id);
    o.reporter.info('mirror.copied', { name: o.name, id: b.id });
  }

  // Remove what no longer belongs there — only after everything new is complete, and never
  // anything newer than our newest backup (it may come from another server or a restored copy).
  const keep = new Set(wanted.map((b) => b.id));
  const newestLocal = local[0]!.id;
  for (const t of await d.list()) {
    if (keep.has(t.id) || t.id > newestLocal) continue;
    await d.remove(t.id);
    result.removed.push(t.id);
    o.reporter.info('mirror.removed', { name: o.name, id: t.id });
  }
  result.newest = (await d.list())[0]?.id;
  return result;
}

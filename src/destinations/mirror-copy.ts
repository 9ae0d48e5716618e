// Copying complete backups onto a mirror target, with the same rule as locally: a backup on the
// target is complete only once its manifest is there, and the manifest is copied last. Each
// backup goes into <id>.partial with --link-dest against the previous backup on the target (so
// ten generations cost about one, as at home), then gets its manifest, then its name.
//
// Why one rsync per backup instead of one `rsync -aH --delete` over the whole directory: with
// one big rsync, an interrupted run leaves a folder with a manifest but half its files — exactly
// the "looks complete and is not" the design forbids. Per backup, the manifest is the commit.
import { copyFile, open, rename, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { run, CommandError } from '../process/runner';
import { readCatalog, PARTIAL_SUFFIX, type BackupEntry } from '../backup-directory/catalog';
import { ExitCode, PraxisError } from '../core/errors';
import type { Reporter } from '../run/events';
import { parseProgress2Numbers, parseRsyncStats, rsyncMeaningKey, supportsProgress2 } from '../backup/folder-copy';
import { stallPoint } from '../run/fault-injection';
import { MANIFEST_FILE } from '../backup-directory/manifest';
import { fsyncDir } from '../platform/fsync';
import { classifyInvalid, finishRemovals, removeBackupFolder } from '../retention/retention';
import { checkSpace, diskSpace } from '../backup-directory/space-check';
import type { ToolInfo, ToolLocator } from '../process/tool-locator';
import { removeTree } from '../backup-directory/tree-walk';

export interface SyncResult {
  copied: string[];
  removed: string[];
  bytesCopied: number;
  /** The newest complete backup on the target afterwards. */
  newest?: string;
}

export function planMirrorRsync(rsync: ToolInfo, from: string, to: string, linkDest: string | null, label: string) {
  const args = ['-a', '-H', '--stats'];
  if (supportsProgress2(rsync)) args.push('--info=progress2');
  if (linkDest) args.push(`--link-dest=${linkDest}`);
  // The manifest comes last, by us, after everything else is on the target.
  args.push(`--exclude=/${MANIFEST_FILE}`, `${from.replace(/\/+$/, '')}/`, `${to.replace(/\/+$/, '')}/`);
  return { label, file: rsync.path, args, okExitCodes: [0] };
}

/** Bytes this copy will write: a backup whose predecessor is on the target costs only what changed. */
export function estimateBytes(toCopy: BackupEntry[], hasPredecessor: (b: BackupEntry) => boolean): number {
  let total = 0;
  for (const b of toCopy) {
    if (!hasPredecessor(b)) {
      total += b.bytes;
      continue;
    }
    for (const c of b.manifest.components) total += c.type === 'folder' ? (c.bytesCopied ?? c.bytes) : c.bytes;
  }
  return total;
}

async function fsyncFile(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * The target's file system is no longer the one we started on: the disk was pulled, or unmounted
 * under us. (The mount point may stay as an empty folder of the disk below: then its device differs.)
 */
export async function targetVanished(dir: string, dev: number): Promise<boolean> {
  const st = await stat(dir).catch(() => null);
  return !st || st.dev !== dev;
}

export interface SyncOptions {
  name: string;
  mode: 'all' | 'latest';
  tools: ToolLocator;
  reporter: Reporter;
  signal: AbortSignal;
}

export async function syncBackups(local: BackupEntry[], targetDir: string, o: SyncOptions): Promise<SyncResult> {
  const result: SyncResult = { copied: [], removed: [], bytesCopied: 0 };
  if (local.length === 0) return result; // nothing to copy, and never a reason to delete anything there

  let target = await readCatalog(targetDir);
  for (const p of target.partial) {
    await removeTree(join(targetDir, p));
    o.reporter.info('mirror.partialRemoved', { name: o.name, id: p });
  }
  // Removals an interrupted run began, and remains of older versions' in-place removals.
  for (const id of await finishRemovals(targetDir, target.deleting)) o.reporter.info('mirror.removalFinished', { name: o.name, id });
  const invalid = await classifyInvalid(targetDir, target);
  for (const id of invalid.remains) {
    await removeBackupFolder(join(targetDir, id));
    o.reporter.info('mirror.remainsRemoved', { name: o.name, id });
  }
  for (const id of invalid.unknown) o.reporter.info('mirror.unknownDirs', { name: o.name, id, dir: targetDir });

  const oldestFirst = [...local].reverse();
  const wanted = o.mode === 'all' ? oldestFirst : oldestFirst.slice(-1);
  const onTarget = new Map(target.complete.map((b) => [b.id, b]));
  const same = (a: BackupEntry, b: BackupEntry | undefined) => !!b && b.manifest.finishedAt === a.manifest.finishedAt && b.manifest.host === a.manifest.host;
  const toCopy = wanted.filter((b) => !same(b, onTarget.get(b.id)));

  const predecessor = (b: BackupEntry): string | null => {
    // For "all", the newest target backup older than this one; for "latest", whatever is there.
    const candidates = target.complete.filter((t) => (o.mode === 'latest' ? t.id !== b.id : t.id < b.id));
    return candidates[0]?.id ?? null; // target.complete is newest first
  };

  if (toCopy.length) {
    const needed = estimateBytes(toCopy, (b) => predecessor(b) !== null || toCopy.indexOf(b) > 0);
    const space = await diskSpace(targetDir);
    try {
      checkSpace(targetDir, needed, space);
    } catch (e) {
      if (e instanceof PraxisError) throw new PraxisError('mirror.space', { ...e.message_.params, name: o.name });
      throw e;
    }
  }

  const rsync = await o.tools.find('rsync');
  if (toCopy.length) o.reporter.info('run.tool', { tool: 'rsync', path: rsync.path, version: rsync.version });
  for (const b of toCopy) {
    o.signal.throwIfAborted();
    const prev = predecessor(b);
    const partial = join(targetDir, b.id + PARTIAL_SUFFIX);
    const plan = planMirrorRsync(rsync, b.path, partial, prev ? join(targetDir, prev) : null, `rsync → ${o.name} (${b.id})`);
    let noSpace = false;
    try {
      const r = await run(plan, {
        signal: o.signal,
        onStdoutLine: (line) => {
          const p = parseProgress2Numbers(line);
          if (p) o.reporter.progress(`mirror:${o.name}`, p.percent, b.id, p);
        },
        onStderrLine: (line) => {
          if (/No space left on device/.test(line)) noSpace = true;
        },
      });
      result.bytesCopied += parseRsyncStats(r.stdoutTail)?.bytesCopied ?? 0;
      // The disk-pulled test removes the disk here, between the files and the manifest.
      await stallPoint('mirror-manifest', join(dirname(b.path), `.mirror-${o.name}.stalled`));
      await copyFile(join(b.path, MANIFEST_FILE), join(partial, MANIFEST_FILE));
      await fsyncFile(join(partial, MANIFEST_FILE));
      await fsyncDir(partial);
      if (onTarget.has(b.id)) await removeBackupFolder(join(targetDir, b.id)); // a differing copy of the same id
      await rename(partial, join(targetDir, b.id));
      await fsyncDir(targetDir);
    } catch (e) {
      await removeTree(partial).catch(() => {});
      if (e instanceof CommandError && e.reason === 'exit') {
        if (noSpace) throw new PraxisError('mirror.full', { name: o.name, dir: targetDir });
        const code = e.exitCode ?? -1;
        throw new PraxisError('mirror.rsync', { name: o.name, code, meaning: { key: rsyncMeaningKey(code) } }, ExitCode.failed, e.stderrTail.slice(-10));
      }
      if ((e as NodeJS.ErrnoException).code === 'ENOSPC') throw new PraxisError('mirror.full', { name: o.name, dir: targetDir });
      throw e;
    }
    result.copied.push(b.id);
    o.reporter.info('mirror.copied', { name: o.name, id: b.id });
    target = await readCatalog(targetDir);
  }

  // Remove what no longer belongs there — only after everything new is complete, and never
  // anything newer than our newest backup (it may come from another server or a restored copy).
  const keep = new Set(wanted.map((b) => b.id));
  const newestLocal = local[0]!.id;
  for (const t of target.complete) {
    if (keep.has(t.id) || t.id > newestLocal) continue;
    // As locally: renamed to <id>.deleting first, then deleted (retention.ts).
    await removeBackupFolder(t.path);
    result.removed.push(t.id);
    o.reporter.info('mirror.removed', { name: o.name, id: t.id });
  }
  result.newest = (await readCatalog(targetDir)).complete[0]?.id;
  return result;
}

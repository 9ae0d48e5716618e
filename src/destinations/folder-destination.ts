// A destination that is a folder (a USB disk's Praxis-Backup folder, a share, a path, or the
// decrypted view of an encrypted one): the Destination contract answered with the same rule as
// locally — a backup there is complete only once its manifest is there, and the manifest is
// copied last. Each backup goes into <id>.partial with --link-dest against the previous backup
// there (so ten generations cost about one, as at home), then gets its manifest, then its name.
//
// Why one rsync per backup instead of one `rsync -aH --delete` over the whole directory: with
// one big rsync, an interrupted run leaves a folder with a manifest but half its files — exactly
// the "looks complete and is not" the design forbids. Per backup, the manifest is the commit.
import { copyFile, open, rename, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Mirror } from '../config/schema';
import type { CryptView } from '../core/mirror-crypt';
import { run, CommandError } from '../process/runner';
import { readCatalog, PARTIAL_SUFFIX, type BackupEntry, type Catalog } from '../backup-directory/catalog';
import { ExitCode, PraxisError } from '../core/errors';
import type { Message } from '../i18n';
import type { Reporter } from '../run/events';
import { failureMessage } from '../run/failure';
import { AttributeLoss, parseProgress2Numbers, parseRsyncStats, reportRsync, rsyncMeaningKey, supportsProgress2 } from '../backup/folder-copy';
import { rsyncFidelity } from '../backup/rsync-fidelity';
import { stallPoint } from '../run/fault-injection';
import { MANIFEST_FILE } from '../backup-directory/manifest';
import { fsyncDir } from '../platform/fsync';
import { classifyInvalid, finishRemovals, removeBackupFolder } from '../retention/retention';
import { checkSpace, diskSpace, type DiskSpace } from '../backup-directory/space-check';
import { freedByPrefix } from '../retention/freed-bytes';
import type { ToolInfo, ToolLocator } from '../process/tool-locator';
import { removeTree } from '../backup-directory/tree-walk';
import type { VerificationRecord } from '../backup-directory/verification';
import { writeVerification } from '../backup-directory/verification';
import type { AnyDestinationKind, Destination, PutOptions, ReleaseEnv, Target, TargetInfo, VerifyCopyOptions } from './contract';
import { assertDecrypted, closeView, openView, type AccessOptions, type CryptDeps } from './encrypted/encrypted-target';

/** `limitKiBs`: the mirror's cap (config limitKiBs); rsync's --bwlimit counts KiB/s, as the config does. */
export function planMirrorRsync(rsync: ToolInfo, from: string, to: string, linkDest: string | null, label: string, limitKiBs?: number) {
  // What the local snapshot kept (rsync-fidelity.ts), the mirror keeps: -H for the links inside a backup.
  const args = ['-a', ...rsyncFidelity(rsync).args, '--stats'];
  if (supportsProgress2(rsync)) args.push('--info=progress2');
  if (linkDest) args.push(`--link-dest=${linkDest}`);
  // A share over a slow line, or a disk the practice's own server also writes to: the night's copy leaves room.
  if (limitKiBs) args.push(`--bwlimit=${limitKiBs}`);
  // The manifest comes last, by us, after everything else is on the target.
  args.push(`--exclude=/${MANIFEST_FILE}`, `${from.replace(/\/+$/, '')}/`, `${to.replace(/\/+$/, '')}/`);
  // 23 ("some files/attrs were not transferred") is judged by put() from rsync's lines: only
  // xattrs/ACLs the target cannot hold is a warning, anything else a failure.
  return { label, file: rsync.path, args, okExitCodes: [0], warnExitCodes: [23] };
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

/** What putting `toPut` (in this order) writes onto a target that holds the backups `there` (ids). */
export function bytesToPut(toPut: BackupEntry[], there: string[], mode: PutOptions['mode']): number {
  const complete = there.map((id) => ({ id })).sort((a, b) => (a.id < b.id ? 1 : -1));
  return estimateBytes(toPut, (b) => predecessor(complete, b, mode) !== null || toPut.indexOf(b) > 0);
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

/** The newest complete backup there that a new copy of `b` may share unchanged files with. */
function predecessor(complete: readonly { id: string }[], b: BackupEntry, mode: PutOptions['mode']): string | null {
  // For "all", the newest backup there older than this one; for "latest", whatever is there.
  const candidates = complete.filter((t) => (mode === 'latest' ? t.id !== b.id : t.id < b.id));
  return candidates[0]?.id ?? null; // complete is newest first
}

export interface FolderDestinationDeps extends CryptDeps, ReleaseEnv {
  tools: ToolLocator;
  /** Tells the admin (a desktop notification and the run's event): "can be unplugged now", "eject failed". */
  notice(reporter: Reporter, message: Message): Promise<void>;
}

/**
 * A located folder target (mounted and guarded by its kind), opened with unlock() — which for an
 * encrypted mirror puts the decrypted view in between — and given back with close().
 */
export class FolderDestination implements Destination {
  /** The decrypted view of an encrypted mirror (null: plain, or an unlocked encrypted volume). */
  view: CryptView | null = null;
  readonly where: TargetInfo;
  /** The device guard() saw, to tell "the disk was pulled" from other failures. */
  private dev: number | null = null;
  private rsync: ToolInfo | null = null;

  constructor(
    readonly mirror: Mirror,
    private readonly kind: AnyDestinationKind,
    readonly target: Target,
    private readonly deps: FolderDestinationDeps,
  ) {
    this.where = kind.where(mirror, target);
  }

  get name(): string {
    return this.mirror.name;
  }

  /** Where the backups are: the target's folder, or the decrypted view. */
  get dir(): string {
    return this.target.dir;
  }

  get warnings(): Message[] {
    return this.target.warnings;
  }

  /** Folders are read in place. */
  async fetch(id: string): Promise<BackupEntry | null> {
    return (await this.list()).find((b) => b.id === id) ?? null;
  }

  catalog(): Promise<Catalog> {
    return readCatalog(this.dir);
  }

  /** For an encrypted mirror: open (or, for an unlocked volume, check) the decrypted view. Throws without writing anything. */
  async unlock(access: AccessOptions = {}): Promise<void> {
    this.view = await openView(this.mirror, this.target, this.deps, access);
  }

  async guard(): Promise<void> {
    // Checked once more right before the first write: an encrypted mirror is never written in the clear.
    await assertDecrypted(this.mirror, this.target, this.view);
    this.dev = (await stat(this.dir)).dev;
  }

  async vanished(): Promise<boolean> {
    return this.dev !== null && (await targetVanished(this.dir, this.dev));
  }

  freeSpace(): Promise<DiskSpace> {
    return diskSpace(this.dir);
  }

  /** From the inodes' link counts (hard-linked generations share most files): what `du` of the folder would lose. */
  async freedBy(ids: string[]): Promise<number[]> {
    return (await freedByPrefix(ids.map((id) => join(this.dir, id)))).prefix;
  }

  async list(): Promise<BackupEntry[]> {
    return (await readCatalog(this.dir)).complete;
  }

  async tidy(reporter: Reporter): Promise<void> {
    const dir = this.dir;
    const name = this.name;
    const target = await readCatalog(dir);
    for (const p of target.partial) {
      await removeTree(join(dir, p));
      reporter.info('mirror.partialRemoved', { name, id: p });
    }
    // Removals an interrupted run began, and remains of older versions' in-place removals.
    for (const id of await finishRemovals(dir, target.deleting)) reporter.info('mirror.removalFinished', { name, id });
    const invalid = await classifyInvalid(dir, target);
    for (const id of invalid.remains) {
      await removeBackupFolder(join(dir, id));
      reporter.info('mirror.remainsRemoved', { name, id });
    }
    for (const id of invalid.unknown) reporter.info('mirror.unknownDirs', { name, id, dir });
  }

  async prepare(toPut: BackupEntry[], mode: PutOptions['mode'], reporter: Reporter): Promise<void> {
    if (toPut.length) {
      const needed = bytesToPut(toPut, (await this.list()).map((t) => t.id), mode);
      const space = await this.freeSpace();
      try {
        checkSpace(this.dir, needed, space);
      } catch (e) {
        if (e instanceof PraxisError) throw new PraxisError('mirror.space', { ...e.message_.params, name: this.name });
        throw e;
      }
    }
    this.rsync = await this.deps.tools.find('rsync');
    if (toPut.length) reportRsync(reporter, this.rsync);
  }

  async put(b: BackupEntry, o: PutOptions): Promise<{ bytesCopied: number; warnings: Message[] }> {
    const dir = this.dir;
    const name = this.name;
    const rsync = this.rsync ?? (await this.deps.tools.find('rsync'));
    const complete = await this.list();
    const prev = predecessor(complete, b, o.mode);
    const partial = join(dir, b.id + PARTIAL_SUFFIX);
    const limit = 'limitKiBs' in this.mirror ? this.mirror.limitKiBs : undefined;
    const plan = planMirrorRsync(rsync, b.path, partial, prev ? join(dir, prev) : null, `rsync → ${name} (${b.id})`, limit);
    let noSpace = false;
    let bytesCopied = 0;
    const attrs = new AttributeLoss();
    const warnings: Message[] = [];
    try {
      const r = await run(plan, {
        signal: o.signal,
        onStdoutLine: (line) => {
          const p = parseProgress2Numbers(line);
          if (p) o.reporter.progress(`mirror:${name}`, p.percent, b.id, p);
        },
        onStderrLine: (line) => {
          // An xattr larger than the target's ext4 can hold says ENOSPC too, on a disk with room.
          if (!attrs.take(line) && /No space left on device/.test(line)) noSpace = true;
        },
      });
      if (r.exitCode === 23) {
        if (noSpace) throw new PraxisError('mirror.full', { name, dir });
        // Only attributes lost: every file is there, its xattrs/ACLs are not.
        if (attrs.lost.size === 0 || attrs.otherThanAttributes > 0) {
          throw new PraxisError('mirror.rsync', { name, code: 23, meaning: { key: rsyncMeaningKey(23) } }, ExitCode.failed, r.stderrTail.slice(-10));
        }
        const warning: Message = { key: 'warn.mirrorAttributesNotKept', params: { ...attrs.params(name, dir), id: b.id } };
        o.reporter.warn(warning.key, warning.params);
        warnings.push(warning);
      }
      bytesCopied = parseRsyncStats(r.stdoutTail)?.bytesCopied ?? 0;
      // The disk-pulled test removes the disk here, between the files and the manifest.
      await stallPoint('mirror-manifest', join(dirname(b.path), `.mirror-${name}.stalled`));
      await copyFile(join(b.path, MANIFEST_FILE), join(partial, MANIFEST_FILE));
      await fsyncFile(join(partial, MANIFEST_FILE));
      await fsyncDir(partial);
      if (complete.some((t) => t.id === b.id)) await removeBackupFolder(join(dir, b.id)); // a differing copy of the same id
      await rename(partial, join(dir, b.id));
      await fsyncDir(dir);
    } catch (e) {
      await removeTree(partial).catch(() => {});
      if (e instanceof CommandError && e.reason === 'exit') {
        if (noSpace) throw new PraxisError('mirror.full', { name, dir });
        const code = e.exitCode ?? -1;
        throw new PraxisError('mirror.rsync', { name, code, meaning: { key: rsyncMeaningKey(code) } }, ExitCode.failed, e.stderrTail.slice(-10));
      }
      if ((e as NodeJS.ErrnoException).code === 'ENOSPC') throw new PraxisError('mirror.full', { name, dir });
      throw e;
    }
    return { bytesCopied, warnings };
  }

  async verify(id: string, check: (copy: BackupEntry, o: VerifyCopyOptions) => Promise<VerificationRecord>, o: VerifyCopyOptions): Promise<VerificationRecord | null> {
    const entry = (await this.list()).find((b) => b.id === id);
    if (!entry) return null;
    const v = await check(entry, o);
    await writeVerification(entry.path, v).catch((e: Error) => o.reporter.warn('verify.recordFailed', { file: entry.path, message: e.message }));
    return v;
  }

  async remove(id: string): Promise<void> {
    // As locally: renamed to <id>.deleting first, then deleted (retention.ts).
    await removeBackupFolder(join(this.dir, id));
  }

  /** Close the decrypted view; false when it stayed open (then the disk must not be released). */
  closeView(reporter: Reporter | null, r: { warnings: Message[] }): Promise<boolean> {
    return closeView(this.view, reporter, r);
  }

  /**
   * Give the target back: eject the disk when the mirror says so (and `eject` is not false), else
   * unmount what we mounted (which also locks an encrypted volume again). `reporter` null:
   * quietly (cleaning up after a failure that is reported anyway), and never an eject.
   */
  async release(reporter: Reporter | null, r: { warnings: Message[]; ejected?: boolean }, opts: { eject?: boolean } = {}): Promise<void> {
    const { mirror: m, kind, target, deps } = this;
    if (kind.eject && kind.ejects(m) && opts.eject !== false && reporter) {
      try {
        const label = await kind.eject(m, target, deps);
        r.ejected = true;
        await deps.notice(reporter, { key: 'mirror.ejected', params: { label } });
      } catch (e) {
        // The copy is fine; the disk is still attached and must not be pulled out.
        r.ejected = false;
        const message = failureMessage(e);
        r.warnings.push(message);
        reporter.warn(message.key, message.params);
        await deps.notice(reporter, message);
      }
      return;
    }
    if (target.mountedByUs) {
      try {
        await kind.unmount(m, target, deps);
      } catch (e) {
        const message = failureMessage(e);
        r.warnings.push(message);
        reporter?.warn(message.key, message.params);
      }
    }
  }

  async close(reporter: Reporter | null, r: { warnings: Message[]; ejected?: boolean }, opts: { eject?: boolean; vanished?: boolean } = {}): Promise<boolean> {
    // The view first: unmounting or ejecting the disk under a mounted view would fail or lose data.
    if (!(await this.closeView(reporter, r))) return false;
    // A disk that is gone cannot be ejected; "eject failed, do not pull it" would be the wrong word.
    if (!opts.vanished) await this.release(reporter, r, opts);
    return true;
  }
}

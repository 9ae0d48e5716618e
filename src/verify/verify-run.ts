// `praxis-backup verify [ID] [--restore-test] [--deep] [--target NAME]`: proof that a backup can
// be put back. Under the backup directory's lock (retention and mirror runs must not remove or
// replace the backup while it is read, and a backup cannot start meanwhile), find the backup —
// locally, or on a mirror that is mounted for it and unmounted/ejected afterwards as after a
// mirror run — check it (verify-check.ts), write verification.json beside its manifest, and set
// `lastVerified` of that destination in the status, which the tray and the age alerts read.
//
// Exit codes: 0 all good, 3 good with warnings (e.g. row counts not recorded in an older backup),
// 1 a problem found (or the mirror is absent), 2 unknown backup id or mirror, 75 lock held.
import { mkdir, stat } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import type { Config } from '../config/schema';
import type { Platform } from '../platform/paths';
import { onChildGroups } from '../process/runner';
import { readCatalog, type BackupEntry, type Catalog } from '../backup-directory/catalog';
import { checkSpace, diskSpace } from '../backup-directory/space-check';
import type { VerificationRecord } from '../backup-directory/verification';
import { reportLockTakeover } from '../backup/backup-run';
import type { SecretStore } from '../credentials/credentials';
import { ExitCode, PraxisError } from '../core/errors';
import type { Reporter, RunSummary } from '../run/events';
import { acquireLock, type HeldLock } from '../run/lock';
import { failedSummary, failureMessage } from '../run/failure';
import { accessMirror, leaveMirror, type MirrorDeps, type OpenedMirror } from '../mirror/mirror-run';
import type { StatusStore } from '../run/status-store';
import type { StepContext } from '../run/step-context';
import type { ToolLocator } from '../process/tool-locator';
import { destParam, recordVerified, reportVerification, verifyBackup, writeVerification, type VerifyResult } from './verify-check';

export type { VerifyResult } from './verify-check';
export { recordVerified, reportVerification, verifyBackup, VERIFICATION_FILE } from './verify-check';

export interface VerifyRequest {
  /** The newest complete backup (of the destination) when absent. */
  id?: string;
  restoreTest: boolean;
  deep: boolean;
  /** A mirror's name: check its copy instead of the local backup. */
  target?: string;
  /** Close a backup folder or file that others can read (`--fix-permissions`); otherwise only a warning. */
  fixPermissions?: boolean;
  /**
   * While a backup holds the lock: try again every `everyMs`, up to `maxMs` in all, instead of
   * giving up at once (the scheduled check; said once in the log). Absent: exit 75 at once.
   */
  waitForLock?: { everyMs: number; maxMs: number };
}

/** A minute between tries, for up to three hours: the scheduled check's patience with a long backup. */
export const SCHEDULED_LOCK_WAIT = { everyMs: 60_000, maxMs: 3 * 3600_000 };

/**
 * The lock, waiting for it if asked: a Mac that slept through both times starts the backup and the
 * scheduled check together (launchd has no ordering between jobs), and the check should then check
 * the fresh backup rather than give up. A cancel ends the wait at once.
 */
async function acquireWaiting(dir: string, now: () => Date, wait: VerifyRequest['waitForLock'], reporter: Reporter, signal: AbortSignal): Promise<HeldLock> {
  for (let waited = 0; ; waited += wait!.everyMs) {
    try {
      return await acquireLock(dir, now(), 'verify');
    } catch (e) {
      if (!wait || !(e instanceof PraxisError) || e.exitCode !== ExitCode.locked || waited >= wait.maxMs) throw e;
      if (waited === 0) reporter.info('verify.waitingForLock');
      await delay(wait.everyMs, undefined, { signal });
    }
  }
}

export interface VerifyDeps {
  platform: Platform;
  tools: ToolLocator;
  secrets: SecretStore;
  status: StatusStore;
  /** Needed for --target (mounting the mirror). */
  mirrorDeps?: MirrorDeps;
  now?: () => Date;
  /** The lock the caller holds already (a backup verifying what it just wrote): not taken again, not released. */
  lock?: HeldLock;
  /** Written into verification.json. */
  toolVersion?: string;
}


/** The backup to check in dir; on a mirror, an id that exists locally but not there is a missing copy (1), an id nowhere is bad input (2). */
async function findEntry(cat: Catalog, dir: string, id: string | undefined, dest: string, local: BackupEntry[] | null): Promise<BackupEntry> {
  if (!id) {
    const newest = cat.complete[0];
    if (!newest) throw new PraxisError('verify.noBackup', { dir }, ExitCode.failed);
    return newest;
  }
  const found = cat.complete.find((b) => b.id === id);
  if (found) return found;
  if (local?.some((b) => b.id === id)) throw new PraxisError('verify.notOnTarget', { id, dest }, ExitCode.failed);
  if (cat.partial.includes(`${id}.partial`) || cat.invalid.includes(id)) throw new PraxisError('verify.incomplete', { id, dir }, ExitCode.failed);
  throw new PraxisError('verify.notFound', { id, dir, newest: cat.complete.slice(0, 5).map((b) => b.id).join(', ') || '—' }, ExitCode.invalidInput);
}

export async function runVerify(
  config: Config,
  req: VerifyRequest,
  deps: VerifyDeps,
  reporter: Reporter,
  signal: AbortSignal,
): Promise<RunSummary & { verification?: VerifyResult }> {
  const now = deps.now ?? (() => new Date());
  // The check's own start: set again after waiting for the lock, so its time and duration are the check's.
  let started = now();
  const dest = req.target ?? 'local';
  const ctx: StepContext = { platform: deps.platform, tools: deps.tools, secrets: deps.secrets, reporter, signal };
  let lock: HeldLock | null = deps.lock ?? null;
  let stopRecording = () => {};
  let mounted: OpenedMirror | null = null;
  let summary: RunSummary & { verification?: VerifyResult };
  try {
    // No backup directory yet (nothing backed up so far): nothing to verify, and nowhere to put the
    // lock. A mirror's copy is checked all the same — a new server checks the off-site copy before
    // it restores from it — with the directory made for the lock, as restore makes it.
    if (req.target) await mkdir(config.backupDir, { recursive: true, mode: 0o700 });
    else if (!(await stat(config.backupDir).catch(() => null))?.isDirectory()) throw new PraxisError('verify.noBackup', { dir: config.backupDir }, ExitCode.failed);
    if (!deps.lock) {
      lock = await acquireWaiting(config.backupDir, now, req.waitForLock, reporter, signal);
      started = now();
      reportLockTakeover(lock, reporter);
      const held = lock;
      stopRecording = onChildGroups((groups) => held.recordChildren(groups));
    }
    let dir = config.backupDir;
    let local: BackupEntry[] | null = null;
    let catalog: Catalog;
    if (req.target) {
      // An encrypted mirror is checked through its decrypted view (the stored passphrase).
      const opened = await accessMirror(config, req.target, deps.mirrorDeps, 'verify.targetAbsent', { signal });
      mounted = opened;
      dir = opened.dir;
      local = (await readCatalog(config.backupDir)).complete;
      catalog = await opened.catalog();
    } else catalog = await readCatalog(dir);
    const entry = await findEntry(catalog, dir, req.id, dest, local);
    // The local copy of the same backup (same finish time) is the content reference for the mirror's.
    const reference = local?.find((b) => b.id === entry.id && b.manifest.finishedAt === entry.manifest.finishedAt);
    reporter.info('verify.started', { id: entry.id, dest: destParam(dest), dir: entry.path });
    let record: VerificationRecord;
    if (mounted?.checkRepository) {
      // A repository: its own check (structure + today's slice of the data read back), then the
      // backup's manifest there against the local one — or, deep or with a restore test, the
      // whole backup restored into a scratch folder and checked like a local one.
      // Deep or with a restore test the backup is restored here first: it must fit (a disk that
      // fills up during the fetch would read as the repository being full).
      if (req.deep || req.restoreTest) checkSpace(config.backupDir, entry.bytes, await diskSpace(config.backupDir));
      const repo = await mounted.checkRepository(started, reporter, signal);
      const opts = { destination: dest, restoreTest: req.restoreTest, now: started };
      const checked = await mounted.verify(
        entry.id,
        (copy, o) => verifyBackup(config, copy, { ...opts, deep: req.deep, referencePath: o.referencePath }, ctx),
        { deep: req.deep || req.restoreTest, referencePath: reference?.path, now: started, reporter, signal },
      );
      if (!checked) throw new PraxisError('verify.notOnTarget', { id: entry.id, dest }, ExitCode.failed);
      record = { ...checked, ok: checked.ok && repo.ok, problems: [...repo.problems, ...checked.problems] };
      record.durationMs = now().getTime() - started.getTime();
    } else {
      record = await verifyBackup(config, entry, { destination: dest, deep: req.deep, restoreTest: req.restoreTest, referencePath: reference?.path, now: started, fixPermissions: req.fixPermissions }, ctx);
      record.durationMs = now().getTime() - started.getTime();
      try {
        await writeVerification(entry.path, record, deps.toolVersion);
      } catch (e) {
        // The result stands and goes into the status; only its copy in the folder is missing.
        reporter.warn('verify.recordFailed', { file: entry.path, message: (e as Error).message });
      }
    }
    await recordVerified(deps.status, record);
    reportVerification(reporter, record);
    const warned = reporter.warnings.length > 0;
    summary = {
      result: record.ok ? (warned ? 'warning' : 'success') : 'failed',
      exitCode: record.ok ? (warned ? ExitCode.warnings : ExitCode.ok) : ExitCode.failed,
      backupId: entry.id,
      path: entry.path,
      durationMs: record.durationMs,
      warnings: [...reporter.warnings],
      ...(record.ok ? {} : { error: { key: 'verify.failed', params: { id: entry.id, dest: destParam(dest), count: record.problems.length } } }),
      verification: record,
    };
  } catch (e) {
    const error = failureMessage(e);
    reporter.error('verify.notDone', { dest: destParam(dest), reason: error });
    summary = failedSummary(e, error, { backupId: req.id, durationMs: now().getTime() - started.getTime(), warnings: reporter.warnings });
  } finally {
    // The view first: a disk whose decrypted view stayed open must not be released.
    if (mounted && deps.mirrorDeps) await leaveMirror(mounted, deps.mirrorDeps, reporter);
    stopRecording();
    if (lock && !deps.lock) await lock.release();
  }
  reporter.emit({ type: 'finished', summary });
  return summary;
}

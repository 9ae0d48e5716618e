// One backup run: lock, check, dump, copy, manifest, rename, retention, status. The order is the
// safety argument: nothing is a backup until its manifest is fsync'd and its folder renamed from
// .partial, and nothing old is removed until a new backup is complete.
import { mkdir, readdir, rename } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Config, DatabaseComponent, FolderComponent } from '../config/schema';
import { byteCount, formatDuration, render } from '../i18n';
import type { Platform } from '../platform/paths';
import { CommandError, onChildGroups } from '../process/runner';
import { backupId, readCatalog, PARTIAL_SUFFIX, type BackupEntry } from '../backup-directory/catalog';
import { credentialId, type SecretStore } from '../credentials/credentials';
import { loginDatabase, SettledSecretStore } from '../credentials/db-login';
import { ExitCode, PraxisError } from '../core/errors';
import type { Reporter, RunSummary } from '../run/events';
import { copyFolder, copyToolFacts } from './folder-copy';
import { failedSummary, failureMessage } from '../run/failure';
import { indexFolder } from '../backup-directory/folder-index';
import { RsyncListing } from './rsync-listing';
import { hookText, runHook } from '../run/hooks';
import { acquireLock, lockPurposeMessage, type HeldLock } from '../run/lock';
import { writeManifest, MANIFEST_FORMAT, type Manifest, type ManifestComponent } from '../backup-directory/manifest';
import { fsyncDir } from '../platform/fsync';
import { recordVerified, reportVerification, verifyBackup, writeVerification } from '../verify/verify-check';
import type { AnyDatabaseKind, ServerInfo } from '../databases/contract';
import { kindFor } from '../databases/registry';
import { classifyInvalid, finishRemovals, removeBackupFolder } from '../retention/retention';
import { applyRetention } from '../retention/apply-retention';
import { checkSpace, diskSpace, treeSize } from '../backup-directory/space-check';
import type { StatusStore } from '../run/status-store';
import type { StepContext } from '../run/step-context';
import type { ToolLocator } from '../process/tool-locator';
import { mirrorsExitCode, runMirrors, type MirrorDeps } from '../mirror/mirror-run';
import { removeTree } from '../backup-directory/tree-walk';

export interface BackupDeps {
  platform: Platform;
  tools: ToolLocator;
  secrets: SecretStore;
  status: StatusStore;
  toolVersion: string;
  now?: () => Date;
  /** Given when the config has mirrors: they are copied after the local backup, under the same lock. */
  mirrors?: MirrorDeps;
  /** Started by launchd / systemd: a run that finds another one running records that it skipped. */
  scheduled?: boolean;
  /**
   * The safety backup before a restore: the restore already holds the directory's lock (this run
   * uses it and leaves it held), and retention is skipped so that the backup about to be
   * restored cannot be removed by it.
   */
  restoreSafety?: { lock: HeldLock };
  /**
   * Folder indexes with the sha256 of every file (config verify.deepIndex; default false: path,
   * size and mtime only). Hashes of files unchanged since the previous deep index are taken from it.
   */
  deepIndex?: boolean;
  /**
   * Check the new backup before it is mirrored (config verify.afterBackup): checksums and the file
   * index always, a restore test into a scratch database when restoreTest says so for its
   * manifest. A failing check makes the run failed (exit 1): a backup that cannot be put back is
   * not a backup. Not for a restore's safety backup (the restore must not wait for it).
   */
  verifyAfter?: { restoreTest: (m: Manifest) => boolean };
}

/** A component ready to be written: a database logged in to (its kind, the password settled, what the probe learned), or a folder. */
type Prepared =
  | { kind: AnyDatabaseKind; c: DatabaseComponent; password: string | null; server: ServerInfo }
  | { kind: null; c: FolderComponent };

async function freeId(dir: string, start: Date): Promise<string> {
  const names = new Set(await readdir(dir));
  const d = new Date(start);
  for (;;) {
    const id = backupId(d);
    if (!names.has(id) && !names.has(id + PARTIAL_SUFFIX)) return id;
    d.setSeconds(d.getSeconds() + 1);
  }
}

function isNoSpace(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/** The folder estimate: bytes last written for it (only changes are copied), else its whole size. */
async function folderEstimate(tools: ToolLocator, c: FolderComponent, previous: BackupEntry | undefined, signal: AbortSignal): Promise<number> {
  const before = previous?.manifest.components.find((m) => m.name === c.name && m.type === 'folder');
  if (before?.bytesCopied !== undefined) return before.bytesCopied;
  return treeSize(tools, c.path, signal);
}

export async function runBackup(config: Config, deps: BackupDeps, reporter: Reporter, signal: AbortSignal): Promise<RunSummary> {
  const now = deps.now ?? (() => new Date());
  const started = now();
  const dir = config.backupDir;
  const ctx: StepContext = { platform: deps.platform, tools: deps.tools, secrets: deps.secrets, reporter, signal };

  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    return failEarly(reporter, started, now, new PraxisError('error.backupDirMissing', { dir, reason: (e as Error).message }));
  }

  let lock: HeldLock;
  try {
    lock = deps.restoreSafety?.lock ?? (await acquireLock(dir, started));
  } catch (e) {
    // Another run owns the directory and the status file: report, touch nothing (but the one
    // line saying a scheduled run was skipped, so `status` and the tray can tell).
    if (deps.scheduled && e instanceof PraxisError && e.exitCode === ExitCode.locked) {
      await deps.status.update((s) => {
        s.lastSkipped = { at: started.toISOString(), reason: e.message_ };
      }).catch(() => {});
      reporter.info('run.skippedScheduled');
    }
    return failEarly(reporter, started, now, e);
  }
  if (!deps.restoreSafety) reportLockTakeover(lock, reporter);
  const stopRecording = onChildGroups((groups) => lock.recordChildren(groups));

  let id = '';
  let partial = '';
  let summary: RunSummary;
  try {
    id = await freeId(dir, started);
    partial = join(dir, id + PARTIAL_SUFFIX);
    await deps.status.update((s) => {
      s.running = { pid: process.pid, startedAt: started.toISOString(), backupId: id, backupDir: dir, phase: 'prepare' };
    });
    // Live progress for the tray and `status`, also for runs started by launchd.
    reporter.addSink((e) => {
      if (e.type === 'progress' && e.name !== 'total') {
        void deps.status.update((st) => {
          if (st.running) Object.assign(st.running, { component: e.name, componentPercent: e.percent ?? undefined });
        });
      }
    });
    reporter.emit({ type: 'started', id, backupDir: dir, components: config.components.map((c) => c.name), pid: process.pid });

    const catalog = await readCatalog(dir, { now: started });
    for (const name of catalog.partial) {
      // We hold the lock, so no live run is writing these: remains of a killed run.
      await removeTree(join(dir, name), { maxRetries: 5, retryDelay: 200 });
      reporter.info('run.partial.removed', { name });
    }
    for (const old of await finishRemovals(dir, catalog.deleting)) reporter.info('run.retention.finished', { id: old });
    const invalid = await classifyInvalid(dir, catalog);
    for (const name of invalid.remains) {
      await removeBackupFolder(join(dir, name));
      reporter.info('run.retention.remainsRemoved', { name });
    }
    for (const name of invalid.unknown) reporter.info('run.unknownDirs', { name, dir });
    const previous = catalog.complete[0];

    if (config.hooks?.beforeBackup) {
      const hook = config.hooks.beforeBackup;
      reporter.info('run.hook.started', { hook: hookText(hook) });
      try {
        await runHook('beforeBackup', hook, { PRAXIS_BACKUP_ID: id }, (line) => reporter.info('run.output', { source: 'beforeBackup', line }), signal);
      } catch (e) {
        // Cancelled while the hook ran: that is a cancel, not a failing hook.
        if (e instanceof CommandError && e.reason === 'cancelled') throw e;
        const reason = e instanceof CommandError ? [e.message, ...e.stderrTail.slice(-5)].join(' | ') : (e as Error).message;
        throw new PraxisError('error.hookBefore', { reason });
      }
    }

    // Connect to every database before writing anything: a wrong password fails in a second,
    // not after an hour of copying attachments.
    // The probe also settles how to log in (db-login.ts: environment, keyring, or none from us).
    const prepared: Prepared[] = [];
    const settled = new Map<string, string | null>();
    let estimate = 0;
    for (const c of config.components) {
      if (c.type === 'folder') {
        estimate += await folderEstimate(deps.tools, c, previous, signal);
        prepared.push({ kind: null, c });
      } else {
        const kind = kindFor(c);
        const { password, server } = await loginDatabase(deps.secrets, c, reporter, (pw, on) => kind.probe(ctx, c, pw, on));
        settled.set(credentialId(c)!, password);
        estimate += server.databaseBytes;
        prepared.push({ kind, c, password, server });
      }
    }
    // The restore test after the backup logs in the same way, without asking the keyring again.
    ctx.secrets = new SettledSecretStore(settled, deps.secrets);
    const space = await diskSpace(dir);
    reporter.info('run.estimate', { size: byteCount(estimate) });
    checkSpace(dir, estimate, space);
    reporter.info('run.space.ok', { free: byteCount(space.free), needed: byteCount(estimate) });

    await mkdir(partial, { mode: 0o700 });
    const entries: ManifestComponent[] = [];
    for (const [i, p] of prepared.entries()) {
      signal.throwIfAborted();
      reporter.emit({ type: 'component-started', name: p.c.name, componentType: p.c.type });
      reporter.progress('total', Math.floor((i / prepared.length) * 100), p.c.name);
      await deps.status.update((s) => {
        if (s.running) Object.assign(s.running, { phase: 'backup', component: p.c.name, percent: Math.floor((i / prepared.length) * 100) });
      });
      let entry: ManifestComponent;
      if (p.kind) entry = await p.kind.dump(ctx, p.c, p.server, p.password, partial);
      else {
        // rsync lists what it put into the snapshot: the index is built from that, not from another walk.
        // A big folder's listing is sorted in pieces spilled into the unfinished backup folder (flat memory).
        const listing = new RsyncListing({ dir: partial });
        try {
          entry = await copyFolder(ctx, p.c, partial, previous?.path ?? null, listing);
          // A file of the backup like the dumps: written before the manifest that records its sha256.
          entry.index = await indexFolder(ctx, p.c.name, partial, previous, deps.deepIndex ?? false, listing.broken ? null : listing);
        } finally {
          listing.discard();
        }
      }
      entries.push(entry);
      reporter.emit({ type: 'component-finished', name: entry.name, bytes: entry.bytes, files: entry.files, sha256: entry.sha256 });
      reporter.info('run.component.finished', {
        name: entry.name,
        size: byteCount(entry.bytes),
        files: entry.files !== undefined ? { key: 'run.component.files', params: { count: entry.files } } : '',
      });
    }

    signal.throwIfAborted();
    if (prepared.some((x) => x.kind === null)) {
      // What `status` says about the copies: which rsync, and what it cannot keep (found already: cached).
      const facts = copyToolFacts(await deps.tools.find('rsync'));
      await deps.status.update((s) => void (s.copyTool = { at: now().toISOString(), ...facts }));
    }
    const finished = now();
    await writeManifest(partial, {
      format: MANIFEST_FORMAT,
      id,
      status: 'complete',
      tool: { name: 'praxis-backup', version: deps.toolVersion },
      host: hostname(),
      startedAt: started.toISOString(),
      finishedAt: finished.toISOString(),
      components: entries,
      warnings: reporter.warnings.map((w) => render('en', w)),
      trigger: deps.restoreSafety ? 'restoreSafety' : deps.scheduled ? 'schedule' : 'manual',
    });
    const finalPath = join(dir, id);
    await rename(partial, finalPath);
    await fsyncDir(dir);
    partial = '';

    // Retention only now, after the new backup is complete.
    const after = await readCatalog(dir, { now: now() });
    // Not for a restore's safety backup: the backup about to be restored must stay.
    if (!deps.restoreSafety) await applyRetention(after.complete, config.retention, { now: now(), status: deps.status, reporter });
    // Dated after now: not counted above and never removed automatically; the admin must look.
    if (!deps.restoreSafety) for (const f of after.future) reporter.warn('run.futureBackup', { name: f.id, dir });

    const bytes = entries.reduce((s, e) => s + e.bytes, 0);
    const durationMs = finished.getTime() - started.getTime();
    const warned = reporter.warnings.length > 0;
    summary = {
      result: warned ? 'warning' : 'success',
      exitCode: warned ? ExitCode.warnings : ExitCode.ok,
      backupId: id,
      path: finalPath,
      bytes,
      durationMs,
      warnings: [...reporter.warnings],
    };
    reporter.info(warned ? 'run.finished.warning' : 'run.finished.ok', {
      id,
      size: byteCount(bytes),
      duration: formatDuration(durationMs),
      count: reporter.warnings.length,
    });

    if (deps.verifyAfter && !deps.restoreSafety) {
      const entry = (await readCatalog(dir)).complete.find((b) => b.id === id);
      if (entry) {
        const record = await verifyBackup(config, entry, { destination: 'local', deep: false, restoreTest: deps.verifyAfter.restoreTest(entry.manifest), now: now(), night: { nights: config.verify?.readAllWithinNights ?? 30 } }, ctx);
        await writeVerification(finalPath, record, deps.toolVersion);
        await recordVerified(deps.status, record);
        reportVerification(reporter, record);
        if (!record.ok) {
          Object.assign(summary, { result: 'failed', exitCode: ExitCode.failed, error: { key: 'verify.afterBackupFailed', params: { id, reason: record.problems[0] ?? { key: 'alert.noReason' } } } });
        } else if (record.warnings.length && summary.exitCode === ExitCode.ok) {
          Object.assign(summary, { result: 'warning', exitCode: ExitCode.warnings });
        }
        summary.warnings = [...reporter.warnings];
      }
    }

    if (deps.mirrors && config.mirrors.length) {
      const results = await runMirrors(config, { ...deps.mirrors, now: deps.mirrors.now ?? now }, reporter, signal);
      summary.mirrors = results.map((r) => ({ name: r.name, result: r.result, copied: r.copied, bytesCopied: r.bytesCopied, ejected: r.ejected, message: r.message, disk: r.disk }));
      summary.warnings = [...reporter.warnings];
      const code = mirrorsExitCode(results);
      if (summary.exitCode === ExitCode.failed) {
        // The verification failure stays what the admin is told first.
      } else if (code === ExitCode.failed) {
        // The local backup is fine, but the practice is not safe until it left the server.
        const first = results.find((r) => r.result === 'failed' || (r.result === 'absent' && r.required))!;
        Object.assign(summary, { result: 'failed', exitCode: ExitCode.failed, error: { key: 'mirror.failed', params: { name: first.name, reason: first.message! } } });
      } else if (code === ExitCode.warnings && summary.exitCode === ExitCode.ok) {
        Object.assign(summary, { result: 'warning', exitCode: ExitCode.warnings });
      }
    }
  } catch (e) {
    let error = failureMessage(e);
    if (isNoSpace(e)) {
      const space = await diskSpace(dir).catch(() => ({ free: 0, total: 0 }));
      error = { key: 'error.diskFull', params: { dir, free: byteCount(space.free), total: byteCount(space.total) } };
    }
    if (partial) await removeTree(partial, { maxRetries: 5, retryDelay: 200 }).catch(() => {});
    reporter.error('run.finished.failed', { reason: error });
    summary = failedSummary(e, error, { backupId: id || undefined, durationMs: now().getTime() - started.getTime(), warnings: reporter.warnings });
  }

  if (config.hooks?.afterBackup) await runAfterHook(config, reporter, id, summary);

  await recordStatus(deps.status, summary, started, now()).catch(() => {});
  stopRecording();
  if (!deps.restoreSafety) await lock.release();
  reporter.emit({ type: 'finished', summary });
  return summary;
}

/** A stale lock taken over and the orphans of its dead run stopped: worth two lines in the log. */
export function reportLockTakeover(lock: HeldLock, reporter: Reporter): void {
  if (lock.tookOver) {
    const t = lock.tookOver;
    reporter.info('run.lock.stale', { what: lockPurposeMessage(t), pid: t.pid, since: t.startedAt, why: lock.staleReason ?? { key: 'lock.stale.ended' } });
  }
  if (lock.stoppedOrphans.length) reporter.info('run.orphansStopped', { programs: lock.stoppedOrphans.map((g) => `${g.program} (PID ${g.pid})`).join(', ') });
}

async function runAfterHook(config: Config, reporter: Reporter, id: string, summary: RunSummary): Promise<void> {
  const hook = config.hooks!.afterBackup!;
  reporter.info('run.hook.started', { hook: hookText(hook) });
  try {
    // Runs after a failure too, so that whatever the before-hook paused is resumed.
    await runHook('afterBackup', hook, { PRAXIS_BACKUP_ID: id, PRAXIS_BACKUP_RESULT: summary.result }, (line) =>
      reporter.info('run.output', { source: 'afterBackup', line }),
    );
  } catch (e) {
    reporter.warn('run.hook.failedAfter', { reason: (e as Error).message });
    summary.warnings = [...reporter.warnings];
    if (summary.result === 'success') {
      summary.result = 'warning';
      summary.exitCode = ExitCode.warnings;
    }
  }
}

function failEarly(reporter: Reporter, started: Date, now: () => Date, e: unknown): RunSummary {
  const error = failureMessage(e);
  reporter.error('run.finished.failed', { reason: error });
  const summary = failedSummary(e, error, { durationMs: now().getTime() - started.getTime(), warnings: [] });
  reporter.emit({ type: 'finished', summary });
  return summary;
}

async function recordStatus(status: StatusStore, summary: RunSummary, started: Date, finished: Date): Promise<void> {
  await status.update((s) => {
    s.running = null;
    s.lastRun = {
      backupId: summary.backupId,
      startedAt: started.toISOString(),
      finishedAt: finished.toISOString(),
      result: summary.result,
      exitCode: summary.exitCode,
      message: summary.error,
      warnings: summary.warnings,
    };
    const local = (s.destinations.local ??= {});
    // The local backup succeeded when it has a final path, even if a mirror failed afterwards.
    if (summary.path && summary.backupId) local.lastSuccess = { at: finished.toISOString(), backupId: summary.backupId, durationMs: summary.durationMs };
    else local.lastFailure = { at: finished.toISOString(), message: summary.error! };
  });
}

// `praxis-backup mirror [NAME] [--on-mount]` on its own: the same mirror step as after a backup,
// under the backup directory's lock so that retention cannot remove a backup while it is copied.
import { mkdir } from 'node:fs/promises';
import type { Config } from '../config/schema';
import { ExitCode, PraxisError } from '../core/errors';
import type { Reporter, RunSummary } from '../run/events';
import { onChildGroups } from '../process/runner';
import { acquireLock } from '../run/lock';
import { reportLockTakeover } from '../backup/backup-run';
import { accessMirror, leaveMirror, mirrorsExitCode, runMirrors, selectMirrors, type AccessOptions, type MirrorDeps, type MirrorOptions, type OpenedMirror } from './mirror-run';
import type { StatusStore } from '../run/status-store';

export async function runMirrorSession(
  config: Config,
  deps: MirrorDeps & { status: StatusStore },
  reporter: Reporter,
  signal: AbortSignal,
  opts: MirrorOptions = {},
): Promise<RunSummary> {
  const started = Date.now();
  const done = (s: Omit<RunSummary, 'durationMs' | 'warnings'>): RunSummary => {
    const summary = { ...s, durationMs: Date.now() - started, warnings: [...reporter.warnings] };
    reporter.emit({ type: 'finished', summary });
    return summary;
  };
  let mirrors;
  try {
    mirrors = selectMirrors(config, opts.names);
  } catch (e) {
    const err = e as PraxisError;
    reporter.error(err.message_.key, err.message_.params);
    return done({ result: 'failed', exitCode: ExitCode.invalidInput, error: err.message_ });
  }
  if (mirrors.length === 0) {
    reporter.info('mirror.nothing');
    return done({ result: 'success', exitCode: ExitCode.ok });
  }
  let lock;
  try {
    lock = await acquireLock(config.backupDir, new Date(), 'mirror');
  } catch (e) {
    const err = e as PraxisError;
    reporter.error('run.finished.failed', { reason: err.message_ ?? { key: 'error.unexpected', params: { message: String(e) } } });
    return done({ result: 'failed', exitCode: err.exitCode ?? ExitCode.failed, error: err.message_ });
  }
  const held = lock;
  const stopRecording = onChildGroups((groups) => held.recordChildren(groups));
  try {
    reportLockTakeover(lock, reporter);
    await deps.status.update((s) => {
      s.running = { pid: process.pid, startedAt: new Date(started).toISOString(), backupId: '', backupDir: config.backupDir, phase: 'mirror' };
    });
    const results = await runMirrors(config, deps, reporter, signal, opts);
    const code = mirrorsExitCode(results);
    const first = results.find((r) => r.result === 'failed' || (r.result === 'absent' && r.required));
    return done({
      result: code === ExitCode.failed ? 'failed' : code === ExitCode.warnings ? 'warning' : 'success',
      exitCode: code,
      error: first ? { key: 'mirror.failed', params: { name: first.name, reason: first.message! } } : undefined,
      mirrors: results.map((r) => ({ name: r.name, result: r.result, copied: r.copied, bytesCopied: r.bytesCopied, ejected: r.ejected, message: r.message, disk: r.disk })),
    });
  } finally {
    await deps.status.update((s) => {
      s.running = null;
    }).catch(() => {});
    stopRecording();
    await lock.release();
  }
}

/**
 * Reading a mirror outside a run (`list --mirror`): under the backup directory's lock, so no mirror
 * run is mounting or writing the same disk (and its decrypted view) at the same time; mounted, an
 * encrypted one unlocked (passphrase given, stored or asked for), `read` called with the place the
 * backups are, then everything closed again whatever happened.
 */
export async function readMirror<T>(config: Config, name: string, deps: MirrorDeps, reporter: Reporter, access: AccessOptions, read: (d: OpenedMirror) => Promise<T>): Promise<T> {
  selectMirrors(config, [name]);
  // A new machine may not have the backup directory yet; the lock lives there.
  await mkdir(config.backupDir, { recursive: true, mode: 0o700 });
  const lock = await acquireLock(config.backupDir, new Date(), 'mirror');
  try {
    reportLockTakeover(lock, reporter);
    const opened = await accessMirror(config, name, deps, 'list.mirrorAbsent', access);
    try {
      return await read(opened);
    } finally {
      await leaveMirror(opened, deps, reporter, { warnings: [] }, { eject: false });
    }
  } finally {
    await lock.release();
  }
}

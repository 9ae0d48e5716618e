// `praxis-backup mirror [NAME] [--on-mount]` on its own: the same mirror step as after a backup,
// under the backup directory's lock so that retention cannot remove a backup while it is copied.
import type { Config } from '../config/schema';
import { ExitCode, PraxisError } from './errors';
import type { Reporter, RunSummary } from './events';
import { onChildGroups } from '../process/runner';
import { acquireLock } from './lock';
import { reportLockTakeover } from './backup-run';
import { mirrorsExitCode, runMirrors, selectMirrors, type MirrorDeps, type MirrorOptions } from './mirror-run';
import type { StatusStore } from './status-store';

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
    lock = await acquireLock(config.backupDir);
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
      mirrors: results.map((r) => ({ name: r.name, result: r.result, copied: r.copied, bytesCopied: r.bytesCopied, ejected: r.ejected, message: r.message })),
    });
  } finally {
    await deps.status.update((s) => {
      s.running = null;
    }).catch(() => {});
    stopRecording();
    await lock.release();
  }
}

// What `verify` checks in one backup folder, wherever it lies (the local backup directory or a
// mirror's copy), and its record `verification.json` beside the manifest. The run around it
// (lock, mounting a mirror, status, exit code) is verify-run.ts; the copy check after each mirror
// copy (mirror-run.ts) calls verifyBackup directly, without the restore test.
//
//   1. checksums: every dump's sha256 and size re-read from the disk it lies on (backup-verify.ts);
//      folders without an index: file count and bytes (what older backups can offer);
//   2. folder index: files missing, extra, resized, touched; contents of all (--deep) or a sample;
//      right after a backup instead tonight's slice and a sample of what it wrote, without a walk
//      (verify-index.ts: checkFolderNight; every file read within verify.readAllWithinNights nights);
//   3. --restore-test: each dump loaded into a scratch database, rows counted (its kind's restoreTest);
//   4. privacy: the backup folder 0700, its files 0600 (backup-modes.ts), fixed on request.
import { join } from 'node:path';
import type { Config } from '../config/schema';
import { formatDuration, type Message } from '../i18n';
import { CommandError } from '../process/runner';
import type { BackupEntry } from '../backup-directory/catalog';
import { checkModes } from '../backup-directory/backup-modes';
import { verifyBackupDir } from './copy-check';
import { credentialId } from '../credentials/credentials';
import { databaseLoginPassword } from '../credentials/db-login';
import { PraxisError } from '../core/errors';
import type { Platform } from '../platform/paths';
import type { StepContext } from '../run/step-context';
import type { Reporter } from '../run/events';
import type { StatusStore } from '../run/status-store';
import type { RestoreTestResult } from '../databases/contract';
import { isDatabase, kindFor, kindOf } from '../databases/registry';
import { checkFolderIndex, checkFolderNight, nightSlice, type IndexCheckOptions } from './verify-index';
import { VERIFICATION_FILE, writeVerification, type VerificationRecord, type VerifyResult } from '../backup-directory/verification';

export { VERIFICATION_FILE, writeVerification, type VerificationRecord, type VerifyResult };

/** A destination as the admin reads it: the mirror's name, or "Sicherungsverzeichnis" for 'local'. */
export const destParam = (dest: string): string | Message => (dest === 'local' ? { key: 'verify.dest.local' } : dest);

export interface VerifyBackupOptions {
  destination: string;
  deep: boolean;
  restoreTest: boolean;
  /** The same backup in the local backup directory, when `entry` is a mirror's copy: the content reference. */
  referencePath?: string;
  now: Date;
  /** Close a backup folder or file that others can read (verify --fix-permissions) instead of only saying so. */
  fixPermissions?: boolean;
  /**
   * The check right after a backup (verify-index.ts:checkFolderNight): tonight's slice of every
   * folder and a sample of what the backup wrote, each file read within `nights` nights, without
   * walking the snapshot. Absent: the `verify` command's check (a walk, and its sample or --deep).
   */
  night?: { nights: number };
}

function failure(e: unknown): Message {
  if (e instanceof PraxisError) return e.message_;
  if (e instanceof CommandError && e.reason === 'cancelled') throw e;
  if ((e as Error)?.name === 'AbortError') throw e;
  return { key: 'error.unexpected', params: { message: (e as Error)?.message ?? String(e) } };
}

/** The run's ports; the platform only matters to the restore test (the mirror's copy check has none to give). */
export type VerifyContext = Omit<StepContext, 'platform'> & { platform?: Platform };

/** The folder check's reading as progress: by bytes (by files when all are empty); no rate or time left, which only rsync measures. */
function readProgress(ctx: VerifyContext, name: string): IndexCheckOptions['onRead'] {
  return (d) => {
    const percent = Math.floor(d.totalBytes > 0 ? (d.bytes * 100) / d.totalBytes : (d.files * 100) / d.totalFiles);
    ctx.reporter.progress(name, percent, 'verify', { bytes: d.bytes, files: d.files, totalFiles: d.totalFiles });
  };
}

/** Checks one backup folder. Throws only on cancel; everything found is in problems/warnings. */
export async function verifyBackup(config: Config, entry: BackupEntry, o: VerifyBackupOptions, ctx: VerifyContext): Promise<VerificationRecord> {
  const started = Date.now();
  const m = entry.manifest;
  const problems: Message[] = [];
  const warnings: Message[] = [];
  const components: VerificationRecord['components'] = [];
  // Backup id and day: each night's backup and each day's re-check read another part of the folders.
  const sampleSeed = `${entry.id}/${o.now.toISOString().slice(0, 10)}`;
  let indexChecked = m.components.some((c) => c.type === 'folder');
  let restoreTested = o.restoreTest && m.components.some((c) => c.type !== 'folder');
  const night = o.night && !o.deep ? { nights: o.night.nights, slice: nightSlice(o.now, o.night.nights) } : null;

  // 1. Checksums (dumps; folders without an index by count and bytes).
  const plain = m.components.filter((c) => c.type !== 'folder' || !c.index);
  const damaged = new Set<string>();
  for (const p of await verifyBackupDir(entry.path, { ...m, components: plain })) {
    damaged.add(p.component);
    const c = m.components.find((x) => x.name === p.component);
    problems.push({ key: 'verify.checksum', params: { component: p.component, file: c?.path ?? '?', what: p.what } });
  }
  for (const c of plain) components.push({ name: c.name, type: c.type, checksum: !damaged.has(c.name) });
  ctx.reporter.info('verify.checksumsDone', { count: plain.length, dest: destParam(o.destination) });

  // 2. Folder indexes.
  for (const c of m.components.filter((x) => x.type === 'folder')) {
    ctx.signal.throwIfAborted();
    if (!c.index) {
      indexChecked = false;
      warnings.push({ key: 'verify.index.notRecorded', params: { component: c.name } });
      continue;
    }
    try {
      const base = { backupPath: entry.path, entry: { ...c, index: c.index }, seed: sampleSeed, signal: ctx.signal, onRead: readProgress(ctx, c.name) };
      const r = night
        ? await checkFolderNight({ ...base, ...night })
        : await checkFolderIndex({ ...base, deep: o.deep, referencePath: o.referencePath });
      problems.push(...r.problems);
      components.push({ name: c.name, type: c.type, files: r.files, contentChecked: r.contentChecked });
      if (night) ctx.reporter.info('verify.index.doneNight', { component: c.name, files: r.files, read: r.contentChecked, slice: night.slice + 1, nights: night.nights, dest: destParam(o.destination) });
      else ctx.reporter.info(o.deep ? 'verify.index.doneDeep' : 'verify.index.done', { component: c.name, files: r.files, read: r.contentChecked, dest: destParam(o.destination) });
    } catch (e) {
      problems.push({ key: 'verify.index.failed', params: { component: c.name, reason: failure(e) } });
    }
  }

  // 3. Restore test of each dump (a damaged one is not loaded: it failed already).
  if (o.restoreTest) {
    if (!ctx.platform) throw new Error('the restore test needs the platform');
    const dbCtx: StepContext = { ...ctx, platform: ctx.platform };
    for (const c of m.components.filter((x) => x.type !== 'folder')) {
      ctx.signal.throwIfAborted();
      if (damaged.has(c.name)) {
        restoreTested = false;
        continue;
      }
      const live = config.components.find((x) => x.name === c.name);
      // Loaded into a server of the dump's kind only (a "mysql" dump into a "mariadb" component too).
      if (!live || !isDatabase(live) || kindOf(live) !== kindOf(c)) {
        restoreTested = false;
        warnings.push({ key: 'verify.notConfigured', params: { component: c.name } });
        continue;
      }
      const kind = kindFor(live);
      const id = credentialId(live);
      ctx.reporter.info('verify.restoreTest', { component: c.name });
      let r: RestoreTestResult;
      try {
        // Logged in as the backup did (db-login.ts): no keyring where the server needs no password.
        const req = { entry: c, dumpFile: join(entry.path, c.path), password: id ? await databaseLoginPassword(dbCtx, live) : null, backupId: entry.id };
        r = await kind.restoreTest(dbCtx, live, req);
      } catch (e) {
        problems.push({ key: 'verify.restoreTestFailed', params: { component: c.name, reason: failure(e) } });
        continue;
      }
      problems.push(...r.problems);
      warnings.push(...r.warnings);
      const existing = components.find((x) => x.name === c.name);
      Object.assign(existing ?? {}, { tables: r.tables, rowsCompared: r.counted });
      if (!r.problems.length) ctx.reporter.info('verify.restoreTestPassed', { component: c.name, tables: r.tables, counted: r.counted });
    }
  }

  // 4. Modes. Only in the backup directory, where we wrote them: a mirror's file system may have
  // no modes of its own (exFAT, an SMB share shows what its mount options say), and the mirror's
  // copy carries the local modes (rsync -a), so a fixed local backup is mirrored fixed.
  if (o.destination === 'local') {
    const modes = await checkModes(entry.path, entry.id, o.fixPermissions ?? false).catch((e: unknown) => ({
      warnings: [{ key: 'verify.modeUnreadable', params: { path: entry.path, message: (e as Error).message } } as Message],
      fixed: [],
    }));
    warnings.push(...modes.warnings);
    for (const f of modes.fixed) ctx.reporter.info(f.key, f.params);
  }

  return {
    format: 1,
    tool: { name: 'praxis-backup', version: m.tool.version },
    backupId: entry.id,
    destination: o.destination,
    ok: problems.length === 0,
    checked: { checksums: true, index: indexChecked, deep: o.deep, restoreTest: restoreTested },
    problems,
    warnings,
    durationMs: Date.now() - started,
    at: o.now.toISOString(),
    ...(o.deep ? {} : { sampleSeed }),
    ...(night ? { slice: { night: night.slice, nights: night.nights } } : {}),
    components,
  };
}

export async function recordVerified(status: StatusStore, r: VerifyResult): Promise<void> {
  await status.update((s) => {
    const d = (s.destinations[r.destination] ??= {});
    d.lastVerified = { at: r.at, backupId: r.backupId, ok: r.ok, restoreTest: r.checked.restoreTest, ...(r.ok ? {} : { message: r.problems[0] }) };
  });
}

/** Problems as errors, warnings as warnings, then one line with the outcome. */
export function reportVerification(reporter: Reporter, r: VerifyResult): void {
  for (const p of r.problems) reporter.error(p.key, p.params);
  for (const w of r.warnings) reporter.warn(w.key, w.params);
  if (r.ok) reporter.info(r.checked.restoreTest ? 'verify.passedRestore' : 'verify.passed', { id: r.backupId, dest: destParam(r.destination), duration: formatDuration(r.durationMs) });
  else reporter.error('verify.failed', { id: r.backupId, dest: destParam(r.destination), count: r.problems.length });
}

// One restore: put a chosen backup back, component by component, without ever losing the live
// data. The order is the safety:
//   1. lock the backup directory (no backup runs meanwhile), find the source (local, a folder,
//      or a mirror disk/share that is mounted for it and unmounted afterwards);
//   2. only a complete backup, and only after the checksums of its dumps were checked: a damaged
//      dump is refused before anything is touched;
//   3. log in to every database (the admin password is checked before anything is written), list
//      clients still connected, preview which files --delete would remove;
//   4. show all of it and ask (a terminal) or require --yes; a partial selection says that
//      database and attachments may no longer match;
//   5. clients must be closed (the manuals say: stop all clients first) — we ask, never kill;
//   6. a complete backup of the current state first (the "safety backup"; --no-safety-backup
//      skips it, said in the overview and the log, not a warning); if it fails, nothing is restored;
//   7. free space for the folders, hooks.beforeRestore, the databases (each into a new database,
//      checked, then swapped: restore-types.ts), the folders, hooks.afterRestore.
import { mkdir, statfs, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Component, Config, DatabaseComponent, FolderComponent } from '../config/schema';
import { byteCount, formatDuration, type Message } from '../i18n';
import { CommandError } from '../process/runner';
import { runBackup, reportLockTakeover, type BackupDeps } from '../backup/backup-run';
import { backupId, idToDate, readCatalog, type BackupEntry, type Catalog } from '../backup-directory/catalog';
import { removeTree } from '../backup-directory/tree-walk';
import { FolderDestination } from '../destinations/folder-destination';
import { verifyBackupDir } from '../verify/copy-check';
import { firstLoginPassword, laterKeyringPassword } from '../credentials/db-login';
import { ExitCode, PraxisError } from '../core/errors';
import { Reporter, type RunSummary } from '../run/events';
import { hookText, runHook } from '../run/hooks';
import { acquireLock, type HeldLock } from '../run/lock';
import type { ManifestComponent } from '../backup-directory/manifest';
import { failedSummary, failureMessage } from '../run/failure';
import { accessMirror, leaveMirror, type MirrorDeps, type OpenedMirror } from '../mirror/mirror-run';
import { isDatabase, kindFor, kindOf } from '../databases/registry';
import { deletesNewer, previewDeletions, restoreFolder, type DeletionPreview } from './restore-folders';
import type { DbClient, DbPreflight, DbRestoreRequest, DbRestoreResult } from '../databases/restore-types';
import type { StepContext } from '../run/step-context';

export interface RestoreRequest {
  id: string;
  /** Any folder holding backups (a mounted disk, a copy). */
  from?: string;
  /** A configured mirror: mounted for the restore, unmounted afterwards. */
  fromMirror?: string;
  /** An encrypted mirror's passphrase typed from the emergency sheet (a new machine); else the credential store's. */
  passphrase?: string;
  /** Component names; all of the backup's when absent. */
  components?: string[];
  deleteNewerFiles: boolean;
  safetyBackup: boolean;
  dropPrevious: boolean;
  /** Check everything and show the overview, change nothing (the tray shows it before asking). */
  planOnly?: boolean;
}

export interface PlannedComponent {
  name: string;
  type: ManifestComponent['type'];
  /** "tomedo on localhost:5432" / "/Users/Shared/tomedo/files". */
  target: string;
  /** Folders: files not in the backup that will be deleted (or kept, see `deletes`). */
  notInBackup?: DeletionPreview;
  deletes?: boolean;
}

/** Everything the admin is asked to confirm. */
export interface RestorePlan {
  backupId: string;
  backupDate: Date;
  sourceDir: string;
  components: PlannedComponent[];
  /** Only some of the backup's components: database and attachments may no longer match. */
  partial: boolean;
  safetyBackup: boolean;
  clients: { component: string; clients: DbClient[] }[];
  warnings: Message[];
}

/** How the restore talks to the admin: the CLI on a terminal, or --yes. */
export interface RestoreInteraction {
  /** Show the plan, ask. false: the admin said no (nothing was changed). May throw (e.g. "--yes needed"). */
  confirm(plan: RestorePlan): Promise<boolean>;
  /** Show the plan only (--dry-run). */
  showPlan(plan: RestorePlan): Promise<void>;
  /** No stored password, or the stored one was refused: ask for it (a terminal), else null. */
  password(c: DatabaseComponent, why: 'missing' | 'wrong'): Promise<string | null>;
  /** Clients are connected: ask the admin to close them. true: check again; false: give up. */
  clientsConnected(list: { component: string; clients: DbClient[] }[]): Promise<boolean>;
}

export interface DbRestorer {
  preflight(ctx: StepContext, req: DbRestoreRequest): Promise<DbPreflight>;
  restore(ctx: StepContext, req: DbRestoreRequest): Promise<DbRestoreResult>;
}

export interface RestoreDeps extends Omit<BackupDeps, 'mirrors' | 'restoreSafety' | 'scheduled'> {
  /** To mount a mirror as the source (--from-mirror). */
  mirrorDeps?: MirrorDeps;
  /** Tests may pass their own, by kind id ("postgres", "mariadb"); a kind not given restores itself (databases/registry.ts). */
  restorers?: Record<string, DbRestorer>;
}

export interface RestoreSummary extends RunSummary {
  /** The safety backup made first. */
  safetyBackupId?: string;
  /** Previous live databases kept: "<db>_vor_restore_<stamp>". */
  keptDatabases?: string[];
}

const MAX_CLIENT_ROUNDS = 5;

interface Selected {
  entry: ManifestComponent;
  component: Component;
  /** Absolute path of the dump file or the folder inside the backup. */
  source: string;
}

function describeTarget(c: Component): string {
  return c.type === 'folder' ? c.path : `${c.database} (${c.host}:${c.port})`;
}

/** The manifest's components the admin chose, each with the live component it goes back to. */
export function selectComponents(config: Config, entry: BackupEntry, names?: string[]): Selected[] {
  const all = entry.manifest.components;
  const known = all.map((c) => c.name);
  const wanted = names?.length ? names : known;
  const unknown = wanted.filter((n) => !known.includes(n));
  if (unknown.length) throw new PraxisError('restore.run.unknownComponent', { names: unknown.join(', '), id: entry.id, known: known.join(', ') }, ExitCode.invalidInput);
  return all
    .filter((m) => wanted.includes(m.name))
    .map((m) => {
      const c = config.components.find((x) => x.name === m.name);
      // A dump goes back into a database of its kind: a "mysql" dump into a "mariadb" component too.
      const sameKind = c && (c.type === m.type || (kindOf(c) !== null && kindOf(c) === kindOf(m)));
      if (!c || !sameKind) throw new PraxisError('restore.run.notConfigured', { name: m.name, type: m.type }, ExitCode.invalidInput);
      return { entry: m, component: c, source: join(entry.path, m.path) };
    });
}

/**
 * Where the backup is read from: --from, the local backup directory, or a mirror — mounted, and an
 * encrypted one decrypted with the passphrase typed from the sheet (a new machine), else the
 * stored one, else asked for on a terminal.
 */
async function findSource(config: Config, req: RestoreRequest, deps: RestoreDeps, reporter: Reporter, signal: AbortSignal): Promise<{ dir: string; mirror?: OpenedMirror; scratch?: string }> {
  if (req.from) return { dir: req.from };
  if (!req.fromMirror) return { dir: config.backupDir };
  const mirror = await accessMirror(config, req.fromMirror, deps.mirrorDeps, 'restore.run.sourceAbsent', { passphrase: req.passphrase, signal });
  // A folder is read where it is; a repository restores the backup into a scratch folder of ours
  // first (on a new server the backup directory may not exist yet), checked below like any other.
  const scratch = join(config.backupDir, `.restore-from-${req.fromMirror}`);
  try {
    await mkdir(config.backupDir, { recursive: true, mode: 0o700 });
    if (!(mirror instanceof FolderDestination)) {
      // It must fit here first: a disk that fills up during the fetch reads as the repository's.
      const listed = (await mirror.catalog()).complete.find((b) => b.id === req.id);
      const fs = await statfs(config.backupDir);
      const free = fs.bavail * fs.bsize;
      if (listed && listed.bytes > free) throw new PraxisError('restore.run.noSpace', { path: config.backupDir, needed: byteCount(listed.bytes), free: byteCount(free) });
    }
    const entry = await mirror.fetch(req.id, { scratch, reporter, signal });
    if (entry) return { dir: dirname(entry.path), mirror, scratch: entry.path.startsWith(scratch + '/') ? scratch : undefined };
    findInCatalog(await mirror.catalog(), mirror.dir, req.id);
    throw new PraxisError('restore.run.notFound', { id: req.id, dir: mirror.dir, newest: '—' }, ExitCode.invalidInput);
  } catch (e) {
    // Whatever was fetched (a snapshot that held no backup of ours, an interrupted restore) is ours to remove.
    await removeTree(scratch).catch(() => {});
    await mirror.close(null, { warnings: [] }, { eject: false });
    throw e;
  }
}

async function releaseSource(src: { mirror?: OpenedMirror; scratch?: string }, deps: RestoreDeps, reporter: Reporter): Promise<void> {
  if (src.scratch) await removeTree(src.scratch).catch(() => {});
  if (!src.mirror || !deps.mirrorDeps) return;
  const r = { warnings: [] };
  // Not ejected: the admin may want to restore more from it.
  await leaveMirror(src.mirror, deps.mirrorDeps, reporter, r, { eject: false });
  const t = src.mirror instanceof FolderDestination ? src.mirror.target : null;
  if (t?.mountedByUs && !r.warnings.length) reporter.info('restore.run.sourceUnmounted', { path: t.mountedByUs });
}

async function findBackup(dir: string, id: string): Promise<BackupEntry> {
  return findInCatalog(await readCatalog(dir), dir, id);
}

/** The complete backup `id` of a catalog; an incomplete or unknown one is said with the newest ones named. */
function findInCatalog(cat: Catalog, dir: string, id: string): BackupEntry {
  const found = cat.complete.find((b) => b.id === id);
  if (found) return found;
  if (cat.partial.includes(`${id}.partial`) || cat.invalid.includes(id)) throw new PraxisError('restore.run.incomplete', { id, dir }, ExitCode.failed);
  throw new PraxisError('restore.run.notFound', { id, dir, newest: cat.complete.slice(0, 5).map((b) => b.id).join(', ') || '—' }, ExitCode.invalidInput);
}

/** Free space for the folders: the backup's bytes of each folder must fit where it goes back. */
async function checkFolderSpace(selected: Selected[]): Promise<void> {
  const need = new Map<number, { path: string; bytes: number; free: number }>();
  for (const s of selected) {
    if (s.component.type !== 'folder') continue;
    // The nearest existing parent tells the file system.
    let p = s.component.path;
    let st = await stat(p).catch(() => null);
    while (!st && dirname(p) !== p) {
      p = dirname(p);
      st = await stat(p).catch(() => null);
    }
    if (!st) continue;
    const fs = await statfs(p);
    if (fs.blocks === 0) continue; // reports no size (ramfs, some FUSE shares): nothing to check, as in space-check.ts
    const cur = need.get(st.dev) ?? { path: p, bytes: 0, free: fs.bavail * fs.bsize };
    // Conservative: as if every file had to be written anew (unchanged ones are not, rsync skips them).
    cur.bytes += s.entry.bytes;
    need.set(st.dev, cur);
  }
  for (const n of need.values()) {
    if (n.bytes > n.free) throw new PraxisError('restore.run.noSpace', { path: n.path, needed: byteCount(n.bytes), free: byteCount(n.free) });
  }
}

/** The safety backup's events go to the same log, but it is not this run's start or end. */
function childReporter(parent: Reporter): Reporter {
  return new Reporter([
    (e) => {
      if (e.type === 'finished' || e.type === 'started') return;
      parent.emit(e);
    },
  ]);
}

export async function runRestore(
  config: Config,
  req: RestoreRequest,
  deps: RestoreDeps,
  io: RestoreInteraction,
  reporter: Reporter,
  signal: AbortSignal,
): Promise<RestoreSummary> {
  const now = deps.now ?? (() => new Date());
  const started = now();
  const ctx: StepContext = { platform: deps.platform, tools: deps.tools, secrets: deps.secrets, reporter, signal };
  const restorerFor = (c: DatabaseComponent): DbRestorer => {
    const kind = kindFor(c);
    return deps.restorers?.[kind.id] ?? kind;
  };
  const stamp = backupId(started);
  let lock: HeldLock | null = null;
  let src: Awaited<ReturnType<typeof findSource>> | null = null;
  let changed = false;
  const kept: string[] = [];
  let safetyBackupId: string | undefined;
  let summary: RestoreSummary;
  try {
    // A new machine restoring from the USB disk may not have the backup directory yet.
    await mkdir(config.backupDir, { recursive: true, mode: 0o700 });
    lock = await acquireLock(config.backupDir, started, 'restore');
    reportLockTakeover(lock, reporter);
    src = await findSource(config, req, deps, reporter, signal);
    reporter.info('restore.run.source', { dir: src.dir });
    const entry = await findBackup(src.dir, req.id);
    const selected = selectComponents(config, entry, req.components);

    // 2. Damaged dumps (or folders that lost files) are refused before anything is touched.
    const problems = await verifyBackupDir(entry.path, { ...entry.manifest, components: selected.map((s) => s.entry) });
    if (problems.length) {
      throw new PraxisError('restore.run.damaged', { id: entry.id, problems: problems.map((p) => `${p.component}: ${p.what}`).join('; ') });
    }
    reporter.info('restore.run.verified', { id: entry.id, count: selected.length });

    // 3. Log in everywhere first; ask for passwords a terminal can give.
    const dbReqs = new Map<string, DbRestoreRequest>();
    const preflights = new Map<string, DbPreflight>();
    for (const s of selected) {
      if (!isDatabase(s.component)) continue;
      const c = s.component;
      const restorer = restorerFor(c);
      // The order of a backup's login (db-login.ts): environment; "keyring" → the keyring;
      // otherwise none from us first, the keyring only when the server asks, the admin last.
      const first = await firstLoginPassword(deps.secrets, c);
      let password = first.password;
      if (password === null && c.password === 'keyring') password = await io.password(c, 'missing');
      const request: DbRestoreRequest = { component: c, dumpFile: s.source, entry: s.entry, password, stamp, dropPrevious: req.dropPrevious };
      const wrongPassword = (e: unknown) => e instanceof PraxisError && e.message_.key === 'restore.db.wrongPassword';
      let pre: DbPreflight;
      try {
        pre = await restorer.preflight(ctx, request);
      } catch (e) {
        if (!wrongPassword(e)) throw e;
        let retried = e;
        let done: DbPreflight | null = null;
        if (request.password === null && first.keyringLater) {
          const stored = await laterKeyringPassword(deps.secrets, c);
          if (stored !== null) {
            request.password = stored;
            try {
              done = await restorer.preflight(ctx, request);
            } catch (e2) {
              if (!wrongPassword(e2)) throw e2;
              retried = e2;
            }
          }
        }
        if (!done) {
          const asked = await io.password(c, request.password === null ? 'missing' : 'wrong');
          if (asked === null) throw retried;
          request.password = asked;
          done = await restorer.preflight(ctx, request);
        }
        pre = done;
      }
      for (const w of pre.warnings) reporter.warn(w.key, w.params);
      dbReqs.set(s.entry.name, request);
      preflights.set(s.entry.name, pre);
    }

    const planned: PlannedComponent[] = [];
    for (const s of selected) {
      const p: PlannedComponent = { name: s.entry.name, type: s.entry.type, target: describeTarget(s.component) };
      if (s.component.type === 'folder') {
        p.deletes = deletesNewer(s.component, req.deleteNewerFiles);
        p.notInBackup = await previewDeletions(ctx, s.component, s.source);
      }
      planned.push(p);
    }
    const partial = selected.length < entry.manifest.components.length;
    if (partial) reporter.warn('restore.run.partial', { chosen: selected.map((s) => s.entry.name).join(', '), left: entry.manifest.components.filter((m) => !selected.some((s) => s.entry.name === m.name)).map((m) => m.name).join(', ') });
    const clientsOf = () =>
      [...preflights.entries()].filter(([, p]) => p.clients.length).map(([component, p]) => ({ component, clients: p.clients }));
    const plan: RestorePlan = {
      backupId: entry.id,
      backupDate: idToDate(entry.id),
      sourceDir: src.dir,
      components: planned,
      partial,
      safetyBackup: req.safetyBackup,
      clients: clientsOf(),
      warnings: [...reporter.warnings],
    };

    // 4. Ask (or, for --dry-run, only show).
    if (req.planOnly) {
      await io.showPlan(plan);
      reporter.info('restore.run.planOnly', { id: entry.id });
      summary = { result: 'success', exitCode: ExitCode.ok, backupId: entry.id, path: entry.path, durationMs: now().getTime() - started.getTime(), warnings: [...reporter.warnings] };
      return await finish(summary);
    }
    if (!(await io.confirm(plan))) throw new PraxisError('restore.run.notConfirmed', {}, ExitCode.failed);
    reporter.info('restore.run.confirmed', { id: entry.id });

    // 5. Clients: ask to close them, check again; never killed by us.
    for (let round = 0; clientsOf().length; round++) {
      if (round >= MAX_CLIENT_ROUNDS || !(await io.clientsConnected(clientsOf()))) {
        throw new PraxisError('restore.run.clientsConnected', { clients: clientsText(clientsOf()) });
      }
      for (const [name, request] of dbReqs) {
        preflights.set(name, await restorerFor(request.component).preflight(ctx, request));
      }
    }

    // 6. The current state, saved completely, before the first live change.
    if (req.safetyBackup) {
      reporter.info('restore.run.safetyStarted');
      const safety = await runBackup(config, { ...deps, restoreSafety: { lock } }, childReporter(reporter), signal);
      if (safety.result === 'failed' || !safety.backupId) {
        throw new PraxisError('restore.run.safetyFailed', { reason: safety.error ?? { key: 'error.unexpected', params: { message: `exit ${safety.exitCode}` } } });
      }
      safetyBackupId = safety.backupId;
      reporter.info('restore.run.safetyDone', { id: safety.backupId, dir: config.backupDir });
    } else {
      // The admin's own choice (the overview showed it before asking), not a finding about the
      // outcome: said once, where the safety backup would have been made, and no reason for exit 3.
      reporter.info('restore.run.noSafetyBackup');
    }

    // 7. Space, hook, databases, folders.
    await checkFolderSpace(selected);
    if (config.hooks?.beforeRestore) {
      const hook = config.hooks.beforeRestore;
      reporter.info('run.hook.started', { hook: hookText(hook) });
      try {
        await runHook('beforeRestore', hook, { PRAXIS_BACKUP_ID: entry.id }, (line) => reporter.info('run.output', { source: 'beforeRestore', line }), signal);
      } catch (e) {
        if (e instanceof CommandError && e.reason === 'cancelled') throw e;
        throw new PraxisError('restore.run.hookBefore', { reason: e instanceof CommandError ? [e.message, ...e.stderrTail.slice(-5)].join(' | ') : (e as Error).message });
      }
    }
    for (const s of selected) {
      signal.throwIfAborted();
      reporter.emit({ type: 'component-started', name: s.entry.name, componentType: s.entry.type, restore: true });
      changed = true;
      if (isDatabase(s.component)) {
        const request = dbReqs.get(s.entry.name)!;
        const r = await restorerFor(s.component).restore(ctx, request);
        for (const w of r.warnings) reporter.warn(w.key, w.params);
        if (r.keptAs) kept.push(r.keptAs);
        // Where the previous database is kept, the restorer already said.
        reporter.info('restore.run.dbDone', { name: s.entry.name, database: r.database, tables: r.tables, duration: formatDuration(r.durationMs) });
      } else {
        const c = s.component as FolderComponent;
        const del = deletesNewer(c, req.deleteNewerFiles);
        const r = await restoreFolder(ctx, c, s.source, { delete: del });
        if (r.warning) reporter.warn('restore.run.folderVanished', { name: c.name, path: c.path });
        reporter.info(del ? 'restore.run.folderDoneExact' : 'restore.run.folderDoneKept', { name: c.name, path: c.path });
      }
      reporter.emit({ type: 'component-finished', name: s.entry.name, bytes: s.entry.bytes });
    }
    const durationMs = now().getTime() - started.getTime();
    const warned = reporter.warnings.length > 0;
    // Named only when there are any: a message names what exists, never "—".
    if (kept.length) reporter.info('restore.run.finished', { id: entry.id, duration: formatDuration(durationMs), kept: kept.join(', ') });
    else reporter.info('restore.run.finishedNoneKept', { id: entry.id, duration: formatDuration(durationMs) });
    summary = {
      result: warned ? 'warning' : 'success',
      exitCode: warned ? ExitCode.warnings : ExitCode.ok,
      backupId: entry.id,
      path: entry.path,
      durationMs,
      warnings: [...reporter.warnings],
      safetyBackupId,
      keptDatabases: kept,
    };
  } catch (e) {
    const error = failureMessage(e, 'restore.run.cancelled');
    reporter.error('restore.run.failed', { reason: error, state: stateAfter(changed, safetyBackupId, kept) });
    summary = { ...failedSummary(e, error, { backupId: req.id, durationMs: now().getTime() - started.getTime(), warnings: reporter.warnings }), safetyBackupId, keptDatabases: kept };
  }
  return finish(summary);

  /** After success, failure or a dry run: the after-hook (only if something changed), unmount, unlock, the last event. */
  async function finish(summary: RestoreSummary): Promise<RestoreSummary> {
    if (changed && config.hooks?.afterRestore) {
      const hook = config.hooks.afterRestore;
      reporter.info('run.hook.started', { hook: hookText(hook) });
      try {
        await runHook('afterRestore', hook, { PRAXIS_BACKUP_ID: req.id, PRAXIS_BACKUP_RESULT: summary.result }, (line) => reporter.info('run.output', { source: 'afterRestore', line }));
      } catch (e) {
        reporter.warn('restore.run.hookAfter', { reason: e instanceof CommandError ? e.message : (e as Error).message });
        summary.warnings = [...reporter.warnings];
        if (summary.exitCode === ExitCode.ok) Object.assign(summary, { result: 'warning', exitCode: ExitCode.warnings });
      }
    }
    if (src) await releaseSource(src, deps, reporter);
    await lock?.release();
    reporter.emit({ type: 'finished', summary });
    return summary;
  }
}

/** What a failed restore leaves, naming only what exists: the safety backup, or the kept databases, or nothing changed. */
function stateAfter(changed: boolean, safetyBackupId: string | undefined, kept: string[]): Message {
  if (!changed) return { key: 'restore.run.stateUntouched' };
  if (safetyBackupId) return { key: 'restore.run.statePartlyDone', params: { safety: safetyBackupId } };
  return kept.length ? { key: 'restore.run.statePartlyDoneKept', params: { kept: kept.join(', ') } } : { key: 'restore.run.statePartlyDoneNoSafety' };
}

export function clientsText(list: { component: string; clients: DbClient[] }[]): string {
  return list
    .map(({ component, clients }) => `${component}: ${clients.map((c) => `${c.user}@${c.address}${c.program ? ` (${c.program})` : ''}`).join(', ')}`)
    .join('; ');
}

// Copying the backup directory onto the configured mirrors: for each one find and guard the
// target, check space, copy, verify what was copied by reading it back, unmount or eject, tell
// the admin, and record the result per destination. One mirror's failure never stops the other.
import { isRotation, type Config, type Mirror, type VolumeMirror } from '../config/schema';
import type { Volumes } from '../core/volumes';
import { byteCount, formatDuration, render, type Message } from '../i18n';
import type { Notifier } from '../notify/notifier';
import { readCatalog } from '../backup-directory/catalog';
import type { SecretStore } from '../credentials/credentials';
import { ExitCode, PraxisError } from '../core/errors';
import { failureMessage } from '../run/failure';
import type { Reporter } from '../run/events';
import type { MirrorCrypt } from '../core/mirror-crypt';
import type { Shares } from '../destinations/contract';
import { locateDestination, openDestination, type AccessOptions, type DestinationDeps } from '../destinations/open-destination';
import { FolderDestination } from '../destinations/folder-destination';
import type { Destination } from '../destinations/contract';
import { destinationKind } from '../destinations/registry';
import type { StatusStore } from '../run/status-store';
import type { ToolLocator } from '../process/tool-locator';
import { verifyBackup, type VerifyResult } from '../verify/verify-check';
import { syncBackups } from './mirror-sync';
import { diskRecord, foldDisk } from './rotation';
import { describeDisks } from '../destinations/volume';
import type { DestinationStatus, DiskStatus } from '../run/status-store';

export type { AccessOptions } from '../destinations/open-destination';

export interface MirrorDeps {
  volumes: Volumes;
  shares: Shares;
  secrets: SecretStore;
  tools: ToolLocator;
  status: StatusStore;
  notifier: Notifier;
  smbMountBase: string;
  /** Where decrypted views of encrypted mirrors are mounted: <cryptMountBase>/<mirror name> (default: next to smbMountBase). */
  cryptMountBase?: string;
  /** How encrypted mirrors are opened on this platform (compose.ts; default gocryptfs, Linux). */
  crypt?: MirrorCrypt;
  /**
   * Asks for an encrypted mirror's passphrase when none is stored (a terminal, e.g. restore on a
   * new machine, typed from the emergency sheet). Absent: never asked, the mirror fails instead.
   */
  askPassphrase?(name: string): Promise<string | null>;
  lang: 'de' | 'en';
  /** The run's clock (backup-run's): local backups dated after it are not mirrored. */
  now?: () => Date;
}

export interface MirrorResult {
  name: string;
  result: 'success' | 'absent' | 'failed' | 'skipped';
  required: boolean;
  copied: string[];
  removed: string[];
  bytesCopied: number;
  durationMs: number;
  newest?: string;
  ejected?: boolean;
  message?: Message;
  warnings: Message[];
  /** The read-back check of the newest copied backup (absent when nothing was copied). */
  verification?: VerifyResult;
  /** A repository's snapshot of the newest backup sent (restic's id), and its file count. */
  stored?: string;
  files?: number;
  /** Where the copy went (the folder; the disk's label and UUID, the share's URL), once the target was found. */
  target?: { dir: string; label?: string | null; uuid?: string | null; url?: string };
  /** A disk of a rotating set (config `volumes`): this result is that disk's pass. */
  disk?: { uuid: string; label: string };
}

export interface MirrorOptions {
  names?: string[];
  /** Started because a disk was attached: mirrors whose target is absent are skipped quietly. */
  onMount?: boolean;
  /** Read every copied file back (the config's verify.deepIndex when absent); else sizes and a sample. */
  deep?: boolean;
}

const errorMessage = (e: unknown): Message => failureMessage(e);

type AbsentKey = 'restore.run.sourceAbsent' | 'verify.targetAbsent' | 'encryption.absent' | 'list.mirrorAbsent';

/** The destinations' dependencies, from the mirror dependencies (notices go to the desktop and the run's events). */
export function destinationDeps(deps: MirrorDeps): DestinationDeps {
  return { ...deps, notice: (reporter, message) => notify(deps, reporter, message) };
}

/**
 * A configured mirror's target, mounted but not decrypted (encryption setup): unknown name → exit 2
 * naming the known ones; absent → `absentKey` with the reason. An encrypted APFS volume cannot be
 * mounted this way (it must be unlocked): use accessMirror. Give it back with its release().
 */
export async function openMirror(config: Config, name: string, deps: MirrorDeps | undefined, absentKey: AbsentKey): Promise<FolderDestination> {
  const mirror = selectMirrors(config, [name])[0]!;
  if (!deps) throw new PraxisError('error.unexpected', { message: 'no mirror dependencies' });
  const located = await locateDestination(mirror, config.backupDir, destinationDeps(deps), { unlock: false });
  if (located.kind === 'absent') throw new PraxisError(absentKey, { name, reason: located.reason });
  // A repository (restic) is not a folder to set encryption up in: it is encrypted by its own tool.
  if (!(located.destination instanceof FolderDestination)) throw new PraxisError('encryption.useOffsiteInit', { name }, ExitCode.invalidInput);
  return located.destination;
}

/** A mirror reached for reading: fetch() gives a backup as a local folder (in place, or restored from a repository). */
export type OpenedMirror = Destination;

/**
 * A configured mirror, reached for reading (restore --from-mirror, verify --target, list
 * --mirror): mounted, and an encrypted one unlocked / decrypted with the passphrase (given, stored
 * or asked for). Give it back with leaveMirror. On failure nothing is left mounted by us.
 */
export async function accessMirror(config: Config, name: string, deps: MirrorDeps | undefined, absentKey: AbsentKey, access: AccessOptions = {}): Promise<OpenedMirror> {
  const mirror = selectMirrors(config, [name])[0]!;
  if (!deps) throw new PraxisError('error.unexpected', { message: 'no mirror dependencies' });
  return openDestination(mirror, config.backupDir, destinationDeps(deps), absentKey, access);
}

/** Closes the decrypted view, then unmounts what we mounted (`eject`: eject when the mirror says so). */
export async function leaveMirror(o: OpenedMirror, _deps: MirrorDeps, reporter: Reporter, r: { warnings: Message[]; ejected?: boolean } = { warnings: [] }, opts: { eject?: boolean } = {}): Promise<void> {
  await o.close(reporter, r, opts);
}

export function selectMirrors(config: Config, names?: string[]): Mirror[] {
  if (!names?.length) return config.mirrors;
  const unknown = names.filter((n) => !config.mirrors.some((m) => m.name === n));
  if (unknown.length) throw new PraxisError('mirror.unknown', { name: unknown.join(', '), known: config.mirrors.map((m) => m.name).join(', ') || '—' }, 2);
  return config.mirrors.filter((m) => names.includes(m.name));
}

async function notify(deps: MirrorDeps, reporter: Reporter, message: Message): Promise<void> {
  reporter.emit({ type: 'notification', message });
  await deps.notifier.notify('Praxis-Backup', render(deps.lang, message));
}

async function mirrorOne(m: Mirror, config: Config, deps: MirrorDeps, reporter: Reporter, signal: AbortSignal, opts: MirrorOptions): Promise<MirrorResult> {
  const started = Date.now();
  const r: MirrorResult = { name: m.name, result: 'failed', required: m.required, copied: [], removed: [], bytesCopied: 0, durationMs: 0, warnings: [] };
  reporter.emit({ type: 'mirror-started', name: m.name, mirrorType: m.type });
  let d: Destination | undefined;
  let gone = false;
  try {
    const located = await locateDestination(m, config.backupDir, destinationDeps(deps), { signal });
    if (located.kind === 'absent') {
      r.result = opts.onMount ? 'skipped' : 'absent';
      r.message = located.reason;
      return r;
    }
    d = located.destination;
    r.target = d.where;
    for (const w of d.warnings) {
      r.warnings.push(w);
      reporter.warn(w.key, w.params);
    }
    await d.unlock({ signal });
    await d.guard();
    const now = () => (deps.now ?? (() => new Date()))();
    const local = (await readCatalog(config.backupDir, { now: now() })).complete;
    const retention = ('retention' in m && m.retention) || config.retention;
    // Read back what was copied, from the destination itself: the dumps' checksums and the folder
    // index (sizes and a sample of contents compared with the local original; all with `deep`).
    // Recorded in verification.json there and as this destination's lastVerified. Called by the
    // sync after the copies and before its removals: a generation goes only once the new copies
    // there are complete AND read back (a failed check stops the sync with nothing removed).
    const ctx = { tools: deps.tools, secrets: deps.secrets, reporter, signal };
    const verifyCopied = async (copied: string[]) => {
      for (const id of copied) {
        const original = local.find((b) => b.id === id);
        const v = await d!.verify(
          id,
          (copy, o) => verifyBackup(config, copy, { destination: m.name, deep: o.deep, restoreTest: false, referencePath: o.referencePath, now: o.now }, ctx),
          { deep: opts.deep ?? config.verify.deepIndex, referencePath: original?.path, now: now(), reporter, signal },
        );
        if (v) r.verification = v;
        if (!v || !v.ok) {
          throw new PraxisError('mirror.verifyFailed', {
            name: m.name,
            id,
            problems: v ? v.problems.map((p) => render(deps.lang, p)).join('; ') : 'missing',
          });
        }
      }
    };
    const sync = await syncBackups(local, d, { name: m.name, mode: m.mode, retention, now: now(), status: deps.status, reporter, signal, verifyCopied });
    Object.assign(r, { copied: sync.copied, removed: sync.removed, bytesCopied: sync.bytesCopied, newest: sync.newest, stored: sync.stored, files: sync.files });
    if (sync.warnings.length) r.warnings.push(...sync.warnings);
    if (sync.copied.length) reporter.info('mirror.verified', { name: m.name, count: sync.copied.length });
    // The kind's own upkeep after a complete, verified copy (a repository's prune on its schedule).
    const before = d.warnings.length;
    await d.maintain?.(now(), reporter, signal);
    r.warnings.push(...d.warnings.slice(before));
    r.result = 'success';
  } catch (e) {
    r.result = 'failed';
    // A disk pulled mid-copy surfaces as whatever call came next (ENOENT on copyfile of the
    // manifest, an rsync error, a failed read-back): say what happened instead.
    gone = d !== undefined && !signal.aborted && (await d.vanished());
    r.message = gone ? { key: 'mirror.targetGone', params: { name: m.name, dir: d!.dir } } : errorMessage(e);
  } finally {
    // After a failed copy the disk is only unmounted (if we mounted it), never ejected: ejecting
    // powers a USB disk off, so the next night finds it absent (exit 3, a milder word than the
    // failure it still is), and "can be unplugged now" would read as if the copy were done.
    const failed = r.result === 'failed';
    if (d) await d.close(reporter, r, { eject: !failed, vanished: gone });
    if (failed && !gone && destinationKind(m).ejects(m)) reporter.info('mirror.notEjectedAfterFailure', { name: m.name });
    r.durationMs = Date.now() - started;
  }
  return r;
}

export async function runMirrors(config: Config, deps: MirrorDeps, reporter: Reporter, signal: AbortSignal, opts: MirrorOptions = {}): Promise<MirrorResult[]> {
  const results: MirrorResult[] = [];
  for (const m of selectMirrors(config, opts.names)) {
    if (signal.aborted) break;
    await deps.status.update((s) => {
      if (s.running) Object.assign(s.running, { phase: 'mirror', component: m.name });
    });
    if (isRotation(m)) {
      results.push(...(await rotateOnto(m, config, deps, reporter, signal, opts)));
      continue;
    }
    const r = await mirrorOne(m, config, deps, reporter, signal, opts);
    results.push(r);
    await finishOne(m, r, deps, reporter, (s) => (s.destinations[m.name] ??= {}));
  }
  return results;
}

const clock = (deps: MirrorDeps) => (deps.now ?? (() => new Date()))();

/** Says how one copy went, and records it: in the mirror's status, or a disk's (`record` gives the place). */
async function finishOne(m: Mirror, r: MirrorResult, deps: MirrorDeps, reporter: Reporter, record: (s: { destinations: Record<string, DestinationStatus> }) => DestinationStatus | DiskStatus, after?: (s: { destinations: Record<string, DestinationStatus> }) => void): Promise<void> {
  const at = clock(deps).toISOString();
  // A disk of a set is named with the mirror („usb – Freitag“): the practice knows its disks by their labels.
  const name: string | Message = r.disk ? { key: 'mirror.rotation.diskName', params: { name: m.name, label: r.disk.label } } : m.name;
  if (r.result === 'success') {
    reporter.info('mirror.done', {
      name,
      count: r.copied.length,
      size: byteCount(r.bytesCopied),
      duration: formatDuration(r.durationMs),
    });
  } else if (r.result === 'absent') {
    const msg = r.message!;
    if (m.required) reporter.error(msg.key, msg.params);
    else reporter.warn(msg.key, msg.params);
    if (m.required) await notify(deps, reporter, msg);
  } else if (r.result === 'failed') {
    reporter.error('mirror.failed', { name, reason: r.message! });
    await notify(deps, reporter, { key: 'mirror.failed', params: { name, reason: r.message! } });
  }
  reporter.emit({ type: 'mirror-finished', name: m.name, result: r.result, copied: r.copied, bytesCopied: r.bytesCopied, ejected: r.ejected, verified: r.verification?.ok, target: r.target });
  if (r.result === 'skipped') return;
  await deps.status.update((s) => {
    const d = record(s);
    if (r.result === 'success') d.lastSuccess = { at, backupId: r.newest ?? '', bytesCopied: r.bytesCopied, durationMs: r.durationMs, ...(r.stored ? { snapshot: r.stored, files: r.files } : {}) };
    else d.lastFailure = { at, message: r.message! };
    const v = r.verification;
    if (v) d.lastVerified = { at: v.at, backupId: v.backupId, ok: v.ok, restoreTest: false, ...(v.ok ? {} : { message: r.message ?? v.problems[0] }) };
    after?.(s);
  });
}

/**
 * A rotating set: every disk of it that is attached now is updated, one after the other in the
 * config's order, each as its own pass of the one-disk flow (found by its UUID, guarded, copied —
 * the backups it missed while it was away included —, read back, ejected). Each disk's pass is
 * recorded in its own status (destinations[name].disks[uuid]) and the mirror's fields become the
 * newest of its disks'. A disk found attached is recorded as seen even when its copy fails: the
 * swap alert asks for a disk to be plugged in, not for a copy to work.
 *
 * None attached is the normal state of a set while its disks are at home: not a warning (exit 0)
 * but an info; the swap and "no disk" alerts (src/alerting/alert-rules.ts) speak when it lasts.
 * Only a `required` set fails the run then, as a single disk would.
 */
async function rotateOnto(m: VolumeMirror & { volumes: NonNullable<VolumeMirror['volumes']> }, config: Config, deps: MirrorDeps, reporter: Reporter, signal: AbortSignal, opts: MirrorOptions): Promise<MirrorResult[]> {
  const attached: { uuid: string; label: string }[] = [];
  for (const v of m.volumes) {
    if (await deps.volumes.find({ uuid: v.uuid })) attached.push({ uuid: v.uuid, label: v.label ?? v.uuid });
  }
  const seenAt = clock(deps).toISOString();
  const diskOf = (s: { destinations: Record<string, DestinationStatus> }, uuid: string): DiskStatus => {
    const disks = ((s.destinations[m.name] ??= {}).disks ??= {});
    const found = diskRecord(disks, uuid);
    if (found) return found;
    const label = m.volumes.find((v) => v.uuid === uuid)?.label;
    return (disks[uuid] = label ? { label } : {});
  };
  if (attached.length) {
    await deps.status.update((s) => {
      // The set's count starts with the first disk seen: one never attached is away from then on.
      for (const v of m.volumes) diskOf(s, v.uuid).since ??= seenAt;
      for (const a of attached) diskOf(s, a.uuid).lastSeen = seenAt;
    });
  }
  if (!attached.length) {
    const r: MirrorResult = { name: m.name, result: 'skipped', required: m.required, copied: [], removed: [], bytesCopied: 0, durationMs: 0, warnings: [] };
    reporter.emit({ type: 'mirror-started', name: m.name, mirrorType: m.type });
    if (m.required && !opts.onMount) {
      r.result = 'absent';
      r.message = { key: 'mirror.volumeAbsent', params: { name: m.name, volume: describeDisks(m) } };
    } else {
      r.message = { key: 'mirror.rotation.noneAttached', params: { name: m.name, disks: m.volumes.map((v) => v.label ?? v.uuid).join(', ') } };
      if (!opts.onMount) reporter.info(r.message.key, r.message.params);
    }
    await finishOne(m, r, deps, reporter, (s) => (s.destinations[m.name] ??= {}));
    return [r];
  }
  const results: MirrorResult[] = [];
  for (const a of attached) {
    if (signal.aborted) break;
    reporter.info('mirror.rotation.disk', { name: m.name, label: a.label, count: attached.length });
    // The one-disk flow, unchanged: this disk alone, by its UUID (locate, guard, eject as today).
    const one: Mirror = { ...m, volume: { uuid: a.uuid }, volumes: undefined, rotation: undefined };
    const r = await mirrorOne(one, config, deps, reporter, signal, opts);
    r.disk = a;
    results.push(r);
    await finishOne(m, r, deps, reporter, (s) => diskOf(s, a.uuid), (s) => foldDisk(s.destinations[m.name]!, diskOf(s, a.uuid)));
  }
  return results;
}

/** 0 all fine, 3 an optional mirror absent or a warning, 1 a failure or a required mirror absent. */
export function mirrorsExitCode(results: MirrorResult[]): 0 | 1 | 3 {
  if (results.some((r) => r.result === 'failed' || (r.result === 'absent' && r.required))) return 1;
  if (results.some((r) => r.result === 'absent' || r.warnings.length)) return 3;
  return 0;
}


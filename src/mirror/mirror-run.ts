// Copying the backup directory onto the configured mirrors: for each one find and guard the
// target, check space, copy, verify what was copied by reading it back, unmount or eject, tell
// the admin, and record the result per destination. One mirror's failure never stops the other.
import { stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Config, Mirror } from '../config/schema';
import { smbCredentialId } from '../diskutil/smb-mount';
import { describeRef, type Volumes } from '../diskutil/volumes';
import { byteCount, formatDuration, render, type Message } from '../i18n';
import type { Notifier } from '../notify/notifier';
import { readCatalog } from '../backup-directory/catalog';
import { storeName, type SecretStore } from '../credentials/credentials';
import { PraxisError } from '../core/errors';
import { failureMessage } from '../run/failure';
import type { Reporter } from '../run/events';
import { gocryptfsCrypt } from '../destinations/gocryptfs';
import type { CryptContext, CryptView, MirrorCrypt } from '../core/mirror-crypt';
import { syncBackups, targetVanished } from '../destinations/mirror-copy';
import { encryptionCredentialId } from '../encryption/passphrase';
import { resolveTarget, type MirrorTarget, type ResolveDeps, type Shares } from '../destinations/mirror-target';
import type { StatusStore } from '../run/status-store';
import type { ToolLocator } from '../process/tool-locator';
import { verifyBackup, writeVerification, type VerifyResult } from '../verify/verify-check';

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

export const cryptOf = (deps: Pick<MirrorDeps, 'crypt'>): MirrorCrypt => deps.crypt ?? gocryptfsCrypt;

/** Reaching an encrypted mirror: a passphrase typed from the sheet (else stored, else asked), and the cancel signal. */
export interface AccessOptions {
  passphrase?: string;
  signal?: AbortSignal;
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
  /** Where the copy went (the folder; the disk's label and UUID, the share's URL), once the target was found. */
  target?: { dir: string; label?: string | null; uuid?: string | null; url?: string };
}

export interface MirrorOptions {
  names?: string[];
  /** Started because a disk was attached: mirrors whose target is absent are skipped quietly. */
  onMount?: boolean;
  /** Read every copied file back (the config's verify.deepIndex when absent); else sizes and a sample. */
  deep?: boolean;
}

const errorMessage = (e: unknown): Message => failureMessage(e);

/** What resolveTarget needs, from the mirror dependencies (the SMB password from the credential store). */
export function resolveDeps(deps: MirrorDeps, m?: Mirror, access: AccessOptions = {}): ResolveDeps {
  const crypt = cryptOf(deps);
  const unlocks = !!(m?.encrypt && crypt.unlockVolume && crypt.scheme(m) === 'apfs-volume');
  return {
    volumes: deps.volumes,
    shares: deps.shares,
    smbMountBase: deps.smbMountBase,
    smbPassword: (s) => deps.secrets.get(smbCredentialId(s.url, s.user)),
    unlockVolume: unlocks ? async (v) => crypt.unlockVolume!(v, await cryptContext(m!, deps, access)) : undefined,
  };
}

/** The passphrase of an encrypted mirror, as the adapters need it. Without one this throws: nothing is then written. */
export async function cryptContext(m: Mirror, deps: Pick<MirrorDeps, 'secrets' | 'askPassphrase'>, access: AccessOptions = {}): Promise<CryptContext> {
  const id = encryptionCredentialId(m.name);
  const pass = access.passphrase ?? (await deps.secrets.get(id)) ?? (await deps.askPassphrase?.(m.name)) ?? null;
  if (!pass) throw new PraxisError('mirror.crypt.noPassphrase', { name: m.name, id, store: storeName(deps.secrets) });
  return { name: m.name, credentialId: id, passphrase: pass, signal: access.signal };
}

type AbsentKey = 'restore.run.sourceAbsent' | 'verify.targetAbsent' | 'encryption.absent' | 'list.mirrorAbsent';

/**
 * A configured mirror's target, mounted but not decrypted (encryption setup): unknown name → exit 2
 * naming the known ones; absent → `absentKey` with the reason. An encrypted APFS volume cannot be
 * mounted this way (it must be unlocked): use accessMirror.
 */
export async function openMirror(config: Config, name: string, deps: MirrorDeps | undefined, absentKey: AbsentKey): Promise<{ mirror: Mirror; target: MirrorTarget }> {
  const mirror = selectMirrors(config, [name])[0]!;
  if (!deps) throw new PraxisError('error.unexpected', { message: 'no mirror dependencies' });
  const resolved = await resolveTarget(mirror, config.backupDir, resolveDeps(deps));
  if (resolved.kind === 'absent') throw new PraxisError(absentKey, { name, reason: resolved.reason });
  return { mirror, target: resolved.target };
}

export interface OpenedMirror {
  mirror: Mirror;
  target: MirrorTarget;
  /** The decrypted view of an encrypted mirror (null: plain, or an unlocked encrypted volume). */
  view: CryptView | null;
  /** Where the backups are: target.dir, or the decrypted view. */
  dir: string;
}

/**
 * A configured mirror, reached for reading (restore --from-mirror, verify --target, list
 * --mirror): mounted, and an encrypted one unlocked / decrypted with the passphrase (given, stored
 * or asked for). Give it back with leaveMirror. On failure nothing is left mounted by us.
 */
export async function accessMirror(config: Config, name: string, deps: MirrorDeps | undefined, absentKey: AbsentKey, access: AccessOptions = {}): Promise<OpenedMirror> {
  const mirror = selectMirrors(config, [name])[0]!;
  if (!deps) throw new PraxisError('error.unexpected', { message: 'no mirror dependencies' });
  const resolved = await resolveTarget(mirror, config.backupDir, resolveDeps(deps, mirror, access));
  if (resolved.kind === 'absent') throw new PraxisError(absentKey, { name, reason: resolved.reason });
  const target = resolved.target;
  try {
    const view = await unlockTarget(mirror, target, deps, access);
    return { mirror, target, view, dir: target.dir };
  } catch (e) {
    await releaseTarget(mirror, target, deps, null, { warnings: [] }, { eject: false });
    throw e;
  }
}

/** Closes the decrypted view, then unmounts what we mounted (`eject`: eject when the mirror says so). */
export async function leaveMirror(o: OpenedMirror, deps: MirrorDeps, reporter: Reporter, r: { warnings: Message[]; ejected?: boolean } = { warnings: [] }, opts: { eject?: boolean } = {}): Promise<void> {
  if (!(await lockTarget(o.view, reporter, r))) return;
  await releaseTarget(o.mirror, o.target, deps, reporter, r, opts);
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

/**
 * After the copy (or `verify --target`): eject the disk when the mirror says so, else unmount what
 * we mounted (which also locks an encrypted volume again). `eject: false`: only unmount (restore).
 * `reporter` null: quietly (cleaning up after a failure that is reported anyway).
 */
export async function releaseTarget(m: Mirror, target: MirrorTarget, deps: MirrorDeps, reporter: Reporter | null, r: { warnings: Message[]; ejected?: boolean }, opts: { eject?: boolean } = {}): Promise<void> {
  if (m.type === 'volume' && target.volume && m.eject && opts.eject !== false && reporter) {
    const label = target.volume.label ?? describeRef(m.volume);
    try {
      await deps.volumes.eject(target.volume);
      r.ejected = true;
      await notify(deps, reporter, { key: 'mirror.ejected', params: { label } });
    } catch (e) {
      // The copy is fine; the disk is still attached and must not be pulled out.
      r.ejected = false;
      const message = errorMessage(e);
      r.warnings.push(message);
      reporter.warn(message.key, message.params);
      await notify(deps, reporter, message);
    }
    return;
  }
  if (target.mountedByUs) {
    try {
      if (m.type === 'smb') await deps.shares.unmount(target.mountedByUs);
      else if (target.volume) await deps.volumes.unmount(target.volume);
    } catch (e) {
      const message = errorMessage(e);
      r.warnings.push(message);
      reporter?.warn(message.key, message.params);
    }
  }
}

/**
 * For an encrypted mirror: open the decrypted view of its container (gocryptfs folder, sparse
 * bundle) and point target.dir at it. An encrypted APFS volume was unlocked while resolving; here
 * it is only checked that it was. Without the passphrase, or when the view cannot be proven, this
 * throws — the caller then writes nothing, so nothing ever lands on the target in the clear.
 */
export async function unlockTarget(m: Mirror, target: MirrorTarget, deps: Pick<MirrorDeps, 'secrets' | 'smbMountBase' | 'cryptMountBase' | 'crypt' | 'askPassphrase'>, access: AccessOptions = {}): Promise<CryptView | null> {
  if (!m.encrypt) return null;
  const crypt = cryptOf(deps);
  if (crypt.scheme(m) === 'apfs-volume') {
    if (!target.encryptedVolume) throw new PraxisError('mirror.crypt.guard', { name: m.name, path: target.root });
    return null;
  }
  const ctx = await cryptContext(m, deps, access);
  const base = deps.cryptMountBase ?? join(dirname(deps.smbMountBase), 'crypt');
  const view = await crypt.openView(m, target.root, join(base, m.name), ctx);
  target.dir = view.dir;
  return view;
}

/** Just before the first write: the place is (still) the decrypted side of an encrypted mirror. */
async function assertDecrypted(m: Mirror, target: MirrorTarget, view: CryptView | null): Promise<void> {
  if (!m.encrypt) return;
  const ok = view ? await view.stillOpen() : !!target.encryptedVolume;
  if (!ok) throw new PraxisError('mirror.crypt.guard', { name: m.name, path: target.dir });
}

/** Close the decrypted view; false (with the reason as a warning) when it stayed mounted: then the disk must not be released. */
export async function lockTarget(view: CryptView | null, reporter: Reporter, r: { warnings: Message[] }): Promise<boolean> {
  if (!view) return true;
  try {
    await view.close();
    return true;
  } catch (e) {
    const message = errorMessage(e);
    r.warnings.push(message);
    reporter.warn(message.key, message.params);
    return false;
  }
}

async function mirrorOne(m: Mirror, config: Config, deps: MirrorDeps, reporter: Reporter, signal: AbortSignal, opts: MirrorOptions): Promise<MirrorResult> {
  const started = Date.now();
  const r: MirrorResult = { name: m.name, result: 'failed', required: m.required, copied: [], removed: [], bytesCopied: 0, durationMs: 0, warnings: [] };
  reporter.emit({ type: 'mirror-started', name: m.name, mirrorType: m.type });
  let target: MirrorTarget | undefined;
  let view: CryptView | null = null;
  // The device of the place we write to, to tell "the disk was pulled" from other failures.
  let dev: number | null = null;
  let gone = false;
  try {
    const resolved = await resolveTarget(m, config.backupDir, resolveDeps(deps, m, { signal }));
    if (resolved.kind === 'absent') {
      r.result = opts.onMount ? 'skipped' : 'absent';
      r.message = resolved.reason;
      return r;
    }
    target = resolved.target;
    r.target = { dir: target.dir, ...(target.volume ? { label: target.volume.label, uuid: target.volume.uuid } : {}), ...(m.type === 'smb' ? { url: m.url } : {}) };
    for (const w of target.warnings) {
      r.warnings.push(w);
      reporter.warn(w.key, w.params);
    }
    view = await unlockTarget(m, target, deps, { signal });
    // Checked once more right before the first write: an encrypted mirror is never written in the clear.
    await assertDecrypted(m, target, view);
    dev = (await stat(target.dir)).dev;
    const local = (await readCatalog(config.backupDir, { now: (deps.now ?? (() => new Date()))() })).complete;
    const sync = await syncBackups(local, target.dir, { name: m.name, mode: m.mode, tools: deps.tools, reporter, signal });
    Object.assign(r, { copied: sync.copied, removed: sync.removed, bytesCopied: sync.bytesCopied, newest: sync.newest });

    // Read back what was copied, from the target itself: the dumps' checksums and the folder
    // index (sizes and a sample of contents compared with the local original; all with `deep`).
    // Recorded in verification.json on the target and as this destination's lastVerified.
    const onTarget = await readCatalog(target.dir);
    const ctx = { tools: deps.tools, secrets: deps.secrets, reporter, signal };
    for (const id of sync.copied) {
      const entry = onTarget.complete.find((b) => b.id === id);
      const original = local.find((b) => b.id === id);
      const v = entry
        ? await verifyBackup(config, entry, { destination: m.name, deep: opts.deep ?? config.verify.deepIndex, restoreTest: false, referencePath: original?.path, now: (deps.now ?? (() => new Date()))() }, ctx)
        : null;
      if (v && entry) {
        r.verification = v;
        await writeVerification(entry.path, v).catch((e: Error) => reporter.warn('verify.recordFailed', { file: entry.path, message: e.message }));
      }
      if (!v || !v.ok) {
        throw new PraxisError('mirror.verifyFailed', {
          name: m.name,
          id,
          problems: v ? v.problems.map((p) => render(deps.lang, p)).join('; ') : 'missing',
        });
      }
    }
    if (sync.copied.length) reporter.info('mirror.verified', { name: m.name, count: sync.copied.length });
    r.result = 'success';
  } catch (e) {
    r.result = 'failed';
    // A disk pulled mid-copy surfaces as whatever call came next (ENOENT on copyfile of the
    // manifest, an rsync error, a failed read-back): say what happened instead.
    gone = target !== undefined && dev !== null && !signal.aborted && (await targetVanished(target.dir, dev));
    r.message = gone ? { key: 'mirror.targetGone', params: { name: m.name, dir: target!.dir } } : errorMessage(e);
  } finally {
    // The view first: unmounting or ejecting the disk under a mounted view would fail or lose data.
    const closed = await lockTarget(view, reporter, r);
    // A disk that is gone cannot be ejected; "eject failed, do not pull it" would be the wrong word.
    // After a failed copy the disk is only unmounted (if we mounted it), never ejected: ejecting
    // powers a USB disk off, so the next night finds it absent (exit 3, a milder word than the
    // failure it still is), and "can be unplugged now" would read as if the copy were done.
    const failed = r.result === 'failed';
    if (target && closed && !gone) await releaseTarget(m, target, deps, reporter, r, { eject: !failed });
    if (failed && !gone && m.type === 'volume' && m.eject) reporter.info('mirror.notEjectedAfterFailure', { name: m.name });
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
    const r = await mirrorOne(m, config, deps, reporter, signal, opts);
    results.push(r);
    const at = (deps.now ?? (() => new Date()))().toISOString();
    if (r.result === 'success') {
      reporter.info('mirror.done', {
        name: m.name,
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
      reporter.error('mirror.failed', { name: m.name, reason: r.message! });
      await notify(deps, reporter, { key: 'mirror.failed', params: { name: m.name, reason: r.message! } });
    }
    reporter.emit({ type: 'mirror-finished', name: m.name, result: r.result, copied: r.copied, bytesCopied: r.bytesCopied, ejected: r.ejected, verified: r.verification?.ok, target: r.target });
    if (r.result === 'skipped') continue;
    await deps.status.update((s) => {
      const d = (s.destinations[m.name] ??= {});
      if (r.result === 'success') d.lastSuccess = { at, backupId: r.newest ?? '', bytesCopied: r.bytesCopied, durationMs: r.durationMs };
      else d.lastFailure = { at, message: r.message! };
      const v = r.verification;
      if (v) d.lastVerified = { at: v.at, backupId: v.backupId, ok: v.ok, restoreTest: false, ...(v.ok ? {} : { message: r.message ?? v.problems[0] }) };
    });
  }
  return results;
}

/** 0 all fine, 3 an optional mirror absent or a warning, 1 a failure or a required mirror absent. */
export function mirrorsExitCode(results: MirrorResult[]): 0 | 1 | 3 {
  if (results.some((r) => r.result === 'failed' || (r.result === 'absent' && r.required))) return 1;
  if (results.some((r) => r.result === 'absent' || r.warnings.length)) return 3;
  return 0;
}


// The macOS adapter of the MirrorCrypt port (src/core/mirror-crypt.ts):
// - a mirror on a whole volume (a USB disk) is an encrypted APFS volume: `diskutil apfs unlockVolume <UUID>
//   -stdinpassphrase` before use (diskutil mounts it), then `diskutil info` must say FileVault —
//   a volume that is not encrypted is refused, never written in the clear. Unmount/eject locks it
//   again (the destination's close does that).
// - a share or path mirror holds `Praxis-Backup.sparsebundle` (AES-256), attached with the
//   passphrase on stdin at our own mount point, detached afterwards.
// The plans (argv, stdin, redaction) are in apfs-encryption.ts and hdiutil.ts; this file runs them
// in the right order with the guards. What the tools print is never guessed: success is exit 0 and
// the state read back (diskutil info, the mount table); failures are mapped from the recorded or
// cited texts there.
import { readdir, rmdir, stat, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CommandError, type run as runnerRun } from '../process/runner';
import { PraxisError } from '../core/errors';
import { SPARSEBUNDLE_NAME, SPARSEBUNDLE_VOLNAME, type CryptContext, type CryptTarget, type CryptView, type MirrorCrypt } from '../core/mirror-crypt';
import { isMountPoint } from '../platform/mount-point';
import { mapUnlockFailure, planUnlockVolume } from './apfs-encryption';
import type { DiskInfo } from './diskutil-plist';
import { withInfo } from './diskutil-plist';
import { checkAttachResult, mapHdiutilFailure, planAttach, planCreateSparseBundle, planDetach, classifyHdiutilFailure } from './hdiutil';
import type { Volume } from '../core/volumes';

export interface MacCryptDeps {
  run: typeof runnerRun;
  /** `diskutil info -plist` (DiskutilVolumes.info). */
  info(idOrPath: string): Promise<DiskInfo>;
  /** `diskutil mount` (DiskutilVolumes.mount), for a volume that was unlocked but is not mounted. */
  mount(v: Volume): Promise<Volume>;
  /** `diskutil unmount` (DiskutilVolumes.unmount): a volume we unlocked and then refuse is locked again. */
  unmount(v: Volume): Promise<void>;
  diskutil?: string;
  hdiutil?: string;
  /** Injected so tests do not wait. */
  sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A sparse bundle is a folder with an Info.plist (and bands/); present iff it was created. */
async function bundleExists(path: string): Promise<boolean> {
  return stat(join(path, 'Info.plist')).then((s) => s.isFile(), () => false);
}

export class MacCrypt implements MirrorCrypt {
  constructor(private readonly deps: MacCryptDeps) {}

  scheme(m: CryptTarget) {
    return m.wholeVolume ? ('apfs-volume' as const) : ('sparsebundle' as const);
  }

  async unlockVolume(v: Volume, ctx: CryptContext): Promise<Volume> {
    // By UUID: the diskN id changes with every plugging in. A volume found without one cannot be
    // named to diskutil safely (a label could match another disk's volume).
    if (!v.uuid) throw new PraxisError('apfs.unlockFailed', { name: ctx.name, uuid: '–', detail: `${v.device}: no volume UUID` });
    let unlockedByUs = true;
    try {
      await this.deps.run(planUnlockVolume(v.uuid, ctx.passphrase, this.deps.diskutil), { signal: ctx.signal });
    } catch (e) {
      if (!(e instanceof CommandError)) throw e;
      const mapped = mapUnlockFailure(e, { name: ctx.name, uuid: v.uuid, credentialId: ctx.credentialId });
      // Unlocked already (by the admin in Finder, or by us in a run that was killed): fine, the
      // check below still insists on encryption.
      if (mapped !== 'alreadyUnlocked') throw mapped;
      unlockedByUs = false;
    }
    let now = withInfo(v, await this.deps.info(v.id));
    // The guard: whatever diskutil answered above, only a volume that says it is encrypted with a
    // key of its own is used. (An unencrypted one normally fails the unlock with -69593 already.)
    if (now.encrypted !== true) {
      if (unlockedByUs && now.mountPoint) await this.deps.unmount(now).catch(() => undefined);
      throw new PraxisError('apfs.notEncrypted', { name: ctx.name, uuid: v.uuid });
    }
    if (!now.mountPoint) now = await this.deps.mount(now);
    return now;
  }

  async isInitialised(m: CryptTarget, root: string): Promise<boolean> {
    if (this.scheme(m) === 'apfs-volume') return true;
    return bundleExists(join(root, SPARSEBUNDLE_NAME));
  }

  async init(m: CryptTarget, root: string, ctx: CryptContext): Promise<string> {
    // An APFS volume is encrypted by erasing the disk: `volumes prepare`, with its own double confirmation.
    if (this.scheme(m) === 'apfs-volume') throw new PraxisError('encryption.useVolumesPrepare', { name: ctx.name }, 2);
    const path = join(root, SPARSEBUNDLE_NAME);
    if (await bundleExists(path)) throw new PraxisError('mirror.crypt.alreadyInitialised', { name: ctx.name, dir: path });
    const b = { name: ctx.name, path, credentialId: ctx.credentialId };
    await this.deps.run(planCreateSparseBundle(path, SPARSEBUNDLE_VOLNAME, ctx.passphrase, this.deps.hdiutil), { signal: ctx.signal }).catch((e) => {
      throw e instanceof CommandError ? mapHdiutilFailure(e, 'create', b) : e;
    });
    return path;
  }

  async openView(m: CryptTarget, root: string, mountPoint: string, ctx: CryptContext): Promise<CryptView> {
    if (this.scheme(m) !== 'sparsebundle') throw new PraxisError('mirror.crypt.guard', { name: ctx.name, path: root });
    const path = join(root, SPARSEBUNDLE_NAME);
    const b = { name: ctx.name, path, credentialId: ctx.credentialId };
    if (!(await bundleExists(path))) throw new PraxisError('mirror.crypt.notInitialised', { name: ctx.name, dir: root });
    await mkdir(mountPoint, { recursive: true, mode: 0o700 });
    const detach = () => this.deps.run(planDetach(mountPoint, this.deps.hdiutil));
    // An image left attached by a run that was killed: detach it, then start clean.
    if (await isMountPoint(mountPoint)) await detach().catch(() => undefined);
    if (await isMountPoint(mountPoint)) throw new PraxisError('mirror.crypt.guard', { name: ctx.name, path: mountPoint });
    // A folder with something in it is not our empty mount point: never attach over (or write into) it.
    if ((await readdir(mountPoint)).length) throw new PraxisError('mirror.crypt.guard', { name: ctx.name, path: mountPoint });

    let result;
    try {
      result = await this.deps.run(planAttach(path, mountPoint, ctx.passphrase, this.deps.hdiutil), { signal: ctx.signal });
    } catch (e) {
      // A cancel or timeout may have come after the image was attached: do not leave it open.
      if (await isMountPoint(mountPoint)) await detach().catch(() => undefined);
      throw e instanceof CommandError ? mapHdiutilFailure(e, 'attach', b) : e;
    }
    const close = async () => {
      const sleep = this.deps.sleep ?? realSleep;
      for (let attempt = 1; ; attempt++) {
        try {
          await detach();
          await rmdir(mountPoint).catch(() => undefined);
          return;
        } catch (e) {
          if (!(await isMountPoint(mountPoint))) return;
          const busy = e instanceof CommandError && classifyHdiutilFailure([...e.stderrTail, ...e.stdoutTail]) === 'busy';
          // A file rsync just closed (or Spotlight) can hold the image for a moment: one more try.
          if (busy && attempt === 1) {
            await sleep(5000);
            continue;
          }
          throw e instanceof CommandError ? mapHdiutilFailure(e, 'detach', b) : e;
        }
      }
    };
    try {
      checkAttachResult(result, b);
      if (!(await isMountPoint(mountPoint))) throw new PraxisError('mirror.crypt.guard', { name: ctx.name, path: mountPoint });
    } catch (e) {
      await close().catch(() => undefined);
      throw e;
    }
    return { dir: mountPoint, close, stillOpen: () => isMountPoint(mountPoint) };
  }
}

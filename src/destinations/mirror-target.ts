// Finding, mounting and guarding a mirror's target. The guard is the point: a backup must land on
// the expected disk or share and nowhere else — never in the empty mount-point folder that stays
// on the internal disk when the USB disk is not plugged in.
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Mirror } from '../config/schema';
import { parseSmbUrl } from '../diskutil/smb-mount';
import { describeRef, type Volume, type Volumes } from '../diskutil/volumes';
import type { Message } from '../i18n';
import { PraxisError } from '../core/errors';
import { isMountPoint } from '../platform/mount-point';

/** Mounting network shares (SMB); implemented in src/diskutil/smb-mount.ts. */
export interface Shares {
  mount(url: string, user: string, password: string | null, mountPoint: string): Promise<void>;
  unmount(mountPoint: string): Promise<void>;
}

/** The folder on a mirror volume that holds the backups (like the local backup directory). */
export const MIRROR_FOLDER = 'Praxis-Backup';

export interface MirrorTarget {
  /** Where the backups go on the target (for an encrypted mirror: replaced by the decrypted view). */
  dir: string;
  /** The target's top folder: the mount point, the path or the share folder (the cipher dir of an encrypted mirror lives here). */
  root: string;
  volume?: Volume;
  /** Mount point we mounted ourselves (and so unmount again), if any. */
  mountedByUs?: string;
  /** Warnings found while resolving (e.g. a path mirror on the same disk as the backups). */
  warnings: Message[];
  /** An encrypted volume (macOS APFS), unlocked while resolving: `dir` on it is already the decrypted place. */
  encryptedVolume?: boolean;
}

export type Resolved = { kind: 'ready'; target: MirrorTarget } | { kind: 'absent'; reason: Message };


export interface ResolveDeps {
  volumes: Volumes;
  shares: Shares;
  /** Where SMB shares get mounted: <smbMountBase>/<mirror name>. */
  smbMountBase: string;
  smbPassword(m: Extract<Mirror, { type: 'smb' }>): Promise<string | null>;
  /**
   * Set for an encrypted mirror whose volume itself is encrypted (macOS APFS): unlocks it (which
   * mounts it) instead of a plain mount, and refuses one that is not encrypted.
   */
  unlockVolume?(v: Volume): Promise<Volume>;
}

export async function resolveTarget(m: Mirror, backupDir: string, deps: ResolveDeps): Promise<Resolved> {
  if (m.type === 'path') {
    const st = await stat(m.path).catch(() => null);
    // The admin creates the folder once; we never create it, so an unmounted disk's empty
    // mount point cannot be mistaken for the target.
    if (!st?.isDirectory()) return { kind: 'absent', reason: { key: 'mirror.pathMissing', params: { name: m.name, path: m.path } } };
    // A path mirror is meant to be another disk. On the backup directory's own disk it is most
    // likely the empty mount-point folder of a disk that is not mounted: refuse, write nothing.
    const local = await stat(backupDir).catch(() => null);
    if (local && local.dev === st.dev) return { kind: 'absent', reason: { key: 'mirror.sameDisk', params: { name: m.name, path: m.path } } };
    return { kind: 'ready', target: { dir: m.path, root: m.path, warnings: [] } };
  }

  if (m.type === 'volume') {
    let v = await deps.volumes.find(m.volume);
    if (!v) return { kind: 'absent', reason: { key: 'mirror.volumeAbsent', params: { name: m.name, volume: describeRef(m.volume) } } };
    let mountedByUs: string | undefined;
    const encryptedVolume = !!(m.encrypt && deps.unlockVolume);
    const wasMounted = !!v.mountPoint;
    if (encryptedVolume) v = await deps.unlockVolume!(v);
    else if (!wasMounted) v = await deps.volumes.mount(v);
    // Unmounting what we mounted (or unlocked) also locks an encrypted volume again.
    if (!wasMounted) mountedByUs = v.mountPoint ?? undefined;
    const mp = v.mountPoint;
    // Guard: the adapter's answer must agree with the file system itself — and an encrypted
    // volume must still say so in a fresh listing.
    const refuse = async (e: PraxisError): Promise<never> => {
      // Leave the disk as we found it (an unlocked volume locked again by the unmount).
      if (mountedByUs) await deps.volumes.unmount(v).catch(() => undefined);
      throw e;
    };
    const again = await deps.volumes.find(m.volume);
    if (!mp || !again || again.mountPoint !== mp || !(await isMountPoint(mp))) {
      await refuse(new PraxisError('mirror.guard', { name: m.name, volume: describeRef(m.volume), path: mp ?? '?' }));
    }
    if (encryptedVolume && again!.encrypted !== true) await refuse(new PraxisError('mirror.crypt.guard', { name: m.name, path: mp! }));
    const dir = join(mp!, MIRROR_FOLDER);
    // An encrypted mirror on a plain disk gets no plain folder at all: only its cipher folder.
    if (!m.encrypt || encryptedVolume) await mkdir(dir, { recursive: true, mode: 0o700 });
    return { kind: 'ready', target: { dir, root: mp!, volume: v, mountedByUs, warnings: [], encryptedVolume } };
  }

  const { subPath } = parseSmbUrl(m.url);
  const mp = join(deps.smbMountBase, m.name);
  await mkdir(mp, { recursive: true, mode: 0o700 });
  let mountedByUs: string | undefined;
  if (!(await isMountPoint(mp))) {
    await deps.shares.mount(m.url, m.user, await deps.smbPassword(m), mp);
    mountedByUs = mp;
  }
  if (!(await isMountPoint(mp))) throw new PraxisError('mirror.guard', { name: m.name, volume: m.url, path: mp });
  const dir = subPath ? join(mp, subPath) : mp;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return { kind: 'ready', target: { dir, root: dir, mountedByUs, warnings: [] } };
}

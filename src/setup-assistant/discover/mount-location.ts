// Where a path lives: on this machine's own disk, on a network share, or on a removable disk.
// tomedo's manual warns about the last two for the folders it backs up, and forbids them for the
// backup directory: a share that is not connected at night or a USB disk that went home makes the
// backup quietly incomplete.
//
// The file system type comes from the mount table (Linux: /proc/self/mountinfo; macOS: mount(8)),
// "removable" from the Volumes port (the same judgement `volumes` and the mirrors use: lsblk's
// RM/HOTPLUG/usb, diskutil's Internal = false), matched by mount point.
import { readFile, realpath, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Volume } from '../../core/volumes';
import { parseMacMountOutput, parseMountinfo, type MountEntry } from '../../diskutil/smb-mount';
import type { Platform } from '../../platform/paths';
import { run } from '../../process/runner';
import type { Location } from '../contracts';

export type { MountEntry };
export type MountTable = () => Promise<MountEntry[]>;

/**
 * Network file systems as the kernel and macOS name them. FUSE ones by their helper: sshfs, rclone,
 * davfs2 (WebDAV), s3fs; a local FUSE file system (gocryptfs, ntfs-3g) stays local.
 */
const NETWORK = /^(nfs4?|cifs|smb3?|smbfs|afpfs|webdav|ncpfs|9p|ceph|glusterfs|lustre|afs|fuse\.(sshfs|rclone|davfs2?|s3fs|glusterfs|cephfs)|sshfs|davfs2?)$/i;

export function isNetworkFs(fsType: string): boolean {
  return NETWORK.test(fsType);
}

export function mountTableFor(platform: Platform): MountTable {
  if (platform === 'linux') return async () => parseMountinfo(await readFile('/proc/self/mountinfo', 'utf8'));
  return async () => {
    const lines: string[] = [];
    await run({ label: 'mount (list)', file: '/sbin/mount', args: [], timeoutMs: 30_000 }, { onStdoutLine: (l) => lines.push(l) });
    return parseMacMountOutput(lines.join('\n'));
  };
}

/** The path itself, or the nearest ancestor that exists (a backup directory not made yet), symlinks resolved. */
export async function existingAncestor(path: string): Promise<string> {
  let p = path;
  for (;;) {
    const real = await realpath(p).catch(() => null);
    if (real && (await stat(real).then(() => true, () => false))) return real;
    const up = dirname(p);
    if (up === p) return p;
    p = up;
  }
}

/** The mount a (resolved) path is on: the longest mount point above it; of equal ones the last (it hides the others). */
export function mountOf(path: string, table: MountEntry[]): MountEntry | null {
  let best: MountEntry | null = null;
  for (const m of table) {
    const mp = m.mountPoint;
    const inside = mp === '/' || path === mp || path.startsWith(mp.endsWith('/') ? mp : `${mp}/`);
    if (inside && (!best || mp.length >= best.mountPoint.length)) best = m;
  }
  return best;
}

export interface Placement {
  location: Location;
  fileSystem: string | null;
  mountPoint: string | null;
}

export function placementOf(mount: MountEntry | null, volumes: Volume[]): Placement {
  if (!mount) return { location: 'local', fileSystem: null, mountPoint: null };
  const external = volumes.some((v) => v.external && (v.mountPoint === mount.mountPoint || (v.device === mount.source && !!v.mountPoint)));
  const location: Location = isNetworkFs(mount.fsType) ? 'network' : external ? 'removable' : 'local';
  return { location, fileSystem: mount.fsType, mountPoint: mount.mountPoint };
}

/** Where `path` (or the nearest existing folder above it) lives. */
export async function locate(path: string, table: MountTable, volumes: () => Promise<Volume[]>): Promise<Placement> {
  const real = await existingAncestor(path);
  const mount = mountOf(real, await table());
  // Only a disk can be removable: a network share or tmpfs is decided without asking lsblk/diskutil.
  const vols = mount && mount.source.startsWith('/dev/') && !isNetworkFs(mount.fsType) ? await volumes() : [];
  return placementOf(mount, vols);
}

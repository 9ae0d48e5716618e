// Step 3 of the assistant: where the backup directory goes. tomedo's rule: on an internal disk of
// the server — never a network share or a removable disk (those are for the mirror) — with room
// for a backup plus 10 % (RESERVE_FRACTION).
//
// The proposals: the conventional place first (Linux: /var/backups/praxis-backup for root, as
// Debian keeps its own backups in /var/backups; ~/Praxis-Backup for anyone else; macOS:
// /Users/Shared/Praxis-Backup, which every admin account can write and no user's home owns), then
// the biggest other internal disks the admin may write to (a data disk mounted on /srv or /data is
// often where the room is). One proposal per file system: two folders on the same disk share its space.
import { access, constants, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Volume } from '../../core/volumes';
import type { Platform } from '../../platform/paths';
import { diskSpace, RESERVE_FRACTION } from '../../backup-directory/space-check';
import type { BackupDirCandidate } from '../contracts';
import { existingAncestor, locate, type MountEntry, type MountTable } from './mount-location';

export interface BackupDirDeps {
  platform: Platform;
  isRoot: boolean;
  home: string;
  /** The proposed places, best first, instead of the platform's conventional one. */
  places?: string[];
  /** Also propose the biggest internal disks' mount points (default true). */
  scanMounts: boolean;
  table: MountTable;
  volumes: () => Promise<Volume[]>;
}

/** File systems of real disks. tmpfs, overlay, squashfs (snaps) and the like are no place for backups. */
const DISK_FS = new Set(['ext2', 'ext3', 'ext4', 'xfs', 'btrfs', 'zfs', 'f2fs', 'jfs', 'reiserfs', 'apfs', 'hfs']);
/** Mount points that hold the system, not data. */
const SYSTEM_MOUNT = /^\/(boot|efi|snap|proc|sys|dev|run|var\/lib\/(docker|containers)|nix|System(?!\/Volumes\/Data$)|private\/var\/vm)(\/|$)/;
/** How many other disks are proposed at most. */
const MORE_DISKS = 3;

export function conventionalPlaces(platform: Platform, isRoot: boolean, home: string): string[] {
  if (platform === 'darwin') return ['/Users/Shared/Praxis-Backup'];
  return [isRoot ? '/var/backups/praxis-backup' : join(home, 'Praxis-Backup')];
}

/** The folder proposed on a data disk: the product's name, as on the conventional places. */
function onDisk(platform: Platform, mountPoint: string): string {
  return join(mountPoint, platform === 'darwin' ? 'Praxis-Backup' : 'praxis-backup');
}

async function dataDisks(deps: BackupDirDeps): Promise<string[]> {
  const table = await deps.table();
  const external = new Set((await deps.volumes()).filter((v) => v.external).flatMap((v) => (v.mountPoint ? [v.mountPoint] : [])));
  const disks: { mp: string; total: number }[] = [];
  const seen = new Set<string>();
  for (const m of table as MountEntry[]) {
    if (!m.source.startsWith('/dev/') || !DISK_FS.has(m.fsType) || m.mountPoint === '/' || SYSTEM_MOUNT.test(m.mountPoint)) continue;
    if (external.has(m.mountPoint) || seen.has(m.mountPoint)) continue;
    seen.add(m.mountPoint);
    // Containers bind single files of the host's disk (/etc/hosts): a mount point, but no folder.
    if (!(await stat(m.mountPoint).then((s) => s.isDirectory(), () => false))) continue;
    const space = await diskSpace(m.mountPoint).catch(() => null);
    if (space) disks.push({ mp: m.mountPoint, total: space.total });
  }
  return disks.sort((a, b) => b.total - a.total).slice(0, MORE_DISKS).map((d) => onDisk(deps.platform, d.mp));
}

const writable = (p: string) => access(p, constants.W_OK).then(() => true, () => false);

export async function backupDirCandidates(deps: BackupDirDeps, estimateBytes: number, signal: AbortSignal): Promise<BackupDirCandidate[]> {
  const places = [...(deps.places ?? conventionalPlaces(deps.platform, deps.isRoot, deps.home)), ...(deps.scanMounts ? await dataDisks(deps) : [])];
  const needed = estimateBytes * (1 + RESERVE_FRACTION);
  const out: BackupDirCandidate[] = [];
  const devices = new Set<number>();
  for (const path of places) {
    signal.throwIfAborted();
    // The folder is made later, by apply: judge the disk it will be on.
    const there = await existingAncestor(path);
    const st = await stat(there);
    if (!st.isDirectory() || devices.has(st.dev) || !(await writable(there))) continue;
    const placement = await locate(path, deps.table, deps.volumes);
    if (placement.location !== 'local') continue;
    devices.add(st.dev);
    const space = await diskSpace(there);
    out.push({ path, location: placement.location, freeBytes: space.free, totalBytes: space.total, fits: space.free >= needed });
  }
  // Best first: a place that fits before one that does not; among those that fit the order above
  // (the conventional place first), among the others the one with most room.
  const fitting = out.filter((c) => c.fits);
  const short = out.filter((c) => !c.fits).sort((a, b) => b.freeBytes - a.freeBytes);
  return [...fitting, ...short];
}

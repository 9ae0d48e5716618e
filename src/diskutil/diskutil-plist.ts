// Pure parsers of what macOS `diskutil` prints: `list -plist`, `info -plist <id>`, the error plist
// both return on failure, and the text lines of a refused unmount / eject. No process is started
// here; diskutil-volumes.ts runs diskutil and hands the output in. Tested against recorded real
// outputs (test/fixtures/macos, provenance in SOURCES.md there).
import plist from 'plist';
import { PraxisError } from '../core/errors';
import type { Volume } from '../core/volumes';

type Dict = { readonly [key: string]: unknown };

/** diskutil's own error, returned as a plist on stdout: `{Error: true, ErrorMessage, ExitCode}`. */
export interface DiskutilErrorPlist {
  message: string;
  exitCode: number;
}

export type DiskutilResult<T> = { ok: true; value: T } | { ok: false; error: DiskutilErrorPlist };

/** A volume as `diskutil list -plist` describes it (no file system, free space or bus there). */
export interface ListedVolume {
  id: string;
  label: string | null;
  uuid: string | null;
  mountPoint: string | null;
  sizeBytes: number;
  /**
   * The physical whole disk, which is what `diskutil eject` must act on. For a volume in an APFS
   * container that is the disk holding the container's physical store (disk7s1 → container disk7
   * on disk6s2 → disk6), not the synthesized container disk.
   */
  wholeDisk: string;
  /** The synthesized APFS container disk (disk7), or null outside APFS. */
  apfsContainer: string | null;
  /** Partition type ("Windows_NTFS", "DOS_FAT_32"); null for APFS volumes, "" for a bare disk. */
  content: string | null;
}

export interface DiskutilList {
  volumes: ListedVolume[];
  wholeDisks: string[];
}

/** The fields of `diskutil info -plist <id>` that Praxis-Backup uses. */
export interface DiskInfo {
  id: string;
  device: string;
  parentWholeDisk: string;
  isWholeDisk: boolean;
  label: string | null;
  uuid: string | null;
  /** FilesystemType: "apfs", "hfs", "msdos", "exfat", … */
  fileSystem: string | null;
  mountPoint: string | null;
  sizeBytes: number;
  /** Null when not mounted. APFS volumes report FreeSpace 0; their free space is the container's. */
  freeBytes: number | null;
  internal: boolean | null;
  removable: boolean | null;
  removableMediaOrExternalDevice: boolean | null;
  /** Internal = false OR RemovableMediaOrExternalDevice = true (never `Removable`: external NVMe says false). */
  external: boolean;
  ejectable: boolean | null;
  busProtocol: string | null;
  /** Device identifiers of the APFS physical stores ("disk0s2"); empty outside APFS. */
  apfsPhysicalStores: string[];
  apfsSnapshot: boolean;
  /**
   * `FileVault`: the volume is encrypted with a key of its own (a passphrase user), as an encrypted
   * external APFS volume is. Not `Encryption`: on T2/Apple-silicon Macs the internal volumes say
   * true there by hardware, passphrase or not (recorded: sysline disk1s1 has both keys). Null when absent.
   */
  fileVault: boolean | null;
  /** `Locked`: an encrypted volume whose key is not loaded (it cannot be mounted). Null when absent. */
  locked: boolean | null;
  /** `MediaName`: the disk's vendor/model ("Cruzer Fit"), for the admin to recognise it; null when empty. */
  mediaName: string | null;
}

// Partition types that are never a place for backups: boot/firmware areas and the APFS physical
// store (its volumes are listed under the container instead).
const NOT_A_VOLUME = new Set([
  'EFI',
  'Apple_APFS',
  'Apple_APFS_ISC',
  'Apple_APFS_Recovery',
  'Apple_Boot',
  'Apple_KernelCoreDump',
  'Microsoft Reserved',
]);

function str(d: Dict, key: string): string | null {
  const v = d[key];
  return typeof v === 'string' ? v : null;
}

/** A string that diskutil prints as "" when absent (VolumeName, MountPoint). */
function nonEmpty(d: Dict, key: string): string | null {
  const v = str(d, key);
  return v && v.length > 0 ? v : null;
}

function num(d: Dict, key: string): number | null {
  const v = d[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function bool(d: Dict, key: string): boolean | null {
  const v = d[key];
  return typeof v === 'boolean' ? v : null;
}

function dicts(d: Dict, key: string): Dict[] {
  const v = d[key];
  return Array.isArray(v) ? v.filter((x): x is Dict => !!x && typeof x === 'object' && !Array.isArray(x)) : [];
}

function isDict(v: unknown): v is Dict {
  return !!v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date) && !Buffer.isBuffer(v);
}

/** Parses diskutil's plist output; anything that is not a plist dict is a PraxisError naming the command. */
export function parsePlistDict(xml: string, command: string): Dict {
  // Checked first: the plist package's XML parser logs to the console on input without a root element.
  if (!xml.includes('<plist')) {
    throw new PraxisError('error.diskutilOutput', { command, detail: xml.trim() ? 'no plist' : 'empty output' });
  }
  let v: unknown;
  try {
    v = plist.parse(xml);
  } catch (e) {
    throw new PraxisError('error.diskutilOutput', { command, detail: (e as Error).message });
  }
  if (!isDict(v)) throw new PraxisError('error.diskutilOutput', { command, detail: 'not a dictionary' });
  return v;
}

/** The error plist, if this is one. */
export function diskutilErrorOf(d: Dict): DiskutilErrorPlist | null {
  if (d.Error !== true) return null;
  return { message: str(d, 'ErrorMessage') ?? 'unknown error', exitCode: num(d, 'ExitCode') ?? 1 };
}

/** The admin-facing error for an error plist. */
export function diskutilError(command: string, e: DiskutilErrorPlist): PraxisError {
  return new PraxisError('error.diskutil', { command, message: e.message });
}

/** "disk6s2" → "disk6"; "disk6" stays. */
export function wholeDiskOf(id: string): string {
  const m = /^(disk\d+)(?:s\d+)*$/.exec(id);
  return m ? m[1]! : id;
}

function listedFromEntry(e: Dict, wholeDisk: string, apfsContainer: string | null): ListedVolume | null {
  const id = str(e, 'DeviceIdentifier');
  if (!id) return null;
  return {
    id,
    label: nonEmpty(e, 'VolumeName'),
    uuid: nonEmpty(e, 'VolumeUUID'),
    mountPoint: nonEmpty(e, 'MountPoint'),
    sizeBytes: num(e, 'Size') ?? 0,
    wholeDisk,
    apfsContainer,
    content: str(e, 'Content'),
  };
}

/** `diskutil list -plist [external]`: the volumes on every whole disk, APFS containers resolved. */
export function parseDiskutilList(xml: string, command = 'list -plist'): DiskutilResult<DiskutilList> {
  const d = parsePlistDict(xml, command);
  const error = diskutilErrorOf(d);
  if (error) return { ok: false, error };
  const entries = dicts(d, 'AllDisksAndPartitions');
  if (!Array.isArray(d.AllDisksAndPartitions)) {
    throw new PraxisError('error.diskutilOutput', { command, detail: 'no AllDisksAndPartitions' });
  }
  const physicalStores = new Set<string>();
  for (const e of entries) for (const s of dicts(e, 'APFSPhysicalStores')) {
    const sid = str(s, 'DeviceIdentifier');
    if (sid) physicalStores.add(sid);
  }

  const volumes: ListedVolume[] = [];
  for (const e of entries) {
    const diskId = str(e, 'DeviceIdentifier');
    if (!diskId) continue;
    if (Array.isArray(e.APFSVolumes)) {
      // A synthesized APFS container: eject acts on the physical disk behind its store.
      const store = dicts(e, 'APFSPhysicalStores').map((s) => str(s, 'DeviceIdentifier')).find(Boolean);
      const physical = store ? wholeDiskOf(store) : diskId;
      for (const v of dicts(e, 'APFSVolumes')) {
        const lv = listedFromEntry(v, physical, diskId);
        if (lv) volumes.push(lv);
      }
      continue;
    }
    if (Array.isArray(e.Partitions)) {
      for (const p of dicts(e, 'Partitions')) {
        const lv = listedFromEntry(p, diskId, null);
        if (!lv || NOT_A_VOLUME.has(lv.content ?? '') || physicalStores.has(lv.id)) continue;
        volumes.push(lv);
      }
      continue;
    }
    // No partition map (a "superfloppy" USB stick): the whole disk is the volume and carries
    // VolumeName / MountPoint itself. A partition scheme without a Partitions array tells us
    // nothing about its volumes, so nothing is invented for it.
    if (nonEmpty(e, 'VolumeName') || nonEmpty(e, 'MountPoint') || nonEmpty(e, 'VolumeUUID')) {
      const lv = listedFromEntry(e, diskId, null);
      if (lv) volumes.push(lv);
    }
  }
  const wholeDisks = Array.isArray(d.WholeDisks) ? d.WholeDisks.filter((x): x is string => typeof x === 'string') : [];
  return { ok: true, value: { volumes, wholeDisks } };
}

/** External per Praxis-Backup's rule: Internal = false OR RemovableMediaOrExternalDevice = true. */
export function isExternal(internal: boolean | null, removableMediaOrExternalDevice: boolean | null): boolean {
  return internal === false || removableMediaOrExternalDevice === true;
}

/** `diskutil info -plist <id>`. */
export function parseDiskutilInfo(xml: string, command = 'info -plist'): DiskutilResult<DiskInfo> {
  const d = parsePlistDict(xml, command);
  const error = diskutilErrorOf(d);
  if (error) return { ok: false, error };
  const id = str(d, 'DeviceIdentifier');
  if (!id) throw new PraxisError('error.diskutilOutput', { command, detail: 'no DeviceIdentifier' });
  const fileSystem = nonEmpty(d, 'FilesystemType');
  const mountPoint = nonEmpty(d, 'MountPoint');
  const containerFree = num(d, 'APFSContainerFree');
  const free = fileSystem === 'apfs' && containerFree !== null ? containerFree : num(d, 'FreeSpace');
  const internal = bool(d, 'Internal');
  const rmoe = bool(d, 'RemovableMediaOrExternalDevice');
  return {
    ok: true,
    value: {
      id,
      device: str(d, 'DeviceNode') ?? `/dev/${id}`,
      parentWholeDisk: str(d, 'ParentWholeDisk') ?? wholeDiskOf(id),
      isWholeDisk: bool(d, 'WholeDisk') ?? false,
      label: nonEmpty(d, 'VolumeName'),
      uuid: nonEmpty(d, 'VolumeUUID'),
      fileSystem,
      mountPoint,
      sizeBytes: num(d, 'TotalSize') || num(d, 'Size') || 0,
      freeBytes: mountPoint ? free : null,
      internal,
      removable: bool(d, 'Removable'),
      removableMediaOrExternalDevice: rmoe,
      external: isExternal(internal, rmoe),
      ejectable: bool(d, 'Ejectable'),
      busProtocol: nonEmpty(d, 'BusProtocol'),
      // info names the key APFSPhysicalStore; list names it DeviceIdentifier.
      apfsPhysicalStores: dicts(d, 'APFSPhysicalStores')
        .map((s) => str(s, 'APFSPhysicalStore') ?? str(s, 'DeviceIdentifier'))
        .filter((s): s is string => !!s),
      apfsSnapshot: bool(d, 'APFSSnapshot') ?? false,
      fileVault: bool(d, 'FileVault'),
      locked: bool(d, 'Locked'),
      mediaName: nonEmpty(d, 'MediaName')?.trim() || null,
    },
  };
}

/**
 * The Volume for a listed volume, with the details only `info` has. Without info (it failed, e.g.
 * the disk went away between the two calls) the list's data stands: free space and file system
 * unknown, and `external` false because nothing said otherwise.
 */
export function toVolume(listed: ListedVolume, info: DiskInfo | null): Volume {
  const base: Volume = {
    id: listed.id,
    label: listed.label,
    uuid: listed.uuid,
    device: `/dev/${listed.id}`,
    wholeDisk: listed.wholeDisk,
    fileSystem: null,
    mountPoint: listed.mountPoint,
    sizeBytes: listed.sizeBytes,
    freeBytes: null,
    external: false,
  };
  return info ? withInfo(base, info) : base;
}

/** A volume updated from a fresh `info` of the same id (after mounting, for example). */
export function withInfo(v: Volume, info: DiskInfo): Volume {
  return {
    ...v,
    label: info.label ?? v.label,
    uuid: info.uuid ?? v.uuid,
    device: info.device,
    fileSystem: info.fileSystem,
    mountPoint: info.mountPoint,
    sizeBytes: info.sizeBytes || v.sizeBytes,
    freeBytes: info.freeBytes,
    external: info.external,
    encrypted: info.fileVault,
  };
}

// ---- refused unmount / eject (text, not plist: diskutil has no -plist for these) ---------------

export type DiskutilRefusal =
  /** Another process holds the volume, and diskutil named it. */
  | { kind: 'dissented'; pid: number; process: string }
  /** Refused because the volume is busy, without naming who. */
  | { kind: 'busy' }
  | { kind: 'alreadyUnmounted' }
  | { kind: 'other' };

// Recorded forms (DISKUTIL-MESSAGES.md): "Unmount was dissented by PID 47781 (/usr/bin/tail)",
// "Unmount failed for /Volumes/…: dissented by PID 556 (mds_stores)",
// "Dissenter PID = 51310 (plugin_host-3.8), Status = 0x0000c010". The "Dissenter parent PPID" line
// names the dissenter's parent (a shell), not the blocker, and must not be taken for it.
const DISSENTED = [/dissented by PID (\d+) \(([^)]+)\)/i, /Dissenter PID = (\d+) \(([^)]+)\)/];
const BUSY = [
  /failed to eject/i,
  /could not be unmounted/i,
  /Unmount blocked by dissenter/i,
  /Unmount failed for/i,
  /eject failed: 0xc010/i,
];

/** What a refused `diskutil unmount|eject` said, from its output lines (stdout and stderr). */
export function parseDiskutilRefusal(output: string | readonly string[]): DiskutilRefusal {
  const text = typeof output === 'string' ? output : output.join('\n');
  for (const re of DISSENTED) {
    const m = re.exec(text);
    if (m) return { kind: 'dissented', pid: Number(m[1]), process: m[2]! };
  }
  if (/was already unmounted/i.test(text)) return { kind: 'alreadyUnmounted' };
  if (BUSY.some((re) => re.test(text))) return { kind: 'busy' };
  return { kind: 'other' };
}

/** Spotlight's indexer (`mds`, `mds_stores`, `mdworker…`): it lets go on its own after a while. */
export function isSpotlight(process: string): boolean {
  const name = process.slice(process.lastIndexOf('/') + 1);
  return /^(mds|mds_stores|mdworker(_shared)?)$/.test(name);
}

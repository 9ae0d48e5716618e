// The Volumes port: what the engine needs to know about disks, whatever the platform. Adapters:
// macOS `diskutil … -plist` (diskutil-volumes.ts), Linux `lsblk`/`blkid`/`findmnt` + mount
// (linux-volumes.ts). The engine only ever sees this interface.

export interface Volume {
  /** Platform identifier used in commands: macOS "disk4s1", Linux "/dev/loop3". */
  id: string;
  label: string | null;
  /** File-system UUID (macOS VolumeUUID; Linux blkid UUID). Compared case-insensitively. */
  uuid: string | null;
  /** Device node: /dev/disk4s1, /dev/sdb1, /dev/loop3. */
  device: string;
  /** The whole disk the volume lives on (what "eject" acts on): disk4, /dev/sdb, /dev/loop3. */
  wholeDisk: string;
  fileSystem: string | null;
  mountPoint: string | null;
  sizeBytes: number;
  /** Free bytes when mounted and known, else null. */
  freeBytes: number | null;
  /** USB/Thunderbolt disk: macOS `Internal = false` or `RemovableMediaOrExternalDevice = true`. */
  external: boolean;
  /**
   * Encrypted with a passphrase of its own (macOS: diskutil's `FileVault`); null/absent when the
   * platform does not say (Linux: encrypted mirrors are gocryptfs folders, not volumes).
   */
  encrypted?: boolean | null;
}

export type VolumeRef = { label: string } | { uuid: string };

export function describeRef(ref: VolumeRef): string {
  return 'uuid' in ref ? `UUID ${ref.uuid}` : `„${ref.label}“`;
}

export function matchesRef(v: Volume, ref: VolumeRef): boolean {
  if ('uuid' in ref) return !!v.uuid && v.uuid.toLowerCase() === ref.uuid.toLowerCase();
  return v.label === ref.label;
}

export interface EjectResult {
  /** True when the disk was also powered off / ejected, not only unmounted. */
  poweredOff: boolean;
}

/**
 * Errors are PraxisErrors with catalogue messages; an eject or unmount that another process
 * blocks is `error.ejectRefused` naming that process, after one retry — and says clearly that the
 * disk must NOT be unplugged.
 */
export interface Volumes {
  /** "diskutil" or "linux": shown in messages and `volumes --json`. */
  readonly kind: string;
  list(): Promise<Volume[]>;
  /** Two volumes with the same label: the label is ambiguous → PraxisError error.volumeAmbiguous. */
  find(ref: VolumeRef): Promise<Volume | null>;
  /** Mounts if needed; returns the volume as it is now (mountPoint set). */
  mount(v: Volume): Promise<Volume>;
  unmount(v: Volume): Promise<void>;
  /** Unmounts every volume of the whole disk, then powers it off where the platform can. */
  eject(v: Volume): Promise<EjectResult>;
}

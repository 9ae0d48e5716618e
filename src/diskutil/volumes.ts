// The Volumes port: what the engine needs to know about disks, whatever the platform. Adapters
// (macOS `diskutil … -plist`, Linux `lsblk --json` + mount) come with the volumes-and-mirrors
// issue; the engine will only ever see this interface.

export interface Volume {
  label: string | null;
  uuid: string | null;
  /** /dev/disk4s1, /dev/sdb1, /dev/loop3 */
  device: string;
  /** The whole disk the volume lives on (what "eject" acts on). */
  wholeDisk: string;
  fileSystem: string | null;
  mountPoint: string | null;
  sizeBytes: number;
  freeBytes: number | null;
  /** USB/Thunderbolt disk: macOS `Internal = false` or `RemovableMediaOrExternalDevice = true`. */
  external: boolean;
}

export type VolumeRef = { label: string } | { uuid: string };

export interface Volumes {
  list(): Promise<Volume[]>;
  find(ref: VolumeRef): Promise<Volume | null>;
  mount(volume: Volume): Promise<string>;
  unmount(volume: Volume): Promise<void>;
  /** Unmounts every volume of the whole disk, then powers it off where the platform can. */
  eject(volume: Volume): Promise<void>;
}

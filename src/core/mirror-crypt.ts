// The port for encrypted mirrors: what an encrypted mirror IS depends on the platform, the engine
// only needs "open the decrypted view, prove it, close it". Adapters:
// - Linux (gocryptfs.ts): a gocryptfs folder `Praxis-Backup.gocryptfs` on any target.
// - macOS (src/diskutil/mac-crypt.ts): a mirror on a whole volume of its own (a USB disk) is an
//   encrypted APFS volume, unlocked before it is mounted (so the unlock happens while the target is
//   located, see src/destinations/volume/); a share or path mirror holds an encrypted sparse bundle
//   `Praxis-Backup.sparsebundle`.
// The port knows no destination kinds: it is told whether the target is a whole volume.
// Whatever the format, the rule is the same: nothing is written before the adapter has proved the
// place is the decrypted view of the encrypted container; every failure leaves nothing open.
import type { Volume } from './volumes';

/** The encrypted disk image on a macOS share or path mirror; named on the emergency sheet. */
export const SPARSEBUNDLE_NAME = 'Praxis-Backup.sparsebundle';
/** The image's volume name: Finder mounts it as /Volumes/Praxis-Backup (the sheet says so). */
export const SPARSEBUNDLE_VOLNAME = 'Praxis-Backup';

export type CryptScheme = 'gocryptfs' | 'apfs-volume' | 'sparsebundle';

export interface CryptContext {
  /** The mirror's name (for messages). */
  name: string;
  /** Where its passphrase is kept (encryption://<mirror>), named in "wrong passphrase" messages. */
  credentialId: string;
  passphrase: string;
  signal?: AbortSignal;
}

/** What the port needs to know of an encrypted mirror's target. */
export interface CryptTarget {
  /** The mirror's name. */
  name: string;
  /** The target is a whole volume of its own (a USB disk), not a folder on a disk or share. */
  wholeVolume: boolean;
}

export interface CryptView {
  /** The decrypted view: where the backups are written and read. */
  dir: string;
  /** Still the decrypted view (checked once more right before the first write). */
  stillOpen(): Promise<boolean>;
  /** Close it; throws when it stayed open (then the disk or share must not be released). */
  close(): Promise<void>;
}

export interface MirrorCrypt {
  scheme(m: CryptTarget): CryptScheme;
  /**
   * 'apfs-volume' only: unlock the volume (which mounts it) and prove it is encrypted. Returns the
   * volume as it is now. Refuses (throws) a volume that is not encrypted: never written in the clear.
   */
  unlockVolume?(v: Volume, ctx: CryptContext): Promise<Volume>;
  /** Whether the encrypted container exists in the target's top folder `root` ('apfs-volume': the volume itself, so true). */
  isInitialised(m: CryptTarget, root: string): Promise<boolean>;
  /** Create the container in `root` (`encryption setup`); returns its path. */
  init(m: CryptTarget, root: string, ctx: CryptContext): Promise<string>;
  /** Open the decrypted view of the container in `root` at `mountPoint` and prove it; nothing is left open on failure. */
  openView(m: CryptTarget, root: string, mountPoint: string, ctx: CryptContext): Promise<CryptView>;
}

// What the engine needs of a destination kind (USB disk, network share, folder on another disk,
// and next an off-site repository): one interface, answered by one folder per kind
// (src/destinations/<kind>/index.ts), looked up by the config's `mirror.type` in the registry
// (registry.ts). The mirror run, verify --target, restore --from-mirror, list --mirror, encryption
// setup and the emergency sheet ask the registry and never name a kind themselves.
//
// Two halves:
// - DestinationKind: how a kind's target is found, mounted, guarded and given back (locate /
//   release), and what the engine shows of it (where, the sheet's rows). Folder kinds hand back a
//   Target, a folder; encryption (encrypted.ts) is an option of every kind, wrapped around it.
// - Destination: a target opened for use. Everything the engine does with it is said in backup
//   ids and a local source folder (put a complete backup, list complete ones, verify a copy,
//   remove one, free space, close) — never in rsync paths — so a repository that is not a folder
//   (restic) answers the same calls. folder-destination.ts answers them for every folder kind.
//
// The safety rules every kind keeps (test/destinations/contract.ts checks them):
// - locate writes nothing anywhere before its guard said the target is the configured disk or
//   share, mounted; the empty mount-point folder left on the internal disk is never a target.
// - a backup on a destination is complete only once all of it is there: list() never shows an
//   interrupted copy, and a failed put (disk full, cancel, pulled disk) leaves no backup of that id.
// - close gives back exactly what open took: a view we opened is closed before the disk is
//   unmounted or ejected, and a disk we did not mount stays mounted.
import type { Mirror } from '../config/schema';
import type { Shares } from '../core/shares';
import type { BackupEntry, Catalog } from '../backup-directory/catalog';
import type { SecretStore } from '../core/secret-store';
import type { ToolLocator } from '../process/tool-locator';
import type { DiskSpace } from '../backup-directory/space-check';
import type { Volume, Volumes } from '../core/volumes';
import type { Message, MessageKey, Params } from '../i18n';
import type { Reporter } from '../run/events';
import type { VerificationRecord } from '../backup-directory/verification';

/** The folder on a mirror volume that holds the backups (like the local backup directory). */
export const MIRROR_FOLDER = 'Praxis-Backup';

export type { Shares } from '../core/shares';

/** A folder kind's target once found, mounted and guarded. */
export interface Target {
  /** Where the backups go on the target (for an encrypted mirror: replaced by the decrypted view). */
  dir: string;
  /** The target's top folder: the mount point, the path or the share folder (the cipher dir of an encrypted mirror lives here). */
  root: string;
  volume?: Volume;
  /** Mount point we mounted ourselves (and so unmount again), if any. */
  mountedByUs?: string;
  /** Warnings found while locating (e.g. a path mirror on the same disk as the backups). */
  warnings: Message[];
  /** An encrypted volume (macOS APFS), unlocked while locating: `dir` on it is already the decrypted place. */
  encryptedVolume?: boolean;
}

export type Located = { kind: 'ready'; target: Target } | { kind: 'absent'; reason: Message };

/** What locating a target may use (the mirror run's dependencies, the SMB password from the credential store). */
export interface LocateEnv {
  volumes: Volumes;
  shares: Shares;
  /** Where SMB shares get mounted: <smbMountBase>/<mirror name>. */
  smbMountBase: string;
  /** The password of a kind's own credential (a share's login), null when none is stored. */
  password(id: string): Promise<string | null>;
  /**
   * Set for an encrypted mirror whose volume itself is encrypted (macOS APFS): unlocks it (which
   * mounts it) instead of a plain mount, and refuses one that is not encrypted.
   */
  unlockVolume?(v: Volume): Promise<Volume>;
}

/** What giving a target back may use. */
export interface ReleaseEnv {
  volumes: Volumes;
  shares: Shares;
}

/** Where a destination is, for the run's events, the status and the report. */
export interface TargetInfo {
  dir: string;
  label?: string | null;
  uuid?: string | null;
  url?: string;
}

/** A kind's own credential besides the encryption passphrase (a share's login). */
export interface KindCredential {
  id: string;
  /** Who logs in where, for the credentials window: the user, the server, and the place on it (a share's name). */
  user: string;
  host: string;
  place: string;
  /** The password mode `none`: the share is open to guests, nothing is stored. */
  none: boolean;
}

/** A catalogue text in the reader's language. */
export type Translate = (key: MessageKey, params?: Params) => string;

/** What the emergency sheet (Notfallblatt) says about a kind: the target's identity rows and how to reach it by hand. */
export interface SheetTarget {
  name: string;
  /** The kind (registry key; the catalogue's word is sheet.type.<type>). */
  type: Mirror['type'];
  label?: string | null;
  uuid?: string | null;
  url?: string;
  path?: string;
}

/** How the settings window edits a mirror of a kind, so the tray names no kind itself. */
export interface MirrorFormFields {
  /** Where the mirror is, by its config field: a disk chosen from the attached volumes, a share's URL, a folder, a repository's address. */
  where: 'volume' | 'url' | 'path' | 'repository';
  /** The config's `user` (a share's login). */
  user?: boolean;
  /** The config's `eject` („Auswerfen“ after the copy). */
  eject?: boolean;
  /** The config's `appendOnly` (default on: the server refuses deletions). */
  appendOnly?: boolean;
  /** The kind always encrypts (restic): `encrypt` is not the form's to write; a row changed to another kind stays encrypted. */
  alwaysEncrypted?: boolean;
  /** What to do after saving a new mirror of this kind (the catalogue's text, with {name}), said under the save. */
  nextStep?: MessageKey;
}

/** One step of the emergency sheet: what to do, and the shell lines. */
export interface SheetStep {
  text: string;
  code?: string;
}

/** Quoting and placeholders the sheet's steps are written with (src/encryption/emergency-sheet.ts). */
export interface SheetWriting {
  tx: Translate;
  /** Single-quoted for the shell. */
  sq(s: string): string;
  /** Inside double quotes (so $USER still expands). */
  dq(s: string): string;
  /** The placeholder the reader replaces with their user name. */
  user: string;
}

/** How the emergency sheet reaches a kind's backups by hand: a folder kind's encrypted container, or a kind's own recipe. */
export type SheetSteps = FolderSheetSteps | RecipeSheetSteps;

/**
 * A kind whose backups are reached with a tool of its own (restic): one section, the same on
 * Linux and macOS. `restore(base)` gives the standard restore steps once a backup folder is at
 * `base`/<id> (the databases, then the folders).
 */
export interface RecipeSheetSteps {
  recipe(t: SheetTarget, w: SheetWriting, restore: (base: string) => SheetStep[]): { title: MessageKey; steps: SheetStep[] };
  /** The target's identity rows beneath the mirror's name. */
  rows(t: SheetTarget, w: SheetWriting): [string, string][];
}

/** How the emergency sheet reaches a kind's encrypted backups by hand; `label` is sheetLabel's answer. */
export interface FolderSheetSteps {
  /** The disk's label as the sheet names it ('' for kinds without one). */
  label(t: SheetTarget, w: SheetWriting): string;
  /** Linux: make the target reachable (plug the disk in, mount the share, find the folder). */
  linuxOpen(t: SheetTarget, label: string, w: SheetWriting): SheetStep;
  /** Linux: the shell path of the target's top folder (where the cipher folder is) once reachable. */
  linuxWhere(t: SheetTarget, label: string, w: SheetWriting): string;
  /** macOS: open it (the encrypted volume, or the disk image on it). */
  macOpen(t: SheetTarget, label: string, w: SheetWriting): SheetStep[];
  /** macOS: the shell path of the backups once open. */
  macBase(t: SheetTarget, label: string, w: SheetWriting): string;
  /** macOS section's title. */
  readonly macTitle: MessageKey;
  /** The target's identity rows beneath the mirror's name. */
  rows(t: SheetTarget, label: string, w: SheetWriting): [string, string][];
}

/** What a kind that is not a folder (a restic repository) needs to open its destination itself. */
export interface OpenEnv {
  tools: ToolLocator;
  secrets: SecretStore;
  askPassphrase?(name: string): Promise<string | null>;
  /** The state folder's place for files of ours about remote servers (SFTP's known_hosts). */
  sshDir: string;
}

export interface DestinationKind<M extends Mirror = Mirror> {
  /**
   * A kind that is not a folder (a repository) opens its own Destination (not yet unlocked); the
   * folder kinds are opened by locate + FolderDestination. Absent is an answer, not an error.
   */
  open?(m: M, backupDir: string, env: OpenEnv): Promise<{ kind: 'ready'; destination: Destination } | { kind: 'absent'; reason: Message }>;
  /** The config's `type` this kind answers. */
  readonly type: M['type'];
  /** The settings window's fields for it; a kind without them is not offered there (the registry's order is the window's). */
  readonly form?: MirrorFormFields;
  /**
   * The target is a whole volume of its own (a USB disk): macOS encrypts it as an APFS volume,
   * unlocked while it is located; the other kinds hold an encrypted container in their folder.
   */
  readonly wholeVolume: boolean;
  /** A disk that is carried away (the Datensicherungskonzept asks where it is kept, and warns when it is not encrypted). */
  readonly portable: boolean;
  /** Find the target, mount it if needed, and guard it (rules above). Absent is an answer, not an error. */
  locate(m: M, backupDir: string, env: LocateEnv): Promise<Located>;
  /** The admin asked to eject it after a successful copy (a USB disk taken away). */
  ejects(m: M): boolean;
  /** Eject the disk (which also unmounts it); returns the label to name in "can be unplugged". */
  eject?(m: M, target: Target, env: ReleaseEnv): Promise<string>;
  /** Unmount what locate mounted (target.mountedByUs). */
  unmount(m: M, target: Target, env: ReleaseEnv): Promise<void>;
  /** Where it is, once located. */
  where(m: M, target: Target): TargetInfo;
  /** The configured place in one line (the report): a path, a URL, a disk's label and UUID. */
  describe(m: M): string;
  /** The Datensicherungskonzept's lines for the medium: which disk, share or folder, ejected or not. */
  concept(m: M, tx: Translate): string[];
  /** A credential the kind needs to reach its target, if any. */
  credential?(m: M): KindCredential | null;
  /** Further keyring ids the kind reads for this mirror (a restic backend's keys), so `credentials set` can say who uses one. */
  secretIds?(m: M): string[];
  /** The emergency sheet's description; `found` is the attached disk's identity when it was looked up. */
  sheet(m: M, found: { label: string | null; uuid: string | null } | null): SheetTarget;
  /** The emergency sheet's by-hand steps. */
  readonly sheetSteps: SheetSteps;
  /** Looks up what the configured reference leaves out (a disk's UUID when the config names its label), for the sheet; null when absent. */
  identify?(m: M, volumes: Volumes): Promise<{ label: string | null; uuid: string | null } | null>;
}

/** Narrowing helper for callers that hold a Mirror and a kind from the registry. */
export type AnyDestinationKind = DestinationKind<any>;

export interface PutOptions {
  /** 'latest': any other backup on the destination may share unchanged files; 'all': only an older one. */
  mode: 'all' | 'latest';
  reporter: Reporter;
  signal: AbortSignal;
}

/** Where a repository restores a backup to read it as a folder (restore --from-mirror, verify --deep). */
export interface FetchOptions {
  /** A scratch folder of ours on the server; the backup lands in <scratch>/<id>. */
  scratch: string;
  reporter: Reporter;
  signal?: AbortSignal;
}

/** A repository's own check of itself (restic check with a slice of its data read back). */
export interface RepositoryCheck {
  ok: boolean;
  /** Which part of the data was read ("3/30"). */
  slice: string;
  problems: Message[];
}

export interface VerifyCopyOptions {
  /** The local original, to compare a sample (or all, `deep`) of the folders' contents with. */
  referencePath?: string;
  deep: boolean;
  now: Date;
  reporter: Reporter;
  signal: AbortSignal;
}

/**
 * A destination opened for use (rules above). Backups are named by id; a source is a complete
 * local backup (its folder and manifest).
 */
export interface Destination {
  /** The mirror's name. */
  readonly name: string;
  /** Where it is (events, status). */
  readonly where: TargetInfo;
  /** Where the backups can be read with standard tools: the folder, or the decrypted view. */
  readonly dir: string;
  /** Found while locating (e.g. a path mirror on the same disk as the backups). */
  readonly warnings: Message[];
  /**
   * Make it usable: a folder kind opens the decrypted view of an encrypted one; a repository finds
   * its tool, takes the password (given, stored or asked for) and proves it. Throws without writing anything.
   */
  unlock(access?: { passphrase?: string; signal?: AbortSignal }): Promise<void>;
  /**
   * Nothing is ever removed there by us (an append-only repository: retention is the storage
   * side's job); the sync then removes nothing and says so.
   */
  readonly keepsAll?: boolean;
  /** A complete backup as a local folder to read: in place on a folder; a repository restores it into o.scratch first. null: not there. */
  fetch(id: string, o: FetchOptions): Promise<BackupEntry | null>;
  /** Everything there (list --mirror): complete backups, and a folder's interrupted ones. */
  catalog(): Promise<Catalog>;
  /** After the sync's removals: the kind's own upkeep (a repository's prune on its schedule). */
  maintain?(now: Date, reporter: Reporter, signal: AbortSignal): Promise<void>;
  /** verify --target of a repository: its own consistency check (the folder kinds have none beyond the copies). */
  checkRepository?(now: Date, reporter: Reporter, signal: AbortSignal): Promise<RepositoryCheck>;
  /** Right before the first write: still the place that was opened and guarded (an encrypted one still decrypted). Throws otherwise. */
  guard(): Promise<void>;
  /** The file system is no longer the one guard() saw: the disk was pulled or unmounted under us. */
  vanished(): Promise<boolean>;
  freeSpace(): Promise<DiskSpace>;
  /**
   * Bytes removing backups there would give back, for every prefix of `ids` (index k-1: the first
   * k removed; hard-linked files count once no remaining backup holds them). Absent: a kind whose
   * free space we cannot see (a repository), so the sync never removes anything to make room there.
   */
  freedBy?(ids: string[]): Promise<number[]>;
  /** Complete backups only, newest first (an interrupted copy is never listed). */
  list(): Promise<BackupEntry[]>;
  /** Finish or remove what an interrupted run left (partial copies, half-done removals), reporting each. */
  tidy(reporter: Reporter): Promise<void>;
  /** Before the puts (also when there is nothing to put): refuse (mirror.space) when these backups, put in this order, would not fit; find the tools the puts need. */
  prepare(toPut: BackupEntry[], mode: PutOptions['mode'], reporter: Reporter): Promise<void>;
  /**
   * Put a complete local backup; complete on the destination only when this returns. Bytes written;
   * `warnings`: what the copy there lacks though it is complete (already reported; they make the run's exit 3).
   */
  put(source: BackupEntry, o: PutOptions): Promise<{ bytesCopied: number; stored?: string; files?: number; warnings?: Message[] }>;
  /** Read the copy of `id` back and check it against its manifest (null: not on the destination); recorded there. */
  verify(id: string, check: (copy: BackupEntry, o: VerifyCopyOptions) => Promise<VerificationRecord>, o: VerifyCopyOptions): Promise<VerificationRecord | null>;
  /** Remove a backup (half-done removals are finished by the next tidy). */
  remove(id: string): Promise<void>;
  /**
   * Give it back: close a decrypted view, then eject (`eject` and the mirror says so) or unmount
   * what we mounted. A disk that vanished is left alone. Problems become warnings in `r`.
   */
  close(reporter: Reporter | null, r: { warnings: Message[]; ejected?: boolean }, opts?: { eject?: boolean; vanished?: boolean }): Promise<boolean>;
}

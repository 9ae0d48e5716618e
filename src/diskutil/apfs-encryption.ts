// Encrypted APFS volumes on macOS (issue 8): unlocking a volume mirror before the copy, and
// `volumes prepare <disk> --encrypted` (erase a USB disk, then encrypt its one APFS volume).
// As everywhere in src/diskutil: plans first (exact argv, asserted by the tests), run second
// through the one runner. The passphrase goes to diskutil on stdin only (`-stdinpassphrase`),
// never in argv (argv is visible in `ps` to every user), and every plan lists it in `secrets` so
// the runner blanks it out of any line diskutil might echo.
//
// Sources. NOTHING in this file is in ../shared/reference/macos (FACTS.md, DISKUTIL-MESSAGES.md
// have no APFS-encryption or hdiutil entries). What it relies on, and how strongly:
// - `diskutil apfs unlockVolume <vol> -stdinpassphrase`, `diskutil apfs encryptVolume <vol> -user
//   disk -stdinpassphrase`: the verbs are in diskutil's own `diskutil apfs` usage listing (pasted in
//   jridgewell/Unlock#25 and discussions.apple.com/thread/252978188: "unlockVolume (Unlock an
//   encrypted APFS Volume which is locked)", "encryptVolume (Enable FileVault security in background
//   or instantly)"). The options are as used by production installers: DeterminateSystems/
//   nix-installer (`security find-generic-password … -w | diskutil apfs unlockVolume <name>
//   -mountpoint /nix -stdinpassphrase`) and the Chef Habitat macOS installer (`printf "%s"
//   "$password" | diskutil apfs encryptVolume "$volume_label" -user disk -stdinpassphrase`).
//   I could not read the option text of Apple's diskutil(8) itself: [U] for the exact option set.
// - stdin format: unlockVolume is fed WITH a trailing newline by nix-installer (`security -w`
//   prints one) and WITHOUT by openwall-com-au/BootUnlock (`printf '%s' "$PASSPHRASE" | diskutil
//   apfs unlock …`); both work, so diskutil reads up to a newline or EOF. encryptVolume is fed
//   without one (Habitat). We send the bare passphrase (no newline) to BOTH verbs: the form proven
//   for both, and no risk that encryptVolume keeps a newline as part of the passphrase, which
//   unlockVolume would then strip and never match. [I: inferred from those callers, not from a man page]
// - `diskutil eraseDisk <format> <name> [APM|MBR|GPT] <device>`: diskutil(8) synopsis line
//   "eraseDisk format name [APM[Format] | MBR[Format] | GPT[Format]] device" (quoted in public notes;
//   APFS as the format: `diskutil eraseDisk APFS "PostgreSQL" /dev/disk3` in public how-tos) [I].
//   Not used: `apfs addVolume … -stdinpassphrase` (would create the volume encrypted from the start);
//   I found no source for -stdinpassphrase on addVolume, so it is not used.
// - Error texts: see mapUnlockFailure. None is in DISKUTIL-MESSAGES.md; each is labelled there.
import { formatBytes, t, type Lang } from '../i18n';
import { CommandError, type CommandPlan } from '../process/runner';
import { PraxisError } from '../core/errors';
import { DISKUTIL } from './diskutil-volumes';
import type { Volume } from '../core/volumes';

const UUID = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/i;
const WHOLE_DISK = /^disk\d+$/;
const VOLUME_ID = /^disk\d+s\d+$/;

/**
 * A passphrase that can travel on stdin unchanged: not empty, no line break (diskutil stops at the
 * first newline, so "ab\ncd" would unlock with "ab"), no NUL (hdiutil's terminator). Generated
 * passphrases never contain these; a typed one with them is refused rather than silently cut.
 */
export function assertStdinPassphrase(passphrase: string): void {
  if (passphrase.length === 0) throw new PraxisError('apfs.passphraseEmpty');
  if (/[\r\n\0]/.test(passphrase)) throw new PraxisError('apfs.passphraseLineBreak');
}

function assertArg(value: string, pattern: RegExp, what: string): void {
  // An id that is not exactly a UUID / diskN could start with "-" and become an option of diskutil.
  if (!pattern.test(value)) throw new Error(`not a valid ${what}: ${JSON.stringify(value)}`);
}

/** `diskutil apfs unlockVolume <UUID> -stdinpassphrase`; diskutil mounts the volume (/Volumes/<name>). */
export function planUnlockVolume(uuid: string, passphrase: string, diskutil = DISKUTIL): CommandPlan {
  assertArg(uuid, UUID, 'APFS volume UUID');
  assertStdinPassphrase(passphrase);
  return {
    label: `diskutil apfs unlockVolume ${uuid}`,
    file: diskutil,
    // The UUID, not diskN: the id changes each time the disk is plugged in, the UUID does not.
    args: ['apfs', 'unlockVolume', uuid, '-stdinpassphrase'],
    input: passphrase,
    secrets: [passphrase],
    // Unlocking derives the key (deliberately slow) and mounts; a USB disk may still be spinning up.
    timeoutMs: 120_000,
  };
}

/** `diskutil apfs encryptVolume <diskNsM> -user disk -stdinpassphrase` ("disk" = a passphrase user, not a macOS login). */
export function planEncryptVolume(volumeId: string, passphrase: string, diskutil = DISKUTIL): CommandPlan {
  assertArg(volumeId, VOLUME_ID, 'APFS volume id');
  assertStdinPassphrase(passphrase);
  return {
    label: `diskutil apfs encryptVolume ${volumeId}`,
    file: diskutil,
    args: ['apfs', 'encryptVolume', volumeId, '-user', 'disk', '-stdinpassphrase'],
    input: passphrase,
    secrets: [passphrase],
    timeoutMs: 300_000,
  };
}

export interface PrepareEncryptedPlans {
  /** Step 1: erases the whole disk: GPT, one APFS container with one (unencrypted) volume <label>. */
  erase: CommandPlan;
  /**
   * Step 2, for the volume step 1 created. Its id (disk7s1) is only known afterwards: the caller
   * lists the volumes again and takes the one with this label whose wholeDisk is the erased disk —
   * never the label alone, another attached disk may carry the same one.
   */
  encrypt: (newVolumeId: string) => CommandPlan;
}

/**
 * `volumes prepare <disk> --encrypted`. Only after confirmPrepare() accepted the typed disk id.
 * The new volume is empty when encryptVolume runs, so there is nothing to convert in the
 * background; the caller should still check diskutil reports it encrypted before the first copy
 * (not done here: the info key for that is not in our recorded plists).
 */
export function planPrepareEncrypted(wholeDisk: string, label: string, passphrase: string, diskutil = DISKUTIL): PrepareEncryptedPlans {
  assertArg(wholeDisk, WHOLE_DISK, 'whole disk id (diskN)');
  assertVolumeLabel(label);
  assertStdinPassphrase(passphrase);
  return {
    erase: {
      label: `diskutil eraseDisk ${wholeDisk}`,
      file: diskutil,
      args: ['eraseDisk', 'APFS', label, 'GPT', wholeDisk],
      // Listed although not passed: nothing may ever echo it unredacted.
      secrets: [passphrase],
      timeoutMs: 300_000,
    },
    encrypt: (newVolumeId) => planEncryptVolume(newVolumeId, passphrase, diskutil),
  };
}

export function assertVolumeLabel(label: string): void {
  // Short, printable, no "/" or ":" (path separators on macOS), not starting with "-" (an option).
  if (!/^[^-/:\s][^/:]{0,62}$/.test(label) || /[\u0000-\u001f]/.test(label)) {
    throw new PraxisError('apfs.badLabel', { label });
  }
}

// ---- the double confirmation ---------------------------------------------------------------------

/** The whole disk to erase, as `diskutil info -plist <diskN>` describes it. */
export interface DiskToErase {
  id: string;
  sizeBytes: number;
  external: boolean;
  /** Vendor/model if known (e.g. "SanDisk Extreme"), for the admin to recognise the disk. */
  name?: string | null;
}

export interface PrepareConfirmation {
  /** First question: what will be erased — disk id, size, and every volume on it now. */
  warning: string;
  /** Second question: type the disk id back. */
  prompt: string;
  /** What must be typed (the disk id, e.g. "disk4"). */
  expected: string;
}

/**
 * The texts of the double confirmation. Refuses outright (PraxisError) an internal disk or one that
 * holds the mounted system — typing "disk0" back must not be enough to erase the server.
 * `volumes` is the current Volumes.list(); those on this disk are named in the warning.
 */
export function prepareConfirmation(lang: Lang, disk: DiskToErase, label: string, volumes: readonly Volume[]): PrepareConfirmation {
  assertArg(disk.id, WHOLE_DISK, 'whole disk id (diskN)');
  const onDisk = volumes.filter((v) => v.wholeDisk === disk.id);
  if (!disk.external || onDisk.some((v) => !v.external)) throw new PraxisError('apfs.prepare.internal', { disk: disk.id });
  if (onDisk.some((v) => v.mountPoint === '/' || v.mountPoint === '/System/Volumes/Data')) {
    throw new PraxisError('apfs.prepare.internal', { disk: disk.id });
  }
  const size = formatBytes(disk.sizeBytes, lang);
  const contents =
    onDisk.length === 0
      ? t(lang, 'apfs.prepare.noVolumes')
      : onDisk
          .map((v) =>
            t(lang, 'apfs.prepare.volumeLine', {
              label: v.label ?? '–',
              id: v.id,
              size: formatBytes(v.sizeBytes, lang),
              fs: v.fileSystem ?? '?',
              where: v.mountPoint ?? t(lang, 'apfs.prepare.notMounted'),
            }),
          )
          .join('\n');
  const warning = t(lang, 'apfs.prepare.warning', { disk: disk.id, name: disk.name ?? '–', size, label, contents });
  const prompt = t(lang, 'apfs.prepare.typeDisk', { disk: disk.id });
  return { warning, prompt, expected: disk.id };
}

/** The typed answer must be the disk id itself (spaces around it ignored; "/dev/disk4" is not "disk4"). */
export function confirmPrepare(typed: string, confirmation: PrepareConfirmation): boolean {
  return typed.trim() === confirmation.expected;
}

// ---- error mapping -------------------------------------------------------------------------------

export type UnlockFailureKind = 'wrongPassphrase' | 'notEncrypted' | 'alreadyUnlocked' | 'tooManyAttempts' | 'sandbox' | 'other';

/**
 * diskutil's APFS errors end in Apple's numeric code in parentheses, which is steadier than the
 * English text around it; both are matched. NONE of these is in DISKUTIL-MESSAGES.md:
 * - notEncrypted: "Error unlocking APFS Volume: The given APFS Volume is not encrypted (-69593)"
 *   [A: a terminal transcript pasted in gist dmilith/365fad2ffa2891f3c25bfffb2ce5c02b; exit code not shown].
 * - alreadyUnlocked: "Error unlocking APFS Volume: The given APFS Volume is not locked (-69589)"
 *   [B: quoted in a comment of a public forensics tool's source, found by content search].
 * - wrongPassphrase: "Error unlocking APFS Volume: The given passphrase is incorrect (-69557)" and
 *   "Passphrase incorrect or user does not exist" [UNVERIFIED: only in one public project's test
 *   stubs (exit 1), no real capture found].
 * - tooManyAttempts: "Too many recent unlock attempts; unlocking disabled" [A: pasted by a user,
 *   discussions.apple.com thread 256176472]. Retrying would only lengthen the lock-out.
 * - sandbox: "Error unlocking APFS Volume: This operation is restricted by Sandbox (-69464)" when run
 *   from launchd [A: a user's README]: a Full Disk Access problem, not a wrong passphrase.
 * Anything else with a non-zero exit (diskutil's failures exit 1, nix-installer#940) is 'other' and
 * reported with diskutil's own (redacted) lines — we do not guess "wrong passphrase" from the exit code.
 */
export function classifyUnlockFailure(lines: readonly string[]): UnlockFailureKind {
  const text = lines.join('\n');
  if (/\(-69593\)|is not encrypted/i.test(text)) return 'notEncrypted';
  if (/\(-69589\)|is not locked|already unlocked/i.test(text)) return 'alreadyUnlocked';
  if (/\(-69557\)|passphrase is incorrect|passphrase incorrect/i.test(text)) return 'wrongPassphrase';
  if (/too many recent unlock attempts/i.test(text)) return 'tooManyAttempts';
  if (/\(-69464\)|restricted by sandbox/i.test(text)) return 'sandbox';
  return 'other';
}

function detailOf(e: CommandError): string {
  const lines = [...e.stderrTail, ...e.stdoutTail].filter((l) => l.trim());
  return lines.slice(-3).join(' | ') || e.message;
}

export interface UnlockContext {
  /** The mirror's name, as the admin knows it. */
  name: string;
  uuid: string;
  /** Where the passphrase is kept (e.g. "encryption://usb"), for the "set it again" hint. */
  credentialId: string;
}

/**
 * A failed unlockVolume (the runner's CommandError, already redacted) as a message for the admin.
 * 'alreadyUnlocked' is not an error: the caller goes on to mount / use the volume.
 */
export function mapUnlockFailure(e: CommandError, ctx: UnlockContext): PraxisError | 'alreadyUnlocked' {
  const detail = detailOf(e);
  const base = { name: ctx.name, uuid: ctx.uuid };
  if (e.reason === 'timeout') return new PraxisError('apfs.unlockFailed', { ...base, detail });
  if (e.reason !== 'exit') return new PraxisError('apfs.unlockFailed', { ...base, detail });
  switch (classifyUnlockFailure([...e.stderrTail, ...e.stdoutTail])) {
    case 'alreadyUnlocked':
      return 'alreadyUnlocked';
    case 'notEncrypted':
      return new PraxisError('apfs.notEncrypted', base);
    case 'wrongPassphrase':
      return new PraxisError('apfs.wrongPassphrase', { ...base, id: ctx.credentialId });
    case 'tooManyAttempts':
      return new PraxisError('apfs.tooManyAttempts', base);
    case 'sandbox':
      return new PraxisError('apfs.sandbox', { ...base, detail });
    default:
      return new PraxisError('apfs.unlockFailed', { ...base, detail });
  }
}

/** A failed eraseDisk / encryptVolume during `volumes prepare`: says which step, and what it means for the disk. */
export function mapPrepareFailure(e: CommandError, step: 'erase' | 'encrypt', disk: string): PraxisError {
  const detail = detailOf(e);
  return new PraxisError(step === 'erase' ? 'apfs.prepare.eraseFailed' : 'apfs.prepare.encryptFailed', { disk, detail });
}


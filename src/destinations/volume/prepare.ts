// `praxis-backup volumes prepare <diskN> --encrypted --mirror NAME` (issue 8, macOS): erase a USB
// disk and make it the encrypted APFS volume of a configured mirror.
//
// Order matters twice. The erase destroys whatever is on the disk, so nothing happens before the
// admin has answered three times: „ja“ to a warning that names the disk, its size and every volume
// on it now; the disk id typed back; and „ja“ to "the emergency sheet is printed or saved
// elsewhere". And a lost passphrase is a lost backup, so as in `encryption setup` the passphrase is
// stored in the Keychain (or the one an earlier, unconfirmed attempt stored is reused, so a sheet
// printed then stays valid) and the sheet is written BEFORE anything is encrypted with it. Refusing
// the first two answers stores nothing; refusing the third leaves the stored passphrase and the
// sheet, and the disk untouched.
//
// The passphrase reaches diskutil on stdin only (planPrepareEncrypted), goes into the 0600 sheet
// and the Keychain, and nowhere else: not argv, not the texts this flow says, not the config.
import { readFile } from 'node:fs/promises';
import type { Config, Mirror } from '../../config/schema';
import { validateConfig } from '../../config/load';
import { writeFileAtomically } from '../../config/write-file';
import {
  assertVolumeLabel,
  confirmPrepare,
  mapPrepareFailure,
  planPrepareEncrypted,
  prepareConfirmation,
} from '../../diskutil/apfs-encryption';
import { diskutilError, parseDiskutilInfo, wholeDiskOf } from '../../diskutil/diskutil-plist';
import { diskutilPlans, type Runner } from '../../diskutil/diskutil-volumes';
import type { Volume, Volumes } from '../../core/volumes';
import { t, type Lang } from '../../i18n';
import { CommandError, type CommandPlan } from '../../process/runner';
import { storeName, type CredentialStore } from '../../core/secret-store';
import { sheetComponents, type SheetInput } from '../../encryption/emergency-sheet';
import { ExitCode, PraxisError } from '../../core/errors';
import { encryptionCredentialId, generatePassphrase } from '../../encryption/passphrase';

export const DEFAULT_PREPARE_LABEL = 'PRAXIS-BACKUP';

/** A disk or volume as `diskutil info -plist` describes it, with what this flow needs. */
export interface DescribedDisk {
  id: string;
  isWholeDisk: boolean;
  sizeBytes: number;
  external: boolean;
  label: string | null;
  uuid: string | null;
  /** A synthesized APFS container names the partitions it lives on ("disk6s2"); empty otherwise. */
  apfsPhysicalStores: string[];
  /** `MediaName` (vendor/model, "Cruzer Fit"), for the admin to recognise the disk; null when empty. */
  mediaName: string | null;
  /**
   * `FileVault`: encrypted with a key of its own. Not `Encryption`: on T2/Apple-silicon Macs that
   * is true for internal volumes by hardware, passphrase or not (recorded: sysline disk1s1). Null
   * when diskutil does not print the key.
   */
  fileVault: boolean | null;
}

/** What `volumes prepare` needs of the disks; the macOS adapter is diskutilPrepareDisks(). */
export interface PrepareDisks {
  list(): Promise<Volume[]>;
  describe(id: string): Promise<DescribedDisk>;
  /** Runs an erase / encrypt plan; a failure is the runner's CommandError. */
  run(plan: CommandPlan): Promise<void>;
}

/** The macOS adapter: the volume list from DiskutilVolumes, `diskutil info -plist` per describe(). */
export function diskutilPrepareDisks(mac: { volumes: Pick<Volumes, 'list'>; run: Runner }, diskutil?: string): PrepareDisks {
  const plans = diskutilPlans(diskutil);
  return {
    list: () => mac.volumes.list(),
    describe: async (id) => {
      const plan = plans.info(id);
      const command = plan.args.join(' ');
      const lines: string[] = [];
      try {
        await mac.run(plan, { onStdoutLine: (l) => lines.push(l) });
      } catch (e) {
        if (!(e instanceof CommandError)) throw e;
        throw new PraxisError('error.diskutil', { command, message: e.stderrTail.filter((l) => l.trim()).slice(-3).join(' | ') || e.message });
      }
      const xml = lines.join('\n');
      const r = parseDiskutilInfo(xml, command);
      if (!r.ok) throw diskutilError(command, r.error);
      const i = r.value;
      return {
        id: i.id,
        isWholeDisk: i.isWholeDisk,
        sizeBytes: i.sizeBytes,
        external: i.external,
        label: i.label,
        uuid: i.uuid,
        apfsPhysicalStores: i.apfsPhysicalStores,
        mediaName: i.mediaName,
        fileVault: i.fileVault,
      };
    },
    run: async (plan) => {
      await mac.run(plan);
    },
  };
}

export interface PrepareRequest {
  config: Config;
  /** Where the config came from: the new UUID is written there when the mirror names its disk by UUID. */
  configFile: string;
  mirror: string;
  /** The whole disk to erase, "disk4". */
  disk: string;
  /** --label: the volume's name when the mirror names its disk by UUID. */
  label?: string;
  lang: Lang;
}

export interface PrepareIo {
  /** A line for the admin (warning, progress, result); never carries the passphrase. */
  say(line: string): void;
  /** Asks and returns the typed line; '' at the end of input. */
  ask(prompt: string): Promise<string>;
  /** Writes the emergency sheet (0600, it holds the passphrase); returns its file. */
  writeSheet(input: SheetInput): Promise<string>;
}

export interface PrepareResult {
  mirror: string;
  disk: string;
  volumeId: string;
  label: string;
  uuid: string | null;
  credentialId: string;
  /** The sheet as written last (with the UUID when diskutil reported one). */
  sheet: string;
  /** Set when the mirror names its disk by UUID and the new one was written into the config. */
  config: { file: string; backup: string | null } | null;
}

function volumeMirror(config: Config, name: string): Extract<Mirror, { type: 'volume' }> {
  const m = config.mirrors.find((x) => x.name === name);
  if (!m) throw new PraxisError('mirror.unknown', { name, known: config.mirrors.map((x) => x.name).join(', ') || '—' }, ExitCode.invalidInput);
  if (m.type !== 'volume') throw new PraxisError('volumes.prepare.notVolume', { name, type: m.type }, ExitCode.invalidInput);
  // A rotating set names its disks by UUID, and a new disk's UUID exists only after the erase.
  if (!m.volume) throw new PraxisError('volumes.prepare.rotationSet', { name }, ExitCode.invalidInput);
  if (!m.encrypt) throw new PraxisError('encryption.notEncrypted', { name }, ExitCode.invalidInput);
  return m;
}

/** The mirror's own label when it finds its disk by label (another would lose the disk), else --label or the default. */
function volumeLabel(m: Extract<Mirror, { type: 'volume' }>, given: string | undefined): string {
  const ref = (m.volume ?? {}) as { label?: string; uuid?: string };
  if (ref.label !== undefined && given !== undefined && given !== ref.label) {
    throw new PraxisError('volumes.prepare.labelConflict', { name: m.name, label: ref.label, given }, ExitCode.invalidInput);
  }
  const label = ref.label ?? given ?? DEFAULT_PREPARE_LABEL;
  try {
    assertVolumeLabel(label);
  } catch (e) {
    if (e instanceof PraxisError) throw new PraxisError(e.message_.key, e.message_.params, ExitCode.invalidInput);
    throw e;
  }
  return label;
}

const isYes = (answer: string) => ['ja', 'yes'].includes(answer.trim().toLowerCase());

function sheetInput(req: PrepareRequest, label: string, uuid: string | null, passphrase: string): SheetInput {
  return {
    practiceName: req.config.practiceName,
    mirror: { name: req.mirror, type: 'volume', label, uuid },
    passphrase,
    createdAt: new Date(),
    lang: req.lang,
    platform: 'darwin',
    components: sheetComponents(req.config),
  };
}

/** The config file with this mirror's `volume` set to the new UUID; everything else as it was. */
async function writeUuid(file: string, mirror: string, uuid: string): Promise<string | null> {
  const raw = JSON.parse(await readFile(file, 'utf8')) as { mirrors?: { name?: string; volume?: unknown }[] };
  const entry = raw.mirrors?.find((m) => m.name === mirror);
  if (!entry) throw new PraxisError('mirror.unknown', { name: mirror, known: '—' });
  entry.volume = { uuid };
  validateConfig(raw, file); // never write a config the next run would refuse
  return writeFileAtomically(file, JSON.stringify(raw, null, 2) + '\n');
}

export async function prepareEncryptedVolume(
  req: PrepareRequest,
  deps: { disks: PrepareDisks; keyring: CredentialStore },
  io: PrepareIo,
): Promise<PrepareResult> {
  const { lang, disk } = req;
  const mirror = volumeMirror(req.config, req.mirror);
  const label = volumeLabel(mirror, req.label);

  // ---- what would be erased, and the two answers about it -------------------------------------
  const before = await deps.disks.describe(disk);
  if (!before.isWholeDisk) throw new PraxisError('volumes.prepare.notWholeDisk', { disk, whole: wholeDiskOf(disk) }, ExitCode.invalidInput);
  if (before.apfsPhysicalStores.length) {
    // A synthesized APFS container (disk7 on disk6s2): its volumes are listed under the physical
    // disk, so the warning would wrongly say "no volumes". The physical disk is what to erase.
    throw new PraxisError('volumes.prepare.container', { disk, physical: wholeDiskOf(before.apfsPhysicalStores[0]!) }, ExitCode.invalidInput);
  }
  let confirmation;
  try {
    confirmation = prepareConfirmation(
      lang,
      { id: disk, sizeBytes: before.sizeBytes, external: before.external, name: before.mediaName },
      label,
      await deps.disks.list(),
    );
  } catch (e) {
    // An internal or system disk is not a failure of the tool: the admin named the wrong disk.
    if (e instanceof PraxisError) throw new PraxisError(e.message_.key, e.message_.params, ExitCode.invalidInput);
    throw e;
  }
  io.say(confirmation.warning);
  if (!isYes(await io.ask(t(lang, 'volumes.prepare.proceed')))) throw new PraxisError('volumes.prepare.cancelled', { disk }, ExitCode.invalidInput);
  if (!confirmPrepare(await io.ask(confirmation.prompt), confirmation)) {
    throw new PraxisError('volumes.prepare.typedWrong', { disk }, ExitCode.invalidInput);
  }

  // ---- the passphrase and the sheet, before anything is encrypted with it ---------------------
  const credentialId = encryptionCredentialId(mirror.name);
  let passphrase = await deps.keyring.get(credentialId);
  if (passphrase) {
    io.say(t(lang, 'volumes.prepare.passphraseReused', { id: credentialId }));
  } else {
    passphrase = generatePassphrase();
    await deps.keyring.set(credentialId, passphrase);
  }
  const firstSheet = await io.writeSheet(sheetInput(req, label, null, passphrase));
  io.say(t(lang, 'encryption.setup.sheetWritten', { file: firstSheet }));
  if (!isYes(await io.ask(t(lang, 'encryption.setup.confirm')))) {
    throw new PraxisError('volumes.prepare.sheetNotConfirmed', { disk, id: credentialId }, ExitCode.invalidInput);
  }

  // diskN is handed out again when a disk is unplugged and another attached: the disk erased
  // must still be the one the admin confirmed minutes ago.
  const now = await deps.disks.describe(disk);
  if (now.sizeBytes !== before.sizeBytes || now.mediaName !== before.mediaName || !now.external || !now.isWholeDisk) {
    throw new PraxisError('volumes.prepare.diskChanged', { disk });
  }

  // ---- erase, find the new volume, encrypt, check ----------------------------------------------
  const plans = planPrepareEncrypted(disk, label, passphrase);
  io.say(t(lang, 'volumes.prepare.erasing', { disk, label }));
  try {
    await deps.disks.run(plans.erase);
  } catch (e) {
    if (e instanceof CommandError) throw mapPrepareFailure(e, 'erase', disk);
    throw e;
  }
  // By label AND disk: another attached disk may carry the same label.
  const created = (await deps.disks.list()).filter((v) => v.label === label && v.wholeDisk === disk);
  if (created.length !== 1) {
    const key = created.length === 0 ? 'volumes.prepare.newVolumeMissing' : 'volumes.prepare.newVolumeAmbiguous';
    throw new PraxisError(key, { disk, label, ids: created.map((v) => v.id).join(', ') });
  }
  const volume = created[0]!;
  io.say(t(lang, 'volumes.prepare.encrypting', { label, volume: volume.id }));
  try {
    await deps.disks.run(plans.encrypt(volume.id));
  } catch (e) {
    if (e instanceof CommandError) throw mapPrepareFailure(e, 'encrypt', disk);
    throw e;
  }
  const after = await deps.disks.describe(volume.id);
  // A missing key counts as "not encrypted": a wrong "failed" costs a re-run, a wrong "done" a backup in the clear.
  if (after.fileVault !== true) throw new PraxisError('volumes.prepare.notEncryptedAfter', { disk, label, volume: volume.id });
  const uuid = after.uuid ?? volume.uuid;

  // ---- the config (UUID mirrors) and the sheet with the UUID ----------------------------------
  let config: PrepareResult['config'] = null;
  if (mirror.volume && 'uuid' in mirror.volume) {
    if (!uuid) throw new PraxisError('volumes.prepare.noUuid', { disk, label, volume: volume.id, name: mirror.name, file: req.configFile });
    const backup = await writeUuid(req.configFile, mirror.name, uuid);
    config = { file: req.configFile, backup };
    io.say(t(lang, 'volumes.prepare.configUpdated', { name: mirror.name, uuid, file: req.configFile, backup: backup ?? '–' }));
  }
  const sheet = await io.writeSheet(sheetInput(req, label, uuid, passphrase));
  io.say(t(lang, 'volumes.prepare.sheetRewritten', { file: sheet }));
  io.say(t(lang, 'volumes.prepare.done', { disk, label, volume: volume.id, uuid: uuid ?? '–', name: mirror.name, store: storeName(deps.keyring) }));
  return { mirror: mirror.name, disk, volumeId: volume.id, label, uuid, credentialId, sheet, config };
}

// Making an encrypted mirror usable (`praxis-backup encryption setup <mirror>`).
//
// Order matters, because a lost passphrase is a lost backup: (1) the target must be there and not
// yet set up, (2) the passphrase is generated (or the one a previous, unconfirmed setup stored is
// reused, so a sheet printed then stays valid) and stored in the Keychain / Secret Service,
// (3) the emergency sheet is written, (4) the admin confirms it was printed or saved elsewhere,
// (5) only then the cipher folder is created. Without confirmation nothing is on the disk and the
// mirror keeps failing with "not set up" — it never copies in the clear.
import type { Config } from '../config/schema';
import type { Message } from '../i18n';
import type { CredentialStore } from '../credentials/credentials';
import { ExitCode, PraxisError } from '../core/errors';
import type { Reporter } from '../run/events';
import { cryptOf, cryptTarget, encryptsWholeVolume } from '../destinations/encrypted/encrypted-target';
import { openMirror, selectMirrors, type MirrorDeps } from '../mirror/mirror-run';
import { encryptionCredentialId, generatePassphrase } from './passphrase';

export interface EncryptionSetupIo {
  /** Write the Notfallblatt (it reads the stored passphrase itself); false: it could not be written. */
  writeSheet(): Promise<boolean>;
  /** The admin confirms the sheet was printed or saved elsewhere. */
  confirm(): Promise<boolean>;
}

export type EncryptionSetupResult = { done: true; cipherDir: string; credentialId: string } | { done: false; reason: 'sheet' | 'notConfirmed' };

export async function setupEncryption(
  config: Config,
  name: string,
  deps: { mirrorDeps: MirrorDeps; keyring: CredentialStore },
  io: EncryptionSetupIo,
  reporter: Reporter,
): Promise<EncryptionSetupResult> {
  const crypt = cryptOf(deps.mirrorDeps);
  const configured = selectMirrors(config, [name])[0]!;
  if (!configured.encrypt) throw new PraxisError('encryption.notEncrypted', { name }, ExitCode.invalidInput);
  // A Mac's USB disk is encrypted as a whole APFS volume, which means erasing it: its own command.
  if (encryptsWholeVolume(configured, crypt)) throw new PraxisError('encryption.useVolumesPrepare', { name }, ExitCode.invalidInput);
  const destination = await openMirror(config, name, deps.mirrorDeps, 'encryption.absent');
  const { mirror, target } = destination;
  const r: { warnings: Message[] } = { warnings: [] };
  try {
    if (await crypt.isInitialised(cryptTarget(mirror), target.root)) throw new PraxisError('mirror.crypt.alreadyInitialised', { name, dir: target.root });
    const id = encryptionCredentialId(name);
    let passphrase = await deps.keyring.get(id);
    if (!passphrase) {
      passphrase = generatePassphrase();
      // Stored before anything is encrypted with it: a cipher folder whose passphrase was never
      // stored anywhere would be lost at once.
      await deps.keyring.set(id, passphrase);
    }
    if (!(await io.writeSheet())) return { done: false, reason: 'sheet' };
    if (!(await io.confirm())) return { done: false, reason: 'notConfirmed' };
    const cipherDir = await crypt.init(cryptTarget(mirror), target.root, { name, credentialId: id, passphrase });
    return { done: true, cipherDir, credentialId: id };
  } finally {
    await destination.release(reporter, r);
  }
}

// Making an encrypted mirror usable (`praxis-backup encryption setup <mirror>`).
//
// Order matters, because a lost passphrase is a lost backup: (1) the target must be there and not
// yet set up, (2) the passphrase is generated (or the one a previous, unconfirmed setup stored is
// reused, so a sheet printed then stays valid) and stored in the Keychain / Secret Service,
// (3) the emergency sheet is written, (4) the admin confirms it was printed or saved elsewhere,
// (5) only then the cipher folder is created. Without confirmation nothing is on the disk and the
// mirror keeps failing with "not set up" — it never copies in the clear.
import { join } from 'node:path';
import type { Config } from '../config/schema';
import type { Message } from '../i18n';
import type { CredentialStore } from './credentials';
import { ExitCode, PraxisError } from './errors';
import type { Reporter } from './events';
import { CIPHER_FOLDER, initCipherDir, isInitialised } from './gocryptfs';
import { openMirror, releaseTarget, type MirrorDeps } from './mirror-run';
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
  const { mirror, target } = await openMirror(config, name, deps.mirrorDeps, 'encryption.absent');
  if (!mirror.encrypt) throw new PraxisError('encryption.notEncrypted', { name }, ExitCode.invalidInput);
  const r: { warnings: Message[] } = { warnings: [] };
  try {
    const cipherDir = join(target.root, CIPHER_FOLDER);
    if (await isInitialised(cipherDir)) throw new PraxisError('mirror.crypt.alreadyInitialised', { name, dir: cipherDir });
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
    await initCipherDir({ name, credentialId: id, cipherDir, passphrase });
    return { done: true, cipherDir, credentialId: id };
  } finally {
    await releaseTarget(mirror, target, deps.mirrorDeps, reporter, r);
  }
}

// A mirror's passphrase — the key of an encrypted folder or disk, the password of a restic
// repository — taken as typed from the Notfallblatt, else from the keyring, else asked for. Apart
// from encrypted/ because a repository needs it too and knows nothing of encrypted views.
import type { Mirror } from '../config/schema';
import { PraxisError } from '../core/errors';
import type { CryptContext } from '../core/mirror-crypt';
import { storeName, type SecretStore } from '../core/secret-store';
import { encryptionCredentialId } from '../encryption/passphrase';

/** Reaching an encrypted mirror: a passphrase typed from the sheet (else stored, else asked), and the cancel signal. */
export interface AccessOptions {
  passphrase?: string;
  signal?: AbortSignal;
}

export interface PassphraseDeps {
  secrets: SecretStore;
  /** Asks on a terminal when none is stored (a new machine); absent: never asked. */
  askPassphrase?(name: string): Promise<string | null>;
}

/** The passphrase of an encrypted mirror, as the adapters need it. Without one this throws: nothing is then written. */
export async function cryptContext(m: Mirror, deps: PassphraseDeps, access: AccessOptions = {}): Promise<CryptContext> {
  const id = encryptionCredentialId(m.name);
  const pass = access.passphrase ?? (await deps.secrets.get(id)) ?? (await deps.askPassphrase?.(m.name)) ?? null;
  if (!pass) throw new PraxisError('mirror.crypt.noPassphrase', { name: m.name, id, store: storeName(deps.secrets) });
  return { name: m.name, credentialId: id, passphrase: pass, signal: access.signal };
}

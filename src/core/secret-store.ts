// The keyring's port: where a run gets a password for a credential id, and the store the admin
// writes to. Adapters (credentials/keytar-secret-store.ts, the environment) implement it; the
// engine's step context carries one, so it lives below both.
import type { Message } from '../i18n';

export interface SecretStore {
  /** The secret for a credential id, or null if none is stored. */
  get(id: string): Promise<string | null>;
  /** Where secrets come from, for logs and --json ("Keychain", "Secret Service", "environment"). */
  readonly description: string;
  /** The admin's name for the keyring, in their language („macOS-Schlüsselbund“); absent for the environment. */
  readonly displayName?: Message;
}

/** Where the admin should look for a password: the keyring's own name, else the technical description. */
export function storeName(s: SecretStore): Message | string {
  return s.displayName ?? s.description;
}

/** The store the admin writes to with `credentials set|delete|list`: the Keychain / Secret Service. */
export interface CredentialStore extends SecretStore {
  set(id: string, password: string): Promise<void>;
  /** False when nothing was stored under this id. */
  delete(id: string): Promise<boolean>;
  /** The ids that have a password stored (never the passwords). */
  ids(): Promise<string[]>;
}

// Passwords for databases and shares. They live in the Keychain / Secret Service
// (src/credentials/keytar-secret-store.ts); for scripted runs a password can also come from the
// environment, which is asked first (it is explicit per run). Never from the config file.
import type { Component, Mirror } from '../config/schema';
import { isDatabase, kindFor } from '../databases/registry';
import { mirrorCredentials } from '../destinations/registry';
import type { Message } from '../i18n';
import { PASSWORD_ENV_PREFIX } from '../process/secret-env';

import type { SecretStore } from '../core/secret-store';
export type { CredentialStore, SecretStore } from '../core/secret-store';
export { storeName } from '../core/secret-store';

/** Credential id of a database component, `<kind id>://user@host:port/database` (e.g. the PostgreSQL one of tomedo); null for a folder. */
export function credentialId(c: Component): string | null {
  if (!isDatabase(c)) return null;
  return `${kindFor(c).id}://${c.user}@${c.host}:${c.port}/${c.database}`;
}

/**
 * PRAXIS_BACKUP_PASSWORD_<NAME>: component name upper-cased, anything but A–Z/0–9 as "_". The
 * process runner keeps every such variable out of the environment of the programs it starts.
 */
export function passwordEnvVar(componentName: string): string {
  return `${PASSWORD_ENV_PREFIX}${componentName.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

export class EnvSecretStore implements SecretStore {
  readonly description = 'environment';
  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly byId: Map<string, string>,
  ) {}
  static forComponents(env: NodeJS.ProcessEnv, components: Component[], mirrors: Mirror[] = []): EnvSecretStore {
    const byId = new Map<string, string>();
    for (const c of components) {
      const id = credentialId(c);
      if (id) byId.set(id, passwordEnvVar(c.name));
    }
    for (const c of mirrorCredentials(mirrors)) byId.set(c.id, passwordEnvVar(c.mirror.name));
    return new EnvSecretStore(env, byId);
  }
  async get(id: string): Promise<string | null> {
    const v = this.byId.get(id);
    return v && this.env[v] ? this.env[v]! : null;
  }
}

/** Asks each store in turn; the first that has the secret wins. */
export class ChainSecretStore implements SecretStore {
  constructor(private readonly stores: SecretStore[]) {}
  get description(): string {
    return this.stores.map((s) => s.description).join(', ');
  }
  /** The keyring's name: where a password is stored (the environment is per run, not a place). */
  get displayName(): Message | undefined {
    return this.stores.find((s) => s.displayName)?.displayName;
  }
  async get(id: string): Promise<string | null> {
    for (const s of this.stores) {
      const v = await s.get(id);
      if (v !== null) return v;
    }
    return null;
  }
}

/**
 * The secrets of one config (App.secretsFor): the environment first, then the keyring — except
 * for the ids whose component or share says `"password": "none"`: for those the keyring is never
 * asked (a nightly run without a desktop must not even try). `keyring` null: PRAXIS_BACKUP_KEYRING=off.
 * The run asks the two sources apart (db-login.ts): it logs which one it used, and asks the keyring
 * only when the server wants a password.
 */
export class ConfiguredSecretStore implements SecretStore {
  constructor(
    private readonly env: SecretStore,
    private readonly keyring: SecretStore | null,
    private readonly keyringless: ReadonlySet<string>,
  ) {}
  static forConfig(env: NodeJS.ProcessEnv, components: Component[], mirrors: Mirror[], keyring: SecretStore | null): ConfiguredSecretStore {
    const none = new Set<string>();
    for (const c of components) {
      const id = credentialId(c);
      if (id && c.type !== 'folder' && c.password === 'none') none.add(id);
    }
    for (const c of mirrorCredentials(mirrors)) if (c.none) none.add(c.id);
    return new ConfiguredSecretStore(EnvSecretStore.forComponents(env, components, mirrors), keyring, none);
  }
  get description(): string {
    return [this.env.description, ...(this.keyring ? [this.keyring.description] : [])].join(', ');
  }
  get displayName(): Message | undefined {
    return this.keyring?.displayName;
  }
  /** Whether the keyring may be asked for this id at all (not switched off, not `"password": "none"`). */
  keyringAllowed(id: string): boolean {
    return this.keyring !== null && !this.keyringless.has(id);
  }
  fromEnvironment(id: string): Promise<string | null> {
    return this.env.get(id);
  }
  /** The keyring only; throws error.secretStoreUnavailable when it cannot be reached. */
  async fromKeyring(id: string): Promise<string | null> {
    return this.keyringAllowed(id) ? this.keyring!.get(id) : null;
  }
  async get(id: string): Promise<string | null> {
    return (await this.fromEnvironment(id)) ?? (await this.fromKeyring(id));
  }
}

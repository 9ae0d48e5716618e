// Passwords in the macOS Keychain / the Linux Secret Service (gnome-keyring, KWallet, KeePassXC),
// through keytar: service "Praxis-Backup", account = the credential id. keytar stores exactly these
// two attributes, so `secret-tool lookup service Praxis-Backup account <id>` (Linux) and the
// Keychain Access app (macOS) show what is stored.
//
// When no store can be reached this throws error.secretStoreUnavailable, saying why and how to fix
// it. There is deliberately no fallback to a file: a password in a plain-text file next to the
// backup is exactly what the Keychain is for avoiding.
import type { Message, MessageKey, Params } from '../i18n';
import type { Platform } from '../platform/paths';
import { redact } from '../process/runner';
import type { CredentialStore } from './credentials';
import { PraxisError } from '../core/errors';

export const SERVICE = 'Praxis-Backup';

/** The part of keytar's API this store uses (keytar.d.ts, FACTS §4). */
export interface KeytarModule {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
  findCredentials(service: string): Promise<Array<{ account: string; password: string }>>;
}

export interface KeytarSecretStoreOptions {
  /** Handed in by the composition root: which store this is, for the messages and the fix. */
  platform: Platform;
  /** Loads keytar; default: a dynamic import (keytar is CommonJS and a native addon, kept out of the bundle). */
  load?: () => Promise<KeytarModule>;
  /**
   * Is the store locked? Asked only when keytar finds nothing: libsecret answers a lookup in a
   * locked keyring with "nothing stored" when it cannot show an unlock prompt (measured with
   * gnome-keyring 42 and no display), which would look like a missing password. null = cannot tell.
   */
  isLocked?: () => Promise<boolean | null>;
  /** A call that hangs (a confirmation dialog nobody sees) fails after this long. Default 120 s. */
  timeoutMs?: number;
}

export class KeytarSecretStore implements CredentialStore {
  readonly description: string;
  readonly displayName: Message;
  private loading: Promise<KeytarModule> | null = null;

  constructor(private readonly opts: KeytarSecretStoreOptions) {
    this.description = opts.platform === 'darwin' ? 'Keychain' : 'Secret Service';
    this.displayName = { key: opts.platform === 'darwin' ? 'secretStore.name.darwin' : 'secretStore.name.linux' };
  }

  async get(id: string): Promise<string | null> {
    const k = await this.keytar(id);
    const v = await this.call(() => k.getPassword(SERVICE, id), [], id);
    if (v === null) await this.failIfLocked(id);
    return v;
  }

  async set(id: string, password: string): Promise<void> {
    const k = await this.keytar();
    await this.call(() => k.setPassword(SERVICE, id, password), [password]);
  }

  async delete(id: string): Promise<boolean> {
    const k = await this.keytar();
    const deleted = await this.call(() => k.deletePassword(SERVICE, id), []);
    if (!deleted) await this.failIfLocked();
    return deleted;
  }

  async ids(): Promise<string[]> {
    const k = await this.keytar();
    const found = await this.call(() => k.findCredentials(SERVICE), []);
    // The passwords came along with the accounts; drop them here, at the edge.
    const ids = found.map((c) => c.account).sort();
    if (ids.length === 0) await this.failIfLocked();
    return ids;
  }

  private keytar(readingId?: string): Promise<KeytarModule> {
    // Loaded on first use: a run that needs no password never touches the Keychain or D-Bus.
    this.loading ??= (this.opts.load ?? loadKeytar)();
    return this.loading.catch((e: unknown) => {
      this.loading = null;
      throw this.unavailable({ key: 'secretStore.reason.load', params: { message: errorText(e) } }, readingId);
    });
  }

  private async call<T>(fn: () => Promise<T>, secrets: string[], readingId?: string): Promise<T> {
    const ms = this.opts.timeoutMs ?? 120_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TimeoutError()), ms);
    });
    try {
      return await Promise.race([fn(), timeout]);
    } catch (e) {
      if (e instanceof TimeoutError) throw this.unavailable({ key: 'secretStore.reason.timeout', params: { seconds: Math.round(ms / 1000) } }, readingId);
      // keytar's messages come from libsecret / Security.framework; none should hold the password,
      // but the message goes to logs, so make sure.
      throw this.unavailable(redact(errorText(e), secrets), readingId);
    } finally {
      clearTimeout(timer);
    }
  }

  private async failIfLocked(readingId?: string): Promise<void> {
    if (!this.opts.isLocked) return;
    if ((await this.opts.isLocked().catch(() => null)) === true) throw this.unavailable({ key: 'secretStore.reason.locked' }, readingId);
  }

  private unavailable(reason: string | { key: MessageKey; params?: Params }, readingId?: string): PraxisError {
    const darwin = this.opts.platform === 'darwin';
    return new PraxisError('error.secretStoreUnavailable', {
      store: { key: darwin ? 'secretStore.name.darwin' : 'secretStore.name.linux' },
      reason: typeof reason === 'string' ? reason : { key: reason.key, params: reason.params ?? {} },
      fix: { key: darwin ? 'secretStore.fix.darwin' : 'secretStore.fix.linux' },
      // A run asked for a password: name it, and the way out for setups that want no keyring.
      hint: readingId ? { key: 'secretStore.hint.read', params: { id: readingId } } : '',
    });
  }
}

class TimeoutError extends Error {}

function errorText(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.replace(/\s+/g, ' ').trim() || 'unknown error';
}

async function loadKeytar(): Promise<KeytarModule> {
  // webpackIgnore: left as a plain import() in dist/cli.js, resolved by Node from node_modules at
  // run time. (Bundled, webpack would split it into a chunk that imports keytar statically.)
  const mod = (await import(/* webpackIgnore: true */ 'keytar')) as unknown as KeytarModule & { default?: KeytarModule };
  return mod.default ?? mod;
}

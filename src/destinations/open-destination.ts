// Opening a configured mirror's destination: its kind (registry.ts) locates, mounts and guards the
// target; encryption, when configured, puts the decrypted view in between (encrypted/). The mirror
// run, verify --target, restore --from-mirror, list --mirror and encryption setup all come here.
import type { Mirror } from '../config/schema';
import { PraxisError } from '../core/errors';
import type { SecretStore } from '../core/secret-store';
import type { Volumes } from '../core/volumes';
import type { Message } from '../i18n';
import type { Reporter } from '../run/events';
import type { ToolLocator } from '../process/tool-locator';
import { dirname, join } from 'node:path';
import type { Destination, LocateEnv, Shares } from './contract';
import { cryptContext, cryptOf, cryptTarget, encryptsWholeVolume, type AccessOptions, type CryptDeps } from './encrypted/encrypted-target';
import { FolderDestination } from './folder-destination';
import { destinationKind } from './registry';

export interface DestinationDeps extends CryptDeps {
  volumes: Volumes;
  shares: Shares;
  secrets: SecretStore;
  tools: ToolLocator;
  /** Tells the admin: a desktop notification and the run's event. */
  notice(reporter: Reporter, message: Message): Promise<void>;
}

/**
 * What locating needs, from the dependencies (a kind's own password from the credential store).
 * `m` and `access` given: an encrypted whole volume (macOS APFS) is unlocked while it is located.
 */
export function locateEnv(deps: DestinationDeps, m?: Mirror, access: AccessOptions = {}): LocateEnv {
  const crypt = cryptOf(deps);
  const unlocks = !!(m?.encrypt && crypt.unlockVolume && encryptsWholeVolume(m, crypt));
  return {
    volumes: deps.volumes,
    shares: deps.shares,
    smbMountBase: deps.smbMountBase,
    password: (id) => deps.secrets.get(id),
    unlockVolume: unlocks ? async (v) => crypt.unlockVolume!(v, await cryptContext(m!, deps, access)) : undefined,
  };
}

export type LocatedDestination = { kind: 'ready'; destination: Destination } | { kind: 'absent'; reason: Message };

/** The state folder's place for what we know of remote servers (SFTP's known_hosts): beside the share mounts. */
export function sshDir(deps: Pick<DestinationDeps, 'smbMountBase'>): string {
  return join(dirname(deps.smbMountBase), 'ssh');
}

/**
 * Found, mounted and guarded — not yet decrypted (unlock() does that). `unlock: false`: an encrypted
 * APFS volume is not unlocked either (encryption setup only looks at the container's place).
 */
export async function locateDestination(m: Mirror, backupDir: string, deps: DestinationDeps, access: AccessOptions & { unlock?: boolean } = {}): Promise<LocatedDestination> {
  const kind = destinationKind(m);
  // A repository opens its own destination; only the folder kinds are located and mounted.
  if (kind.open) return kind.open(m, backupDir, { tools: deps.tools, secrets: deps.secrets, askPassphrase: deps.askPassphrase, sshDir: sshDir(deps) });
  const env = access.unlock === false ? locateEnv(deps) : locateEnv(deps, m, access);
  const located = await kind.locate(m, backupDir, env);
  if (located.kind === 'absent') return located;
  return { kind: 'ready', destination: new FolderDestination(m, kind, located.target, deps) };
}

/**
 * Located and, for an encrypted mirror, decrypted (passphrase given, stored or asked for), ready
 * for reading; absent → `absentKey` with the reason. On failure nothing is left mounted by us.
 */
export async function openDestination(m: Mirror, backupDir: string, deps: DestinationDeps, absentKey: Message['key'], access: AccessOptions = {}): Promise<Destination> {
  const located = await locateDestination(m, backupDir, deps, access);
  if (located.kind === 'absent') throw new PraxisError(absentKey, { name: m.name, reason: located.reason });
  const d = located.destination;
  try {
    await d.unlock(access);
    return d;
  } catch (e) {
    await d.close(null, { warnings: [] }, { eject: false });
    throw e;
  }
}

export { cryptContext, cryptOf, cryptTarget, type AccessOptions };

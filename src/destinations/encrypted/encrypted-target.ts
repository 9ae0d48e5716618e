// Encryption as an option of every destination kind: the target a kind located is wrapped in the
// decrypted view of its container (gocryptfs folder on Linux, sparse bundle on macOS), or — for a
// kind that is a whole volume on macOS — it was unlocked as an encrypted APFS volume while it was
// located. Whatever the scheme, nothing is written before the view is proven, and the view is
// closed before the disk or share under it is given back.
import { dirname, join } from 'node:path';
import type { Mirror } from '../../config/schema';
import { PraxisError } from '../../core/errors';
import type { CryptContext, CryptTarget, CryptView, MirrorCrypt } from '../../core/mirror-crypt';
import type { SecretStore } from '../../core/secret-store';
import { cryptContext, type AccessOptions } from '../mirror-passphrase';
import type { Message } from '../../i18n';
import { failureMessage } from '../../run/failure';
import type { Reporter } from '../../run/events';
import type { Target } from '../contract';
import { destinationKind } from '../registry';
import { gocryptfsCrypt } from './gocryptfs';

/** What opening an encrypted mirror needs. */
export interface CryptDeps {
  secrets: SecretStore;
  smbMountBase: string;
  /** Where decrypted views of encrypted mirrors are mounted: <cryptMountBase>/<mirror name> (default: next to smbMountBase). */
  cryptMountBase?: string;
  /** How encrypted mirrors are opened on this platform (compose.ts; default gocryptfs, Linux). */
  crypt?: MirrorCrypt;
  /**
   * Asks for an encrypted mirror's passphrase when none is stored (a terminal, e.g. restore on a
   * new machine, typed from the emergency sheet). Absent: never asked, the mirror fails instead.
   */
  askPassphrase?(name: string): Promise<string | null>;
}

export { cryptContext, type AccessOptions } from '../mirror-passphrase';

export const cryptOf = (deps: Pick<CryptDeps, 'crypt'>): MirrorCrypt => deps.crypt ?? gocryptfsCrypt;

/** What the crypt port is told of a mirror: its name and whether its kind is a whole volume. */
export function cryptTarget(m: Mirror): CryptTarget {
  return { name: m.name, wholeVolume: destinationKind(m).wholeVolume };
}

/** The mirror is encrypted as a whole APFS volume (macOS USB disk): unlocked while located, no container in a folder. */
export function encryptsWholeVolume(m: Mirror, crypt: MirrorCrypt): boolean {
  return crypt.scheme(cryptTarget(m)) === 'apfs-volume';
}

/**
 * For an encrypted mirror: open the decrypted view of its container (gocryptfs folder, sparse
 * bundle) and point target.dir at it. An encrypted APFS volume was unlocked while locating; here
 * it is only checked that it was. Without the passphrase, or when the view cannot be proven, this
 * throws — the caller then writes nothing, so nothing ever lands on the target in the clear.
 */
export async function openView(m: Mirror, target: Target, deps: CryptDeps, access: AccessOptions = {}): Promise<CryptView | null> {
  if (!m.encrypt) return null;
  const crypt = cryptOf(deps);
  if (encryptsWholeVolume(m, crypt)) {
    if (!target.encryptedVolume) throw new PraxisError('mirror.crypt.guard', { name: m.name, path: target.root });
    return null;
  }
  const ctx = await cryptContext(m, deps, access);
  const base = deps.cryptMountBase ?? join(dirname(deps.smbMountBase), 'crypt');
  const view = await crypt.openView(cryptTarget(m), target.root, join(base, m.name), ctx);
  target.dir = view.dir;
  return view;
}

/** Just before the first write: the place is (still) the decrypted side of an encrypted mirror. */
export async function assertDecrypted(m: Mirror, target: Target, view: CryptView | null): Promise<void> {
  if (!m.encrypt) return;
  const ok = view ? await view.stillOpen() : !!target.encryptedVolume;
  if (!ok) throw new PraxisError('mirror.crypt.guard', { name: m.name, path: target.dir });
}

/** Close the decrypted view; false (with the reason as a warning) when it stayed mounted: then the disk must not be released. */
export async function closeView(view: CryptView | null, reporter: Reporter | null, r: { warnings: Message[] }): Promise<boolean> {
  if (!view) return true;
  try {
    await view.close();
    return true;
  } catch (e) {
    const message = failureMessage(e);
    r.warnings.push(message);
    reporter?.warn(message.key, message.params);
    return false;
  }
}

// The destination kinds the engine knows, by the config's `mirror.type`. The only list of kinds:
// everything else asks here (contract.ts says what a kind answers).
import type { Mirror } from '../config/schema';
import type { AnyDestinationKind, KindCredential } from './contract';
import { pathKind } from './path';
import { resticKind } from './restic';
import { shareKind } from './share';
import { volumeKind } from './volume';

/** In the order the UI offers them. */
export const DESTINATION_KINDS: readonly AnyDestinationKind[] = [volumeKind, shareKind, pathKind, resticKind];

const BY_TYPE = new Map<string, AnyDestinationKind>(DESTINATION_KINDS.map((k) => [k.type as string, k]));

/** The kind of a configured mirror; an unknown type is a bug of the caller (the config schema lists them). */
export function destinationKind(m: Pick<Mirror, 'type'>): AnyDestinationKind {
  const k = BY_TYPE.get(m.type);
  if (!k) throw new Error(`not a destination type: ${m.type}`);
  return k;
}

/** The credentials the configured mirrors need besides their passphrases (a share's login), with the mirror's name. */
export function mirrorCredentials(mirrors: readonly Mirror[]): (KindCredential & { mirror: Mirror })[] {
  return mirrors.flatMap((m) => {
    const c = destinationKind(m).credential?.(m);
    return c ? [{ ...c, mirror: m }] : [];
  });
}

/** The further keyring ids the configured mirrors read (a restic backend's keys), with the mirror. */
export function mirrorSecretIds(mirrors: readonly Mirror[]): { id: string; mirror: Mirror }[] {
  return mirrors.flatMap((m) => (destinationKind(m).secretIds?.(m) ?? []).map((id) => ({ id, mirror: m })));
}

/** The mirror the first-run assistant proposes for an external disk it found: that disk by its UUID (the safe reference; two disks can share a label). */
export function externalDiskMirror(name: string, uuid: string): Record<string, unknown> {
  return { name, type: volumeKind.type, volume: { uuid } };
}

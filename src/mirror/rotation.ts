// A rotating set of USB disks (a volume mirror's `volumes`): one at the practice, one at the
// doctor's home, swapped every Friday. Each disk has its own record in status.json
// (destinations[name].disks[uuid]); the mirror's own fields are the newest of its disks', so the
// age alerts, `status` and the reports can read a set like one mirror. Pure and light (no engine
// imports): the tray, `status`, the weekly summary and the alerts all take their per-disk facts
// from diskFacts() below.
import { isRotation, type Mirror, type VolumeMirror } from '../config/schema';
import type { DestinationStatus, DiskStatus, Status } from '../run/status-store';

/** What is known of one disk of a set, for a line in `status`, the tray menu or the Wochenbericht. */
export interface DiskFacts {
  uuid: string;
  /** The config's label („Freitag“), else the one the last run saw on the disk, else null. */
  label: string | null;
  /** When a copy onto it last succeeded (ISO), or null. */
  lastSuccessAt: string | null;
  /** The newest backup on it (its id) after that copy, or null. */
  newest: string | null;
  /** When a run last found it attached (ISO), or null: never seen. */
  lastSeen: string | null;
  /** Attached right now: only when the caller asked the volumes (`status`); undefined = not known. */
  attached?: boolean;
  /** The last copy onto it failed (after its last success). */
  lastFailure: DiskStatus['lastFailure'] | null;
}

/**
 * Each disk of a rotating set in the config's order, with what status.json knows of it. `attached`
 * (UUIDs, any case) is what the caller found attached now; without it `attached` stays unknown.
 * A mirror that is no rotating set has no disk facts ([]).
 */
export function diskFacts(m: Mirror, status: Pick<Status, 'destinations'>, attached?: Iterable<string>): DiskFacts[] {
  if (!isRotation(m)) return [];
  const now = attached ? new Set([...attached].map((u) => u.toLowerCase())) : undefined;
  const disks = status.destinations[m.name]?.disks ?? {};
  return m.volumes.map((v) => {
    const d = diskRecord(disks, v.uuid);
    const failed = d?.lastFailure && (!d.lastSuccess || d.lastFailure.at > d.lastSuccess.at) ? d.lastFailure : null;
    return {
      uuid: v.uuid,
      label: v.label ?? d?.label ?? null,
      lastSuccessAt: d?.lastSuccess?.at ?? null,
      newest: d?.lastSuccess?.backupId || null,
      lastSeen: d?.lastSeen ?? null,
      ...(now ? { attached: now.has(v.uuid.toLowerCase()) } : {}),
      lastFailure: failed,
    };
  });
}

/** A disk's record; UUIDs compare in any case (blkid and diskutil spell them differently). */
export function diskRecord(disks: Record<string, DiskStatus>, uuid: string): DiskStatus | undefined {
  const key = Object.keys(disks).find((k) => k.toLowerCase() === uuid.toLowerCase());
  return key === undefined ? undefined : disks[key];
}

/** How a disk of the set is called in messages: its label, else its UUID. */
export function diskName(m: VolumeMirror, uuid: string): string {
  return m.volumes?.find((v) => v.uuid.toLowerCase() === uuid.toLowerCase())?.label ?? uuid;
}

/** The later of two records by their `at` (a mirror's fields are the newest of its disks'). */
export function newer<T extends { at: string }>(a: T | undefined, b: T | undefined): T | undefined {
  if (!a) return b;
  if (!b) return a;
  return b.at >= a.at ? b : a;
}

/** The mirror's own fields after one disk's record changed: the newest of the old ones and the disk's. */
export function foldDisk(d: DestinationStatus, disk: DiskStatus): void {
  const s = newer(d.lastSuccess, disk.lastSuccess);
  const f = newer(d.lastFailure, disk.lastFailure);
  const v = newer(d.lastVerified, disk.lastVerified);
  if (s) d.lastSuccess = s;
  if (f) d.lastFailure = f;
  if (v) d.lastVerified = v;
}

/** The newest lastSeen of any disk of the set (ISO), or null: none of them was ever seen. */
export function lastSeenOfSet(m: VolumeMirror, status: Pick<Status, 'destinations'>): string | null {
  return diskFacts(m, status).reduce<string | null>((acc, f) => (f.lastSeen && (!acc || f.lastSeen > acc) ? f.lastSeen : acc), null);
}

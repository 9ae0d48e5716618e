// What is in a backup directory. Only folders named by a timestamp with a valid, complete
// manifest are backups; "*.partial" folders are work in progress or remains of a dead run, and
// "*.deleting" folders are backups being removed (renamed first, so that a removal is atomic for
// every reader): neither is ever listed, restored, mirrored or counted.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MANIFEST_FILE, parseManifest, type Manifest } from './manifest';

export const BACKUP_ID = /^\d{8}_\d{6}$/;
export const PARTIAL_SUFFIX = '.partial';
export const DELETING_SUFFIX = '.deleting';
/**
 * How far after "now" a backup's name may lie and still count as a real one: small clock
 * corrections (NTP stepping a clock that ran ahead) must not turn the backup just made into a
 * "future" one. Daylight saving time needs no slack: a name from the repeated autumn hour is read
 * as the earlier of the two times (ECMAScript's rule for ambiguous local times).
 */
export const FUTURE_SLACK_MS = 3600_000;

export interface BackupEntry {
  id: string;
  path: string;
  manifest: Manifest;
  bytes: number;
}

export interface Catalog {
  /** Newest first. */
  complete: BackupEntry[];
  partial: string[];
  /** Backups whose removal was interrupted ("<id>.deleting"): the next run under the lock finishes it. */
  deleting: string[];
  /** Timestamp folders without a valid manifest: reported; removed only when clearly remains of ours (retention.ts). */
  invalid: string[];
  /**
   * Complete backups dated after `now` (only when readCatalog got a clock): not in `complete`, so
   * they never count against real backups, are never mirrored and never removed automatically.
   */
  future: BackupEntry[];
}

export interface CatalogOptions {
  /** The run's clock: backups named after it (beyond FUTURE_SLACK_MS) go to `future`. */
  now?: Date;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** YYYYMMDD_HHMMSS in local time, as the practice software names its backups. */
export function backupId(d: Date): string {
  return `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}_${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`;
}

export function idToDate(id: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})$/.exec(id);
  if (!m) return new Date(NaN);
  return new Date(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
}

export async function readCatalog(dir: string, opts: CatalogOptions = {}): Promise<Catalog> {
  const names = await readdir(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return [] as string[];
    throw e;
  });
  const complete: BackupEntry[] = [];
  const partial: string[] = [];
  const invalid: string[] = [];
  const deleting: string[] = [];
  const future: BackupEntry[] = [];
  const latest = opts.now ? opts.now.getTime() + FUTURE_SLACK_MS : Infinity;
  for (const name of names) {
    const path = join(dir, name);
    if (name.endsWith(PARTIAL_SUFFIX) && BACKUP_ID.test(name.slice(0, -PARTIAL_SUFFIX.length))) {
      partial.push(name);
      continue;
    }
    if (name.endsWith(DELETING_SUFFIX) && BACKUP_ID.test(name.slice(0, -DELETING_SUFFIX.length))) {
      deleting.push(name);
      continue;
    }
    if (!BACKUP_ID.test(name)) continue;
    const st = await stat(path).catch(() => null);
    if (!st?.isDirectory()) continue;
    const text = await readFile(join(path, MANIFEST_FILE), 'utf8').catch(() => null);
    const manifest = text ? parseManifest(text) : null;
    if (!manifest || manifest.id !== name) {
      invalid.push(name);
      continue;
    }
    const entry = { id: name, path, manifest, bytes: manifest.components.reduce((s, c) => s + c.bytes, 0) };
    (idToDate(name).getTime() > latest ? future : complete).push(entry);
  }
  const newestFirst = (a: BackupEntry, b: BackupEntry) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
  complete.sort(newestFirst);
  future.sort(newestFirst);
  partial.sort();
  deleting.sort();
  invalid.sort();
  return { complete, partial, deleting, invalid, future };
}

// What is in a backup directory. Only folders named by a timestamp with a valid, complete
// manifest are backups; "*.partial" folders are work in progress or remains of a dead run and
// are never listed, restored, mirrored or counted.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MANIFEST_FILE, parseManifest, type Manifest } from './manifest';

export const BACKUP_ID = /^\d{8}_\d{6}$/;
export const PARTIAL_SUFFIX = '.partial';

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
  /** Timestamp folders without a valid manifest: reported, never touched. */
  invalid: string[];
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

export async function readCatalog(dir: string): Promise<Catalog> {
  const names = await readdir(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return [] as string[];
    throw e;
  });
  const complete: BackupEntry[] = [];
  const partial: string[] = [];
  const invalid: string[] = [];
  for (const name of names) {
    const path = join(dir, name);
    if (name.endsWith(PARTIAL_SUFFIX) && BACKUP_ID.test(name.slice(0, -PARTIAL_SUFFIX.length))) {
      partial.push(name);
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
    complete.push({ id: name, path, manifest, bytes: manifest.components.reduce((s, c) => s + c.bytes, 0) });
  }
  complete.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  partial.sort();
  invalid.sort();
  return { complete, partial, invalid };
}

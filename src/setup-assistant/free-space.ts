// Free space of the disk a backup directory will be on, before the directory exists: statfs of
// its nearest existing parent. Both front ends ask it through SetupAssistant.setBackupDir, so the
// terminal and the window judge a typed directory alike.
import { existsSync, statfsSync } from 'node:fs';
import { dirname } from 'node:path';

export interface FreeSpace {
  freeBytes: number;
  totalBytes: number;
}

/** Null for a relative path or when nothing on the way up can be read. */
export function freeSpaceAt(path: string): FreeSpace | null {
  if (!path.startsWith('/')) return null;
  let dir = path;
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  try {
    const s = statfsSync(dir);
    return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
  } catch {
    return null;
  }
}

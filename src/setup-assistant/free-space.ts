// Free space of the disk a backup directory will be on, before the directory exists: the disk of
// its nearest existing parent (the same walk and statfs the discovery's candidates use). Both front
// ends ask it through SetupAssistant.setBackupDir, so the terminal and the window judge a typed
// directory alike.
import { isAbsolute } from 'node:path';
import { diskSpace } from '../backup-directory/space-check';
import { existingAncestor } from './discover/mount-location';

export interface FreeSpace {
  freeBytes: number;
  totalBytes: number;
}

/** Null for a relative path or when nothing on the way up can be read. */
export async function freeSpaceAt(path: string): Promise<FreeSpace | null> {
  if (!isAbsolute(path)) return null;
  try {
    const s = await diskSpace(await existingAncestor(path));
    return { freeBytes: s.free, totalBytes: s.total };
  } catch {
    return null;
  }
}

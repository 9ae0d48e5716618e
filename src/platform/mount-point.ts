// Whether a folder is a mount point, asked of the file system itself (not of any adapter's
// listing). Below both the destinations and the platform adapters: the guards of a mirror's
// target and of a decrypted view (gocryptfs, a macOS sparse bundle) all rest on it.
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';

/** A mount point is a directory on another device than its parent (or the root). */
export async function isMountPoint(dir: string): Promise<boolean> {
  const [a, b] = await Promise.all([stat(dir).catch(() => null), stat(dirname(dir)).catch(() => null)]);
  if (!a || !b) return false;
  return a.dev !== b.dev || a.ino === b.ino;
}

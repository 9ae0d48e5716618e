// Writes one file of the login setup atomically (temp file beside it, fsync, rename): a desktop
// session reading ~/.config/autostart at login must find the old entry or the new one, never half.
// 0644 like every desktop entry, icon and LaunchAgent (launchd refuses agents others may write).
import { mkdir, rmdir } from 'node:fs/promises';
import { dirname, relative } from 'node:path';

export async function installFile(file: string, content: string | Buffer): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  // Loaded on use: pdf-document brings pdfkit, which the menu bar app (it only asks isInstalled) must not load at start.
  const { writeFileAtomic } = await import('../report/pdf-document');
  await writeFileAtomic(file, content, 0o644);
}

/**
 * Removes the folders between `file` and `base` (exclusive) that are empty once it is gone, so a
 * remove after an install into a fresh home leaves the home as it was. Never `base` itself.
 */
export async function pruneEmptyParents(file: string, base: string): Promise<void> {
  for (let dir = dirname(file); relative(base, dir) && !relative(base, dir).startsWith('..'); dir = dirname(dir)) {
    try {
      await rmdir(dir);
    } catch {
      return; // not empty (or not ours to remove): stop here
    }
  }
}

// Making a rename durable: after a file is renamed into place, the folder that holds the new name
// is synced too, so a crash cannot bring back the old name. Below every writer of atomic files
// (config, manifest, verification, report, mirror copies), so none has to import another's module.
import { open } from 'node:fs/promises';

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } catch {
    /* some file systems (SMB) refuse fsync on directories; the rename is still ordered */
  } finally {
    await fh.close();
  }
}

// Writing a config file atomically, with the previous one kept as <file>.bak. Used by the settings
// window (src/tray/model/settings-file.ts) and by `volumes prepare`, which writes a new disk's UUID.
//
// Atomic (temp file in the same folder, fsync, rename, fsync the folder): a crash or a full disk
// mid-save must leave either the old or the new config, never half of one, because the scheduled
// run reads this file at night with nobody watching. The previous file is kept as config.json.bak
// so a wrong save can be undone by hand. 0600: the file names database users and hosts; passwords
// are never in it, but it is still nobody else's business.
import { randomBytes } from 'node:crypto';
import { chmod, copyFile, mkdir, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fsyncDir } from '../platform/fsync';

export const backupPathOf = (file: string) => `${file}.bak`;

/** Writes `content` to `file` atomically; returns the .bak path when there was a previous file. */
export async function writeFileAtomically(file: string, content: string): Promise<string | null> {
  const dir = dirname(file);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmpName = (what: string) => join(dir, `.${basename(file)}.${what}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const tmp = tmpName('new');
  let bak: string | null = null;
  try {
    const fh = await open(tmp, 'wx', 0o600);
    try {
      await fh.writeFile(content);
      await fh.chmod(0o600); // open's mode is subject to the umask; say it exactly
      await fh.sync();
    } finally {
      await fh.close();
    }
    bak = await keepPrevious(file, tmpName('bak'));
    await rename(tmp, file);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await fsyncDir(dir);
  return bak;
}

/** Copies the current file to <file>.bak (itself via a temp file, so a crash never leaves half a .bak). */
async function keepPrevious(file: string, tmp: string): Promise<string | null> {
  try {
    await copyFile(file, tmp);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  try {
    await chmod(tmp, 0o600);
    await rename(tmp, backupPathOf(file));
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  return backupPathOf(file);
}

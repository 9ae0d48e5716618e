// The privacy of a backup folder: the folder is 0700 and every file the product writes into it
// (dumps, manifest.json, file indexes, verification.json) is 0600, so no other account on the
// computer can read patient data. verify checks this and, asked to (--fix-permissions), puts it
// right.
//
// What is checked: the backup folder itself and the files at its top level. Not the trees that
// rsync copied into <name>/: they keep the modes of the practice's folder on purpose (a restore
// puts them back as they were), and a 0700 backup folder already keeps everyone else out of them.
import { chmod, lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Message } from '../i18n';

/** Bits that let anyone but the owner in: group and others. */
const OPEN_BITS = 0o077;

export interface OpenMode {
  path: string;
  /** The mode found (permission bits only). */
  mode: number;
  /** The mode it should have: the same without group/other bits (0700 / 0600 as written). */
  wanted: number;
}

export const octal = (mode: number): string => '0' + (mode & 0o7777).toString(8).padStart(3, '0');

/** The backup folder and its top-level files whose mode lets group or others in. */
export async function findOpenModes(backupPath: string): Promise<OpenMode[]> {
  const open: OpenMode[] = [];
  const consider = (path: string, mode: number) => {
    const perm = mode & 0o7777;
    if (perm & OPEN_BITS) open.push({ path, mode: perm, wanted: perm & ~OPEN_BITS & 0o7777 });
  };
  consider(backupPath, (await lstat(backupPath)).mode);
  for (const e of await readdir(backupPath, { withFileTypes: true })) {
    if (!e.isFile()) continue; // component trees (rsync) and symlinks: see above
    const path = join(backupPath, e.name);
    const st = await lstat(path).catch(() => null);
    if (st?.isFile()) consider(path, st.mode);
  }
  return open;
}

/**
 * Finds what is open and, with fix, closes it. Open modes are warnings, not problems: the backup
 * can still be put back, so "verification failed, cannot be relied on" would not be true, and the
 * tray would call an intact backup unusable. But patient data readable by every account on the
 * computer is a data-protection breach (GDPR Art. 32), so it is said on every check (exit 3)
 * until it is fixed, with the command that fixes it.
 */
export async function checkModes(backupPath: string, backupId: string, fix: boolean): Promise<{ warnings: Message[]; fixed: Message[] }> {
  const warnings: Message[] = [];
  const fixed: Message[] = [];
  for (const o of await findOpenModes(backupPath)) {
    const params = { path: o.path, mode: octal(o.mode), wanted: octal(o.wanted), id: backupId };
    if (!fix) {
      warnings.push({ key: 'verify.modeOpen', params });
      continue;
    }
    try {
      await chmod(o.path, o.wanted);
      fixed.push({ key: 'verify.modeFixed', params });
    } catch (e) {
      // Not ours (another owner) or a file system without modes: say so, it stays open.
      warnings.push({ key: 'verify.modeNotFixed', params: { ...params, message: (e as Error).message } });
    }
  }
  return { warnings, fixed };
}

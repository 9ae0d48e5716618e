// Checks a backup folder against its manifest: every dump file's sha256 and size, every folder's
// file count and bytes. Used after copying onto a mirror (the copy is read back from the target),
// and the base of `verify` later.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Manifest } from '../backup-directory/manifest';
import { breathe, lstatRaw, TreeRoot, walkTree } from '../backup-directory/tree-walk';

export interface VerifyProblem {
  component: string;
  /** What differs, in English for the log; the caller wraps it in a catalogue message. */
  what: string;
}

/** Files up to this size are read in one piece: a stream per small file costs more than its bytes (most attachments are small). */
const ONE_READ = 1 << 20;

export async function sha256File(path: string | Buffer): Promise<{ sha256: string; bytes: number }> {
  const fh = await open(path, 'r');
  try {
    if ((await fh.stat()).size <= ONE_READ) {
      const b = await fh.readFile();
      return { sha256: createHash('sha256').update(b).digest('hex'), bytes: b.length };
    }
  } finally {
    await fh.close();
  }
  const hash = createHash('sha256');
  let bytes = 0;
  await pipeline(createReadStream(path), async function* (source) {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      hash.update(chunk);
      bytes += chunk.length;
    }
  });
  return { sha256: hash.digest('hex'), bytes };
}

/**
 * Regular files and their bytes; symlinks add their own length, as rsync's "Total file size" does.
 * Any name a file system allows counts (tree-walk.ts: names as bytes, paths beyond PATH_MAX).
 */
export async function treeStats(dir: string): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  let n = 0;
  const tree = new TreeRoot(dir);
  try {
    for (const e of walkTree(tree)) {
      if (++n % 2000 === 0) await breathe();
      if (e.kind !== 'file' && e.kind !== 'symlink') continue;
      const st = lstatRaw(tree, e.raw);
      if (!st) continue;
      if (e.kind === 'file') files++;
      bytes += st.size;
    }
  } finally {
    tree.close();
  }
  return { files, bytes };
}

export async function verifyBackupDir(dir: string, manifest: Manifest): Promise<VerifyProblem[]> {
  const problems: VerifyProblem[] = [];
  for (const c of manifest.components) {
    const path = join(dir, c.path);
    try {
      if (c.type === 'folder') {
        const s = await treeStats(path);
        if (c.files !== undefined && s.files !== c.files) problems.push({ component: c.name, what: `${s.files} files instead of ${c.files}` });
        if (s.bytes !== c.bytes) problems.push({ component: c.name, what: `${s.bytes} bytes instead of ${c.bytes}` });
      } else {
        const s = await sha256File(path);
        if (s.bytes !== c.bytes) problems.push({ component: c.name, what: `${s.bytes} bytes instead of ${c.bytes}` });
        if (c.sha256 && s.sha256 !== c.sha256) problems.push({ component: c.name, what: `sha256 ${s.sha256.slice(0, 12)}… instead of ${c.sha256.slice(0, 12)}…` });
      }
    } catch (e) {
      problems.push({ component: c.name, what: (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : (e as Error).message });
    }
  }
  return problems;
}

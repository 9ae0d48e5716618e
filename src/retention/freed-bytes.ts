// How much disk removing backups gives back. With hard-linked snapshots a backup folder's size
// (du of it alone) says nothing: most of its files are the same inodes as the neighbours'. What
// removing a set of folders frees is the allocated size of every inode whose links ALL lie in
// that set (its st_nlink equals the links found there), plus the folders' own directories.
// Measured from the inodes, so it matches what `du` of the whole directory loses.
//
// Folders are removed in an order (oldest first, the way retention and a disk that must make room
// drop them); freedByPrefix answers for every prefix of that order in one walk: an inode is freed
// once the last folder holding it is gone, if no folder outside the set holds it too.
import { readdirSync, type Dirent } from 'node:fs';
import { rawOf, type RawPath } from '../backup-directory/file-names';
import { breathe, lstatRaw, TreeRoot } from '../backup-directory/tree-walk';

interface InodeSeen {
  nlink: number;
  bytes: number;
  links: number;
  /** The position (in the removal order) of the first folder seen holding it. */
  first: number;
  /** The position (in the removal order) of the last folder seen holding it. */
  last: number;
}

/** Allocated bytes, as du counts them (st_blocks are 512-byte units on Linux and macOS). */
const allocated = (st: { blocks: number; size: number }) => (Number.isFinite(st.blocks) ? st.blocks * 512 : st.size);

/**
 * `folders`: backup folders in the order they would be removed. Returns, for k = 1 … n, the bytes
 * freed when the first k are removed (index k-1), and per folder what it alone holds.
 */
export async function freedByPrefix(folders: readonly string[]): Promise<{ prefix: number[]; only: number[] }> {
  const inodes = new Map<string, InodeSeen>();
  const own = folders.map(() => 0); // directories: never hard-linked, each folder's own
  const only = folders.map(() => 0);
  for (let i = 0; i < folders.length; i++) {
    const tree = new TreeRoot(folders[i]!);
    try {
      let n = 0;
      const stack: RawPath[] = [''];
      const root = lstatRaw(tree, '');
      if (!root) continue;
      own[i]! += allocated(root);
      while (stack.length) {
        const rel = stack.pop()!;
        const listing = readdirSync(tree.path(rel), { withFileTypes: true, encoding: 'buffer' }) as Dirent<Buffer>[];
        for (const e of listing) {
          const raw = rel ? `${rel}/${rawOf(e.name as unknown as Buffer)}` : rawOf(e.name as unknown as Buffer);
          const st = lstatRaw(tree, raw);
          if (!st) continue;
          if (st.isDirectory()) {
            own[i]! += allocated(st);
            stack.push(raw);
            continue;
          }
          const key = `${st.dev}:${st.ino}`;
          const seen = inodes.get(key);
          if (seen) {
            seen.links++;
            seen.last = i;
          } else inodes.set(key, { nlink: st.nlink, bytes: allocated(st), links: 1, first: i, last: i });
          if (++n % 2000 === 0) await breathe();
        }
      }
    } finally {
      tree.close();
    }
  }
  const freedAt = [...own];
  for (const s of inodes.values()) {
    if (s.links < s.nlink) continue; // a folder outside the set (or another file) still holds it
    freedAt[s.last]! += s.bytes;
  }
  // What a folder alone holds: its directories and the inodes linked only from it.
  for (let i = 0; i < folders.length; i++) only[i] = own[i]!;
  for (const s of inodes.values()) if (s.links === s.nlink && s.first === s.last) only[s.last]! += s.bytes;
  const prefix: number[] = [];
  let sum = 0;
  for (const b of freedAt) prefix.push((sum += b));
  return { prefix, only };
}

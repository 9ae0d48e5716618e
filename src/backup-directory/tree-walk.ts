// The one walk over a copied tree (file index, verification, the mirror check): depth first, in
// path byte order, every name as bytes (file-names.ts), so any name a file system allows comes
// through — invalid UTF-8, newlines, 255-byte names — and the listings of the directories on the
// current path are all it holds in memory.
//
// Deep trees: rsync works inside the folder it copies (relative paths up to PATH_MAX, 4096 bytes),
// so a backup may hold paths that, with the backup folder in front, are longer than the kernel
// accepts in one call (ENAMETOOLONG). On Linux such paths are reached from an open descriptor of
// an ancestor directory, as "/proc/self/fd/<fd>/<rest>", which the kernel resolves from that
// directory; no chdir (it would move every other relative path of the process). Elsewhere the call
// fails with ENAMETOOLONG, and the caller names the path instead of crashing.
import { closeSync, constants, existsSync, lstatSync, openSync, readdirSync, rmdirSync, unlinkSync, type Dirent, type Stats } from 'node:fs';
import { rm } from 'node:fs/promises';
import { bytesOf, displayPath, rawOf, type RawPath } from './file-names';

const PROC_FD = existsSync('/proc/self/fd') ? '/proc/self/fd' : null;
/** Paths up to this many bytes are used whole; longer ones are cut into hops of at most HOP. */
const WHOLE = 3800;
const HOP = 2048;
const SLASH = Buffer.from('/');
/** Open ancestor descriptors kept at most (a deep tree needs one per HOP bytes of depth). */
const MAX_FDS = 64;

/** A tree root that turns raw relative paths into paths the fs calls accept. close() when done. */
export class TreeRoot {
  readonly root: Buffer;
  private readonly fds = new Map<RawPath, number>();
  constructor(root: string | Buffer) {
    const b = Buffer.isBuffer(root) ? root : Buffer.from(root);
    let end = b.length;
    while (end > 1 && b[end - 1] === 0x2f) end--;
    this.root = b.subarray(0, end);
  }

  /**
   * A path for fs calls to `raw` ('' is the root). It stays valid until the next call of path()
   * or close(): use it at once (a descriptor it goes through may be closed to make room).
   */
  path(raw: RawPath): Buffer {
    if (!raw) return this.root;
    if (!PROC_FD || this.root.length + 1 + raw.length <= WHOLE) return Buffer.concat([this.root, SLASH, bytesOf(raw)]);
    // '' (the root itself) when the path is short but the root in front makes it too long.
    const anchor = anchorOf(raw);
    return Buffer.concat([Buffer.from(`${PROC_FD}/${this.fdOf(anchor)}/`), bytesOf(anchor ? raw.slice(anchor.length + 1) : raw)]);
  }

  private fdOf(anchor: RawPath): number {
    let fd = this.fds.get(anchor);
    if (fd !== undefined) {
      // Most recently used last: the oldest is the one closed to make room.
      this.fds.delete(anchor);
      this.fds.set(anchor, fd);
      return fd;
    }
    fd = openSync(this.path(anchor), constants.O_RDONLY | constants.O_DIRECTORY);
    if (this.fds.size >= MAX_FDS) {
      const [oldest, old] = this.fds.entries().next().value as [RawPath, number];
      this.fds.delete(oldest);
      closeSync(old);
    }
    this.fds.set(anchor, fd);
    return fd;
  }

  close(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }
}

/**
 * The ancestor directory a long path is reached from: the deepest directory boundary that lies a
 * whole number of HOPs in, so every path below the same directory shares it (one descriptor per
 * HOP bytes of depth, not one per file). '' when the path is short enough from the root.
 */
function anchorOf(raw: RawPath): RawPath {
  const lastSlash = raw.lastIndexOf('/');
  if (lastSlash < 0) return '';
  let anchor = '';
  let from = 0;
  for (;;) {
    // The last "/" that is at most HOP bytes beyond the current anchor (and not beyond the file's folder).
    const limit = Math.min(from + HOP, lastSlash);
    if (raw.length - from <= HOP + 255) return anchor;
    const cut = raw.lastIndexOf('/', limit);
    if (cut <= from) return anchor; // one name longer than a hop: cannot cut shorter
    anchor = raw.slice(0, cut);
    from = cut + 1;
  }
}

export type EntryKind = 'file' | 'dir' | 'symlink' | 'other';

export interface WalkEntry {
  /** Relative to the root, '/'-separated bytes. */
  raw: RawPath;
  kind: Exclude<EntryKind, 'dir'>;
}

const kindOf = (e: Dirent<Buffer> | Dirent): EntryKind =>
  e.isFile() ? 'file' : e.isDirectory() ? 'dir' : e.isSymbolicLink() ? 'symlink' : 'other';

interface Frame {
  rel: RawPath;
  /** Sorted by name, a directory's name followed by "/": walking in this order is path byte order. */
  entries: { key: RawPath; name: RawPath; kind: EntryKind }[];
  next: number;
}

/**
 * Node names a Buffer path in its error message as lossy UTF-8 ("Befunde �rzte"), or as the
 * /proc/self/fd detour: the message names the path as every message does (file-names.ts).
 */
function named<T>(tree: TreeRoot, raw: RawPath, call: () => T): T {
  try {
    return call();
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (typeof err.message === 'string' && err.syscall) {
      const shown = displayPath(rawOf(tree.root) + (raw ? `/${raw}` : ''));
      // "EACCES: permission denied, scandir '<path>'": the same with the path readable.
      const at = err.message.indexOf(`, ${err.syscall} '`);
      err.message = `${at >= 0 ? err.message.slice(0, at) : err.code}, ${err.syscall} '${shown}'`;
    }
    throw err;
  }
}

function frame(tree: TreeRoot, rel: RawPath): Frame {
  const listing = named(tree, rel, () => readdirSync(tree.path(rel), { withFileTypes: true, encoding: 'buffer' }) as Dirent<Buffer>[]);
  const entries = listing.map((e) => {
    const name = rawOf(e.name as unknown as Buffer);
    const kind = kindOf(e);
    return { name, kind, key: kind === 'dir' ? `${name}/` : name };
  });
  entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { rel, entries, next: 0 };
}

/**
 * Everything below the root but directories, in path byte order. Synchronous calls: a readdir or
 * lstat costs microseconds, the thread-pool round trip of the async ones more than that (measured:
 * 50 000 files in about half the time); callers take a batch at a time and let the event loop turn.
 */
export function* walkTree(tree: TreeRoot): Generator<WalkEntry> {
  const stack: Frame[] = [frame(tree, '')];
  for (;;) {
    const top = stack[stack.length - 1];
    if (!top) return;
    const e = top.entries[top.next++];
    if (!e) {
      stack.pop();
      continue;
    }
    const raw = top.rel ? `${top.rel}/${e.name}` : e.name;
    if (e.kind === 'dir') stack.push(frame(tree, raw));
    else yield { raw, kind: e.kind };
  }
}

/** lstat of a raw path below the tree; undefined when it is gone. */
export function lstatRaw(tree: TreeRoot, raw: RawPath): Stats | undefined {
  return named(tree, raw, () => lstatSync(tree.path(raw), { throwIfNoEntry: false }));
}

/** Lets the event loop turn (timers, cancel, progress) between batches of synchronous calls. */
export const breathe = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * rm -r that also removes paths beyond PATH_MAX. Node's recursive rm works with whole paths and
 * stops there with ENAMETOOLONG (a backup whose folder, with the backup directory in front, is
 * deeper than 4096 bytes could then never be removed by retention); past that point the rest is
 * removed through TreeRoot's descriptors. Missing is fine (force).
 */
export async function removeTree(dir: string, retry: { maxRetries?: number; retryDelay?: number } = { maxRetries: 3 }): Promise<void> {
  try {
    await rm(dir, { recursive: true, force: true, ...retry });
    return;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENAMETOOLONG') throw e;
  }
  const tree = new TreeRoot(dir);
  try {
    removeBelow(tree, '');
  } finally {
    tree.close();
  }
  gone(() => rmdirSync(dir));
}

/**
 * Missing is fine here too: Node's rm removes siblings concurrently, and those still in flight when
 * one branch failed with ENAMETOOLONG go on deleting while we walk (seen in a CI run: ENOENT on
 * unlink of a file rm had just removed).
 */
function gone(fn: () => void): void {
  try {
    fn();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

function removeBelow(tree: TreeRoot, rel: RawPath): void {
  let entries: Dirent<Buffer>[] = [];
  gone(() => (entries = readdirSync(tree.path(rel), { withFileTypes: true, encoding: 'buffer' }) as Dirent<Buffer>[]));
  for (const e of entries) {
    const name = rawOf(e.name as unknown as Buffer);
    const raw = rel ? `${rel}/${name}` : name;
    if (e.isDirectory()) {
      removeBelow(tree, raw);
      gone(() => rmdirSync(tree.path(raw)));
    } else gone(() => unlinkSync(tree.path(raw)));
  }
}

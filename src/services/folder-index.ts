// The file index of a folder component: `<name>.index.jsonl.gz` beside the manifest, one JSON line
// per regular file of the copied tree, {"p": relative path, "s": size, "m": mtime in ms, "h"?:
// sha256 hex}. It is what `verify` compares a backup (or a mirror's copy of it) against without
// the source: a file missing, truncated or touched shows, and with deep indexing a changed byte.
//
// Order: by path, comparing the UTF-8 bytes (what `LC_ALL=C sort` does). A walk that sorts each
// directory's entries with a directory's name followed by "/" yields exactly that order, so the
// index is streamed while walking: memory holds the listings of the directories on the current
// path, never the whole tree (100 000 files are not 100 000 lines in memory). The same order lets
// the previous backup's index be read alongside in one pass (a merge), for the hashes of files
// that did not change.
//
// The index describes the backup's copy (read after rsync), not the source: the source may change
// while it is copied, and the copy is what a restore gets.
import { createHash } from 'node:crypto';
import { createReadStream, lstatSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import type { BackupEntry } from './backup-catalog';
import type { ManifestComponent } from './manifest';
import type { StepContext } from './step-context';
import { streamToFile } from './stream-to-file';

export interface IndexLine {
  p: string;
  s: number;
  m: number;
  h?: string;
}

export type FolderIndex = NonNullable<ManifestComponent['index']>;

export const indexFileName = (component: string): string => `${component}.index.jsonl.gz`;

/**
 * Path order of the index: UTF-8 bytes. JavaScript's own comparison (UTF-16 code units) agrees
 * with it except between a surrogate pair (a character beyond U+FFFF) and U+E000–U+FFFF, so only
 * names with such characters pay for the byte comparison.
 */
export function comparePaths(a: string, b: string): number {
  if (WIDE.test(a) || WIDE.test(b)) return Buffer.compare(Buffer.from(a), Buffer.from(b));
  return a < b ? -1 : a > b ? 1 : 0;
}
const WIDE = /[\uD800-\uFFFF]/;

/**
 * mtime as the index records it: Math.floor(stat.mtimeMs), whole milliseconds (rsync -a keeps the
 * source's mtime). Whoever compares a file with its line computes it the same way, from the same
 * float, so the last digit agrees even where the float rounds a nanosecond value.
 */
export const indexMtime = (mtimeMs: number): number => Math.floor(mtimeMs);

interface Frame {
  rel: string;
  /** Sorted: a directory's name followed by "/", so that walking in this order is path order. */
  entries: { name: string; dir: boolean }[];
  next: number;
}

function frame(root: string, rel: string): Frame {
  const entries = readdirSync(rel ? join(root, rel) : root, { withFileTypes: true })
    .filter((e) => e.isFile() || e.isDirectory())
    .map((e) => ({ name: e.name, dir: e.isDirectory(), key: e.isDirectory() ? `${e.name}/` : e.name }));
  // The byte comparison only where a name needs it (see comparePaths); plain < for the rest.
  if (entries.some((e) => WIDE.test(e.key))) entries.sort((a, b) => comparePaths(a.key, b.key));
  else entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { rel, entries, next: 0 };
}

/**
 * The regular files under root in index order, depth first with an explicit stack (the listings of
 * the directories on the current path are all it holds). Synchronous calls: a readdir or lstat
 * costs microseconds, the thread-pool round trip of the async ones more than that (measured: 50 000
 * files in about half the time); the caller takes a batch at a time and lets the event loop turn
 * between batches. Symlinks and special files are not files of the index.
 */
class TreeWalk {
  private readonly stack: Frame[];
  constructor(private readonly root: string) {
    this.stack = [frame(root, '')];
  }
  /** The next file, or null at the end. */
  next(): IndexLine | null {
    for (;;) {
      const top = this.stack[this.stack.length - 1];
      if (!top) return null;
      const e = top.entries[top.next++];
      if (!e) {
        this.stack.pop();
        continue;
      }
      const p = top.rel ? `${top.rel}/${e.name}` : e.name;
      if (e.dir) {
        this.stack.push(frame(this.root, p));
        continue;
      }
      const st = lstatSync(join(this.root, p), { throwIfNoEntry: false });
      if (st?.isFile()) return { p, s: st.size, m: indexMtime(st.mtimeMs) };
    }
  }
}

/** One line of the index file (written by hand: the fixed key order is also the cheapest). */
function lineText(l: IndexLine): string {
  return `{"p":${JSON.stringify(l.p)},"s":${l.s},"m":${l.m}${l.h ? `,"h":"${l.h}"` : ''}}\n`;
}

/** Reads an index file line by line (gunzipped, parsed), in its stored order. */
export async function* readIndex(file: string): AsyncGenerator<IndexLine> {
  const src = createReadStream(file);
  const input = src.pipe(createGunzip());
  src.on('error', (e) => input.destroy(e));
  try {
    for await (const line of createInterface({ input, crlfDelay: Infinity })) if (line) yield JSON.parse(line) as IndexLine;
  } finally {
    src.destroy(); // also when the reader stops early
    input.destroy();
  }
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * The previous index, read alongside the walk: both are in index order, so one forward pass finds
 * every path that is in both. Hashes only from an index that still matches its manifest's sha256.
 */
class PreviousHashes {
  private readonly it: AsyncGenerator<IndexLine>;
  private cur: IndexLine | undefined;
  private started = false;
  constructor(file: string) {
    this.it = readIndex(file);
  }
  async hashOf(line: IndexLine): Promise<string | undefined> {
    if (!this.started) {
      this.started = true;
      this.cur = (await this.it.next()).value ?? undefined;
    }
    while (this.cur && comparePaths(this.cur.p, line.p) < 0) this.cur = (await this.it.next()).value ?? undefined;
    const c = this.cur;
    return c && c.p === line.p && c.s === line.s && c.m === line.m && typeof c.h === 'string' ? c.h : undefined;
  }
  async close(): Promise<void> {
    await this.it.return(undefined);
  }
}

export interface IndexOptions {
  /** sha256 of every file (config verify.deepIndex). */
  deep: boolean;
  /** The previous index of the same folder (file and its sha256 from that manifest): hashes of unchanged files are taken from it. */
  previous?: { file: string; sha256: string } | null;
  signal?: AbortSignal;
  /** Told of every file whose content is read for its hash (tests count them; the log says how many). */
  onHashed?: (path: string, bytes: number) => void;
}

export interface WrittenIndex {
  sha256: string;
  files: number;
  /** Files read for their hash in this run (the rest came from the previous index). */
  hashed: number;
}

/** Writes the index of the tree at `tree` into `file` (new, 0600, fsync'd) and returns its sha256 and counts. */
export async function writeIndex(tree: string, file: string, opts: IndexOptions): Promise<WrittenIndex> {
  let previous: PreviousHashes | null = null;
  if (opts.deep && opts.previous) {
    // A damaged previous index must not hand its wrong hashes on: check it first (a few MB at most).
    const ok = await readFile(opts.previous.file)
      .then((b) => createHash('sha256').update(b).digest('hex') === opts.previous!.sha256)
      .catch(() => false);
    if (ok) previous = new PreviousHashes(opts.previous.file);
  }
  let files = 0;
  let hashed = 0;
  async function* lines(): AsyncGenerator<string> {
    // ~64 KiB per chunk: one stream chunk per line would cost more than the line itself.
    const walk = new TreeWalk(tree);
    let batch = '';
    for (let line = walk.next(); line; line = walk.next()) {
      if (opts.deep) {
        line.h = await previous?.hashOf(line);
        if (line.h === undefined) {
          line.h = await sha256File(join(tree, line.p));
          hashed++;
          opts.onHashed?.(line.p, line.s);
        }
      }
      files++;
      batch += lineText(line);
      if (batch.length >= 65536) {
        opts.signal?.throwIfAborted();
        yield batch;
        batch = '';
      }
    }
    if (batch) yield batch;
  }
  try {
    // gzip level 1: the index is read rarely and is small either way (50 000 lines, 4.4 MB: level 1
    // 0.90 MB in 19 ms, level 6 0.81 MB in 64 ms).
    const src = Readable.from(lines());
    const gz = createGzip({ level: 1 });
    src.on('error', (e) => gz.destroy(e)); // a failed walk (cancel, a vanished folder) fails the write
    const w = await streamToFile(src.pipe(gz), file);
    return { sha256: w.sha256, files, hashed };
  } finally {
    await previous?.close();
  }
}

/**
 * After a folder component was copied: its index beside the manifest, and the manifest's record of
 * it. `previous` is the last complete backup; its index of the same component lends its hashes
 * when it was deep too.
 */
export async function indexFolder(
  ctx: StepContext,
  component: string,
  backupPath: string,
  previous: BackupEntry | undefined,
  deep: boolean,
): Promise<FolderIndex> {
  const name = indexFileName(component);
  const before = previous?.manifest.components.find((m) => m.name === component && m.type === 'folder')?.index;
  const w = await writeIndex(join(backupPath, component), join(backupPath, name), {
    deep,
    previous: before?.deep && previous ? { file: join(previous.path, before.path), sha256: before.sha256 } : null,
    signal: ctx.signal,
  });
  ctx.reporter.info('run.index.written', {
    name: component,
    count: w.files,
    deep: deep ? { key: 'run.index.deep', params: { hashed: w.hashed } } : '',
  });
  return { path: name, sha256: w.sha256, files: w.files, deep };
}

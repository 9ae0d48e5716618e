// The file index of a folder component: `<name>.index.jsonl.gz` beside the manifest, one JSON line
// per regular file of the copied tree, {"p": relative path, "s": size, "m": mtime in ms, "h"?:
// sha256 hex}. It is what `verify` compares a backup (or a mirror's copy of it) against without
// the source: a file missing, truncated or touched shows, and with deep indexing a changed byte.
//
// Names are bytes (file-names.ts). A path that is valid UTF-8 is "p" as it is (JSON carries a
// newline in a name as \n); one that is not (a Latin-1 "R\xf6ntgen.pdf") has its exact bytes in
// "b" (base64) and, in "p", its escaped readable form for people reading the file. Index format 2
// (manifest: index.format); format 1 (no "format") wrote no line for such names at all, so a
// reader of a format-1 index does not count them as extra.
//
// Order: by path bytes (what `LC_ALL=C sort` does). A walk that sorts each directory's entries
// with a directory's name followed by "/" yields exactly that order, so the index is streamed
// while walking (tree-walk.ts): memory holds the listings of the directories on the current path,
// never the whole tree (100 000 files are not 100 000 lines in memory). The same order lets the
// previous backup's index be read alongside in one pass (a merge), for the hashes of files that
// did not change.
//
// The index describes the backup's copy (read after rsync), not the source: the source may change
// while it is copied, and the copy is what a restore gets.
//
// With rsync 3 the tree is not walked at all (one walk per night: rsync's): rsync lists every file
// it put into the snapshot (rsync-listing.ts), sorted here into index order. A file it hard-linked
// unchanged from the previous backup is that backup's inode, so its previous line is carried over
// (from an index that still matches its manifest's sha256); only the files it wrote are looked up,
// and those lines say so ("w":1), which the check after the backup samples from.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import type { BackupEntry } from './catalog';
import type { ManifestComponent } from './manifest';
import type { StepContext } from '../run/step-context';
import { streamToFile } from './stream-to-file';
import { bytesOf, displayPath, rawIsUtf8, rawOfText, textOf, type RawPath } from './file-names';
import { lstatRaw, TreeRoot, walkTree } from './tree-walk';

export interface IndexLine {
  /** The path as text: exact when it is valid UTF-8, else the escaped readable form (then "b" holds it). */
  p: string;
  /** base64 of the path's bytes, when they are not valid UTF-8 (index format 2). */
  b?: string;
  s: number;
  m: number;
  h?: string;
  /** 1: this backup wrote the file (new or changed); absent: linked unchanged from the backup before, or not known (a walked index). */
  w?: 1;
}

export type FolderIndex = NonNullable<ManifestComponent['index']>;

export const indexFileName = (component: string): string => `${component}.index.jsonl.gz`;

/** The index format this version writes (manifest: index.format; absent = 1). */
export const INDEX_FORMAT = 2;

/** The bytes of a line's path, as a raw string (file-names.ts). */
export const rawPathOf = (l: IndexLine): RawPath => (l.b !== undefined ? Buffer.from(l.b, 'base64').toString('latin1') : rawOfText(l.p));

/** Path order of the index: the paths' bytes. */
export function comparePaths(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/**
 * mtime as the index records it: Math.floor(stat.mtimeMs), whole milliseconds (rsync -a keeps the
 * source's mtime). Whoever compares a file with its line computes it the same way, from the same
 * float, so the last digit agrees even where the float rounds a nanosecond value.
 */
export const indexMtime = (mtimeMs: number): number => Math.floor(mtimeMs);

interface WalkedFile {
  raw: RawPath;
  s: number;
  m: number;
  h?: string;
  w?: 1;
}

/** The regular files under root in index order (symlinks and special files are not files of the index). */
function* indexedFiles(tree: TreeRoot, onStat?: (path: string) => void): Generator<WalkedFile> {
  for (const e of walkTree(tree)) {
    if (e.kind !== 'file') continue;
    onStat?.(displayPath(e.raw));
    const st = lstatRaw(tree, e.raw);
    if (st?.isFile()) yield { raw: e.raw, s: st.size, m: indexMtime(st.mtimeMs) };
  }
}

const ASCII = /^[\x00-\x7f]*$/;

/** One line of the index file (written by hand: the fixed key order is also the cheapest). */
function lineText(l: WalkedFile): string {
  const path = ASCII.test(l.raw)
    ? `"p":${JSON.stringify(l.raw)}` // most paths: their raw form is their text
    : rawIsUtf8(l.raw)
    ? `"p":${JSON.stringify(textOf(l.raw))}`
    : `"p":${JSON.stringify(displayPath(l.raw))},"b":"${bytesOf(l.raw).toString('base64')}"`;
  return `{${path},"s":${l.s},"m":${l.m}${l.h ? `,"h":"${l.h}"` : ''}${l.w ? ',"w":1' : ''}}\n`;
}

/**
 * An index file's lines as text (gunzipped), in stored order, a chunk's worth at a time: one await
 * per 256 KiB, not per line (readline's per-line promise was most of the cost of reading 50 000 lines).
 */
export async function* readIndexTexts(file: string): AsyncGenerator<string[]> {
  const src = createReadStream(file, { highWaterMark: CHUNK });
  const input = src.pipe(createGunzip({ chunkSize: CHUNK }));
  src.on('error', (e) => input.destroy(e));
  input.setEncoding('utf8'); // a character split between two chunks is joined by the decoder
  try {
    let rest = '';
    for await (const chunk of input as AsyncIterable<string>) {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop()!;
      yield lines.filter((l) => l.length > 0);
    }
    if (rest) yield [rest];
  } finally {
    src.destroy(); // also when the reader stops early
    input.destroy();
  }
}

const CHUNK = 256 * 1024;

/** Reads an index file line by line (gunzipped, parsed), in its stored order. */
export async function* readIndex(file: string): AsyncGenerator<IndexLine> {
  for await (const lines of readIndexTexts(file)) for (const text of lines) yield JSON.parse(text) as IndexLine;
}

/** A plain line's path: printable ASCII, no escapes, no "b" after it. */
const PLAIN_PATH = /^\{"p":"([\x20-\x21\x23-\x5b\x5d-\x7e]*)","s":(\d+),/;

/**
 * The raw path of an index line's text without parsing the whole line: for a plain ASCII path
 * (nearly all) the text between the quotes is the path; anything else is parsed.
 */
export function rawPathOfText(text: string): RawPath {
  const m = PLAIN_PATH.exec(text);
  return m ? m[1]! : rawPathOf(JSON.parse(text) as IndexLine);
}

/** Whether this backup wrote the line's file ("w":1, always last when present), without parsing it. */
export const writtenLineText = (text: string): boolean => text.endsWith(',"w":1}');

export async function sha256File(path: string | Buffer): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * The previous index, read alongside the walk (or rsync's sorted listing): both are in index order,
 * so one forward pass finds every path that is in both. Only an index that still matches its
 * manifest's sha256 is read (the caller checks).
 */
class PreviousIndex {
  private readonly it: AsyncGenerator<string[]>;
  private batch: string[] = [];
  private at = 0;
  private cur: { raw: RawPath; text: string } | undefined;
  private started = false;
  constructor(file: string) {
    this.it = readIndexTexts(file);
  }
  private async advance(): Promise<void> {
    while (this.at >= this.batch.length) {
      const next = await this.it.next();
      if (next.done) {
        this.cur = undefined;
        return;
      }
      this.batch = next.value;
      this.at = 0;
    }
    const text = this.batch[this.at++]!;
    this.cur = { raw: rawPathOfText(text), text };
  }
  /** The previous line of this path as its text; paths must be asked in index order. */
  async textAt(raw: RawPath): Promise<string | undefined> {
    if (!this.started) {
      this.started = true;
      await this.advance();
    }
    // Raw strings compare as their bytes: the index's order.
    while (this.cur && this.cur.raw < raw) await this.advance();
    return this.cur?.raw === raw ? this.cur.text : undefined;
  }
  /** The previous line of this path, parsed (only the line asked for is). */
  async lineAt(raw: RawPath): Promise<IndexLine | undefined> {
    const text = await this.textAt(raw);
    return text === undefined ? undefined : (JSON.parse(text) as IndexLine);
  }
  /** The previous hash of a file that has the same size and mtime now. */
  async hashOf(line: WalkedFile): Promise<string | undefined> {
    const c = await this.lineAt(line.raw);
    return c && c.s === line.s && c.m === line.m && typeof c.h === 'string' ? c.h : undefined;
  }
  async close(): Promise<void> {
    await this.it.return(undefined);
  }
}

/**
 * What the copy reports of the files it put into the tree, in index order: src/backup/rsync-listing.ts
 * (RsyncListing) fills one from rsync's -ii lines. `active` is false when the copy could not list (then the tree is walked).
 */
export interface FileListing {
  readonly active: boolean;
  sorted(): Iterable<{ raw: RawPath; size: number; linked: boolean }>;
}

export interface IndexOptions {
  /** sha256 of every file (config verify.deepIndex). */
  deep: boolean;
  /** The previous index of the same folder (file and its sha256 from that manifest): lines of unchanged files are taken from it. */
  previous?: { file: string; sha256: string } | null;
  /**
   * rsync's list of the files it put into the tree (rsync-listing.ts): then the tree is not walked.
   * Files it linked unchanged keep their previous line; only the ones it wrote are looked at.
   */
  listing?: FileListing | null;
  signal?: AbortSignal;
  /** Told of every file whose content is read for its hash (tests count them; the log says how many). */
  onHashed?: (path: string, bytes: number) => void;
  /** Told of every file looked up on the disk (lstat) while indexing: tests count how few a quiet night needs. */
  onStat?: (path: string) => void;
}

export interface WrittenIndex {
  sha256: string;
  files: number;
  /** Files read for their hash in this run (the rest came from the previous index). */
  hashed: number;
  /** Files this backup wrote (rsync's listing); undefined when the tree was walked. */
  written?: number;
}

/** The regular files of rsync's listing as index lines: linked ones from the previous index, the rest from the disk. */
async function* listedFiles(tree: TreeRoot, listing: FileListing, previous: PreviousIndex | null, deep: boolean, onStat?: (path: string) => void): AsyncGenerator<WalkedFile | CarriedLine> {
  for (const f of listing.sorted()) {
    // Linked unchanged: the same inode the previous backup indexed, so its size, mtime and hash hold.
    if (f.linked && previous && !deep) {
      // A quiet night is nearly all of these: the previous line's text is taken as it is (without
      // its "w" mark), not parsed and written again.
      // (A line with a hash, from a deep night before, is written again without it, below.)
      const text = await previous.textAt(f.raw);
      if (text !== undefined && !text.includes(',"h":"') && sizeOfText(text) === f.size) {
        yield { carried: writtenLineText(text) ? `${text.slice(0, -',"w":1}'.length)}}` : text };
        continue;
      }
      const before = text === undefined ? undefined : (JSON.parse(text) as IndexLine);
      if (before && before.s === f.size) {
        yield { raw: f.raw, s: before.s, m: before.m };
        continue;
      }
    } else if (f.linked && previous) {
      const before = await previous.lineAt(f.raw);
      if (before && before.s === f.size) {
        yield { raw: f.raw, s: before.s, m: before.m, ...(before.h ? { h: before.h } : {}) };
        continue;
      }
    }
    onStat?.(displayPath(f.raw));
    // The copy as it is (the source may have grown while it was read): lstat, as the walk does.
    const st = lstatRaw(tree, f.raw);
    if (!st?.isFile()) continue; // vanished while rsync copied (its warning says so)
    yield { raw: f.raw, s: st.size, m: indexMtime(st.mtimeMs), ...(f.linked ? {} : { w: 1 as const }) };
  }
}

/** A previous line carried over unchanged, as text. */
interface CarriedLine {
  carried: string;
}

/** "s" of a line's text: read off a plain line, else parsed. */
function sizeOfText(text: string): number {
  const m = PLAIN_PATH.exec(text);
  return m ? Number(m[2]) : (JSON.parse(text) as IndexLine).s;
}

async function* walkedFiles(tree: TreeRoot, onStat?: (path: string) => void): AsyncGenerator<WalkedFile> {
  for (const f of indexedFiles(tree, onStat)) yield f;
}

/** Writes the index of the tree at `tree` into `file` (new, 0600, fsync'd) and returns its sha256 and counts. */
export async function writeIndex(tree: string, file: string, opts: IndexOptions): Promise<WrittenIndex> {
  let previous: PreviousIndex | null = null;
  // Its lines are taken for files rsync linked (a listing) and for hashes (deep): it must be what
  // its manifest recorded, or its wrong lines would be handed on (a few MB to check at most).
  if (opts.previous && (opts.deep || opts.listing?.active)) {
    const ok = await readFile(opts.previous.file)
      .then((b) => createHash('sha256').update(b).digest('hex') === opts.previous!.sha256)
      .catch(() => false);
    if (ok) previous = new PreviousIndex(opts.previous.file);
  }
  let files = 0;
  let hashed = 0;
  let written = 0;
  const root = new TreeRoot(tree);
  const source: AsyncGenerator<WalkedFile | CarriedLine> = opts.listing?.active ? listedFiles(root, opts.listing, previous, opts.deep, opts.onStat) : walkedFiles(root, opts.onStat);
  async function* lines(): AsyncGenerator<string> {
    // ~64 KiB per chunk: one stream chunk per line would cost more than the line itself.
    let batch = '';
    for await (const line of source) {
      files++;
      if ('carried' in line) batch += `${line.carried}\n`;
      else {
        if (opts.deep && line.h === undefined) {
          line.h = await previous?.hashOf(line);
          if (line.h === undefined) {
            line.h = await sha256File(root.path(line.raw));
            hashed++;
            opts.onHashed?.(displayPath(line.raw), line.s);
          }
        }
        if (!opts.deep) delete line.h;
        if (line.w) written++;
        batch += lineText(line);
      }
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
    return { sha256: w.sha256, files, hashed, ...(opts.listing?.active ? { written } : {}) };
  } finally {
    root.close();
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
  listing?: FileListing | null,
): Promise<FolderIndex> {
  const name = indexFileName(component);
  const before = previous?.manifest.components.find((m) => m.name === component && m.type === 'folder')?.index;
  const w = await writeIndex(join(backupPath, component), join(backupPath, name), {
    deep,
    // Its hashes only when it was deep; its sizes and mtimes for what rsync linked from it.
    previous: before && previous && (!deep || before.deep) ? { file: join(previous.path, before.path), sha256: before.sha256 } : null,
    listing,
    signal: ctx.signal,
  });
  ctx.reporter.info('run.index.written', {
    name: component,
    count: w.files,
    deep: deep ? { key: 'run.index.deep', params: { hashed: w.hashed } } : '',
  });
  return { path: name, sha256: w.sha256, files: w.files, deep, format: INDEX_FORMAT, ...(w.written !== undefined ? { written: w.written } : {}) };
}

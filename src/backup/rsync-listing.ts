// What rsync itself says about every file it puts into a snapshot, so the file index can be built
// without walking the snapshot again (one walk per night: rsync's). With `-ii` rsync itemizes every
// entry of the new tree, also the unchanged ones it hard-linked from the previous snapshot
// (a single -i would leave those out), and our --out-format puts each on a line of its own:
//
//   PBI >f+++++++++ 4 Briefe/neu.pdf        written tonight (new)
//   PBI >f.st...... 11 Briefe/geaendert.pdf written tonight (content changed)
//   PBI cf........x 6 Notiz.txt             written tonight (a local copy: only its xattr/ACL/mode/owner changed)
//   PBI hf          3 Briefe/alt.pdf        unchanged: the previous snapshot's inode, linked (--link-dest)
//   PBI hf+++++++++ 11 b.pdf                an in-tree hard link to a file sent tonight
//   PBI cd          4096 Briefe/            not a regular file: not in the index
//
// The first letter after the flags' position is the type (f = regular file). Names come last and in
// rsync's escaped form (file-names.ts:rawOfRsync): a newline in a name is "\#012", so a line never
// breaks inside a name. rsync lists a directory's files before its subdirectories' contents, which
// is not the index's byte order: the entries are kept as compact strings and sorted once (500 000
// files ≈ 50 MB, less than the two maps the verification used to build).
import type { RawPath } from '../backup-directory/file-names';
import { rawOfRsync } from '../backup-directory/file-names';
import type { ToolInfo } from '../process/tool-locator';
import { closeSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const PREFIX = 'PBI ';

/** rsync 3 itemizes with --out-format; Apple's openrsync and 2.6.9 are left to the walk. */
export function supportsListing(rsync: ToolInfo): boolean {
  return rsync.major >= 3 && !/^openrsync/.test(rsync.version);
}

/** The options that make rsync list every entry of the new tree, one per line. */
export const LISTING_ARGS = ['-ii', `--out-format=${PREFIX}%i %l %n`];

export interface ListedFile {
  raw: RawPath;
  /** Size as rsync's file list had it (the index takes the copy's own, see folder-index.ts). */
  size: number;
  /** Unchanged and hard-linked: the same inode as before, so its previous index line still holds. */
  linked: boolean;
}

/** A copy of the string as one plain run of bytes (one char per byte: raw paths are latin1). */
const flat = (s: string): string => Buffer.from(s, 'latin1').toString('latin1');

/** Printable ASCII without rsync's escape: most names, taken as they are. */
const PLAIN = /^[\x20-\x7e]*$/;

/** One listing line → a regular file, or null for a directory, link, device or anything not ours. */
export function parseListingLine(line: string): ListedFile | 'other' | null {
  if (!line.startsWith(PREFIX)) return null;
  const flags = line.slice(PREFIX.length, PREFIX.length + 11);
  if (flags[1] !== 'f') return 'other';
  const rest = line.slice(PREFIX.length + 12);
  const space = rest.indexOf(' ');
  if (space <= 0) return null;
  const name = rest.slice(space + 1);
  // "hf" and nothing else: no attribute of it changed. "hf+++++++++" is a new in-tree link.
  return { raw: PLAIN.test(name) && !name.includes('\\#') ? name : rawOfRsync(name), size: Number(rest.slice(0, space)), linked: flags === 'hf         ' };
}

/**
 * Collects the regular files of one rsync run. Each is one string "<raw path>\0<l|w><size>": NUL
 * cannot be in a path and sorts before every byte, so the strings sort exactly as their paths' bytes.
 *
 * Memory stays flat however big the folder: every `chunk` entries are sorted and written to a
 * spill file (in `spillDir`, the backup's own unfinished folder, 0600), and sorted() merges the
 * files. A record there is the entry and "\n": the part after the NUL holds no newline, so a name
 * with a newline in it is still read back whole (the NUL comes first).
 */
export class RsyncListing {
  private items: string[] = [];
  private readonly spills: string[] = [];
  private count = 0;
  /** Lines that looked like ours but could not be read: then the listing is not trusted. */
  broken = 0;
  written = 0;
  /** Set by the copy when its rsync was asked to list (supportsListing); otherwise the index walks the tree. */
  active = false;

  constructor(private readonly spill: { dir: string; chunk?: number } | null = null) {}

  /** Takes a stdout line of the rsync run: true when it was a listing line. */
  take(line: string): boolean {
    const f = parseListingLine(line);
    if (f === 'other') return true;
    if (!f) {
      if (line.startsWith(PREFIX)) this.broken++;
      return line.startsWith(PREFIX);
    }
    if (!Number.isFinite(f.size)) this.broken++;
    if (!f.linked) this.written++;
    this.count++;
    // A fresh flat string: the pieces above are slices of the whole line and a concatenation (a rope),
    // which would keep every line alive (measured: 236 bytes a file instead of about 90).
    this.items.push(flat(`${f.raw}\0${f.linked ? 'l' : 'w'}${f.size}`));
    if (this.spill && this.items.length >= (this.spill.chunk ?? SPILL_CHUNK)) this.spillItems();
    return true;
  }

  get files(): number {
    return this.count;
  }

  private spillItems(): void {
    const file = join(this.spill!.dir, `.listing-${process.pid}-${this.spills.length}`);
    // Raw strings are one char per byte: the default sort (UTF-16 code units) is byte order.
    this.items.sort();
    writeFileSync(file, Buffer.from(this.items.join('\n') + '\n', 'latin1'), { mode: 0o600, flag: 'wx' });
    this.spills.push(file);
    this.items = [];
  }

  /** The files in index order (path bytes). The listing is consumed; its spill files are removed. */
  *sorted(): Generator<ListedFile> {
    if (!this.spills.length) {
      this.items.sort();
      for (let i = 0; i < this.items.length; i++) {
        const s = this.items[i]!;
        this.items[i] = ''; // let the strings go as they are written out
        yield entry(s);
      }
      this.items = [];
      return;
    }
    if (this.items.length) this.spillItems();
    const readers = this.spills.map((f) => new SpillReader(f));
    try {
      const heads = readers.map((r) => r.next());
      for (;;) {
        // A few files (one per SPILL_CHUNK entries): the smallest head by a plain scan.
        let min = -1;
        for (let i = 0; i < heads.length; i++) if (heads[i] !== null && (min < 0 || heads[i]! < heads[min]!)) min = i;
        if (min < 0) break;
        yield entry(heads[min]!);
        heads[min] = readers[min]!.next();
      }
    } finally {
      for (const r of readers) r.close();
      for (const f of this.spills) rmSync(f, { force: true });
      this.spills.length = 0;
    }
  }

  /** Spill files left by a copy that failed before sorted() ran. */
  discard(): void {
    for (const f of this.spills) rmSync(f, { force: true });
    this.spills.length = 0;
    this.items = [];
  }
}

/** Entries held in memory before they are sorted into a spill file (about 9 MB of strings). */
const SPILL_CHUNK = 100_000;

function entry(s: string): ListedFile {
  const nul = s.lastIndexOf('\0');
  return { raw: s.slice(0, nul), linked: s[nul + 1] === 'l', size: Number(s.slice(nul + 2)) };
}

/** Reads a spill file's records in order, a block at a time. */
class SpillReader {
  private readonly fd: number;
  private buf = '';
  private pos = 0;
  private eof = false;
  private readonly block = Buffer.alloc(256 * 1024);
  constructor(file: string) {
    this.fd = openSync(file, 'r');
  }
  next(): string | null {
    for (;;) {
      const nul = this.buf.indexOf('\0', this.pos);
      const end = nul < 0 ? -1 : this.buf.indexOf('\n', nul);
      if (end >= 0) {
        const rec = flat(this.buf.slice(this.pos, end));
        this.pos = end + 1;
        return rec;
      }
      if (this.eof) return null;
      const n = readSync(this.fd, this.block, 0, this.block.length, null);
      if (n === 0) this.eof = true;
      this.buf = this.buf.slice(this.pos) + this.block.toString('latin1', 0, n);
      this.pos = 0;
    }
  }
  close(): void {
    closeSync(this.fd);
  }
}

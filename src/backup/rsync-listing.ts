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
 */
export class RsyncListing {
  private readonly items: string[] = [];
  /** Lines that looked like ours but could not be read: then the listing is not trusted. */
  broken = 0;
  written = 0;
  /** Set by the copy when its rsync was asked to list (supportsListing); otherwise the index walks the tree. */
  active = false;

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
    // A fresh flat string: the pieces above are slices of the whole line and a concatenation (a rope),
    // which would keep every line alive (measured: 236 bytes a file instead of about 90).
    this.items.push(flat(`${f.raw}\0${f.linked ? 'l' : 'w'}${f.size}`));
    return true;
  }

  get files(): number {
    return this.items.length;
  }

  /** The files in index order (path bytes). Sorts once; the listing is consumed. */
  *sorted(): Generator<ListedFile> {
    // Raw strings are one char per byte: the default sort (UTF-16 code units) is byte order.
    this.items.sort();
    for (let i = 0; i < this.items.length; i++) {
      const s = this.items[i]!;
      this.items[i] = ''; // let the strings go as they are written out
      const nul = s.lastIndexOf('\0');
      yield { raw: s.slice(0, nul), linked: s[nul + 1] === 'l', size: Number(s.slice(nul + 2)) };
    }
    this.items.length = 0;
  }
}

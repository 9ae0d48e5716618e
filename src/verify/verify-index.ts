// The folder index check of `verify`: a folder component's files against the index the backup
// recorded beside its manifest (<name>.index.jsonl.gz, format in manifest.ts). Finds files that
// are missing, extra, of another size or touched after the backup (mtime), and reads file contents:
// every file with --deep, otherwise a sample (see sampleOf). Content is compared with the index's
// "h" where it has one, else with the same file in a reference copy (the local backup, when a
// mirror's copy is checked); with neither, the bytes are still read so unreadable files show up.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Message } from '../i18n';
import { sha256File } from './copy-check';
import { bytesOf, displayPath, rawIsUtf8, type RawPath } from '../backup-directory/file-names';
import { rawPathOf, rawPathOfText, readIndex, readIndexTexts, writtenLineText, type IndexLine } from '../backup-directory/folder-index';
import type { ManifestComponent } from '../backup-directory/manifest';
import { breathe, lstatRaw, TreeRoot, walkTree } from '../backup-directory/tree-walk';

/**
 * mtimes may differ by this much without counting as a change: FAT32 stores them in 2-second
 * steps, so a correct copy on such a USB disk differs by up to 2 s from the original.
 */
export const MTIME_SLACK_MS = 2000;
/** Problems of one kind are named up to this many files, then counted: a thousand names help nobody. */
const NAMED = 10;

export interface IndexCheck {
  problems: Message[];
  /** Files whose content was read and compared (or, without anything to compare with, read). */
  contentChecked: number;
  files: number;
  /** How many files the sample held, when it was a sample. */
  sampled?: number;
}

/** The index by path bytes (folder-index.ts reads it, streamed). */
async function indexByPath(file: string): Promise<Map<RawPath, IndexLine>> {
  const lines = new Map<RawPath, IndexLine>();
  for await (const l of readIndex(file)) lines.set(rawPathOf(l), l);
  return lines;
}

/** Regular files below the tree by path bytes. Symlinks are not files of their own (rsync copies them as links). */
async function listFiles(tree: TreeRoot, signal: AbortSignal): Promise<Map<RawPath, { size: number; mtimeMs: number }>> {
  const out = new Map<RawPath, { size: number; mtimeMs: number }>();
  let n = 0;
  for (const e of walkTree(tree)) {
    if (++n % 2000 === 0) {
      await breathe();
      signal.throwIfAborted();
    }
    if (e.kind !== 'file') continue;
    const st = lstatRaw(tree, e.raw);
    if (st?.isFile()) out.set(e.raw, { size: st.size, mtimeMs: st.mtimeMs });
  }
  return out;
}

/** 20 files or 1 %, whichever is more: small folders are read almost whole, big ones in a hundredth. */
export function sampleSize(files: number): number {
  return Math.min(files, Math.max(20, Math.ceil(files / 100)));
}

/**
 * The sample: the files with the smallest sha256(seed + NUL + path). Deterministic for a seed (a
 * verification can be repeated exactly: the seed is in verification.json), and the caller's seed
 * holds the backup id and the day, so each night's backup — and the same backup on another
 * day — gets a different part of the folder read. Paths are raw (file-names.ts): their bytes are
 * hashed, the same bytes as a UTF-8 name's text.
 */
export function sampleOf(paths: RawPath[], seed: string, n = sampleSize(paths.length)): RawPath[] {
  return paths
    .map((p) => ({ p, k: createHash('sha256').update(seed).update('\0').update(bytesOf(p)).digest('hex') }))
    .sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0))
    .slice(0, n)
    .map((x) => x.p);
}

const named = (list: string[]) => list.slice(0, NAMED).join(', ') + (list.length > NAMED ? `, … (+${list.length - NAMED})` : '');
/** Raw paths (sorted by their bytes) for a message: escaped and readable (file-names.ts). */
const namedPaths = (list: RawPath[]) => named(list.sort().map(displayPath));

export interface IndexCheckOptions {
  /** The backup folder (manifest's directory). */
  backupPath: string;
  entry: ManifestComponent & { index: NonNullable<ManifestComponent['index']> };
  deep: boolean;
  seed: string;
  /** The same backup elsewhere (the local one, for a mirror's copy): content reference where the index has no "h". */
  referencePath?: string;
  signal: AbortSignal;
  /** After each file whose content was read (--deep reads them all, which takes long): for the progress line. */
  onRead?: (done: { files: number; totalFiles: number; bytes: number; totalBytes: number }) => void;
}

/** The index file as its manifest recorded it, or the check's only finding: a missing or damaged index says nothing reliable about the files. */
async function indexFileProblem(o: Pick<IndexCheckOptions, 'backupPath' | 'entry'>): Promise<IndexCheck | null> {
  const { entry } = o;
  const component = entry.name;
  let stored: string;
  try {
    stored = (await sha256File(join(o.backupPath, entry.index.path))).sha256;
  } catch (e) {
    return { problems: [{ key: 'verify.index.missing', params: { component, file: entry.index.path, message: (e as Error).message } }], contentChecked: 0, files: 0 };
  }
  if (stored !== entry.index.sha256) return { problems: [{ key: 'verify.index.damaged', params: { component, file: entry.index.path } }], contentChecked: 0, files: 0 };
  return null;
}

export async function checkFolderIndex(o: IndexCheckOptions): Promise<IndexCheck> {
  const { entry } = o;
  const problems: Message[] = [];
  const indexFile = join(o.backupPath, entry.index.path);
  const bad = await indexFileProblem(o);
  if (bad) return bad;
  const index = await indexByPath(indexFile);
  const tree = new TreeRoot(join(o.backupPath, entry.path));
  try {
    return await compare(o, index, tree, problems);
  } finally {
    tree.close();
  }
}

async function compare(o: IndexCheckOptions, index: Map<RawPath, IndexLine>, tree: TreeRoot, problems: Message[]): Promise<IndexCheck> {
  const { entry } = o;
  const component = entry.name;
  const onDisk = await listFiles(tree, o.signal).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT' && !lstatRaw(tree, '')) return new Map<RawPath, { size: number; mtimeMs: number }>();
    throw e;
  });

  const missing: RawPath[] = [];
  const extra: RawPath[] = [];
  const sizeDiffers: string[] = [];
  const touched: RawPath[] = [];
  const sameSize: RawPath[] = [];
  for (const [p, l] of index) {
    const f = onDisk.get(p);
    if (!f) {
      // A symlink in the index is there as a link: not missing.
      if (!lstatRaw(tree, p)?.isSymbolicLink()) missing.push(p);
      continue;
    }
    if (f.size !== l.s) sizeDiffers.push(`${displayPath(p)} (${f.size} ≠ ${l.s} B)`);
    else {
      sameSize.push(p);
      if (Math.abs(f.mtimeMs - l.m) > MTIME_SLACK_MS) touched.push(p);
    }
  }
  // A format-1 index could not record names that are not UTF-8: their absence is no finding.
  const recordsAll = (entry.index.format ?? 1) >= 2;
  for (const p of onDisk.keys()) if (!index.has(p) && (recordsAll || rawIsUtf8(p))) extra.push(p);
  if (index.size !== entry.index.files) {
    problems.push({ key: 'verify.index.count', params: { component, lines: index.size, files: entry.index.files } });
  }
  if (missing.length) problems.push({ key: 'verify.index.missingFiles', params: { component, count: missing.length, files: namedPaths(missing) } });
  if (extra.length) problems.push({ key: 'verify.index.extraFiles', params: { component, count: extra.length, files: namedPaths(extra) } });
  if (sizeDiffers.length) problems.push({ key: 'verify.index.sizeDiffers', params: { component, count: sizeDiffers.length, files: named(sizeDiffers.sort()) } });
  if (touched.length) problems.push({ key: 'verify.index.mtimeDiffers', params: { component, count: touched.length, files: namedPaths(touched) } });

  // Contents: all with --deep, else the sample (among the files whose size is right: the others are reported already).
  sameSize.sort();
  const toRead = o.deep ? sameSize : sampleOf(sameSize, o.seed);
  const contentDiffers: RawPath[] = [];
  const unreadable: string[] = [];
  const reference = o.referencePath ? new TreeRoot(join(o.referencePath, entry.path)) : null;
  const totalBytes = toRead.reduce((sum, p) => sum + index.get(p)!.s, 0);
  let readFiles = 0;
  let readBytes = 0;
  try {
    for (const p of toRead) {
      o.signal.throwIfAborted();
      if (readFiles > 0) o.onRead?.({ files: readFiles, totalFiles: toRead.length, bytes: readBytes, totalBytes });
      readFiles++;
      readBytes += index.get(p)!.s;
      let h: string;
      try {
        h = (await sha256File(tree.path(p))).sha256;
      } catch (e) {
        unreadable.push(`${displayPath(p)} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
        continue;
      }
      const want = index.get(p)!.h ?? (reference ? await sha256File(reference.path(p)).then((r) => r.sha256, () => undefined) : undefined);
      if (want !== undefined && want !== h) contentDiffers.push(p);
    }
  } finally {
    reference?.close();
  }
  if (readFiles > 0) o.onRead?.({ files: readFiles, totalFiles: toRead.length, bytes: readBytes, totalBytes });
  if (contentDiffers.length) problems.push({ key: 'verify.index.contentDiffers', params: { component, count: contentDiffers.length, files: named(contentDiffers.map(displayPath)) } });
  if (unreadable.length) problems.push({ key: 'verify.index.unreadable', params: { component, count: unreadable.length, files: named(unreadable) } });
  return { problems, contentChecked: toRead.length, files: index.size, ...(o.deep ? {} : { sampled: toRead.length }) };
}

/**
 * The slice of the folder a file belongs to (0 … nights-1), for the check after each backup: FNV-1a
 * of the path's bytes. It depends on the path only, so a file stays in its slice from night to
 * night and nights k, k+1, … k+nights-1 read every file once.
 */
export function sliceOf(raw: RawPath, nights: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < raw.length; i++) h = Math.imul(h ^ raw.charCodeAt(i), 0x01000193);
  return (h >>> 0) % nights;
}

/** Tonight's slice: the day number of the run's clock (UTC days, no time zone), modulo nights. */
export const nightSlice = (now: Date, nights: number): number => Math.floor(now.getTime() / 86_400_000) % nights;

/** Files up to this size are read by the night check in one synchronous call. */
const ONE_READ = 1 << 20;

/** A number in [0, 1) from the seed and the path: which of tonight's written files are read back. */
function draw(seed: string, raw: RawPath): number {
  return createHash('sha256').update(seed).update('\0').update(bytesOf(raw)).digest().readUInt32BE(0) / 2 ** 32;
}

export interface NightCheckOptions extends Omit<IndexCheckOptions, 'deep' | 'referencePath'> {
  /** Each file is read back once within this many nights (config verify.readAllWithinNights). */
  nights: number;
  /** Tonight's slice (nightSlice). */
  slice: number;
}

/**
 * The check right after a backup, without walking the snapshot again (rsync walked it, and the
 * index was built from rsync's listing): the index against its recorded sha256 and count, then
 * every file of tonight's slice and a sample of the files this backup wrote ("w" in the index, 20
 * or 1 % as the verify sample) looked up and read: missing, another size, touched, content (against
 * "h" where the index has it, otherwise read so an unreadable file shows). The index is streamed:
 * nothing of the size of the tree is held. Extra files are found by `verify`, which walks.
 */
export async function checkFolderNight(o: NightCheckOptions): Promise<IndexCheck> {
  const { entry } = o;
  const component = entry.name;
  const problems: Message[] = [];
  const indexFile = join(o.backupPath, entry.index.path);
  const bad = await indexFileProblem(o);
  if (bad) return bad;

  const written = entry.index.written ?? 0;
  const rate = written > 0 ? sampleSize(written) / written : 0;
  const tree = new TreeRoot(join(o.backupPath, entry.path));
  const missing: RawPath[] = [];
  const sizeDiffers: string[] = [];
  const touched: RawPath[] = [];
  const contentDiffers: RawPath[] = [];
  const unreadable: string[] = [];
  let lines = 0;
  let read = 0;
  let readBytes = 0;
  const toRead: { p: RawPath; h?: string; s: number }[] = [];
  try {
    for await (const texts of readIndexTexts(indexFile)) {
      o.signal.throwIfAborted();
      for (const text of texts) {
        lines++;
        // Only the night's lines are parsed: the path and the "w" mark are read off the text.
        const p = rawPathOfText(text);
        if (sliceOf(p, o.nights) !== o.slice && !(writtenLineText(text) && draw(o.seed, p) < rate)) continue;
        const l = JSON.parse(text) as IndexLine;
        const st = lstatRaw(tree, p);
        if (!st?.isFile()) {
          if (!st?.isSymbolicLink()) missing.push(p);
          continue;
        }
        if (st.size !== l.s) {
          sizeDiffers.push(`${displayPath(p)} (${st.size} ≠ ${l.s} B)`);
          continue;
        }
        if (Math.abs(st.mtimeMs - l.m) > MTIME_SLACK_MS) touched.push(p);
        toRead.push({ p, h: l.h, s: l.s });
      }
    }
    // Most attachments are small: read in one synchronous call each (a promise round trip per
    // open/stat/read/close cost more than the bytes), larger ones streamed; the event loop gets a
    // turn every few files, so a cancel is heard.
    for (const f of toRead) {
      if ((read + unreadable.length) % 64 === 0) {
        await breathe();
        o.signal.throwIfAborted();
      }
      let h: string;
      try {
        h = f.s <= ONE_READ ? createHash('sha256').update(readFileSync(tree.path(f.p))).digest('hex') : (await sha256File(tree.path(f.p))).sha256;
      } catch (e) {
        unreadable.push(`${displayPath(f.p)} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
        continue;
      }
      if (f.h !== undefined && f.h !== h) contentDiffers.push(f.p);
      read++;
      readBytes += f.s;
      o.onRead?.({ files: read, totalFiles: toRead.length, bytes: readBytes, totalBytes: 0 });
    }
  } finally {
    tree.close();
  }
  read += unreadable.length; // read (tried) all the same: counted as checked, reported below
  if (lines !== entry.index.files) problems.push({ key: 'verify.index.count', params: { component, lines, files: entry.index.files } });
  if (missing.length) problems.push({ key: 'verify.index.missingFiles', params: { component, count: missing.length, files: namedPaths(missing) } });
  if (sizeDiffers.length) problems.push({ key: 'verify.index.sizeDiffers', params: { component, count: sizeDiffers.length, files: named(sizeDiffers.sort()) } });
  if (touched.length) problems.push({ key: 'verify.index.mtimeDiffers', params: { component, count: touched.length, files: namedPaths(touched) } });
  if (contentDiffers.length) problems.push({ key: 'verify.index.contentDiffers', params: { component, count: contentDiffers.length, files: namedPaths(contentDiffers) } });
  if (unreadable.length) problems.push({ key: 'verify.index.unreadable', params: { component, count: unreadable.length, files: named(unreadable.sort()) } });
  return { problems, contentChecked: read, files: lines, sampled: read };
}

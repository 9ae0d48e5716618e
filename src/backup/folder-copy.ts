// A folder component: `rsync -a` into <backup>/<name>/, with files unchanged since the previous
// complete backup hard-linked into it (--link-dest), so every backup is a full, browsable tree
// that costs only the changed bytes. With -H -A -X -S --numeric-ids where the rsync has them
// (rsync-fidelity.ts): a file whose xattr or ACL changed is then a new copy, not a link.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FolderComponent } from '../config/schema';
import type { Message, MessageKey } from '../i18n';
import { run, CommandError, type CommandPlan } from '../process/runner';
import { ExitCode, PraxisError } from '../core/errors';
import { treeStats } from '../verify/copy-check';
import type { ProgressNumbers } from '../run/events';
import type { ManifestComponent } from '../backup-directory/manifest';
import { displayRsync } from '../backup-directory/file-names';
import type { StepContext } from '../run/step-context';
import type { ToolInfo } from '../process/tool-locator';
import { attributeNotKept, rsyncFidelity, type Keepable } from './rsync-fidelity';
import { LISTING_ARGS, supportsListing, type RsyncListing } from './rsync-listing';

export interface RsyncStats {
  files: number;
  bytes: number;
  bytesCopied: number;
}

export function rsyncMeaningKey(code: number): MessageKey {
  const known = [0, 1, 2, 3, 4, 5, 6, 10, 11, 12, 13, 14, 20, 21, 22, 23, 24, 25, 30, 35];
  return (known.includes(code) ? `rsync.exit.${code}` : 'rsync.exit.unknown') as MessageKey;
}

/** rsync 3.1+ can report overall progress; Apple's openrsync and 2.6.9 reject --info. */
export function supportsProgress2(rsync: ToolInfo): boolean {
  return rsync.major > 3 || (rsync.major === 3 && rsync.minor >= 1);
}

export function planRsync(
  rsync: ToolInfo,
  c: FolderComponent,
  dest: string,
  linkDest: string | null,
  listing = false,
): CommandPlan {
  const args = ['-a', ...rsyncFidelity(rsync).args, '--stats'];
  if (supportsProgress2(rsync)) args.push('--info=progress2');
  if (listing) args.push(...LISTING_ARGS);
  if (linkDest) args.push(`--link-dest=${linkDest}`);
  for (const ex of c.exclude ?? []) args.push(`--exclude=${ex}`);
  // Trailing slashes: copy the folder's content into <name>/, not a nested folder.
  args.push(`${c.path.replace(/\/+$/, '')}/`, `${dest.replace(/\/+$/, '')}/`);
  return { label: `rsync (${c.name})`, file: rsync.path, args, okExitCodes: [0], warnExitCodes: [24] };
}

const num = (s: string | undefined) => Number((s ?? '').replace(/[,.']/g, '')) || 0;

/** Reads the `--stats` block of rsync 3.x. Returns null if it is not there (openrsync, older rsync). */
export function parseRsyncStats(lines: string[]): RsyncStats | null {
  const text = lines.join('\n');
  const files = /Number of files: [\d,.']+ \(reg: ([\d,.']+)/.exec(text);
  const total = /Total file size: ([\d,.']+) bytes/.exec(text);
  const copied = /Total transferred file size: ([\d,.']+) bytes/.exec(text);
  if (!total || !copied) return null;
  return { files: files ? num(files[1]) : 0, bytes: num(total[1]), bytesCopied: num(copied[1]) };
}

/** "   1,234,567  45%  12.34MB/s  0:00:12 (xfr#…)" → 45 */
export function parseProgress2(line: string): number | null {
  return parseProgress2Numbers(line)?.percent ?? null;
}

const RATE_UNIT: Record<string, number> = { '': 1, k: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/**
 * Everything an --info=progress2 line says: bytes done, percent, rate (rsync's kB are 1024 bytes),
 * time left, files checked of all ("to-chk=left/total"). While rsync still scans ("ir-chk") the
 * total grows, so neither the file total nor its time estimate is given; the 100% line shows the
 * elapsed time in that column, not time left.
 */
export function parseProgress2Numbers(line: string): ({ percent: number } & ProgressNumbers) | null {
  const m = /^\s*([\d,.']+)\s+(\d{1,3})%(?:\s+([\d.,]+)([kMGT]?)B\/s\s+(\d+):(\d\d):(\d\d))?(?:.*\((?:xfr#\d+, )?(ir|to)-chk=(\d+)\/(\d+)\))?/.exec(line);
  if (!m) return null;
  const percent = Number(m[2]);
  const r: { percent: number } & ProgressNumbers = { percent, bytes: num(m[1]) };
  // A rate of 0 is rsync's first line, before it has measured anything: no rate, no time left.
  const rate = m[3] === undefined ? 0 : Math.round(Number(m[3].replace(',', '.')) * RATE_UNIT[m[4] ?? '']!);
  if (rate > 0) r.bytesPerSecond = rate;
  const known = m[8] === 'to';
  if (m[8]) {
    r.files = Number(m[10]) - Number(m[9]);
    if (known) r.totalFiles = Number(m[10]);
  }
  if (rate > 0 && percent < 100 && m[8] !== 'ir') r.secondsLeft = Number(m[5]) * 3600 + Number(m[6]) * 60 + Number(m[7]);
  return r;
}

// rsync's error lines name files in its own escaped form ("\#366" for a byte that is not UTF-8, "\#012"
// for a newline in a name): shown to people as file-names.ts does everywhere ("R\xf6ntgen.pdf").
const VANISHED = /file has vanished: "?(.+?)"?$/;
const DENIED = /(Permission denied|Operation not permitted)/;
const GONE = /No such file or directory/;
const TOO_LONG = /overflows max-path len|File name too long/;
/** An rsync error line for a message: without "rsync: [sender] ", its quoted names readable. */
export const rsyncLineText = (line: string): string =>
  line.replace(/^rsync: (\[[\w-]+\] )?/, '').replace(/"([^"]*)"/g, (_, name: string) => `"${displayRsync(name)}"`);

export async function copyFolder(
  ctx: StepContext,
  c: FolderComponent,
  backupPath: string,
  previousBackupPath: string | null,
  /** Filled with rsync's own list of the files it put into the snapshot (when the rsync can list them). */
  listing?: RsyncListing,
): Promise<ManifestComponent> {
  const st = await stat(c.path).catch(() => null);
  if (!st?.isDirectory()) throw new PraxisError('error.sourceMissing', { name: c.name, path: c.path });

  const rsync = await ctx.tools.find('rsync');
  reportRsync(ctx.reporter, rsync);
  const dest = join(backupPath, c.name);
  let linkDest: string | null = null;
  if (previousBackupPath) {
    const prev = join(previousBackupPath, c.name);
    if ((await stat(prev).catch(() => null))?.isDirectory()) linkDest = prev;
  }
  if (listing) listing.active = supportsListing(rsync);
  const plan = planRsync(rsync, c, dest, linkDest, listing?.active ?? false);
  const vanished: string[] = [];
  const denied: string[] = [];
  const gone: string[] = [];
  const tooLong: string[] = [];
  let vanishedCount = 0;
  let noSpace = false;
  const attrs = new AttributeLoss();
  let result;
  try {
    result = await run(plan, {
      signal: ctx.signal,
      // A listing (a line per file) goes into a file in the unfinished backup folder and is read
      // from there, not through a pipe that wakes us for every few lines and slows rsync down.
      stdoutFile: listing?.active ? { path: join(backupPath, `.rsync-out-${process.pid}`) } : undefined,
      onStdoutLine: (line) => {
        if (listing?.active && listing.take(line)) return;
        const p = parseProgress2Numbers(line);
        if (p) ctx.reporter.progress(c.name, p.percent, 'copy', p);
      },
      onStderrLine: (line) => {
        const v = VANISHED.exec(line);
        if (attrs.take(line)) return;
        if (v) {
          vanishedCount++;
          if (vanished.length < 5) vanished.push(displayRsync(v[1]!));
        } else if (DENIED.test(line)) {
          if (denied.length < 10) denied.push(rsyncLineText(line));
        } else if (GONE.test(line)) {
          if (gone.length < 10) gone.push(rsyncLineText(line));
        } else if (TOO_LONG.test(line) && tooLong.length < 3) tooLong.push(rsyncLineText(line).slice(0, 300));
        if (/No space left on device/.test(line)) noSpace = true;
      },
    });
  } catch (e) {
    if (!(e instanceof CommandError) || e.reason !== 'exit') throw e;
    if (noSpace) throw Object.assign(new Error('rsync: No space left on device'), { code: 'ENOSPC' });
    const code = e.exitCode ?? -1;
    // openrsync has no exit code 24: vanished files come back as 23. Only when every error was
    // a vanished file is that a warning and not a failure.
    // The same for attributes the target cannot hold: every file is there, only its xattrs/ACLs are not.
    const onlyKnown = (l: string) => VANISHED.test(l) || attributeNotKept(l) !== null || !/error|failed/i.test(l) || /^rsync error: some files\/attrs were not transferred/.test(l);
    if (code === 23 && (vanishedCount > 0 || attrs.lost.size > 0) && denied.length === 0 && gone.length === 0 && tooLong.length === 0 && attrs.otherThanAttributes === 0 && e.stderrTail.every(onlyKnown)) {
      result = { exitCode: attrs.lost.size ? 23 : 24, warning: true, stdoutTail: e.stdoutTail, stderrTail: e.stderrTail, durationMs: 0 };
    } else {
      // 23 says only "some files/attrs were not transferred": what rsync said decides the words.
      // A source folder that is gone now (unmounted share, removed while the databases were being
      // dumped) is that, not missing permissions.
      if (code === 23 && gone.length && !(await stat(c.path).catch(() => null))?.isDirectory()) {
        throw new PraxisError('error.sourceVanished', { name: c.name, path: c.path }, ExitCode.failed, e.stderrTail.slice(-10));
      }
      const permission = code === 23 && denied.length > 0;
      const details: Message[] = [];
      if (permission) details.push({ key: 'error.rsync.permission', params: { files: denied.join('; ') } });
      if (code === 23 && gone.length) details.push({ key: 'error.rsync.gone', params: { files: gone.join('; ') } });
      if (code === 23 && tooLong.length) details.push({ key: 'error.rsync.tooLong', params: { files: tooLong.join('; ') } });
      throw new PraxisError(
        'error.rsync',
        {
          name: c.name,
          code,
          meaning: { key: rsyncMeaningKey(code) },
          details: details.length ? details.reduce((a, b): Message => ({ key: 'error.rsync.more', params: { a, b } })) : '',
          // macOS: TCC refuses reads to processes without Full Disk Access (FACTS.md §5).
          hint: permission && ctx.platform === 'darwin' ? { key: 'error.rsync.fda' } : '',
        },
        ExitCode.failed,
        e.stderrTail.slice(-10),
      );
    }
  }
  const warnings: string[] = [];
  if (attrs.lost.size) {
    ctx.reporter.warn('warn.attributesNotKept', attrs.params(c.name, dest));
    warnings.push(`attributes not kept: ${[...attrs.lost].join(', ')}: ${attrs.example}`);
  }
  if (result.warning && (vanishedCount > 0 || !attrs.lost.size)) {
    ctx.reporter.warn('warn.vanished', { name: c.name, count: vanishedCount || '?', files: vanished.join(', ') });
    warnings.push(`vanished: ${vanishedCount} file(s): ${vanished.join(', ')}`);
  }
  // openrsync and rsync < 3 print other stats: count ourselves (as rsync does: symlinks add their length).
  const stats = parseRsyncStats(result.stdoutTail) ?? { ...(await treeStats(dest)), bytesCopied: NaN };
  return {
    name: c.name,
    type: 'folder',
    path: c.name,
    source: c.path,
    bytes: stats.bytes,
    files: stats.files,
    ...(Number.isNaN(stats.bytesCopied) ? {} : { bytesCopied: stats.bytesCopied }),
    warnings,
  };
}

/** Which rsync copies, with which flags, what they keep and what this rsync cannot keep: for the log and the status. */
export function copyToolFacts(rsync: ToolInfo): { path: string; version: string; flags: string; kept: Message; cannotKeep?: Message } {
  const f = rsyncFidelity(rsync);
  return {
    path: rsync.path,
    version: rsync.version,
    flags: ['-a', ...f.args].join(' '),
    kept: keepableList(f.keeps),
    ...(f.cannotKeep.length ? { cannotKeep: keepableList(f.cannotKeep) } : {}),
  };
}

/** Logs which rsync copies and, where it cannot keep something the files may have, what. */
export function reportRsync(reporter: StepContext['reporter'], rsync: ToolInfo): void {
  reporter.info('run.tool', { tool: 'rsync', path: rsync.path, version: rsync.version });
  const f = copyToolFacts(rsync);
  reporter.info('run.rsyncKeeps', { flags: f.flags, kept: f.kept });
  if (f.cannotKeep) reporter.info('run.rsyncCannotKeep', { path: rsync.path, lost: f.cannotKeep });
}

/** "xattrs, ACLs" as the messages name them, in the reader's language. */
export function keepableList(what: Iterable<Keepable>): Message {
  const keys = [...what].map((k): Message => ({ key: `rsync.keepable.${k}` as MessageKey }));
  const last = keys.pop()!;
  if (!keys.length) return last;
  const rest = keys.reduce((a, b): Message => ({ key: 'rsync.keepable.comma', params: { a, b } }));
  return { key: 'rsync.keepable.and', params: { a: rest, b: last } };
}

/**
 * rsync's lines about xattrs/ACLs the target could not take (rsync-fidelity.ts:attributeNotKept),
 * kept apart from every other error: exit 23 with only these is a backup with all its files.
 */
export class AttributeLoss {
  readonly lost = new Set<'xattrs' | 'acls'>();
  example = '';
  /** rsync error lines ("rsync: …") about anything else but a vanished file: then 23 is a failure. */
  otherThanAttributes = 0;
  /** Takes an attribute line (true), or leaves the line to the caller (false). */
  take(line: string): boolean {
    const what = attributeNotKept(line);
    if (!what) {
      if (/^rsync: /.test(line) && !VANISHED.test(line)) this.otherThanAttributes++;
      return false;
    }
    this.lost.add(what);
    if (!this.example) this.example = rsyncLineText(line).slice(0, 300);
    return true;
  }
  params(name: string, dir: string): Record<string, string | Message> {
    return { name, dir, what: keepableList(this.lost), example: this.example };
  }
}

// Putting a folder component back with rsync. Program folders (client, server) come back exactly
// (--delete); data folders (attachments) get every file of the backup back and keep files that
// are newer than the backup (not in it) unless the admin asked for --delete-newer-files. The
// folder's exclude patterns are passed again: rsync never deletes excluded files (no
// --delete-excluded), so what the backup left out on purpose stays untouched.
import { mkdir } from 'node:fs/promises';
import type { FolderComponent } from '../config/schema';
import { CommandError, displayArgv, run, type CommandPlan } from '../process/runner';
import { displayRsync } from '../backup-directory/file-names';
import { AttributeLoss, parseProgress2Numbers, supportsProgress2 } from '../backup/folder-copy';
import type { StepContext } from '../run/step-context';
import type { ToolInfo } from '../process/tool-locator';
import { rsyncFidelity } from '../backup/rsync-fidelity';

/** Whether files that are not in the backup get deleted from the live folder. */
export function deletesNewer(c: FolderComponent, deleteNewerFiles: boolean): boolean {
  return c.role === 'program' || deleteNewerFiles;
}

function slash(p: string): string {
  return p.endsWith('/') ? p : `${p}/`;
}

export function planFolderRestore(rsync: ToolInfo, c: FolderComponent, from: string, opts: { delete: boolean; dryRun?: boolean }): CommandPlan {
  // Back as the snapshot kept them (rsync-fidelity.ts): links, xattrs, ACLs, holes; owners by
  // number, since the restore goes to the server they came from (names could map elsewhere).
  const args = ['-a', ...rsyncFidelity(rsync).args];
  // Compare contents, not size and time: a file changed after the backup within the same second
  // (or by a program that keeps mtimes) would otherwise be skipped and stay changed. Only files
  // that differ are written. The dry run lists deletions only, which need no checksums.
  if (!opts.dryRun) args.push('--checksum');
  if (opts.delete) args.push('--delete');
  for (const x of c.exclude ?? []) args.push(`--exclude=${x}`);
  if (opts.dryRun) args.push('--dry-run', '--itemize-changes');
  else if (supportsProgress2(rsync)) args.push('--info=progress2');
  args.push(slash(from), slash(c.path));
  return {
    label: `rsync (${c.name})`,
    file: rsync.path,
    args,
    // 24: files vanished in the live folder while we wrote it (someone still working): a warning.
    // 23: judged by restoreFolder from rsync's lines (only xattrs/ACLs the folder cannot hold: a warning).
    warnExitCodes: opts.dryRun ? [24] : [24, 23],
  };
}

export interface DeletionPreview {
  count: number;
  /** The first few, relative to the folder, for the confirmation: readable, escaped where not UTF-8 ("R\xf6ntgen.pdf"). */
  first: string[];
}

/** Which live files a restore with --delete would remove: rsync's own dry run, so the list is exactly what it will do. */
export async function previewDeletions(ctx: StepContext, c: FolderComponent, from: string, max = 10): Promise<DeletionPreview> {
  const rsync = await ctx.tools.find('rsync');
  const preview: DeletionPreview = { count: 0, first: [] };
  await run(planFolderRestore(rsync, c, from, { delete: true, dryRun: true }), {
    signal: ctx.signal,
    onStdoutLine: (line) => {
      const m = /^\*deleting\s+(.*)$/.exec(line);
      if (!m) return;
      // Directories are listed with a trailing slash after their files: count files only.
      if (m[1]!.endsWith('/')) return;
      preview.count++;
      // rsync escapes a name's unprintable bytes ("\#366", a newline "\#012"), so one line is one
      // name; shown as every message shows names (file-names.ts).
      if (preview.first.length < max) preview.first.push(displayRsync(m[1]!));
    },
  });
  return preview;
}

/**
 * `warning`: files vanished from the live folder meanwhile (24); `attributes`: every file is back
 * but the folder's file system could not take their xattrs/ACLs (23 with only such lines), already reported.
 */
export async function restoreFolder(ctx: StepContext, c: FolderComponent, from: string, opts: { delete: boolean }): Promise<{ warning: boolean; attributes?: boolean }> {
  const rsync = await ctx.tools.find('rsync');
  await mkdir(c.path, { recursive: true });
  const plan = planFolderRestore(rsync, c, from, opts);
  const attrs = new AttributeLoss();
  const r = await run(plan, {
    signal: ctx.signal,
    onStdoutLine: (line) => {
      const p = parseProgress2Numbers(line);
      if (p) ctx.reporter.progress(c.name, p.percent, 'restore', p);
    },
    onStderrLine: (line) => void attrs.take(line),
  });
  if (r.exitCode !== 23) return { warning: r.warning };
  if (attrs.lost.size === 0 || attrs.otherThanAttributes > 0) {
    throw new CommandError(plan.label, displayArgv(plan), 23, undefined, r.stderrTail, r.stdoutTail, 'exit');
  }
  ctx.reporter.warn('warn.restoreAttributesNotKept', attrs.params(c.name, c.path));
  return { warning: false, attributes: true };
}

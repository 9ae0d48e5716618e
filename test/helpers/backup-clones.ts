// Many backups quickly: a real backup folder made by `run`, hard-linked under other ids with
// `cp -al` (what rsync --link-dest makes of an unchanged folder), its manifest rewritten to the new
// id and times — so readCatalog counts it as a complete backup of that date. Months of nightly
// backups in seconds, with the same inode sharing as real ones.
//
// The manifest's times are the id read as UTC: the tests that use this run the CLI with TZ=UTC,
// where an id is the UTC wall time of the run's clock.
import { execa } from 'execa';
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** "20260301_030000" → 2026-03-01T03:00:00.000Z */
export function idInstant(id: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})$/.exec(id);
  if (!m) throw new Error(`not a backup id: ${id}`);
  return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
}

/** The id a run started at `d` gets under TZ=UTC. */
export function utcId(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace('T', '_').slice(0, 15);
}

/** A file's content replaced by a new inode (the clone's link to the original is broken, as rsync does for a changed file). */
export function rewriteFile(path: string, content: string | Buffer): void {
  unlinkSync(path);
  writeFileSync(path, content);
}

/** `dir/from` hard-linked as `dir/to`, its manifest saying `to` (and, absent `trigger`, the source's trigger). */
export async function cloneBackup(dir: string, from: string, to: string, o: { trigger?: string; finishedAt?: Date } = {}): Promise<string> {
  const path = join(dir, to);
  await execa('cp', ['-al', join(dir, from), path]);
  const file = join(path, 'manifest.json');
  const manifest = JSON.parse(readFileSync(file, 'utf8'));
  const started = idInstant(to);
  manifest.id = to;
  manifest.startedAt = started.toISOString();
  manifest.finishedAt = (o.finishedAt ?? new Date(started.getTime() + 60_000)).toISOString();
  if (o.trigger) manifest.trigger = o.trigger;
  rewriteFile(file, JSON.stringify(manifest, null, 2));
  return path;
}

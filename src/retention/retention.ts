// Keeps `retention.keep` complete backups. Runs only after a successful backup; never removes the
// newest one, never a .partial (the lock guarantees no live run has one), never a folder without
// a valid manifest unless it is clearly the remains of one of ours (see classifyInvalid), never a
// backup dated in the future (readCatalog with the run's clock keeps those out of `complete`).
//
// A removal is atomic from the catalogue's point of view: the folder is first renamed to
// "<id>.deleting" (one rename, fsync'd), and only then deleted. A run killed half-way leaves a
// name no reader takes for a backup, and the next run under the lock finishes the job. (Deleting
// in place left either a folder without manifest that every later run only reported, or — when
// the recursive delete reached manifest.json last — a folder that looked complete with files
// missing.) Used for the mirror targets too (src/destinations/folder-destination.ts).
import { readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { BACKUP_ID, DELETING_SUFFIX, type BackupEntry, type Catalog } from '../backup-directory/catalog';
import { stallPoint } from '../run/fault-injection';
import { removeTree } from '../backup-directory/tree-walk';
import { MANIFEST_FILE } from '../backup-directory/manifest';
import { fsyncDir } from '../platform/fsync';
import { VERIFICATION_FILE } from '../backup-directory/verification';

export async function removeBackup(entry: BackupEntry): Promise<void> {
  await removeBackupFolder(entry.path);
}

/** Rename to <id>.deleting, then delete: never a folder that looks like a backup with files missing. */
export async function removeBackupFolder(path: string): Promise<void> {
  const deleting = path + DELETING_SUFFIX;
  // A leftover of the same id (removed before, then made again and removed again): finish it first.
  await removeTree(deleting);
  await rename(path, deleting);
  await fsyncDir(dirname(path));
  // The kill tests stop here, half-way: renamed, manifest and one more entry already deleted.
  await stallPoint('removal', `${deleting}.stalled`, async () => {
    await rm(join(deleting, MANIFEST_FILE), { force: true });
    const first = (await readdir(deleting)).sort()[0];
    if (first) await removeTree(join(deleting, first), {});
  });
  await removeTree(deleting);
}

/** Finishes removals a killed run left behind ("<id>.deleting" names from the catalogue). */
export async function finishRemovals(dir: string, deleting: string[]): Promise<string[]> {
  for (const name of deleting) await removeTree(join(dir, name));
  return deleting.map((n) => n.slice(0, -DELETING_SUFFIX.length));
}

/**
 * Timestamp folders without a valid manifest, split into what is clearly the remains of one of
 * our own removals and what is not ours to judge. An older version deleted backups in place; a
 * run killed meanwhile left a folder whose manifest was already gone. Such a folder is removed
 * when all of this holds: its manifest is missing (not damaged: a damaged one may be a backup
 * worth rescuing), it is older than the newest complete backup (so it is not a run in progress or
 * the only copy), and everything in it is something a backup of this directory writes (a
 * component's file or folder as the complete backups name them, the file index, the
 * verification record, our temp files). Anything else — a folder the admin put there, a backup
 * with a damaged manifest — is only reported, with what to do.
 */
export async function classifyInvalid(dir: string, catalog: Catalog): Promise<{ remains: string[]; unknown: string[] }> {
  const newest = catalog.complete[0]?.id;
  const ours = new Set<string>([VERIFICATION_FILE, `.${VERIFICATION_FILE}.tmp`, `.${MANIFEST_FILE}.tmp`]);
  for (const b of catalog.complete) {
    for (const c of b.manifest.components) {
      ours.add(c.path.split('/')[0]!);
      if (c.index) ours.add(c.index.path.split('/')[0]!);
    }
  }
  const remains: string[] = [];
  const unknown: string[] = [];
  for (const name of catalog.invalid) {
    const path = join(dir, name);
    const isRemains =
      BACKUP_ID.test(name) &&
      newest !== undefined &&
      name < newest &&
      (await stat(join(path, MANIFEST_FILE)).then(
        () => false,
        (e: NodeJS.ErrnoException) => e.code === 'ENOENT',
      )) &&
      (await readdir(path).then(
        (entries) => entries.every((e) => ours.has(e)),
        () => false,
      ));
    (isRemains ? remains : unknown).push(name);
  }
  return { remains, unknown };
}

// Keeps `retention.keep` complete backups. Runs only after a successful backup; never removes the
// newest one, never a .partial (the lock guarantees no live run has one), never a folder without
// a valid manifest (it may be something the admin put there).
import type { BackupEntry } from './backup-catalog';
import { removeTree } from './tree-walk';

export function backupsToRemove(complete: BackupEntry[], keep: number, justMade: string): BackupEntry[] {
  // complete is newest first
  const keepN = Math.max(1, keep);
  return complete.slice(keepN).filter((b) => b.id !== justMade && b.id !== complete[0]?.id);
}

export async function removeBackup(entry: BackupEntry): Promise<void> {
  await removeTree(entry.path);
}

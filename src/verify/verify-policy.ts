// Whether a backup gets a restore test right after it was made (config verify.afterBackup).
//
// "auto" (the default): when the backup's database dumps together are at most 2 GiB. Measured on
// this project's 2-core VM: a 300 MiB PostgreSQL database (48 MiB dump, -Fc) restores in 2.3 s
// with pg_restore -j1 (about 21 MiB of dump per second), so 2 GiB of dumps take about 100 s here
// and perhaps 10–15 minutes on a practice server with a slow disk and more indexes — still well
// inside the night, before the mirror copy. A restore test also needs the restored database's size
// free on the database server once more (the scratch database), which is the other reason not to
// do it nightly for very large databases: those get `verify.cron` (e.g. weekly) instead.
// Checksums and the file index are checked after every backup regardless.
import type { Config } from '../config/schema';
import type { Manifest } from '../backup-directory/manifest';

export const AUTO_RESTORE_TEST_MAX_BYTES = 2 * 1024 ** 3;

export function restoreTestAfterBackup(config: Pick<Config, 'verify'>, manifest: Manifest): boolean {
  const setting = config.verify?.afterBackup ?? 'auto';
  if (setting !== 'auto') return setting;
  const dumpBytes = manifest.components.filter((c) => c.type !== 'folder').reduce((sum, c) => sum + c.bytes, 0);
  return dumpBytes <= AUTO_RESTORE_TEST_MAX_BYTES;
}

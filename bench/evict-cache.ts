// Takes one tree out of the page cache before a measurement (untimed): the opposite of prewarm.ts.
//
// bench:load measures what the backup does to the practice's database at night, when the
// attachments have not been read for a day and sit on disk, not in memory. On the dev VM a DAMON
// page-out scheme evicts pages untouched for about a minute, so without this some runs would read
// the tree from memory and some from disk. posix_fadvise(POSIX_FADV_DONTNEED) drops only the pages
// of these files (clean ones: `sync` first), unlike `echo 3 > drop_caches`, which would empty
// every cache on a machine others share. Node has no fadvise binding; Python's os module has one.
import { execa } from 'execa';

const SCRIPT = `
import os, sys
n = 0
for d, _, files in os.walk(sys.argv[1]):
    for f in files:
        fd = os.open(os.path.join(d, f), os.O_RDONLY | os.O_NOFOLLOW)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
        n += 1
print(n)
`;

/** Drops the page-cache pages of every file under `root`; returns how many files (null: no python3 here, nothing dropped). */
export async function evictFromPageCache(root: string): Promise<number | null> {
  await execa('sync');
  const r = await execa('python3', ['-c', SCRIPT, root], { reject: false });
  if (r.failed && (r as { code?: string }).code === 'ENOENT') return null;
  if (r.exitCode !== 0) throw new Error(`evicting ${root} from the page cache failed: ${String(r.stderr).split('\n').slice(-3).join(' ')}`);
  return Number(String(r.stdout).trim());
}

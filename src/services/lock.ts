// One run at a time per backup directory. The lock is a file created with O_EXCL holding PID,
// host and start time, so a second run can say who holds it and since when, and a lock left by
// a dead process (kill -9, power cut) can be recognised and taken over.
import { hostname } from 'node:os';
import { join } from 'node:path';
import { link, open, readFile, rename, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { killGroup, type LiveGroup } from '../process/runner';
import { ExitCode, PraxisError } from './errors';

export const LOCK_FILE = '.praxis-backup.lock';
/** The running children of the lock holder (rsync, pg_dump …), so a successor can stop orphans. */
export const CHILDREN_FILE = '.praxis-backup.children';

export interface LockInfo {
  pid: number;
  host: string;
  startedAt: string;
}

export interface HeldLock {
  info: LockInfo;
  /** The stale lock this run took over, if any (the caller logs it). */
  tookOver?: LockInfo;
  /** Child processes of the dead run that were still running and have been stopped. */
  stoppedOrphans: LiveGroup[];
  /** Keeps CHILDREN_FILE current; called by the runner's onChildGroups. */
  recordChildren(groups: LiveGroup[]): void;
  release(): Promise<void>;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readLock(path: string): Promise<LockInfo | null> {
  try {
    const info = JSON.parse(await readFile(path, 'utf8')) as LockInfo;
    return typeof info.pid === 'number' ? info : null;
  } catch {
    return null; // vanished meanwhile, or half-written by a run killed in the first millisecond
  }
}

async function create(path: string, info: LockInfo): Promise<boolean> {
  // Write the whole lock under a private name first, then link it into place: link() fails with
  // EEXIST atomically, like O_EXCL, but the lock file is never seen empty or half-written. (With
  // open('wx') + write, a racing run could read the new, still empty file, judge it stale, move it
  // aside and win too: two runs holding "the" lock.)
  const tmp = `${path}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  const fh = await open(tmp, 'wx', 0o644);
  try {
    await fh.writeFile(JSON.stringify(info));
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await link(tmp, path);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // A file system without hard links (exFAT, some SMB shares): fall back to O_EXCL. The
    // half-written window is back there, but a lock that works beats no backup at all.
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') return createExclusive(path, info);
    throw e;
  } finally {
    await unlink(tmp).catch(() => {});
  }
}

async function createExclusive(path: string, info: LockInfo): Promise<boolean> {
  let fh;
  try {
    fh = await open(path, 'wx', 0o644);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    await fh.writeFile(JSON.stringify(info));
    await fh.sync();
  } finally {
    await fh.close();
  }
  return true;
}

export async function acquireLock(dir: string, now: Date = new Date()): Promise<HeldLock> {
  const path = join(dir, LOCK_FILE);
  const me: LockInfo = { pid: process.pid, host: hostname(), startedAt: now.toISOString() };
  let tookOver: LockInfo | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    if (await create(path, me)) {
      const childrenFile = join(dir, CHILDREN_FILE);
      const stoppedOrphans = tookOver ? await stopOrphans(childrenFile) : [];
      return {
        info: me,
        tookOver,
        stoppedOrphans,
        // Synchronous and tiny: it must be on disk before a kill -9 can come.
        recordChildren: (groups) => {
          try {
            writeFileSync(childrenFile, JSON.stringify({ pid: me.pid, groups }), { mode: 0o600 });
          } catch {
            /* best effort: the lock itself is what protects the backups */
          }
        },
        release: async () => {
          const cur = await readLock(path);
          if (cur && cur.pid === me.pid && cur.startedAt === me.startedAt) {
            await unlink(childrenFile).catch(() => {});
            await unlink(path).catch(() => {});
          }
        },
      };
    }
    const held = await readLock(path);
    if (held && held.host !== me.host) {
      // Another computer (backup dir on a shared disk): we cannot see its processes.
      throw new PraxisError('error.lockHeldOtherHost', { host: held.host, since: held.startedAt, file: path }, ExitCode.locked);
    }
    if (held && isAlive(held.pid)) {
      throw new PraxisError('error.lockHeld', { since: held.startedAt, pid: held.pid, host: held.host }, ExitCode.locked);
    }
    // Stale (or unreadable: damaged, since create() never shows a partial file). Move it aside
    // atomically; only one of two racing runs can move a given file. If what we moved is not what
    // we judged stale, a live run created it meanwhile: put it back and give way.
    const aside = `${path}.stale-${randomBytes(4).toString('hex')}`;
    try {
      await rename(path, aside);
    } catch {
      continue; // someone else moved it first
    }
    const moved = await readLock(aside);
    if (moved && (!held || moved.pid !== held.pid || moved.startedAt !== held.startedAt) && isAlive(moved.pid)) {
      await link(aside, path).catch(() => {});
      await unlink(aside).catch(() => {});
      throw new PraxisError('error.lockHeld', { since: moved.startedAt, pid: moved.pid, host: moved.host }, ExitCode.locked);
    }
    await unlink(aside).catch(() => {});
    tookOver = held ?? { pid: 0, host: me.host, startedAt: '?' };
  }
  throw new PraxisError('error.lockHeld', { since: '?', pid: '?', host: me.host }, ExitCode.locked);
}

/** Alive and not a zombie (an orphan we killed may wait a while for init to reap it). */
function running(pid: number): boolean {
  if (!isAlive(pid)) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return !existsSync('/proc/self'); // no /proc (macOS): trust kill(0)
  }
}

/** Is this pid still the program we started? Linux can tell (/proc/PID/comm); elsewhere we trust the pid. */
function stillOurs(g: LiveGroup): boolean {
  if (!running(g.pid)) return false;
  if (!existsSync('/proc/self')) return true;
  try {
    const comm = readFileSync(`/proc/${g.pid}/comm`, 'utf8').trim(); // at most 15 characters
    return comm.length > 0 && g.program.startsWith(comm);
  } catch {
    return false;
  }
}

/**
 * A run killed with -9 leaves its children running (they have their own process groups): an
 * rsync may still be writing into the .partial we are about to remove. Stop them first.
 */
async function stopOrphans(childrenFile: string): Promise<LiveGroup[]> {
  let groups: LiveGroup[] = [];
  try {
    groups = (JSON.parse(readFileSync(childrenFile, 'utf8')) as { groups: LiveGroup[] }).groups ?? [];
  } catch {
    return [];
  }
  const orphans = groups.filter(stillOurs);
  for (const g of orphans) killGroup(g.pid, 'SIGTERM');
  for (let i = 0; i < 50 && orphans.some((g) => running(g.pid)); i++) await new Promise((r) => setTimeout(r, 100));
  for (const g of orphans) if (running(g.pid)) killGroup(g.pid, 'SIGKILL');
  try {
    unlinkSync(childrenFile);
  } catch {
    /* gone */
  }
  return orphans;
}

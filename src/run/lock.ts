// One run at a time per backup directory. The lock is a file created atomically holding what
// holds it (backup, restore, verify, mirror), PID, host and start time, so a second run can say
// who holds it and since when — and the identity of the holding process (boot id, process start
// time, command line; process-identity.ts), so a lock left by a dead process (kill -9, power cut)
// is recognised and taken over even when its PID now belongs to some other process. Locks written
// by older versions (PID, host, start time only) stay readable and are judged by what they have.
import { hostname } from 'node:os';
import { join } from 'node:path';
import { link, open, readFile, rename, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import type { Message } from '../i18n';
import { killGroup, type LiveGroup } from '../process/runner';
import { ExitCode, PraxisError } from '../core/errors';
import { processIdentity, type ProcessIdentity } from './process-identity';
import { isAlive } from './pid-alive';

export const LOCK_FILE = '.praxis-backup.lock';
/** The running children of the lock holder (rsync, pg_dump …), so a successor can stop orphans. */
export const CHILDREN_FILE = '.praxis-backup.children';

/** What holds the directory: named in the refusal, so a run blocked by a restore does not blame "a backup". */
export type LockPurpose = 'backup' | 'restore' | 'verify' | 'mirror' | 'retention';

export interface LockInfo {
  pid: number;
  host: string;
  startedAt: string;
  /** Absent in locks of older versions. */
  purpose?: LockPurpose;
  /** The holder's identity (absent in locks of older versions): see process-identity.ts. */
  bootId?: string;
  procStart?: string;
  command?: string;
}

export interface HeldLock {
  info: LockInfo;
  /** The stale lock this run took over, if any (the caller logs it). */
  tookOver?: LockInfo;
  /** Why that lock was judged stale (lock.stale.*). */
  staleReason?: Message;
  /** Child processes of the dead run that were still running and have been stopped. */
  stoppedOrphans: LiveGroup[];
  /** Keeps CHILDREN_FILE current; called by the runner's onChildGroups. */
  recordChildren(groups: LiveGroup[]): void;
  release(): Promise<void>;
}

// Kept importable from here for the callers that already do (pid-alive.ts says why it moved).
export { isAlive };

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

/** What a refusal or a takeover message calls the holder. */
export function lockPurposeMessage(info: Pick<LockInfo, 'purpose'>): Message {
  return { key: info.purpose ? `lock.purpose.${info.purpose}` : 'lock.purpose.unknown' } as Message;
}

/**
 * Locks of older versions carry no identity: their start time is all there is. Their holder wrote
 * it just after it started, so a process with that PID that started clearly later, or a boot
 * clearly later, means the holder is gone. The margin absorbs clock corrections.
 */
const OLD_FORMAT_MARGIN_MS = 5 * 60_000;

/**
 * Is the lock's holder still running? `stale` with the reason when it is provably not: its PID is
 * gone (or a zombie), the computer has booted since, or the PID now names a process that started
 * at another time (PID reuse). When it cannot tell, the lock is held: two runs at once in one
 * directory would be worse than a refused one.
 */
export async function judgeHolder(held: LockInfo, mine: ProcessIdentity | null): Promise<{ stale: false } | { stale: true; why: Message }> {
  if (!running(held.pid)) return { stale: true, why: { key: 'lock.stale.ended' } };
  if (held.bootId && mine && held.bootId !== mine.bootId) return { stale: true, why: { key: 'lock.stale.rebooted' } };
  const now = await processIdentity(held.pid);
  if (!now) return running(held.pid) ? { stale: false } : { stale: true, why: { key: 'lock.stale.ended' } };
  const reused: Message = { key: 'lock.stale.reused', params: { pid: held.pid, command: now.command.slice(0, 200) || '?' } };
  if (held.procStart) return held.procStart === now.start && held.bootId === now.bootId ? { stale: false } : { stale: true, why: reused };
  // An older version's lock.
  const since = Date.parse(held.startedAt);
  if (Number.isNaN(since)) return { stale: false };
  if (now.bootMs !== undefined && now.bootMs > since + OLD_FORMAT_MARGIN_MS) return { stale: true, why: { key: 'lock.stale.rebooted' } };
  if (now.startMs !== undefined && now.startMs > since + OLD_FORMAT_MARGIN_MS) return { stale: true, why: reused };
  return { stale: false };
}

function refusal(held: LockInfo, path: string): PraxisError {
  const what = lockPurposeMessage(held);
  if (held.host !== hostname()) {
    return new PraxisError('error.lockHeldOtherHost', { host: held.host, since: held.startedAt, file: path, what }, ExitCode.locked);
  }
  return new PraxisError('error.lockHeld', { what, since: held.startedAt, pid: held.pid, host: held.host }, ExitCode.locked);
}

export async function acquireLock(dir: string, now: Date = new Date(), purpose: LockPurpose = 'backup'): Promise<HeldLock> {
  const path = join(dir, LOCK_FILE);
  const self = await processIdentity(process.pid);
  const me: LockInfo = {
    pid: process.pid,
    host: hostname(),
    startedAt: now.toISOString(),
    purpose,
    ...(self ? { bootId: self.bootId, procStart: self.start, command: self.command.slice(0, 500) } : {}),
  };
  let tookOver: LockInfo | undefined;
  let staleReason: Message | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    if (await create(path, me)) {
      const childrenFile = join(dir, CHILDREN_FILE);
      const stoppedOrphans = tookOver ? await stopOrphans(childrenFile) : [];
      return {
        info: me,
        tookOver,
        staleReason,
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
    // Another computer (backup dir on a shared disk): we cannot see its processes.
    if (held && held.host !== me.host) throw refusal(held, path);
    const verdict = held ? await judgeHolder(held, self) : null;
    if (held && verdict && !verdict.stale) throw refusal(held, path);
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
    if (moved && (!held || moved.pid !== held.pid || moved.startedAt !== held.startedAt) && !(await judgeHolder(moved, self)).stale) {
      await link(aside, path).catch(() => {});
      await unlink(aside).catch(() => {});
      throw refusal(moved, path);
    }
    await unlink(aside).catch(() => {});
    tookOver = held ?? { pid: 0, host: me.host, startedAt: '?' };
    staleReason = verdict?.stale ? verdict.why : { key: 'lock.stale.ended' };
  }
  throw new PraxisError('error.lockHeld', { what: { key: 'lock.purpose.unknown' }, since: '?', pid: '?', host: me.host }, ExitCode.locked);
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

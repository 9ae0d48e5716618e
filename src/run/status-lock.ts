// status.json is read, changed and written back by several processes at once: a run (progress,
// its result), a scheduled verify, `status`, the tray (the once-a-day claim of alerts, the weekly
// summary). StatusStore queues the updates of one process; across processes two read-modify-writes
// interleave and the later rename wins, silently dropping the other's change. For the once-a-day
// claim that means two mails for one problem (both read "not yet sent today"); for a run it can
// mean a lost result. So every update holds this lock — only for the read-modify-write, which takes
// milliseconds — and waits for it otherwise.
//
// The lock is a file created with O_EXCL beside status.json, naming its holder. A holder that died
// (kill -9, power cut) or hangs far longer than any write can take is taken over: its file is moved
// aside atomically (only one of two waiters can move a given file) and checked to be the one
// judged stale; a fresh lock moved by mistake is put back.
import { randomBytes } from 'node:crypto';
import { link, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { isAlive } from './lock';

/** A read-modify-write of status.json takes milliseconds; a holder this old is hung (or its PID was reused after a crash). */
export const STATUS_LOCK_STALE_MS = 30_000;

interface Holder {
  pid: number;
  token: string;
}

async function readHolder(path: string): Promise<{ holder: Holder | null; ageMs: number } | null> {
  try {
    const [text, st] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    let holder: Holder | null = null;
    try {
      const h = JSON.parse(text) as Holder;
      if (typeof h.pid === 'number' && typeof h.token === 'string') holder = h;
    } catch {
      /* being written right now (O_EXCL creates it empty first): judged by its age only */
    }
    return { holder, ageMs: Date.now() - st.mtimeMs };
  } catch {
    return null; // released meanwhile
  }
}

function stale(h: { holder: Holder | null; ageMs: number }): boolean {
  if (h.ageMs > STATUS_LOCK_STALE_MS) return true;
  return !!h.holder && !isAlive(h.holder.pid);
}

async function tryCreate(path: string, me: Holder): Promise<boolean> {
  let fh;
  try {
    fh = await open(path, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    await fh.writeFile(JSON.stringify(me));
  } finally {
    await fh.close();
  }
  return true;
}

/** Moves a stale lock out of the way; a lock that is not the one judged stale (a live holder's, created meanwhile) is put back. */
async function breakStale(path: string, judged: { holder: Holder | null }): Promise<void> {
  const aside = `${path}.stale-${randomBytes(4).toString('hex')}`;
  try {
    await rename(path, aside);
  } catch {
    return; // another waiter moved it first, or its holder released it
  }
  const moved = await readHolder(aside);
  const same = moved && (moved.holder?.token ?? null) === (judged.holder?.token ?? null);
  if (moved && !same && !stale(moved)) await link(aside, path).catch(() => {}); // a live holder's fresh lock: give it back
  await unlink(aside).catch(() => {});
}

/** Runs `fn` while holding the lock file `path`; waits (polling) while another live process holds it. */
export async function withFileLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const me: Holder = { pid: process.pid, token: randomBytes(8).toString('hex') };
  for (let attempt = 0; ; attempt++) {
    if (await tryCreate(path, me)) break;
    const held = await readHolder(path);
    if (held && stale(held)) {
      await breakStale(path, held);
      continue;
    }
    // Short and jittered: two waiters should not keep meeting at the same instant.
    await new Promise((r) => setTimeout(r, 5 + Math.floor(Math.random() * Math.min(50, 5 + attempt * 2))));
  }
  try {
    return await fn();
  } finally {
    // Only our own: a holder that was taken over for hanging must not remove its successor's lock.
    const cur = await readHolder(path);
    if (cur?.holder?.token === me.token) await unlink(path).catch(() => {});
  }
}

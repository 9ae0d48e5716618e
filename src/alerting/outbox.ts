// What could not be delivered waits here: `<stateDir>/outbox/`, one JSON file per (notice, channel),
// retried oldest first at the next run or `status`. The rules and why:
// - The file name is a hash of notice id and channel, so the same notice failing twice (a run and a
//   status seeing the same finding while the SMTP server is down) is one entry, never two.
// - Written atomically (temp file, then rename) with mode 0600 in a 0700 folder: a crash leaves no
//   half entry, and other users cannot read what the practice's alerts say. Entries hold the
//   notice (no secrets by contract) and the last error as a Message, never a password.
// - Bounded (100 by default): when full, the oldest entry is dropped and counted, so the tray can
//   say that messages were lost instead of silently forgetting them.
// - Two processes may flush at once (a scheduled run and the tray's status): an entry is claimed by
//   renaming it before it is sent, and a rename succeeds for exactly one of them, so nothing is
//   sent twice. A claim left by a process that died is taken back by the next flush.
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { chmod, mkdir, readFile, readdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Message } from '../i18n';
import type { ChannelName, DeliveryOutcome, Notice } from './contracts';

export const OUTBOX_MAX_ENTRIES = 100;
/** A claim older than this is taken back even if its PID is alive again (PID reused after a reboot). */
const CLAIM_STALE_MS = 60 * 60 * 1000;

export interface OutboxEntry {
  version: 1;
  channel: ChannelName;
  notice: Notice;
  /** ISO, from the injected clock. */
  queuedAt: string;
  /** Delivery attempts so far (the first, failed one included). */
  attempts: number;
  lastAttemptAt: string;
  lastError: Message;
}

export interface OutboxState {
  count: number;
  oldestQueuedAt: Date | null;
  /** Entries dropped because the outbox was full (since the count was last reset). */
  dropped: number;
}

export function outboxDir(stateDir: string): string {
  return join(stateDir, 'outbox');
}

function entryKey(noticeId: string, channel: ChannelName): string {
  return createHash('sha256').update(`${noticeId}\n${channel}`).digest('hex').slice(0, 32);
}

const ENTRY = /^([0-9a-f]{32})\.json$/;
const CLAIM = /^([0-9a-f]{32})\.json\.claim\.(\d+)\.(\d+)$/;
const DROPPED_FILE = 'dropped.json';

function readEntry(text: string): OutboxEntry | null {
  try {
    const e = JSON.parse(text) as OutboxEntry;
    return e && e.version === 1 && typeof e.queuedAt === 'string' && e.notice && typeof e.channel === 'string' ? e : null;
  } catch {
    return null;
  }
}

/** For the tray and `status` (synchronous: small files, read where the state is rendered). */
export function outboxState(stateDir: string): OutboxState {
  const dir = outboxDir(stateDir);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return { count: 0, oldestQueuedAt: null, dropped: 0 };
  }
  let count = 0;
  let oldest: number | null = null;
  for (const name of names) {
    const m = ENTRY.exec(name) ?? CLAIM.exec(name);
    if (!m) continue;
    let entry: OutboxEntry | null = null;
    try {
      entry = readEntry(readFileSync(join(dir, name), 'utf8'));
    } catch {
      continue; // claimed and deleted while we looked: delivered
    }
    if (!entry) continue;
    count++;
    const at = Date.parse(entry.queuedAt);
    if (!Number.isNaN(at) && (oldest === null || at < oldest)) oldest = at;
  }
  return { count, oldestQueuedAt: oldest === null ? null : new Date(oldest), dropped: readDropped(dir) };
}

function readDropped(dir: string): number {
  try {
    const n = (JSON.parse(readFileSync(join(dir, DROPPED_FILE), 'utf8')) as { count?: number }).count;
    return typeof n === 'number' && n > 0 ? n : 0;
  } catch {
    return 0;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** What the deliverer does with one queued entry: an outcome, or 'discard' when its channel is no longer configured. */
export type OutboxSender = (entry: OutboxEntry, signal?: AbortSignal) => Promise<DeliveryOutcome | 'discard'>;

export class Outbox {
  readonly dir: string;
  private readonly max: number;
  constructor(
    stateDir: string,
    private readonly now: () => Date,
    max = OUTBOX_MAX_ENTRIES,
  ) {
    this.dir = outboxDir(stateDir);
    this.max = Math.max(1, max);
  }

  /** Queues a notice for one channel; 'already' when it is queued (or being retried) for that channel. */
  async add(notice: Notice, channel: ChannelName, error: Message): Promise<'queued' | 'already'> {
    await this.ensureDir();
    const key = entryKey(notice.id, channel);
    const names = await readdir(this.dir);
    if (names.some((n) => n === `${key}.json` || n.startsWith(`${key}.json.claim.`))) return 'already';
    await this.makeRoom(names);
    const at = this.now().toISOString();
    const entry: OutboxEntry = { version: 1, channel, notice, queuedAt: at, attempts: 1, lastAttemptAt: at, lastError: error };
    await this.writeAtomic(`${key}.json`, entry);
    return 'queued';
  }

  /** Removes the dropped count once it has been reported. */
  async resetDropped(): Promise<void> {
    await unlink(join(this.dir, DROPPED_FILE)).catch(() => {});
  }

  /**
   * Sends what is queued, oldest first. A channel that fails once is not tried again in this flush
   * (with the SMTP server down, 100 entries would each wait for its timeout).
   */
  async flush(send: OutboxSender, signal?: AbortSignal): Promise<DeliveryOutcome[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return [];
    }
    await this.reclaimStale(names);
    const queue = await this.entries();
    const failed = new Set<ChannelName>();
    const outcomes: DeliveryOutcome[] = [];
    for (const { name, entry } of queue) {
      if (signal?.aborted) break;
      if (failed.has(entry.channel)) continue;
      const claim = `${name}.claim.${process.pid}.${Date.now()}`;
      try {
        await rename(join(this.dir, name), join(this.dir, claim));
      } catch {
        continue; // another process claimed (or delivered) it first
      }
      const current = readEntry(await readFile(join(this.dir, claim), 'utf8').catch(() => '')) ?? entry;
      let result: DeliveryOutcome | 'discard';
      try {
        result = await send(current, signal);
      } catch (e) {
        // A sender never throws by contract; if one does, the entry stays queued with the reason.
        result = { channel: current.channel, ok: false, message: { key: 'error.unexpected', params: { message: (e as Error)?.message ?? String(e) } } };
      }
      if (result === 'discard' || result.ok) {
        await unlink(join(this.dir, claim)).catch(() => {});
        if (result !== 'discard') outcomes.push(result);
        continue;
      }
      outcomes.push(result);
      failed.add(current.channel);
      const at = this.now().toISOString();
      await this.writeAtomic(name, { ...current, attempts: current.attempts + 1, lastAttemptAt: at, lastError: result.message });
      await unlink(join(this.dir, claim)).catch(() => {});
    }
    return outcomes;
  }

  /** Entries (not claimed ones), oldest first. Unreadable files are removed: they can never be sent. */
  private async entries(): Promise<{ name: string; entry: OutboxEntry }[]> {
    const out: { name: string; entry: OutboxEntry }[] = [];
    for (const name of await readdir(this.dir).catch(() => [] as string[])) {
      if (!ENTRY.test(name)) continue;
      const text = await readFile(join(this.dir, name), 'utf8').catch(() => null);
      if (text === null) continue; // claimed meanwhile
      const entry = readEntry(text);
      if (entry) out.push({ name, entry });
      else await unlink(join(this.dir, name)).catch(() => {});
    }
    return out.sort((a, b) => a.entry.queuedAt.localeCompare(b.entry.queuedAt) || a.name.localeCompare(b.name));
  }

  private async makeRoom(names: string[]): Promise<void> {
    const count = names.filter((n) => ENTRY.test(n) || CLAIM.test(n)).length;
    if (count < this.max) return;
    const oldestFirst = await this.entries();
    let dropped = 0;
    for (const { name } of oldestFirst.slice(0, count - this.max + 1)) {
      await unlink(join(this.dir, name)).then(
        () => dropped++,
        () => {},
      );
    }
    if (dropped) await this.writeAtomic(DROPPED_FILE, { count: readDropped(this.dir) + dropped, lastDroppedAt: this.now().toISOString() });
  }

  private async reclaimStale(names: string[]): Promise<void> {
    for (const name of names) {
      const m = CLAIM.exec(name);
      if (m) {
        const pid = Number(m[2]);
        const age = Date.now() - Number(m[3]);
        if (pid !== process.pid && pidAlive(pid) && age < CLAIM_STALE_MS) continue;
        if (pid === process.pid && age < CLAIM_STALE_MS) continue;
        const back = `${m[1]}.json`;
        // The entry may have been queued anew meanwhile; then the old claim is the duplicate.
        if (names.includes(back)) await unlink(join(this.dir, name)).catch(() => {});
        else await rename(join(this.dir, name), join(this.dir, back)).catch(() => {});
        continue;
      }
      // A temp file left by a crash between write and rename.
      if (name.endsWith('.tmp')) {
        const s = await stat(join(this.dir, name)).catch(() => null);
        if (s && Date.now() - s.mtimeMs > CLAIM_STALE_MS) await unlink(join(this.dir, name)).catch(() => {});
      }
    }
  }

  private async ensureDir(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    // An existing folder (created by an older version, or by hand) is made private too.
    if ((statSync(this.dir).mode & 0o777) !== 0o700) await chmod(this.dir, 0o700);
  }

  private async writeAtomic(name: string, data: unknown): Promise<void> {
    const tmp = join(this.dir, `.${name}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    await writeFile(tmp, JSON.stringify(data, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
    await rename(tmp, join(this.dir, name));
  }
}

// status.json in the platform's state directory: what the tray and `status` show. Written
// atomically (temp file + rename) so a reader never sees half a file.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Message } from '../i18n';
import { isAlive, judgeHolder } from './lock';
import { withFileLock } from './status-lock';

export interface DestinationStatus {
  lastSuccess?: { at: string; backupId: string; bytesCopied?: number; durationMs?: number; /** A repository's snapshot id (restic) and the files it holds. */ snapshot?: string; files?: number };
  lastFailure?: { at: string; message: Message };
  /** The last verification of a backup on this destination (`verify`, after a backup or a mirror copy). */
  lastVerified?: { at: string; backupId: string; ok: boolean; restoreTest: boolean; message?: Message };
  /**
   * A rotating set of disks (config `volumes`): each disk by its UUID. The mirror's own fields above
   * are the newest of its disks' (so age alerts and reports read a set like one mirror).
   */
  disks?: Record<string, DiskStatus>;
}

/** One disk of a rotating set. */
export interface DiskStatus {
  label?: string;
  /** When a run last found it attached (a copy, a check, `mirror --on-mount`). */
  lastSeen?: string;
  /** When a run first found any disk of the set attached: a disk never seen is counted as away from then (src/mirror/rotation.ts). */
  since?: string;
  lastSuccess?: DestinationStatus['lastSuccess'];
  lastFailure?: DestinationStatus['lastFailure'];
  lastVerified?: DestinationStatus['lastVerified'];
}

/** What `current()` returns: a dead run's entry moves to interruptedRun. */
export type CurrentStatus = Status & { interrupted?: boolean; interruptedRun?: NonNullable<Status['running']> };

export interface Status {
  version: 1;
  running: null | {
    pid: number;
    startedAt: string;
    backupId: string;
    backupDir: string;
    phase: string;
    component?: string;
    /** Share of components done, 0–100. */
    percent?: number;
    /** Progress within the current component where the tool reports it (rsync 3.1+). */
    componentPercent?: number;
  };
  lastRun?: {
    backupId?: string;
    startedAt: string;
    finishedAt: string;
    result: 'success' | 'warning' | 'failed';
    exitCode: number;
    message?: Message;
    warnings: Message[];
  };
  /** "local" for the backup directory; mirrors by their name. */
  destinations: Record<string, DestinationStatus>;
  /** The last scheduled run that did not start because another run held the lock. */
  lastSkipped?: { at: string; reason: Message };
  /** Alert key → when it was last notified (once a day per alert; src/alerting/alert-rules.ts). */
  alertsNotified?: Record<string, string>;
  /** The ISO week (2026-W49) whose „Wochenbericht“ was sent (src/alerting/calendar.ts). */
  weeklySummarySent?: string;
  /** The month (2026-11) whose Datensicherungsprotokoll was written and mailed. */
  monthlyReportSent?: string;
  /**
   * The retention policy (policyKey) last applied to a directory: "local" or a mirror's name. A
   * changed policy that would remove many backups at once waits for a confirmation (retention-plan.ts).
   */
  retentionApplied?: Record<string, { policy: string; at: string }>;
  /**
   * The rsync the last backup of a folder used (rsync-fidelity.ts): its flags, what they keep and
   * what this rsync cannot keep of what the files may have (shown by `status`, issue 19).
   */
  copyTool?: { at: string; path: string; version: string; flags: string; kept: Message; cannotKeep?: Message };
  /** Full Disk Access as the last scheduled run saw it (macOS): TCC judges the process launchd started. */
  fullDiskAccess?: { at: string; status: string; executable: string; detail?: string };
}

export const STATUS_FILE = 'status.json';
/** Held by every update of STATUS_FILE, across processes. */
export const STATUS_LOCK = 'status.json.lock';


export class StatusStore {
  /** Updates are queued: progress events can arrive while the previous write is still going. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly dir: string) {}

  get path(): string {
    return join(this.dir, STATUS_FILE);
  }

  async read(): Promise<Status> {
    try {
      const s = JSON.parse(await readFile(this.path, 'utf8')) as Status;
      if (s && s.version === 1) return s;
    } catch {
      /* missing or unreadable: start fresh */
    }
    return { version: 1, running: null, destinations: {} };
  }

  /**
   * The status as a reader should see it: a "running" entry of a dead process is not running but
   * interrupted, and which run that was (start, PID, phase) is kept so the text can name it.
   */
  async current(): Promise<CurrentStatus> {
    const s = await this.read();
    if (s.running && !(await this.stillRunning(s.running))) return { ...s, running: null, interrupted: true, interruptedRun: s.running };
    return s;
  }

  /** Runs already proven to be the process their PID names: alive, they stay that process (a live PID is never reused). */
  private readonly proven = new Set<string>();

  /**
   * A PID alone does not prove the run lives: after a power cut it is soon given to another
   * process, and `status` said "running since 2 days" for good. The lock's judgement (boot and
   * process start against the run's start) decides, once per run; after that a kill(0) suffices.
   */
  private async stillRunning(r: NonNullable<Status['running']>): Promise<boolean> {
    if (!isAlive(r.pid)) return false;
    const key = `${r.pid}@${r.startedAt}`;
    if (this.proven.has(key)) return true;
    const verdict = await judgeHolder({ pid: r.pid, host: '', startedAt: r.startedAt }, null);
    if (!verdict.stale) this.proven.add(key);
    return !verdict.stale;
  }

  update(fn: (s: Status) => void): Promise<Status> {
    const next = this.queue.then(() => this.write(fn));
    this.queue = next.catch(() => {});
    return next;
  }

  /** The read-modify-write holds STATUS_LOCK (status-lock.ts says why): other processes update the same file. */
  private async write(fn: (s: Status) => void): Promise<Status> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    return withFileLock(join(this.dir, STATUS_LOCK), async () => {
      const s = await this.read();
      fn(s);
      const tmp = `${this.path}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify(s, null, 2) + '\n', { mode: 0o600 });
      await rename(tmp, this.path);
      return s;
    });
  }
}

// What a run reports while it works. The same events go to the JSON-lines log file, to stderr as
// readable text, to stdout with --json (the tray reads those), and into the status file.
import { render, type Lang, type Message, type MessageKey, type Params } from '../i18n';

export type Level = 'info' | 'warn' | 'error';

export type RunEvent =
  | { type: 'started'; id: string; backupDir: string; components: string[]; pid: number }
  | { type: 'log'; level: Level; message: Message }
  | { type: 'component-started'; name: string; componentType: string; restore?: boolean }
  | { type: 'component-finished'; name: string; bytes: number; files?: number; sha256?: string }
  /** percent null: not known while the step runs (a database dump's size is known only at its end); the numbers still are. */
  | ({ type: 'progress'; name: string; percent: number | null; phase: string } & ProgressNumbers)
  | { type: 'warning'; message: Message }
  | { type: 'notification'; message: Message }
  | { type: 'mirror-started'; name: string; mirrorType: string }
  | {
      type: 'mirror-finished';
      name: string;
      result: string;
      copied: string[];
      bytesCopied: number;
      ejected?: boolean;
      /** The copies were read back and matched (absent: nothing was copied, or the check did not run). */
      verified?: boolean;
      /** Where the copy went: the folder, and the disk's label and UUID or the share's URL (the monthly record names them). */
      target?: { dir: string; label?: string | null; uuid?: string | null; url?: string };
    }
  /** First line of every log file: which program made it (the monthly record names the version per run). */
  | { type: 'program'; name: 'praxis-backup'; version: string; host: string; command: string; pid: number }
  | { type: 'finished'; summary: RunSummary };

/**
 * What a step knows besides its percent (rsync's --info=progress2 line): the live line on a terminal
 * and the --json events show them. Absent when not known; never guessed.
 */
// A type, not an interface: the log file's sink takes events as plain records.
export type ProgressNumbers = {
  /** Bytes done so far. */
  bytes?: number;
  /** Files (and folders) done so far, and how many there are once the list is complete. */
  files?: number;
  totalFiles?: number;
  bytesPerSecond?: number;
  /** Only while the total is known (rsync's "to-chk", not "ir-chk" while it still scans). */
  secondsLeft?: number;
};

export interface RunSummary {
  result: 'success' | 'warning' | 'failed';
  exitCode: number;
  backupId?: string;
  path?: string;
  bytes?: number;
  durationMs: number;
  warnings: Message[];
  error?: Message;
  /** Extra lines for the admin (e.g. the server's own message), already redacted. */
  details?: string[];
  /** One entry per mirror that was attempted. */
  mirrors?: { name: string; result: string; copied: string[]; bytesCopied: number; ejected?: boolean; message?: Message; /** A disk of a rotating set: each attached disk has its own entry. */ disk?: { uuid: string; label: string } }[];
}

export type StampedEvent = RunEvent & { ts: string };
export type EventSink = (e: StampedEvent) => void;

export class Reporter {
  readonly warnings: Message[] = [];
  private lastProgress = new Map<string, number>();
  /** Lines held back until the run's 'started' event (infoAfterStart), or its 'finished' one at the latest. */
  private held: Message[] | null = null;
  private started = false;

  /** `clock`: the time stamped on each event (the app's clock, so a test's runs land in the month it says). */
  constructor(
    private readonly sinks: EventSink[],
    private readonly clock: () => Date = () => new Date(),
  ) {}

  addSink(sink: EventSink): void {
    this.sinks.push(sink);
  }

  emit(e: RunEvent): void {
    // A run that never started (refused by the lock, bad config) still logs the held lines before its end.
    if (e.type === 'finished') this.releaseHeld();
    const stamped = { ...e, ts: this.clock().toISOString() } as StampedEvent;
    for (const s of this.sinks) {
      try {
        s(stamped);
      } catch {
        /* a broken sink (closed stdout) must not stop a backup */
      }
    }
    if (e.type === 'started') {
      this.started = true;
      this.releaseHeld();
    }
  }

  /**
   * An info line about the run that is known before it starts (the priority it runs at): held back
   * until 'started', so the first event a follower (the tray, --json) reads is still 'started'.
   */
  infoAfterStart(key: MessageKey, params?: Params): void {
    if (this.started) this.info(key, params);
    else (this.held ??= []).push({ key, params });
  }

  private releaseHeld(): void {
    const held = this.held;
    this.held = null;
    for (const m of held ?? []) this.info(m.key, m.params);
  }

  info(key: MessageKey, params?: Params): void {
    this.emit({ type: 'log', level: 'info', message: { key, params } });
  }

  error(key: MessageKey, params?: Params): void {
    this.emit({ type: 'log', level: 'error', message: { key, params } });
  }

  warn(key: MessageKey, params?: Params): void {
    const message = { key, params };
    this.warnings.push(message);
    this.emit({ type: 'warning', message });
  }

  /** At most one progress event per second and component: rsync can draw 50 lines a second. */
  progress(name: string, percent: number | null, phase: string, numbers: ProgressNumbers = {}): void {
    const now = Date.now();
    const last = this.lastProgress.get(name) ?? 0;
    if (now - last < 1000 && (percent === null || percent < 100)) return;
    this.lastProgress.set(name, now);
    this.emit({ type: 'progress', name, percent, phase, ...numbers });
  }
}

/** Readable text for one event, or null for events that are not worth a line on a terminal. */
export function eventText(lang: Lang, e: RunEvent): string | null {
  switch (e.type) {
    case 'log':
      return (e.level === 'error' ? '✗ ' : '') + render(lang, e.message);
    case 'warning':
      return `⚠ ${render(lang, e.message)}`;
    case 'notification':
      return `🔔 ${render(lang, e.message)}`;
    case 'started':
      return render(lang, { key: 'run.started', params: { id: e.id, components: e.components.length, dir: e.backupDir } });
    case 'component-started':
      return render(lang, { key: e.restore ? 'restore.run.componentStarted' : 'run.component.started', params: { name: e.name, type: e.componentType } });
    case 'progress':
      return null;
    default:
      return null;
  }
}

// What the log window shows, without Qt: the current or last run's JSON-lines log (run-log.ts)
// turned into readable lines in the admin's language, and a follower that reads only what a
// running backup appended since the last look.
//
// The lines are rendered from each event's message key and parameters, not from the German and
// English text the file also carries, so an admin who switched the language reads old runs in
// the new one; the stored text is only the fallback for a key this version no longer knows.
import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { formatDuration, render, t, type Lang, type Message } from '../../i18n';
import { de } from '../../i18n/de';
import { eventText, type Level, type RunEvent, type RunSummary } from '../../run/events';
import type { LogKind } from '../../run/run-log';

export interface LogLine {
  time: Date;
  level: Level;
  text: string;
}

export interface RunLogFile {
  path: string;
  name: string;
  kind: LogKind;
  started: Date;
  pid: number;
}

export type RunState = 'running' | 'success' | 'warning' | 'failed' | 'aborted';

// run-2026-11-24T03-15-00Z-4711.jsonl (logFileName in run-log.ts: the ISO time with ":" → "-").
const NAME = /^(run|mirror|restore|verify)-(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})Z-(\d+)\.jsonl$/;

export function parseLogName(name: string): Omit<RunLogFile, 'path'> | null {
  const m = NAME.exec(name);
  if (!m) return null;
  const started = new Date(`${m[2]}T${m[3]}:${m[4]}:${m[5]}Z`);
  if (Number.isNaN(started.getTime())) return null;
  return { name, kind: m[1] as LogKind, started, pid: Number(m[6]) };
}

/** Run and mirror logs, newest first by the start time in the name (mtime changes while a run writes). */
export function listRunLogs(logDir: string): RunLogFile[] {
  let names: string[];
  try {
    names = readdirSync(logDir);
  } catch {
    return [];
  }
  return names
    .map((n) => parseLogName(n))
    .filter((f): f is Omit<RunLogFile, 'path'> => f !== null)
    .map((f) => ({ ...f, path: join(logDir, f.name) }))
    .sort((a, b) => b.started.getTime() - a.started.getTime() || b.pid - a.pid);
}

type LoggedEvent = RunEvent & { ts: string; text?: string; textEn?: string };

function known(m: Message): boolean {
  return Object.hasOwn(de, m.key);
}

function summaryLine(lang: Lang, s: RunSummary): { level: Level; text: string } {
  if (s.result === 'success') return { level: 'info', text: t(lang, 'tray.log.result.success', { duration: formatDuration(s.durationMs) }) };
  if (s.result === 'warning') return { level: 'warn', text: t(lang, 'tray.log.result.warning', { count: s.warnings.length }) };
  if (!s.error) return { level: 'error', text: t(lang, 'tray.log.result.failedUnknown') };
  return { level: 'error', text: t(lang, 'tray.log.result.failed', { reason: s.error }) };
}

/** One event as a line, or null for events the admin does not need to read (progress, sizes). */
export function eventLine(lang: Lang, e: LoggedEvent): LogLine | null {
  const time = new Date(e.ts);
  const stored = lang === 'en' ? e.textEn : e.text;
  if ((e.type === 'log' || e.type === 'warning') && !known(e.message) && stored) {
    return { time, level: e.type === 'warning' ? 'warn' : e.level, text: stored };
  }
  if (e.type === 'finished') return { time, ...summaryLine(lang, e.summary) };
  if (e.type === 'mirror-started') return { time, level: 'info', text: t(lang, 'tray.log.mirrorStarted', { name: e.name }) };
  // Without eventText's bell: many desktops' fonts have no emoji and would draw a box.
  if (e.type === 'notification') return { time, level: 'info', text: render(lang, e.message) };
  const text = eventText(lang, e);
  if (text === null) return null;
  const level: Level = e.type === 'warning' ? 'warn' : e.type === 'log' ? e.level : 'info';
  return { time, level, text };
}

export interface ParsedChunk {
  lines: LogLine[];
  /** The run's summary, when this chunk held its 'finished' event. */
  finished: RunSummary | null;
  /** Bytes of complete lines consumed; a half-written last line stays for the next read. */
  consumed: number;
}

const NEWLINE = 0x0a;

/** Complete lines of a chunk of the log file; a line that is not JSON (a torn write) is skipped. */
export function parseLogChunk(lang: Lang, chunk: Buffer): ParsedChunk {
  // Cutting at the last newline byte is safe for UTF-8: 0x0A never occurs inside a multi-byte character.
  const end = chunk.lastIndexOf(NEWLINE) + 1;
  const lines: LogLine[] = [];
  let finished: RunSummary | null = null;
  for (const raw of chunk.subarray(0, end).toString('utf8').split('\n')) {
    if (!raw.trim()) continue;
    let e: LoggedEvent;
    try {
      e = JSON.parse(raw) as LoggedEvent;
    } catch {
      continue;
    }
    if (!e || typeof e !== 'object' || typeof e.type !== 'string') continue;
    if (e.type === 'finished') finished = e.summary;
    const line = eventLine(lang, e);
    if (line) lines.push(line);
  }
  return { lines, finished, consumed: end };
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface LogUpdate {
  /** The file now followed, or null when there is no log yet. */
  file: RunLogFile | null;
  /** True when the view must start over (first read, a newer run began, the file was replaced). */
  reset: boolean;
  /** New lines since the last poll (all lines of the file after a reset). */
  lines: LogLine[];
  state: RunState | null;
}

export interface LogFollowerOptions {
  /** Is the process that writes the log still alive? A run killed with -9 never writes 'finished'. */
  isAlive?: (pid: number) => boolean;
}

/** Follows the newest run log: reads only appended bytes and moves on when a newer run starts. */
export class LogFollower {
  private file: RunLogFile | null = null;
  private offset = 0;
  private finished: RunSummary | null = null;
  private readonly isAlive: (pid: number) => boolean;

  constructor(
    private readonly logDir: string,
    private readonly lang: Lang,
    opts: LogFollowerOptions = {},
  ) {
    this.isAlive = opts.isAlive ?? pidAlive;
  }

  poll(): LogUpdate {
    const newest = listRunLogs(this.logDir)[0] ?? null;
    let reset = false;
    if (newest?.path !== this.file?.path) {
      this.file = newest;
      this.offset = 0;
      this.finished = null;
      reset = true;
    }
    if (!this.file) return { file: null, reset, lines: [], state: null };
    let size: number;
    try {
      size = statSync(this.file.path).size;
    } catch {
      return { file: this.file, reset, lines: [], state: this.state() };
    }
    if (size < this.offset) {
      // Rewritten from the start (not something run-log.ts does, but a copied-in file may be).
      this.offset = 0;
      this.finished = null;
      reset = true;
    }
    const lines: LogLine[] = [];
    if (size > this.offset) {
      const chunk = this.read(this.file.path, this.offset, size - this.offset);
      const parsed = parseLogChunk(this.lang, chunk);
      this.offset += parsed.consumed;
      this.finished = parsed.finished ?? this.finished;
      lines.push(...parsed.lines);
    }
    return { file: this.file, reset, lines, state: this.state() };
  }

  private state(): RunState {
    if (this.finished) return this.finished.result;
    return this.file && this.isAlive(this.file.pid) ? 'running' : 'aborted';
  }

  private read(path: string, from: number, length: number): Buffer {
    const buf = Buffer.alloc(length);
    const fd = openSync(path, 'r');
    try {
      const n = readSync(fd, buf, 0, length, from);
      return buf.subarray(0, n);
    } finally {
      closeSync(fd);
    }
  }
}

/** "24.11.2026" / "24 Nov 2026" and "03:15:00", in the computer's time zone. */
export function formatDate(lang: Lang, d: Date): string {
  return d.toLocaleDateString(lang === 'de' ? 'de-DE' : 'en-GB', { day: '2-digit', month: lang === 'de' ? '2-digit' : 'short', year: 'numeric' });
}

export function formatClock(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** "Backup vom 24.11.2026, 03:15 Uhr – läuft gerade". */
export function headerText(lang: Lang, file: RunLogFile | null, state: RunState | null, logDir: string): string {
  if (!file || !state) return t(lang, 'tray.log.none', { dir: logDir });
  return render(lang, {
    key: `tray.log.header.${state}`,
    params: { kind: { key: `tray.log.kind.${file.kind}` }, date: formatDate(lang, file.started), time: formatClock(file.started).slice(0, 5) },
  });
}

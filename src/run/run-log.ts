// One JSON-lines log file per run: every event with its time, the message key and parameters
// (so the log window can show it in either language) and the German/English text ready to read.
// Secrets never get here: the runner redacts child output before any event is made.
import { appendFileSync, mkdirSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { render } from '../i18n';
import type { EventSink, StampedEvent } from './events';

const KEEP_DAYS = 180;

export type LogKind = 'run' | 'mirror' | 'restore' | 'verify';

export function logFileName(started: Date, pid: number, kind: LogKind = 'run'): string {
  const iso = started.toISOString().replace(/[:]/g, '-').replace(/\.\d+Z$/, 'Z');
  return `${kind}-${iso}-${pid}.jsonl`;
}

function withText(e: StampedEvent): Record<string, unknown> {
  if (e.type === 'log' || e.type === 'warning') return { ...e, text: render('de', e.message), textEn: render('en', e.message) };
  if (e.type === 'finished' && e.summary.error) return { ...e, text: render('de', e.summary.error), textEn: render('en', e.summary.error) };
  return e;
}

/** Appends synchronously: a run killed with -9 still leaves every line written before. */
export function fileSink(logDir: string, file: string): EventSink {
  mkdirSync(logDir, { recursive: true, mode: 0o700 });
  const path = join(logDir, file);
  return (e) => appendFileSync(path, JSON.stringify(withText(e)) + '\n', { mode: 0o600 });
}

/** Old run logs go after half a year; the status file keeps the last result anyway. */
export function pruneLogs(logDir: string, now: Date = new Date()): void {
  let names: string[];
  try {
    names = readdirSync(logDir);
  } catch {
    return;
  }
  for (const n of names) {
    if (!/^(run|mirror|restore|verify)-.*\.jsonl$/.test(n)) continue;
    const p = join(logDir, n);
    try {
      if (now.getTime() - statSync(p).mtimeMs > KEEP_DAYS * 86400_000) unlinkSync(p);
    } catch {
      /* raced with another prune */
    }
  }
}

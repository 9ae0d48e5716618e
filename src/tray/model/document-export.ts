// „Protokoll exportieren…“ and „Datensicherungskonzept…“: the small window that lets the CLI write
// a PDF (`report --month YYYY-MM --out FILE` / `concept --out FILE`) and opens it. Qt-free: the
// month choices, the file name, the argv and the state machine are here and unit-tested; the
// window (windows/document-export-window.ts) only lays out widgets and forwards clicks. The CLI
// holds all the logic of the documents; the tray never builds a PDF itself.
import { existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { t, type Lang, type MessageKey } from '../../i18n';
import type { RunExit } from '../run-launcher';

export type DocumentKind = 'report' | 'concept';

export interface MonthChoice {
  /** YYYY-MM, as `report --month` takes it. */
  value: string;
  /** „November 2026“ */
  text: string;
}

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * The current month and the 11 before it, newest first. The current month is there for „what
 * happened so far“; the default (index 1) is the month before: the record a practice files.
 */
export function monthChoices(now: Date, lang: Lang, count = 12): MonthChoice[] {
  const names = t(lang, 'tray.export.monthNames').split(',');
  const out: MonthChoice[] = [];
  for (let i = 0; i < count; i++) {
    const d = new Date(now.getFullYear(), now.getMonth() - i, 1);
    const text = `${names[d.getMonth()]} ${d.getFullYear()}`;
    out.push({ value: `${d.getFullYear()}-${pad(d.getMonth() + 1)}`, text: i === 0 ? t(lang, 'tray.export.monthSoFar', { month: text }) : text });
  }
  return out;
}

export const DEFAULT_MONTH_INDEX = 1;

/** The file a document is saved as unless the admin names another. */
export function defaultFileName(kind: DocumentKind, month: string | null): string {
  // The German names are the terms an auditor asks for, also on an English desktop.
  return kind === 'concept' ? 'Datensicherungskonzept.pdf' : `Datensicherungsprotokoll-${month ?? 'JJJJ-MM'}.pdf`;
}

export type ExportTone = 'none' | 'pending' | 'ok' | 'warn' | 'error';

export type ExportPhase =
  | { kind: 'idle' }
  | { kind: 'running'; file: string }
  | { kind: 'written'; file: string; opened: 'pending' | 'yes' | 'no'; openError?: string; warnings?: boolean }
  | { kind: 'failed'; reason: string };

export interface ExportView {
  title: string;
  intro: string;
  status: { text: string; tone: ExportTone };
  /** Under the file field: the folder is missing, the file will be replaced, … */
  pathHint: { text: string; tone: ExportTone } | null;
  inputsEnabled: boolean;
  startEnabled: boolean;
  openEnabled: boolean;
}

/** What the file field may hold: an absolute path of a .pdf file in a folder that exists. */
export function pathProblem(path: string, lang: Lang): string | null {
  const p = path.trim();
  const field = t(lang, 'tray.export.file');
  if (!p) return t(lang, 'tray.export.problem.empty', { field });
  if (!isAbsolute(p)) return t(lang, 'tray.export.problem.relative', { field, path: p });
  if (!/\.pdf$/i.test(p)) return t(lang, 'tray.export.problem.notPdf', { field });
  const dir = dirname(p);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    /* missing: said below */
  }
  if (!isDir) return t(lang, 'tray.export.problem.noDir', { field, dir });
  return null;
}

export class DocumentExportForm {
  readonly months: MonthChoice[];
  private month: string | null;
  private readonly dir: string;
  /** The admin typed or picked a file: kept as typed, and a month change no longer renames it. */
  private customPath: string | null = null;
  private state: ExportPhase = { kind: 'idle' };

  constructor(
    readonly kind: DocumentKind,
    private readonly lang: Lang,
    now: Date,
    /** Where the file goes unless the admin picks another place (the Desktop, else home). */
    saveDir: string,
  ) {
    this.months = kind === 'report' ? monthChoices(now, lang) : [];
    this.month = this.months[DEFAULT_MONTH_INDEX]?.value ?? null;
    this.dir = saveDir;
  }

  get phase(): ExportPhase {
    return this.state;
  }

  get selectedMonth(): string | null {
    return this.month;
  }

  get path(): string {
    return this.customPath ?? join(this.dir, defaultFileName(this.kind, this.month));
  }

  get busy(): boolean {
    return this.state.kind === 'running';
  }

  selectMonth(value: string): boolean {
    if (this.busy || !this.months.some((m) => m.value === value)) return false;
    this.month = value;
    this.settle();
    return true;
  }

  /** The file field as typed or picked. */
  setPath(path: string): boolean {
    if (this.busy) return false;
    if (path === this.path) return true;
    this.customPath = path;
    this.settle();
    return true;
  }

  /** After a result was shown, any change starts over (the old result no longer describes the form). */
  private settle(): void {
    if (this.state.kind !== 'running') this.state = { kind: 'idle' };
  }

  /** The CLI's command (RunLauncher adds --json --config), or null when busy or the path is not usable. */
  start(): string[] | null {
    if (this.busy || pathProblem(this.path, this.lang)) return null;
    const file = this.path.trim();
    this.state = { kind: 'running', file };
    return this.kind === 'report' ? ['report', '--month', this.month!, '--out', file] : ['concept', '--out', file];
  }

  /** The CLI ended: written (the file is there and the exit says so) or why not. */
  onExit(exit: RunExit, fileExists: (p: string) => boolean = existsSync): void {
    if (this.state.kind !== 'running') return;
    const file = this.state.file;
    const code = exit.exitCode;
    if ((code === 0 || code === 3) && fileExists(file)) {
      this.state = { kind: 'written', file, opened: 'pending', warnings: code === 3 };
      return;
    }
    this.state = { kind: 'failed', reason: failureReason(exit, this.lang) };
  }

  /** The desktop's opener was asked to show the PDF. */
  onOpened(ok: boolean, error?: string): void {
    if (this.state.kind !== 'written') return;
    this.state = { ...this.state, opened: ok ? 'yes' : 'no', openError: ok ? undefined : error };
  }

  view(): ExportView {
    const L = this.lang;
    const tx = (key: MessageKey, p: Record<string, string | number> = {}) => t(L, key, p);
    const s = this.state;
    const monthText = this.months.find((m) => m.value === this.month)?.text ?? '';
    const what = this.kind === 'report' ? tx('tray.export.report.what', { month: monthText }) : tx('tray.export.concept.what');
    let status: ExportView['status'] = { text: '', tone: 'none' };
    if (s.kind === 'running') status = { text: tx('tray.export.running', { what }), tone: 'pending' };
    else if (s.kind === 'failed') status = { text: tx('tray.export.failed', { what, reason: s.reason }), tone: 'error' };
    else if (s.kind === 'written') {
      const lines = [tx(s.warnings ? 'tray.export.writtenWarnings' : 'tray.export.written', { what, file: s.file })];
      if (s.opened === 'yes') lines.push(tx('tray.export.opened'));
      if (s.opened === 'no') lines.push(tx('tray.export.notOpened', { reason: s.openError ?? '?' }));
      status = { text: lines.join('\n'), tone: s.opened === 'no' || s.warnings ? 'warn' : 'ok' };
    }
    let pathHint: ExportView['pathHint'] = null;
    const problem = pathProblem(this.path, L);
    if (problem) pathHint = { text: problem, tone: 'error' };
    else if (s.kind === 'idle' && existsSync(this.path.trim())) pathHint = { text: tx('tray.export.replaces'), tone: 'warn' };
    return {
      title: tx(this.kind === 'report' ? 'tray.export.report.title' : 'tray.export.concept.title'),
      intro: tx(this.kind === 'report' ? 'tray.export.report.intro' : 'tray.export.concept.intro'),
      status,
      pathHint,
      inputsEnabled: !this.busy,
      startEnabled: !this.busy && !problem,
      openEnabled: s.kind === 'written',
    };
  }
}

/** In the admin's words: the CLI's own message (its JSON summary or its last stderr lines). */
export function failureReason(exit: RunExit, lang: Lang): string {
  if (exit.startError) return t(lang, 'tray.export.notStarted', { reason: exit.startError });
  const fromSummary = exit.summary?.error?.text;
  if (fromSummary) return fromSummary.trim();
  const tail = exit.stderrTail.map((l) => l.trim()).filter(Boolean).slice(-3);
  if (tail.length) return tail.join(' ');
  if (exit.signal) return t(lang, 'tray.export.killed', { signal: exit.signal });
  if (exit.exitCode === 0 || exit.exitCode === 3) return t(lang, 'tray.export.noFile');
  return t(lang, 'tray.export.exitOnly', { code: String(exit.exitCode ?? '?') });
}

// The one live progress line on a terminal (run, mirror, restore, verify): redrawn in place with
// \r, like rsync's --info=progress2, so a first backup of a large attachments folder does not sit
// silent for an hour. Log lines clear it, print, and draw it again below. Only on a terminal and
// without --json: a pipe or a log file gets the event lines alone (--json carries the numbers).
import { formatBytes, t, type Lang } from '../i18n';
import type { EventSink, ProgressNumbers } from '../run/events';

export interface ProgressView extends ProgressNumbers {
  name: string;
  phase: string;
  /** null: not known (a database dump): the line shows bytes and speed without a percent. */
  percent: number | null;
}

const finished = (v: ProgressView): boolean => v.percent !== null && v.percent >= 100;

/** What the step does, in words: the engine's phase names ('copy', 'restore', 'verify', a mirror's backup id). */
export function progressLabel(lang: Lang, v: Pick<ProgressView, 'name' | 'phase'>): string {
  if (v.name.startsWith('mirror:')) return t(lang, 'progress.mirror', { backup: v.phase, mirror: v.name.slice('mirror:'.length) });
  if (v.phase === 'copy' || v.phase === 'restore' || v.phase === 'verify' || v.phase === 'dump') return t(lang, `progress.${v.phase}`, { name: v.name });
  return v.name;
}

/** rsync's clock form: 1:02:03, 0:00:12. */
export function clockText(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const two = (n: number) => String(n).padStart(2, '0');
  return `${Math.floor(s / 3600)}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}`;
}

/** Characters a terminal shows (code points; the texts here have no double-width signs). */
const shownWidth = (s: string): number => [...s].length;

function cut(s: string, width: number): string {
  const chars = [...s];
  if (chars.length <= width) return s;
  return width <= 1 ? chars.slice(0, width).join('') : chars.slice(0, width - 1).join('') + '…';
}

/**
 * The line for one moment, never wider than `columns - 1` (the last column would wrap on some
 * terminals). When it does not fit, the least useful numbers go first (files, speed, bytes, time
 * left), then the label is shortened; the percent stays.
 */
export function progressText(lang: Lang, v: ProgressView, columns: number): string {
  const max = Math.max(1, columns - 1);
  const count = new Intl.NumberFormat(lang === 'de' ? 'de-DE' : 'en-GB');
  // [text, drop rank: higher is dropped first]
  const fields: [string, number][] = v.percent !== null ? [[t(lang, 'progress.percent', { n: v.percent }), 0]] : [];
  // Without a percent the bytes are what shows the step moves: they stay to the last.
  if (v.bytes !== undefined) fields.push([formatBytes(v.bytes, lang), v.percent === null ? 0 : 2]);
  if (v.files !== undefined) {
    fields.push([
      v.totalFiles !== undefined
        ? t(lang, 'progress.filesOf', { files: count.format(v.files), total: count.format(v.totalFiles) })
        : t(lang, 'progress.files', { files: count.format(v.files) }),
      4,
    ]);
  }
  if (v.bytesPerSecond !== undefined) fields.push([`${formatBytes(v.bytesPerSecond, lang)}/s`, 3]);
  if (v.secondsLeft !== undefined) fields.push([t(lang, 'progress.left', { time: clockText(v.secondsLeft) }), 1]);
  const label = progressLabel(lang, v);
  const line = (l: string) => `${l}: ${fields.map((f) => f[0]).join('  ')}`;
  // The label keeps at least a few characters before any number is given up for it.
  const minLabel = Math.min(shownWidth(label), 12);
  while (fields.length > 1 && shownWidth(line(cut(label, minLabel))) > max) {
    const drop = fields.reduce((worst, f, i) => (f[1] > fields[worst]![1] ? i : worst), 0);
    fields.splice(drop, 1);
  }
  const numbers = shownWidth(line(''));
  return cut(line(cut(label, Math.max(1, max - numbers))), max);
}

export interface ProgressLineOptions {
  lang: Lang;
  /** Raw output to the terminal (stderr). */
  write(s: string): void;
  /** The terminal's width now (it may be resized during a long backup). */
  columns(): number;
  /** A monotonic clock in milliseconds: only for the throttle. */
  now(): number;
  /** TERM=dumb: no escape sequences; the old line is overwritten with spaces instead of "clear to end of line". */
  dumb?: boolean;
  /** Fewest milliseconds between two redraws (default 200: five a second). */
  minIntervalMs?: number;
}

export class ProgressLine {
  private view: ProgressView | null = null;
  /** Width of what the line shows now; 0: nothing drawn. */
  private shown = 0;
  private lastDraw = -Infinity;

  constructor(private readonly o: ProgressLineOptions) {}

  /** A new state: drawn at once when the step changes or ends, else at most every minIntervalMs (the rest wait for the next one). */
  update(v: ProgressView): void {
    const changed = !this.view || this.view.name !== v.name || this.view.phase !== v.phase || (finished(v) && !finished(this.view));
    this.view = v;
    if (changed || this.o.now() - this.lastDraw >= (this.o.minIntervalMs ?? 200)) this.draw();
  }

  /**
   * A log line: the progress line makes room for it and is drawn again below it — unless its step
   * has reached 100%: what follows (the folder's index, checks) is another step, and a finished
   * line with its last speed would look like it was still copying.
   */
  log(line: string, print: (line: string) => void = (l) => this.o.write(l + '\n')): void {
    this.erase();
    print(line);
    if (this.view && !finished(this.view)) this.draw();
  }

  /** The step is over (or a question is asked): the line goes, until the next progress. */
  end(): void {
    this.view = null;
    this.erase();
  }

  private draw(): void {
    const text = progressText(this.o.lang, this.view!, this.o.columns());
    const width = shownWidth(text);
    const tail = this.o.dumb ? ' '.repeat(Math.max(0, this.shown - width)) : '\x1b[K';
    this.o.write(`\r${text}${tail}`);
    this.shown = width;
    this.lastDraw = this.o.now();
  }

  private erase(): void {
    if (!this.shown) return;
    this.o.write(this.o.dumb ? `\r${' '.repeat(this.shown)}\r` : '\r\x1b[K');
    this.shown = 0;
  }
}

/** Feeds the line from a run's events; goes before the text sink, so a step's end clears the line before its log line prints. */
export function progressSink(line: ProgressLine): EventSink {
  return (e) => {
    switch (e.type) {
      case 'progress':
        // 'total' is the step count of a backup, said by the component lines already.
        if (e.name !== 'total') line.update(e);
        return;
      case 'started':
      case 'component-started':
      case 'component-finished':
      case 'mirror-started':
      case 'mirror-finished':
      case 'finished':
        line.end();
        return;
      default:
        return;
    }
  };
}

let active: ProgressLine | null = null;

/** Before a question on the terminal: the prompt must not land behind the progress line. */
export function clearProgressLine(): void {
  active?.end();
}

/**
 * On a terminal without --json: the live line, with `text` routed through it so every line the
 * command prints clears it first. null (nothing changes) on a pipe, in a file, or with --json.
 */
export function attachProgressLine(out: { lang: Lang; json: boolean; text(line: string): void }, stream: NodeJS.WriteStream = process.stderr, env: NodeJS.ProcessEnv = process.env): ProgressLine | null {
  if (out.json || !stream.isTTY) return null;
  const line = new ProgressLine({
    lang: out.lang,
    write: (s) => stream.write(s),
    columns: () => stream.columns || Number(env.COLUMNS) || 80,
    now: () => performance.now(),
    dumb: env.TERM === 'dumb',
  });
  const print = out.text.bind(out);
  out.text = (l) => line.log(l, print);
  active = line;
  return line;
}

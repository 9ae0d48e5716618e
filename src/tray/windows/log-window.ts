// „Protokoll anzeigen…“: the current or last run's log as readable text, warnings orange and
// errors red, growing live while a run writes it. Reading and wording are in model/log-view.ts.
//
// Load this module only after prepareQt() (qt-loader.ts): it imports the addon.
import { mkdir } from 'node:fs/promises';
import { Direction, QBoxLayout, QLabel, QPushButton, QTextBrowser, QWidget } from '@nodegui/nodegui';
import type { App } from '../../app/compose';
import { render, t, type Lang } from '../../i18n';
import { PraxisError } from '../../core/errors';
import type { EventPump } from '../event-pump';
import { WindowSlot } from './window-slot';
import { formatClock, headerText, LogFollower, type LogLine, type LogUpdate } from '../model/log-view';

const POLL_MS = 500;
const PUMP_REASON = 'log-window';
/** "00:00:00" in the monospace font plus two spaces, at the default font size. */
const TIME_COLUMN_PX = 66;

// Orange dark enough to read on white (WCAG AA for normal text); red and bold for errors, so the
// difference does not rest on colour alone (the ⚠/✗ marks from the engine's text help too).
const LEVEL_STYLE: Record<LogLine['level'], string> = {
  info: '',
  warn: 'color:#a04d00;',
  error: 'color:#c62828; font-weight:bold;',
};

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** One line as the HTML the text view appends: time column in grey, then the text in its level's style. */
export function lineHtml(line: LogLine): string {
  const time = `<span style="color:#707070; font-family:monospace;">${formatClock(line.time)}</span>`;
  const text = escapeHtml(line.text).replace(/\n/g, '<br>');
  // Hanging indent: a wrapped message continues beside the time column, not under it.
  return `<p style="margin-top:0; margin-bottom:1px; margin-left:${TIME_COLUMN_PX}px; text-indent:-${TIME_COLUMN_PX}px;">${time}&nbsp;&nbsp;<span style="${LEVEL_STYLE[line.level]}">${text}</span></p>`;
}

export interface LogWindowDeps {
  app: App;
  lang: Lang;
  /** Fast event pumping while the window is open. */
  pump?: Pick<EventPump, 'hold' | 'release'>;
}

export class LogWindow {
  onClosed?: () => void;

  private readonly slot: WindowSlot<ReturnType<LogWindow['build']>>;
  private follower: LogFollower | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: LogWindowDeps) {
    this.slot = new WindowSlot({
      pump: deps.pump,
      reason: PUMP_REASON,
      build: () => this.build(),
      opened: () => {
        // A fresh follower: the window shows the whole newest log again, not just what came since it was last open.
        this.follower = new LogFollower(this.deps.app.paths.logDir, this.deps.lang);
        this.refresh();
        // Polled only while the window is open: the tray sits in the menu bar all day.
        this.timer = setInterval(() => this.refresh(), POLL_MS);
      },
      closed: () => {
        if (this.timer) clearInterval(this.timer);
        this.timer = null;
        this.follower = null;
        this.onClosed?.();
      },
    });
  }

  private get parts(): ReturnType<LogWindow['build']> | null {
    return this.slot.parts;
  }

  /** The widgets, for the tray's tests. */
  get widgets(): Readonly<ReturnType<LogWindow['build']>> | null {
    return this.parts;
  }

  get isOpen(): boolean {
    return this.parts !== null;
  }

  show(): void {
    this.slot.show();
  }

  close(): void {
    this.slot.close();
  }

  /** Reads what the run appended and shows it; cheap when nothing changed (one readdir, one stat). */
  refresh(): void {
    const p = this.parts;
    if (!p || !this.follower) return;
    let update: LogUpdate;
    try {
      update = this.follower.poll();
    } catch (e) {
      this.problem((e as Error).message);
      return;
    }
    p.header.setText(headerText(this.deps.lang, update.file, update.state, this.deps.app.paths.logDir));
    if (!update.reset && !update.lines.length) return;
    const bar = p.view.verticalScrollBar();
    // Follow the end only when the admin has not scrolled up to read something.
    const atEnd = update.reset || bar.value() >= bar.maximum() - 4;
    if (update.reset) p.view.clear();
    for (const line of update.lines) p.view.append(lineHtml(line));
    if (atEnd) bar.setValue(bar.maximum());
  }

  private problem(text: string): void {
    const p = this.parts;
    if (!p) return;
    p.problem.setText(text);
    p.problem.show();
  }

  private async openFolder(): Promise<void> {
    const dir = this.deps.app.paths.logDir;
    this.parts?.problem.hide();
    try {
      // Before the first run the folder does not exist yet; the file manager would refuse it.
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await this.deps.app.openExternal(dir);
    } catch (e) {
      const reason = e instanceof PraxisError ? render(this.deps.lang, e.message_) : (e as Error).message;
      this.problem(t(this.deps.lang, 'tray.log.openFailed', { dir, reason }));
    }
  }

  private build() {
    const tr = (key: Parameters<typeof t>[1]) => t(this.deps.lang, key);
    const window = new QWidget();
    window.setObjectName('logWindow');
    window.setWindowTitle(tr('tray.log.title'));
    window.resize(780, 480);
    const box = new QBoxLayout(Direction.TopToBottom);
    box.setContentsMargins(12, 10, 12, 10);
    box.setSpacing(8);
    window.setLayout(box);

    const header = new QLabel();
    header.setObjectName('header');
    header.setWordWrap(true);
    header.setStyleSheet('font-weight: bold; font-size: 14px;');
    box.addWidget(header);

    const view = new QTextBrowser();
    view.setObjectName('log');
    view.setReadOnly(true);
    view.setOpenExternalLinks(false);
    box.addWidget(view, 1);

    const problem = new QLabel();
    problem.setWordWrap(true);
    problem.setStyleSheet('color: #c62828; font-weight: bold;');
    problem.hide();
    box.addWidget(problem);

    const buttons = new QBoxLayout(Direction.LeftToRight);
    const openFolder = new QPushButton();
    openFolder.setText(tr('tray.log.openFolder'));
    const close = new QPushButton();
    close.setText(tr('tray.log.close'));
    buttons.addWidget(openFolder);
    buttons.addStretch(1);
    buttons.addWidget(close);
    box.addLayout(buttons);

    openFolder.addEventListener('clicked', () => void this.openFolder());
    close.addEventListener('clicked', () => this.close());
    return { window, header, view, problem, openFolder, close, layouts: [box, buttons] };
  }
}

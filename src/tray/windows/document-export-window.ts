// „Protokoll exportieren…“ (a month and where to save it) and „Datensicherungskonzept…“ (where to
// save it): the CLI writes the PDF (`report --month M --out F` / `concept --out F`, through the
// RunLauncher like every CLI call of the tray), the window shows that it works and what came out,
// then hands the file to the desktop's opener. The choices, the argv and the states are in
// model/document-export.ts; this file lays out widgets and forwards clicks.
//
// Load this module only after prepareQt() (qt-loader.ts): it imports the addon. Never exec(): the
// file dialog is opened with open() and answers through its signal (nested Qt loops break the app
// under the shim, nodegui-linux.md).
import { AcceptMode, Direction, FileMode, QBoxLayout, QComboBox, QFileDialog, QLineEdit, QWidget, TextInteractionFlag } from '@nodegui/nodegui';
import { dirname } from 'node:path';
import type { App } from '../../app/compose';
import { desktopDir } from '../../cli/commands/emergency-sheet';
import { t, type Lang, type MessageKey } from '../../i18n';
import type { EventPump } from '../event-pump';
import { DocumentExportForm, type DocumentKind } from '../model/document-export';
import { RunLauncher } from '../run-launcher';
import { WindowSlot } from './window-slot';
import { showText as show, textButton, TONE_STYLE, wrappedLabel } from './widget-kit';


export interface DocumentExportWindowDeps {
  app: App;
  configFile: string;
  lang: Lang;
  kind: DocumentKind;
  pump?: Pick<EventPump, 'hold' | 'release'>;
  /** dist/cli.js (findCli()). */
  cli: string;
  /** The Node that runs the CLI (default: this process's). */
  node?: string;
  /** Extra environment for the CLI (tests: HOME, PRAXIS_BACKUP_TEST_NOW). */
  env?: Record<string, string>;
  /** Where the file goes by default (default: the Desktop, else the home folder). */
  saveDir?: string;
}

export class DocumentExportWindow {
  onClosed?: () => void;

  // The model outlives the widgets: closing the window while the PDF is written does not stop it.
  private form: DocumentExportForm;
  private readonly launcher: RunLauncher;
  private readonly slot: WindowSlot<ReturnType<DocumentExportWindow['build']>>;
  private rendering = false;
  private dialog: QFileDialog | null = null;

  constructor(private readonly deps: DocumentExportWindowDeps) {
    this.form = this.newForm();
    this.launcher = new RunLauncher({ node: deps.node ?? process.execPath, cli: deps.cli, configFile: deps.configFile, lang: deps.lang, env: deps.env });
    this.slot = new WindowSlot({
      pump: deps.pump,
      reason: `export-${deps.kind}`,
      build: () => this.build(),
      opened: () => {
        // A window opened again on another day starts from that day's months (unless one is being written).
        if (!this.form.busy) this.form = this.newForm();
        this.render();
      },
      closed: () => {
        this.dialog = null;
        this.onClosed?.();
      },
    });
  }

  private newForm(): DocumentExportForm {
    const home = process.env.HOME || '/';
    const dir = this.deps.saveDir ?? desktopDir(home, process.env) ?? home;
    return new DocumentExportForm(this.deps.kind, this.deps.lang, this.deps.app.now(), dir);
  }

  get model(): DocumentExportForm {
    return this.form;
  }

  /** The widgets, for the tray's tests. */
  get widgets(): Readonly<ReturnType<DocumentExportWindow['build']>> | null {
    return this.slot.parts;
  }

  get isOpen(): boolean {
    return this.slot.parts !== null;
  }

  show(): void {
    this.slot.show();
  }

  close(): void {
    this.slot.close();
  }

  private start(): void {
    const argv = this.form.start();
    if (!argv) return;
    const reason = `export-${this.deps.kind}-run`;
    this.deps.pump?.hold(reason);
    this.launcher.start(
      {
        onEvent: () => {},
        onExit: (exit) => {
          this.form.onExit(exit);
          this.deps.pump?.release(reason);
          this.render();
          if (this.form.phase.kind === 'written') void this.open();
        },
      },
      argv,
    );
    this.render();
  }

  /** Hands the PDF to the desktop's opener (Preview, the PDF viewer) to view and print. */
  private async open(): Promise<void> {
    const p = this.form.phase;
    if (p.kind !== 'written') return;
    await this.deps.app.openExternal(p.file).then(
      () => this.form.onOpened(true),
      (e: unknown) => this.form.onOpened(false, String((e as Error)?.message ?? e).split('\n')[0]),
    );
    this.render();
  }

  /** The save dialog, without a nested loop: open() returns at once, the choice arrives as a signal. */
  private browse(): void {
    const p = this.slot.parts;
    if (!p || this.form.busy) return;
    const dialog = new QFileDialog(p.window, t(this.deps.lang, 'tray.export.file'), dirname(this.form.path), 'PDF (*.pdf)');
    dialog.setAcceptMode(AcceptMode.AcceptSave);
    dialog.setFileMode(FileMode.AnyFile);
    dialog.setDefaultSuffix('pdf');
    dialog.addEventListener('fileSelected', (file) => {
      if (!file) return;
      this.form.setPath(file);
      this.render();
    });
    this.dialog = dialog;
    dialog.open();
  }

  /** Puts the model's state into the widgets; the only place that writes into them. */
  private render(): void {
    const p = this.slot.parts;
    if (!p) return;
    this.rendering = true;
    try {
      const v = this.form.view();
      p.window.setWindowTitle(v.title);
      const months = this.form.months;
      if (p.month.count() !== months.length) {
        p.month.clear();
        p.month.addItems(months.map((m) => m.text));
      }
      p.month.setCurrentIndex(Math.max(0, months.findIndex((m) => m.value === this.form.selectedMonth)));
      if (p.file.text() !== this.form.path) p.file.setText(this.form.path);
      for (const w of [p.month, p.file, p.browse]) w.setEnabled(v.inputsEnabled);
      show(p.pathHint, v.pathHint?.text ?? null);
      p.pathHint.setStyleSheet(TONE_STYLE[v.pathHint?.tone ?? 'none']);
      show(p.status, v.status.text || null);
      p.status.setStyleSheet(TONE_STYLE[v.status.tone]);
      p.status.setProperty('tone', v.status.tone);
      p.start.setEnabled(v.startEnabled);
      p.open.setEnabled(v.openEnabled);
    } finally {
      this.rendering = false;
    }
  }

  private changed(change: () => boolean): void {
    if (this.rendering) return;
    change();
    this.render();
  }

  private build() {
    const lang = this.deps.lang;
    const tr = (key: MessageKey) => t(lang, key);
    const label = wrappedLabel;
    const button = (key: MessageKey) => textButton(tr(key));
    const v = this.form.view();

    const window = new QWidget();
    window.setObjectName(this.deps.kind === 'report' ? 'exportReportWindow' : 'conceptWindow');
    window.setWindowTitle(v.title);
    window.resize(620, 300);
    const outer = new QBoxLayout(Direction.TopToBottom);
    outer.setContentsMargins(14, 12, 14, 12);
    outer.setSpacing(8);
    window.setLayout(outer);
    const title = label(v.title.split(' – ')[0]!, 'font-weight: bold; font-size: 14px;');
    const intro = label(v.intro, 'color: #555;');
    outer.addWidget(title);
    outer.addWidget(intro);

    const monthRow = new QBoxLayout(Direction.LeftToRight);
    const monthLabel = label(`${tr('tray.export.month')}:`, 'font-weight: bold;');
    monthLabel.setFixedWidth(130);
    const month = new QComboBox();
    month.setObjectName('month');
    monthRow.addWidget(monthLabel);
    monthRow.addWidget(month);
    monthRow.addStretch(1);
    const monthBox = new QWidget();
    monthBox.setLayout(monthRow);
    monthRow.setContentsMargins(0, 0, 0, 0);
    monthBox.setVisible(this.deps.kind === 'report');
    outer.addWidget(monthBox);

    const fileRow = new QBoxLayout(Direction.LeftToRight);
    fileRow.setContentsMargins(0, 0, 0, 0);
    const fileLabel = label(`${tr('tray.export.file')}:`, 'font-weight: bold;');
    fileLabel.setFixedWidth(130);
    const file = new QLineEdit();
    file.setObjectName('file');
    const browse = button('tray.export.browse');
    fileRow.addWidget(fileLabel);
    fileRow.addWidget(file, 1);
    fileRow.addWidget(browse);
    outer.addLayout(fileRow);
    const pathHint = label('');
    outer.addWidget(pathHint);

    const status = label('');
    status.setObjectName('status');
    // The admin may want to copy the path or an error out of it.
    status.setTextInteractionFlags(TextInteractionFlag.TextSelectableByMouse);
    outer.addWidget(status);
    outer.addStretch(1);

    const buttons = new QBoxLayout(Direction.LeftToRight);
    const start = button('tray.export.start');
    start.setDefault(true);
    const open = button('tray.export.open');
    const close = button('tray.export.close');
    buttons.addWidget(start);
    buttons.addWidget(open);
    buttons.addStretch(1);
    buttons.addWidget(close);
    outer.addLayout(buttons);

    month.addEventListener('currentIndexChanged', (i) => this.changed(() => this.form.selectMonth(this.form.months[i]?.value ?? '')));
    file.addEventListener('textChanged', (text) => this.changed(() => this.form.setPath(text)));
    browse.addEventListener('clicked', () => this.browse());
    start.addEventListener('clicked', () => this.start());
    open.addEventListener('clicked', () => void this.open());
    close.addEventListener('clicked', () => this.close());

    return { window, month, file, browse, pathHint, status, start, open, close, monthBox, layouts: [outer, monthRow, fileRow, buttons], labels: [title, intro, monthLabel, fileLabel] };
  }
}

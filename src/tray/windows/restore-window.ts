// „Wiederherstellen…“: choose a complete backup (in the backup directory, or on a mirror: its
// list read by the CLI, `list --mirror NAME --json`), its parts and two options, let the CLI check
// everything without changing anything (restore --dry-run), read its overview, tick that newer
// data is lost, then let the CLI restore (restore --yes) while its log scrolls by. Every safeguard
// is the CLI's; the choices, the argv and the state machine are in model/restore-form.ts, this file
// only lays out widgets and forwards clicks.
//
// Load this module only after prepareQt() (qt-loader.ts): it imports the addon. Never exec():
// nested Qt loops break the app under the shim (nodegui-linux.md).
import {
  Direction,
  QBoxLayout,
  QCheckBox,
  QComboBox,
  QListWidget,
  QListWidgetItem,
  QPlainTextEdit,
  QWidget,
  TextInteractionFlag,
} from '@nodegui/nodegui';
import type { App } from '../../app/compose';
import { t, type Lang, type MessageKey } from '../../i18n';
import type { EventPump } from '../event-pump';
import { loadSources, mirrorListResult, readMirrorList, RestoreForm } from '../model/restore-form';
import { RunLauncher, type RunExit, type RunLauncherOptions } from '../run-launcher';
import { WindowSlot } from './window-slot';
import { showText as show, textButton, TONE_STYLE, wrappedLabel } from './widget-kit';

const PUMP_REASON = 'restore';
// Held while the CLI works, also when the window was closed meanwhile: its events still arrive.
const PUMP_RUN_REASON = 'restore-run';
// Held while the CLI reads a mirror's list.
const PUMP_LIST_REASON = 'restore-list';


export interface RestoreWindowDeps {
  app: App;
  configFile: string;
  lang: Lang;
  /** Fast event pumping while the window is open or the CLI works. */
  pump?: Pick<EventPump, 'hold' | 'release'>;
  /** dist/cli.js (findCli()). */
  cli: string;
  /** The Node that runs the CLI (default: this process's). */
  node?: string;
  /** Extra environment for the CLI (tests: HOME, database passwords, PRAXIS_BACKUP_KEYRING). */
  env?: Record<string, string>;
}

export class RestoreWindow {
  onClosed?: () => void;

  // The model outlives the widgets: closing the window during a restore does not stop it, and
  // opening it again shows where it is.
  private readonly form: RestoreForm;
  private readonly checkLauncher: RunLauncher;
  private readonly runLauncher: RunLauncher;
  private readonly cliOptions: RunLauncherOptions;
  private readonly slot: WindowSlot<ReturnType<RestoreWindow['build']>>;
  /** Checkboxes of the shown backup's components (rebuilt when another backup is chosen). */
  private componentBoxes: { name: string; box: QCheckBox }[] = [];
  private componentsOf: string | null = null;
  private listed: string[] = [];
  private sourcesShown: string[] = [];
  /** Set while render() writes into the widgets: their change signals are not the admin's. */
  private rendering = false;

  constructor(private readonly deps: RestoreWindowDeps) {
    this.form = new RestoreForm(deps.lang);
    const opts = { node: deps.node ?? process.execPath, cli: deps.cli, configFile: deps.configFile, lang: deps.lang, env: deps.env };
    this.cliOptions = opts;
    this.checkLauncher = new RunLauncher(opts);
    this.runLauncher = new RunLauncher(opts);
    this.slot = new WindowSlot({
      pump: deps.pump,
      reason: PUMP_REASON,
      build: () => this.build(),
      opened: () => {
        this.componentsOf = null;
        this.listed = [];
        this.sourcesShown = [];
        this.render();
        void this.reload();
      },
      closed: () => {
        this.componentBoxes = [];
        this.onClosed?.();
      },
    });
  }

  /** The widgets, for the tray's tests. */
  get widgets(): Readonly<ReturnType<RestoreWindow['build']> & { components: readonly { name: string; box: QCheckBox }[] }> | null {
    return this.parts ? { ...this.parts, components: this.componentBoxes } : null;
  }

  get model(): RestoreForm {
    return this.form;
  }

  private get parts(): ReturnType<RestoreWindow['build']> | null {
    return this.slot.parts;
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

  /** Reads the config and the backup directory again (on opening, and after a restore made its safety backup). */
  async reload(): Promise<void> {
    const sources = await loadSources(this.deps.configFile, this.deps.lang);
    this.form.setSources(sources);
    // Preselect the newest: the usual case is "last night's backup". (A mirror's list: the model does.)
    const newest = this.form.backups[0];
    if (!this.form.current.backupId && !this.form.busy && newest && this.form.phase.kind === 'idle') this.form.selectBackup(newest.id);
    this.render();
  }

  /**
   * A mirror chosen: the CLI reads its list (it mounts, unlocks and closes it; the tray never
   * mounts anything). One at a time: a list superseded by a quick switch runs to its end (its
   * mirror is closed cleanly) and is ignored by the model; the wanted one starts after it.
   */
  private readMirror(): void {
    const request = this.form.startMirrorList();
    if (!request) return;
    this.deps.pump?.hold(PUMP_LIST_REASON);
    void readMirrorList(this.cliOptions, request.name).then((outcome) => {
      this.form.onMirrorList(request.seq, mirrorListResult(request.name, outcome, this.deps.lang));
      this.deps.pump?.release(PUMP_LIST_REASON);
      this.render();
      this.readMirror();
    });
  }

  private check(): void {
    const argv = this.form.startCheck();
    if (!argv) return;
    this.launch(this.checkLauncher, argv);
  }

  private restore(): void {
    const argv = this.form.startRun();
    if (!argv) return;
    this.launch(this.runLauncher, argv);
  }

  private launch(launcher: RunLauncher, argv: string[]): void {
    this.deps.pump?.hold(PUMP_RUN_REASON);
    const started = launcher.start(
      {
        onEvent: (e) => {
          this.form.onEvent(e);
          this.render();
        },
        onExit: (exit) => this.ended(exit),
      },
      argv,
    );
    // This launcher still follows a CLI (cannot happen: the model refuses a second start).
    if (!started) this.ended({ exitCode: null, signal: null, summary: null, stderrTail: [], startError: 'busy' });
    this.render();
  }

  private ended(exit: RunExit): void {
    const wasRun = this.form.phase.kind === 'running';
    this.form.onExit(exit);
    this.deps.pump?.release(PUMP_RUN_REASON);
    this.render();
    // The safety backup is a new backup in the list.
    if (wasRun) void this.reload();
  }

  private cancel(): void {
    if (this.form.phase.kind === 'checking') this.checkLauncher.cancel();
    if (this.form.phase.kind === 'running') {
      this.runLauncher.cancel();
      this.form.cancelRequested();
    }
    this.render();
  }

  /** Puts the model's state into the widgets; the only place that writes into them. */
  private render(): void {
    const p = this.parts;
    if (!p) return;
    this.rendering = true;
    try {
      const v = this.form.view();
      const lang = this.deps.lang;
      const choice = this.form.current;

      // Source: the backup directory and each mirror; only shown when there is a mirror.
      const sources = [t(lang, 'tray.restore.sourceLocal', { dir: this.form.backupDir || '…' }), ...this.form.mirrors.map((name) => t(lang, 'tray.restore.sourceMirror', { name }))];
      if (sources.join('\n') !== this.sourcesShown.join('\n')) {
        p.source.clear();
        p.source.addItems(sources);
        this.sourcesShown = sources;
      }
      p.source.setCurrentIndex(choice.source ? this.form.mirrors.indexOf(choice.source) + 1 : 0);
      for (const w of [p.sourceLabel, p.source]) w.setVisible(this.form.mirrors.length > 0);
      show(p.mirrorHint, v.mirrorHint);

      const ids = this.form.backups.map((b) => b.id);
      if (ids.join() !== this.listed.join()) {
        p.list.clear();
        p.items = this.form.backups.map((b) => {
          const item = new QListWidgetItem();
          item.setText(b.label);
          item.setToolTip(b.id);
          p.list.addItem(item);
          return item;
        });
        this.listed = ids;
      }
      p.list.setCurrentRow(choice.backupId ? ids.indexOf(choice.backupId) : -1);
      show(p.problem, v.listStatus?.text ?? null);
      p.problem.setStyleSheet(TONE_STYLE[v.listStatus?.tone ?? 'error']);
      p.problem.setProperty('tone', v.listStatus?.tone ?? 'none');

      this.renderComponents();
      for (const { name, box } of this.componentBoxes) box.setChecked(choice.components.includes(name));
      show(p.partialHint, v.partialHint);
      p.deleteNewer.setChecked(choice.deleteNewerFiles);
      p.dropPrevious.setChecked(choice.dropPrevious);
      for (const w of [p.source, p.list, p.deleteNewer, p.dropPrevious, ...this.componentBoxes.map((c) => c.box)]) w.setEnabled(v.inputsEnabled);
      p.check.setEnabled(v.checkEnabled);

      show(p.status, v.status.text || null);
      p.status.setStyleSheet(TONE_STYLE[v.status.tone]);
      p.status.setProperty('tone', v.status.tone);
      const plan = v.planText.join('\n');
      if (p.plan.toPlainText() !== plan) p.plan.setPlainText(plan);
      p.confirm.setText(v.confirmText);
      p.confirm.setChecked(v.confirmChecked);
      p.confirm.setEnabled(v.confirmEnabled);
      p.run.setEnabled(v.runEnabled);
      p.cancel.setEnabled(v.cancelEnabled);
      show(p.progress, v.progress || null);
      const log = v.log.join('\n');
      if (p.log.toPlainText() !== log) {
        p.log.setPlainText(log);
        // The new text's height (wrapped lines) is laid out on Qt's next round: follow the end then.
        setTimeout(() => {
          const bar = this.parts === p ? p.log.verticalScrollBar() : null;
          bar?.setValue(bar.maximum());
        }, 50);
      }
    } finally {
      this.rendering = false;
    }
  }

  /** One checkbox per component of the chosen backup. */
  private renderComponents(): void {
    const p = this.parts!;
    const backup = this.form.selectedBackup();
    const id = backup?.id ?? null;
    if (id === this.componentsOf) return;
    for (const { box } of this.componentBoxes) {
      p.componentsBox.removeWidget(box);
      box.hide();
      box.delete();
    }
    this.componentBoxes = (backup?.components ?? []).map((c) => {
      const box = new QCheckBox();
      box.setText(c.label);
      box.addEventListener('clicked', (on) => this.changed(() => this.form.setComponent(c.name, on)));
      p.componentsBox.addWidget(box);
      return { name: c.name, box };
    });
    this.componentsOf = id;
  }

  private changed(change: () => boolean): void {
    if (this.rendering) return;
    change();
    this.render();
    this.readMirror();
  }

  private build() {
    const lang = this.deps.lang;
    const tr = (key: MessageKey) => t(lang, key);
    const label = wrappedLabel;
    const heading = (key: MessageKey) => label(`${tr(key)}:`, 'font-weight: bold;');
    const checkbox = (key: MessageKey) => {
      const c = new QCheckBox();
      c.setText(tr(key));
      return c;
    };
    const button = (key: MessageKey) => textButton(tr(key));

    const window = new QWidget();
    window.setObjectName('restoreWindow');
    window.setWindowTitle(tr('tray.restore.title'));
    window.resize(1000, 660);
    const outer = new QBoxLayout(Direction.TopToBottom);
    outer.setContentsMargins(12, 10, 12, 10);
    outer.setSpacing(8);
    window.setLayout(outer);
    const title = label(tr('tray.restore.title'), 'font-weight: bold; font-size: 14px;');
    const intro = label(tr('tray.restore.intro'), 'color: #555;');
    outer.addWidget(title);
    outer.addWidget(intro);
    const columns = new QBoxLayout(Direction.LeftToRight);
    columns.setSpacing(16);
    outer.addLayout(columns, 1);

    // Left: what to restore.
    const left = new QBoxLayout(Direction.TopToBottom);
    left.setSpacing(6);
    const sourceRow = new QBoxLayout(Direction.LeftToRight);
    const sourceLabel = heading('tray.restore.source');
    const source = new QComboBox();
    sourceRow.addWidget(sourceLabel);
    sourceRow.addWidget(source, 1);
    left.addLayout(sourceRow);
    const mirrorHint = label('', 'color: #555;');
    left.addWidget(mirrorHint);
    const backupsHeading = heading('tray.restore.backups');
    left.addWidget(backupsHeading);
    const list = new QListWidget();
    list.setObjectName('backups');
    left.addWidget(list, 1);
    const problem = label('', TONE_STYLE.error);
    left.addWidget(problem);
    const componentsHeading = heading('tray.restore.components');
    left.addWidget(componentsHeading);
    const componentsBox = new QBoxLayout(Direction.TopToBottom);
    componentsBox.setSpacing(2);
    left.addLayout(componentsBox);
    const partialHint = label('', TONE_STYLE.warn);
    left.addWidget(partialHint);
    const deleteNewer = checkbox('tray.restore.deleteNewer');
    const dropPrevious = checkbox('tray.restore.dropPrevious');
    left.addWidget(deleteNewer);
    left.addWidget(dropPrevious);
    // --no-safety-backup is not offered here; say what happens instead.
    const safetyHint = label(tr('tray.restore.safetyHint'), 'color: #555;');
    left.addWidget(safetyHint);
    const checkRow = new QBoxLayout(Direction.LeftToRight);
    const check = button('tray.restore.check');
    checkRow.addWidget(check);
    checkRow.addStretch(1);
    left.addLayout(checkRow);
    columns.addLayout(left, 5);

    // Right: the CLI's answer, the confirmation, the run.
    const right = new QBoxLayout(Direction.TopToBottom);
    right.setSpacing(6);
    const status = label('');
    status.setObjectName('status');
    // The admin may want to copy a command (credentials set …) out of it.
    status.setTextInteractionFlags(TextInteractionFlag.TextSelectableByMouse);
    right.addWidget(status);
    const plan = new QPlainTextEdit();
    plan.setObjectName('plan');
    plan.setReadOnly(true);
    plan.setPlaceholderText(tr('tray.restore.planPlaceholder'));
    right.addWidget(plan, 3);
    const confirm = new QCheckBox();
    confirm.setObjectName('confirm');
    right.addWidget(confirm);
    const runRow = new QBoxLayout(Direction.LeftToRight);
    const run = button('tray.restore.run');
    const cancel = button('tray.restore.cancel');
    const close = button('tray.restore.close');
    runRow.addWidget(run);
    runRow.addWidget(cancel);
    runRow.addStretch(1);
    runRow.addWidget(close);
    right.addLayout(runRow);
    const progress = label('', 'font-style: italic;');
    right.addWidget(progress);
    const logHeading = heading('tray.restore.log');
    right.addWidget(logHeading);
    const log = new QPlainTextEdit();
    log.setObjectName('log');
    log.setReadOnly(true);
    right.addWidget(log, 2);
    columns.addLayout(right, 6);

    const chooseSource = (i: number) => this.changed(() => this.form.setSource(i > 0 ? (this.form.mirrors[i - 1] ?? null) : null));
    source.addEventListener('currentIndexChanged', chooseSource);
    // The same mirror chosen again: read again after a failure (the disk attached meanwhile).
    source.addEventListener('activated', chooseSource);
    list.addEventListener('currentRowChanged', (row) => this.changed(() => this.form.selectBackup(this.form.backups[row]?.id ?? null)));
    deleteNewer.addEventListener('clicked', (on) => this.changed(() => this.form.setOption('deleteNewerFiles', on)));
    dropPrevious.addEventListener('clicked', (on) => this.changed(() => this.form.setOption('dropPrevious', on)));
    confirm.addEventListener('clicked', (on) => this.changed(() => this.form.setConfirmed(on)));
    check.addEventListener('clicked', () => this.check());
    run.addEventListener('clicked', () => this.restore());
    cancel.addEventListener('clicked', () => this.cancel());
    close.addEventListener('clicked', () => this.close());

    return {
      window,
      source,
      sourceLabel,
      mirrorHint,
      list,
      items: [] as QListWidgetItem[],
      problem,
      componentsBox,
      partialHint,
      deleteNewer,
      dropPrevious,
      safetyHint,
      check,
      status,
      plan,
      confirm,
      run,
      cancel,
      close,
      progress,
      log,
      layouts: [outer, columns, left, sourceRow, checkRow, right, runRow],
      labels: [title, intro, backupsHeading, componentsHeading, logHeading],
    };
  }
}

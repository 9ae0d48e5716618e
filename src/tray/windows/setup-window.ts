// The first-run assistant as a window (issue 15): shown when the tray starts without a config. One
// page per step of the assistant's model (databases, folders, backup directory, USB disk, schedule,
// overview), „Zurück“/„Weiter“, and at the end a progress page: the window stores the typed
// passwords in the keyring, writes the answers to a 0600 file and lets the CLI do the rest
// (`init --answers FILE --yes --json`, through the RunLauncher like every CLI call of the tray),
// showing its events. Every decision is in model/setup-form.ts and the assistant behind it; this
// file only lays out widgets and forwards clicks.
//
// Load this module only after prepareQt() (qt-loader.ts): it imports the addon. Never exec(): the
// folder dialog is opened with open() and answers through its signal (nested Qt loops break the app
// under the shim, nodegui-linux.md).
import {
  Direction,
  EchoMode,
  FileMode,
  QBoxLayout,
  QCheckBox,
  QComboBox,
  QFileDialog,
  QLabel,
  QLineEdit,
  QListWidget,
  QListWidgetItem,
  QPlainTextEdit,
  QProgressBar,
  QStackedWidget,
  QWidget,
  TextInteractionFlag,
} from '@nodegui/nodegui';
import type { App } from '../../app/compose';
import { t, type Lang, type MessageKey } from '../../i18n';
import { STEP_IDS } from '../../setup-assistant/assistant';
import type { Discovery } from '../../setup-assistant/contracts';
import type { EventPump } from '../event-pump';
import { FOLDER_ROLES, SCHEDULE_DAYS, SetupForm, type FolderRole, type Line } from '../model/setup-form';
import { RunLauncher, type RunExit } from '../run-launcher';
import { WindowSlot } from './window-slot';
import { showText as show, textButton, TONE_STYLE, wrappedLabel } from './widget-kit';

const PUMP_REASON = 'setup';
// Held while the CLI sets up and backs up, also when the window was closed meanwhile.
const PUMP_RUN_REASON = 'setup-run';
const DAYS_KEY: Record<(typeof SCHEDULE_DAYS)[number], MessageKey> = { '1-5': 'setupWindow.schedule.days.weekdays', '1-6': 'setupWindow.schedule.days.monSat', '*': 'setupWindow.schedule.days.daily' };

export interface SetupWindowDeps {
  app: App;
  /** Where the config is written (the tray's --config, or the default file). */
  configFile: string;
  lang: Lang;
  pump?: Pick<EventPump, 'hold' | 'release'>;
  /** dist/cli.js (findCli()). */
  cli: string;
  /** What is on this machine (the tray: createDiscovery with the app's platform, tools, volumes). */
  discovery: Discovery;
  /** The Node that runs the CLI (default: this process's). */
  node?: string;
  /** Extra environment for the CLI (tests: HOME, the keyring's bus). */
  env?: Record<string, string>;
  /** The clock of the schedule's next runs (default the app's). */
  now?: () => Date;
  /** Where the answers file goes (default the system's temp folder). */
  tmpDir?: string;
  /** Test seam of the tray (PRAXIS_BACKUP_TRAY_TRACE): the page shown and what it lists, whenever that changes. */
  trace?: (entry: Record<string, unknown>) => void;
  /** „Notfallblatt drucken…“ after an encrypted USB disk was set up: the tray's own menu action (the CLI writes it, the desktop opens it). */
  emergencySheet?: (mirror: string) => void;
}

export class SetupWindow {
  onClosed?: () => void;
  /** After the CLI ended with the config written: the tray reads its status again. */
  onConfigured?: () => void;

  // The model outlives the widgets: closing the window while the CLI works does not stop it.
  private readonly form: SetupForm;
  private readonly launcher: RunLauncher;
  private readonly slot: WindowSlot<ReturnType<SetupWindow['build']>>;
  private dbBoxes: { id: string; box: QCheckBox }[] = [];
  private dbShown = '';
  private listed = { dirs: '', disks: '' };
  private dialog: QFileDialog | null = null;
  /** Set while render() writes into the widgets: their change signals are not the admin's. */
  private rendering = false;
  private entered = false;
  private traced = '';

  constructor(private readonly deps: SetupWindowDeps) {
    const credentials = deps.app.credentials();
    this.form = new SetupForm({
      lang: deps.lang,
      discovery: deps.discovery,
      now: deps.now ?? (() => deps.app.now()),
      tmpDir: deps.tmpDir,
      // The same code path as „Netzlaufwerk-Zugangsdaten…“: the credentials service checks the id and writes the keyring.
      storePassword: async (id, password) => void (await credentials.set(id, password)),
    });
    this.launcher = new RunLauncher({ node: deps.node ?? process.execPath, cli: deps.cli, configFile: deps.configFile, lang: deps.lang, env: deps.env });
    this.slot = new WindowSlot({
      pump: deps.pump,
      reason: PUMP_REASON,
      build: () => this.build(),
      opened: () => {
        this.dbShown = '';
        this.listed = { dirs: '', disks: '' };
        // The first page looks up the servers at once: shown as busy from its first paint, not as „nothing found“.
        if (this.entered) this.render();
        else {
          this.entered = true;
          void this.work(() => this.form.enter());
        }
      },
      closed: () => {
        this.dbBoxes = [];
        this.dialog = null;
        this.onClosed?.();
      },
    });
  }

  get model(): SetupForm {
    return this.form;
  }

  /** The widgets, for the tray's tests. */
  get widgets(): Readonly<ReturnType<SetupWindow['build']> & { databases: readonly { id: string; box: QCheckBox }[] }> | null {
    const p = this.slot.parts;
    return p ? { ...p, databases: this.dbBoxes } : null;
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

  /** Runs a model action that may look something up, rendering before (busy) and after. */
  private async work(action: () => Promise<unknown>): Promise<void> {
    const started = action();
    this.render();
    await started;
    this.render();
  }

  private changed(change: () => void): void {
    if (this.rendering || this.form.busy) return;
    change();
    this.render();
  }

  private next(): void {
    if (this.form.busy) return;
    if (this.form.step === 'finish') {
      void this.apply();
      return;
    }
    void this.work(() => this.form.next());
  }

  private back(): void {
    if (this.form.back()) this.render();
  }

  /** Passwords into the keyring, answers into a file, then the CLI does the setup and the first backup. */
  private async apply(): Promise<void> {
    const started = this.form.prepareApply();
    this.render();
    const argv = await started;
    this.render();
    if (!argv) return;
    this.deps.pump?.hold(PUMP_RUN_REASON);
    const ok = this.launcher.start(
      {
        onEvent: (e) => {
          this.form.onEvent(e as unknown as { type: string });
          this.render();
        },
        onExit: (exit) => void this.ended(exit),
      },
      argv,
    );
    if (!ok) await this.ended({ exitCode: null, signal: null, summary: null, stderrTail: [], startError: 'busy' });
  }

  private async ended(exit: RunExit): Promise<void> {
    await this.form.onExit(exit);
    this.deps.pump?.release(PUMP_RUN_REASON);
    this.render();
    if (this.form.progress.stages.config.state === 'done') this.onConfigured?.();
  }

  /** The folder dialog, without a nested loop: open() returns at once, the choice arrives as a signal. */
  private browse(target: FolderRole | 'backupDir'): void {
    const p = this.slot.parts;
    if (!p || this.form.busy) return;
    const current = target === 'backupDir' ? this.form.backupDir : this.form.folderPath(target);
    const dialog = new QFileDialog(p.window, t(this.deps.lang, 'setupWindow.chooseFolder'), current || process.env.HOME || '/');
    dialog.setFileMode(FileMode.Directory);
    dialog.addEventListener('fileSelected', (dir) => {
      if (dir) this.choose(target, dir);
    });
    this.dialog = dialog;
    dialog.open();
  }

  /** A folder chosen (dialog, or the field left): looked up at once so its size and place are shown. */
  choose(target: FolderRole | 'backupDir', path: string): void {
    if (this.form.busy) return;
    if (target === 'backupDir') void this.work(() => this.form.setBackupDir(path));
    else {
      this.form.setFolderPath(target, path);
      void this.work(() => this.form.lookUpFolders());
    }
  }

  /** Puts the model's state into the widgets; the only place that writes into them. */
  private render(): void {
    const p = this.slot.parts;
    if (!p) return;
    this.rendering = true;
    try {
      const f = this.form;
      const lang = this.deps.lang;
      const applying = f.phase.kind !== 'steps';
      p.heading.setText(applying ? t(lang, 'setupWindow.progress.heading') : f.heading());
      p.steps.setText(f.stepNames().map((s) => (s.current && !applying ? `<b>${s.text}</b>` : s.text)).join('  ›  '));
      show(p.intro, applying ? t(lang, 'setupWindow.progress.intro') : f.intro());
      p.pages.setCurrentIndex(applying ? STEP_IDS.length : f.stepIndex);
      show(p.busy, f.busyLine);
      const problems = applying ? [] : f.problems();
      this.renderLines(p.problems, problems);
      const inputs = !f.busy;

      this.renderDatabases();
      const server = f.passwordServer();
      for (const w of [p.passwordLabel, p.password, p.logIn]) w.setVisible(server !== null);
      if (server) p.passwordLabel.setText(t(lang, 'setupWindow.db.password', { where: server.where, user: server.user }));
      for (const { box } of this.dbBoxes) box.setEnabled(inputs);
      show(p.dbEmpty, this.dbBoxes.length || f.busyLine ? null : t(lang, 'setupWindow.db.none'));

      for (const role of FOLDER_ROLES) {
        const row = p.folders[role];
        if (row.path.text() !== f.folderPath(role)) row.path.setText(f.folderPath(role));
        const facts = f.folderFacts(role);
        show(row.facts, facts?.text ?? null);
        row.facts.setStyleSheet(TONE_STYLE[facts?.tone ?? 'none']);
        for (const w of [row.path, row.browse]) w.setEnabled(inputs);
      }

      p.estimate.setText(f.estimateText());
      const dirs = f.backupDirRows();
      this.fillList(p.dirList, 'dirs', dirs.map((d) => ({ text: d.text, tip: d.path })));
      p.dirList.setCurrentRow(dirs.findIndex((d) => d.path === f.backupDir));
      if (p.dirPath.text() !== f.backupDir && !p.dirPath.hasFocus()) p.dirPath.setText(f.backupDir);
      for (const w of [p.dirList, p.dirPath, p.dirBrowse]) w.setEnabled(inputs);

      const disks = f.mirrorRows();
      this.fillList(p.diskList, 'disks', disks.map((d) => ({ text: d.text, tip: d.uuid ?? '' })));
      p.diskList.setCurrentRow(disks.findIndex((d) => d.uuid === f.mirrorUuid));
      p.encrypt.setChecked(f.encrypt);
      p.encrypt.setEnabled(inputs && f.mirrorUuid !== null);
      p.diskList.setEnabled(inputs);
      for (const b of [p.dbAgain, p.diskAgain]) b.setEnabled(inputs);

      const sched = f.schedule;
      p.scheduleOn.setChecked(sched.on);
      p.days.setCurrentIndex(SCHEDULE_DAYS.indexOf(sched.days));
      if (p.time.text() !== sched.time && !p.time.hasFocus()) p.time.setText(sched.time);
      for (const w of [p.days, p.time]) w.setEnabled(sched.on);
      const words = f.scheduleText();
      p.scheduleWords.setText(words.words);
      show(p.nextRuns, words.runs.length ? `${t(lang, 'setupWindow.schedule.next')}\n${words.runs.join('\n')}` : null);
      p.trayAtLogin.setChecked(f.trayAtLogin);

      const summary = f.step === 'finish' ? f.summary().map((l) => `• ${l}`).join('\n') : '';
      if (p.summary.toPlainText() !== summary) p.summary.setPlainText(summary);
      p.firstBackup.setChecked(f.firstBackup);

      // The progress page.
      this.renderLines(p.stages, f.stageLines());
      const percent = f.progress.percent;
      p.bar.setVisible(percent !== null);
      p.bar.setValue(Math.round(percent ?? 0));
      show(p.current, f.phase.kind === 'applying' ? f.progress.current : null);
      const result: Line | null = f.resultLine();
      show(p.result, result?.text ?? null);
      p.result.setStyleSheet(TONE_STYLE[result?.tone ?? 'none']);
      p.result.setProperty('tone', result?.tone ?? 'none');
      show(p.details, f.resultDetails().join('\n') || null);
      const sheet = this.deps.emergencySheet ? f.sheetMirror() : null;
      p.sheet.setVisible(sheet !== null);
      if (sheet) p.sheet.setText(t(lang, 'tray.action.emergencySheet', { name: sheet }));
      const log = f.progress.log.join('\n');
      if (p.log.toPlainText() !== log) {
        p.log.setPlainText(log);
        // The new text's height is laid out on Qt's next round: follow the end then.
        setTimeout(() => {
          const bar = this.slot.parts === p ? p.log.verticalScrollBar() : null;
          bar?.setValue(bar.maximum());
        }, 50);
      }

      p.back.setVisible(!applying);
      p.next.setVisible(!applying);
      p.back.setEnabled(f.canBack);
      p.next.setEnabled(f.canNext);
      p.next.setText(t(lang, f.step === 'finish' ? 'setupWindow.apply' : 'setupWindow.next'));
      p.close.setText(t(lang, f.phase.kind === 'done' ? 'setupWindow.close' : 'setupWindow.later'));
      p.close.setEnabled(f.phase.kind !== 'storing');
      this.traceShown(problems);
    } finally {
      this.rendering = false;
    }
  }

  private traceShown(problems: Line[]): void {
    if (!this.deps.trace) return;
    const f = this.form;
    const entry = { t: 'setup', step: f.phase.kind === 'steps' ? f.step : f.phase.kind, busy: f.busyLine, databases: f.databaseRows().map((r) => ({ text: r.text, checked: r.checked })), problems };
    const key = JSON.stringify(entry);
    if (key === this.traced) return;
    this.traced = key;
    this.deps.trace(entry);
  }

  /** A list's rows, rebuilt only when they changed (a rebuild would move the admin's selection signal). */
  private fillList(list: QListWidget, which: keyof SetupWindow['listed'], rows: { text: string; tip: string }[]): void {
    const key = rows.map((r) => r.text).join('\n');
    if (key === this.listed[which]) return;
    list.clear();
    for (const r of rows) {
      const item = new QListWidgetItem();
      item.setText(r.text);
      item.setToolTip(r.tip);
      list.addItem(item);
    }
    this.listed[which] = key;
  }

  /** Lines with a tone, one label each (errors red, warnings orange). */
  private renderLines(box: { layout: QBoxLayout; labels: QLabel[] }, lines: Line[]): void {
    while (box.labels.length < lines.length) {
      const l = wrappedLabel('');
      box.layout.addWidget(l);
      box.labels.push(l);
    }
    box.labels.forEach((l, i) => {
      const line = lines[i];
      show(l, line?.text ?? null);
      l.setStyleSheet(TONE_STYLE[line?.tone ?? 'none']);
      l.setProperty('tone', line?.tone ?? 'none');
    });
  }

  /** One checkbox per database that can be backed up (rebuilt when the list changes, e.g. after a login). */
  private renderDatabases(): void {
    const p = this.slot.parts!;
    const rows = this.form.databaseRows();
    const key = rows.map((r) => `${r.id}\t${r.text}`).join('\n');
    if (key !== this.dbShown) {
      for (const { box } of this.dbBoxes) {
        p.dbBox.removeWidget(box);
        box.hide();
        box.delete();
      }
      this.dbBoxes = rows.map((r) => {
        const box = new QCheckBox();
        box.setText(r.text);
        box.addEventListener('clicked', (on) => this.changed(() => this.form.setDatabase(r.id, on)));
        p.dbBox.addWidget(box);
        return { id: r.id, box };
      });
      this.dbShown = key;
    }
    for (const { id, box } of this.dbBoxes) box.setChecked(rows.find((r) => r.id === id)?.checked ?? false);
  }

  private build() {
    const lang = this.deps.lang;
    const tr = (key: MessageKey) => t(lang, key);
    const label = wrappedLabel;
    const heading = (key: MessageKey) => label(tr(key), 'font-weight: bold;');
    const checkbox = (key: MessageKey) => {
      const c = new QCheckBox();
      c.setText(tr(key));
      return c;
    };
    const vbox = (w: QWidget) => {
      const l = new QBoxLayout(Direction.TopToBottom);
      l.setContentsMargins(0, 4, 0, 0);
      l.setSpacing(6);
      w.setLayout(l);
      return l;
    };
    const row = () => {
      const r = new QBoxLayout(Direction.LeftToRight);
      r.setSpacing(6);
      return r;
    };
    const keep: unknown[] = [];

    const window = new QWidget();
    window.setObjectName('setupWindow');
    window.setWindowTitle(tr('setupWindow.title'));
    window.resize(860, 600);
    const outer = new QBoxLayout(Direction.TopToBottom);
    outer.setContentsMargins(14, 10, 14, 10);
    outer.setSpacing(8);
    window.setLayout(outer);
    const steps = label('', 'color: #555;');
    const head = label('', 'font-weight: bold; font-size: 15px;');
    const intro = label('', 'color: #333;');
    intro.setTextInteractionFlags(TextInteractionFlag.TextSelectableByMouse);
    outer.addWidget(steps);
    outer.addWidget(head);
    outer.addWidget(intro);
    const pages = new QStackedWidget();
    outer.addWidget(pages, 1);

    // 1. Databases.
    const dbPage = new QWidget();
    const db = vbox(dbPage);
    const dbBox = new QBoxLayout(Direction.TopToBottom);
    dbBox.setSpacing(4);
    db.addLayout(dbBox);
    const dbEmpty = label('', 'color: #555;');
    db.addWidget(dbEmpty);
    const passwordLabel = label('');
    db.addWidget(passwordLabel);
    const pwRow = row();
    const password = new QLineEdit();
    password.setObjectName('password');
    password.setEchoMode(EchoMode.Password);
    const logIn = textButton(tr('setupWindow.db.logIn'));
    pwRow.addWidget(password, 1);
    pwRow.addWidget(logIn);
    db.addLayout(pwRow);
    db.addStretch(1);
    const dbAgain = textButton(tr('setupWindow.searchAgain'));
    const dbAgainRow = row();
    dbAgainRow.addWidget(dbAgain);
    dbAgainRow.addStretch(1);
    db.addLayout(dbAgainRow);
    pages.addWidget(dbPage);

    // 2. Folders.
    const folderPage = new QWidget();
    const fl = vbox(folderPage);
    const folderRow = (role: FolderRole) => {
      const title = heading(role === 'data' ? 'setupWindow.folder.data' : 'setupWindow.folder.program');
      const hint = label(tr(role === 'data' ? 'setupWindow.folder.dataHint' : 'setupWindow.folder.programHint'), 'color: #555;');
      const r = row();
      const path = new QLineEdit();
      path.setObjectName(`folder-${role}`);
      path.setPlaceholderText(tr(role === 'data' ? 'setupWindow.folder.dataPlaceholder' : 'setupWindow.folder.programPlaceholder'));
      const browse = textButton(tr('setupWindow.choose'));
      r.addWidget(path, 1);
      r.addWidget(browse);
      const facts = label('');
      for (const w of [title, hint]) fl.addWidget(w);
      fl.addLayout(r);
      fl.addWidget(facts);
      keep.push(r);
      // Typed: remembered at once (so „Weiter“ knows to look it up), looked up when the field is left.
      path.addEventListener('textChanged', (text) => this.changed(() => this.form.setFolderPath(role, text)));
      path.addEventListener('editingFinished', () => {
        if (!this.rendering) this.choose(role, path.text());
      });
      browse.addEventListener('clicked', () => this.browse(role));
      return { title, hint, path, browse, facts };
    };
    const folders = { data: folderRow('data'), program: folderRow('program') };
    fl.addStretch(1);
    pages.addWidget(folderPage);

    // 3. Backup directory.
    const dirPage = new QWidget();
    const dl = vbox(dirPage);
    const estimate = label('', 'font-weight: bold;');
    dl.addWidget(estimate);
    dl.addWidget(heading('setupWindow.backupDir.places'));
    const dirList = new QListWidget();
    dirList.setObjectName('backupDirs');
    dl.addWidget(dirList, 1);
    const dirRow = row();
    const dirPath = new QLineEdit();
    dirPath.setObjectName('backupDir');
    const dirBrowse = textButton(tr('setupWindow.choose'));
    dirRow.addWidget(dirPath, 1);
    dirRow.addWidget(dirBrowse);
    dl.addLayout(dirRow);
    dl.addWidget(label(tr('setupWindow.backupDir.rule'), 'color: #555;'));
    pages.addWidget(dirPage);

    // 4. Mirror.
    const diskPage = new QWidget();
    const ml = vbox(diskPage);
    ml.addWidget(heading('setupWindow.mirror.disks'));
    const diskList = new QListWidget();
    diskList.setObjectName('disks');
    ml.addWidget(diskList, 1);
    const encrypt = checkbox('setupWindow.mirror.encrypt');
    ml.addWidget(encrypt);
    ml.addWidget(label(tr('setupWindow.mirror.encryptHint'), 'color: #555;'));
    const diskAgain = textButton(tr('setupWindow.searchAgain'));
    const diskAgainRow = row();
    diskAgainRow.addWidget(diskAgain);
    diskAgainRow.addStretch(1);
    ml.addLayout(diskAgainRow);
    pages.addWidget(diskPage);

    // 5. Schedule.
    const schedPage = new QWidget();
    const sl = vbox(schedPage);
    const scheduleOn = checkbox('setupWindow.schedule.on');
    sl.addWidget(scheduleOn);
    const when = row();
    const days = new QComboBox();
    days.addItems(SCHEDULE_DAYS.map((d) => tr(DAYS_KEY[d])));
    const at = new QLabel();
    at.setText(tr('setupWindow.schedule.at'));
    const time = new QLineEdit();
    time.setObjectName('time');
    time.setMaximumWidth(80);
    when.addWidget(days);
    when.addWidget(at);
    when.addWidget(time);
    when.addStretch(1);
    sl.addLayout(when);
    const scheduleWords = label('', 'font-weight: bold;');
    sl.addWidget(scheduleWords);
    const nextRuns = label('');
    sl.addWidget(nextRuns);
    sl.addWidget(label(tr('setupWindow.schedule.hint'), 'color: #555;'));
    const trayAtLogin = checkbox('setupWindow.schedule.trayAtLogin');
    sl.addWidget(trayAtLogin);
    sl.addStretch(1);
    pages.addWidget(schedPage);

    // 6. Overview.
    const finishPage = new QWidget();
    const sumL = vbox(finishPage);
    const summary = new QPlainTextEdit();
    summary.setObjectName('summary');
    summary.setReadOnly(true);
    sumL.addWidget(summary, 1);
    const firstBackup = checkbox('setupWindow.finish.firstBackup');
    sumL.addWidget(firstBackup);
    pages.addWidget(finishPage);

    // The progress page, after „Einrichten“.
    const progressPage = new QWidget();
    const pl = vbox(progressPage);
    const stagesLayout = new QBoxLayout(Direction.TopToBottom);
    stagesLayout.setSpacing(2);
    pl.addLayout(stagesLayout);
    const bar = new QProgressBar();
    bar.setRange(0, 100);
    pl.addWidget(bar);
    const current = label('', 'font-style: italic;');
    pl.addWidget(current);
    const result = label('');
    result.setObjectName('result');
    result.setTextInteractionFlags(TextInteractionFlag.TextSelectableByMouse);
    pl.addWidget(result);
    const details = label('');
    details.setTextInteractionFlags(TextInteractionFlag.TextSelectableByMouse);
    pl.addWidget(details);
    const sheet = textButton('');
    const sheetRow = row();
    sheetRow.addWidget(sheet);
    sheetRow.addStretch(1);
    pl.addLayout(sheetRow);
    const log = new QPlainTextEdit();
    log.setObjectName('log');
    log.setReadOnly(true);
    pl.addWidget(log, 1);
    pages.addWidget(progressPage);

    const busy = label('', TONE_STYLE.pending);
    outer.addWidget(busy);
    const problemsLayout = new QBoxLayout(Direction.TopToBottom);
    problemsLayout.setSpacing(2);
    outer.addLayout(problemsLayout);
    const buttons = row();
    const back = textButton(tr('setupWindow.back'));
    const next = textButton(tr('setupWindow.next'));
    const close = textButton(tr('setupWindow.later'));
    buttons.addWidget(close);
    buttons.addStretch(1);
    buttons.addWidget(back);
    buttons.addWidget(next);
    outer.addLayout(buttons);

    logIn.addEventListener('clicked', () => {
      if (this.form.busy) return;
      const typed = password.text();
      void this.work(async () => {
        if (await this.form.logIn(typed)) password.setText('');
      });
    });
    password.addEventListener('returnPressed', () => logIn.click());
    dirList.addEventListener('currentRowChanged', (i) => {
      const d = this.form.backupDirRows()[i];
      if (!this.rendering && d) this.choose('backupDir', d.path);
    });
    dirPath.addEventListener('editingFinished', () => {
      if (!this.rendering) this.choose('backupDir', dirPath.text());
    });
    dirBrowse.addEventListener('clicked', () => this.browse('backupDir'));
    diskList.addEventListener('currentRowChanged', (i) => this.changed(() => this.form.setMirror(this.form.mirrorRows()[i]?.uuid ?? null)));
    encrypt.addEventListener('clicked', (on) => this.changed(() => this.form.setEncrypt(on)));
    scheduleOn.addEventListener('clicked', (on) => this.changed(() => this.form.setSchedule({ on })));
    days.addEventListener('currentIndexChanged', (i) => this.changed(() => this.form.setSchedule({ days: SCHEDULE_DAYS[i] ?? '1-5' })));
    time.addEventListener('textChanged', (text) => this.changed(() => this.form.setSchedule({ time: text })));
    trayAtLogin.addEventListener('clicked', (on) => this.changed(() => this.form.assistant.setTrayAtLogin(on)));
    firstBackup.addEventListener('clicked', (on) => this.changed(() => this.form.assistant.setFirstBackup(on)));
    for (const again of [dbAgain, diskAgain]) again.addEventListener('clicked', () => void this.work(() => this.form.searchAgain()));
    sheet.addEventListener('clicked', () => {
      const name = this.form.sheetMirror();
      if (name) this.deps.emergencySheet?.(name);
    });
    back.addEventListener('clicked', () => this.back());
    next.addEventListener('clicked', () => this.next());
    close.addEventListener('clicked', () => this.close());

    return {
      window,
      steps,
      heading: head,
      intro,
      pages,
      busy,
      problems: { layout: problemsLayout, labels: [] as QLabel[] },
      dbBox,
      dbEmpty,
      dbAgain,
      diskAgain,
      passwordLabel,
      password,
      logIn,
      folders,
      estimate,
      dirList,
      dirPath,
      dirBrowse,
      diskList,
      encrypt,
      scheduleOn,
      days,
      time,
      scheduleWords,
      nextRuns,
      trayAtLogin,
      summary,
      firstBackup,
      stages: { layout: stagesLayout, labels: [] as QLabel[] },
      bar,
      current,
      result,
      details,
      sheet,
      log,
      back,
      next,
      close,
      keep: [...keep, dbPage, folderPage, dirPage, diskPage, schedPage, finishPage, progressPage, pwRow, dirRow, when, buttons, at, dbAgainRow, diskAgainRow, sheetRow] as unknown[],
    };
  }
}

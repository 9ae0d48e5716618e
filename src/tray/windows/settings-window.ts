// The settings window: plain NodeGui widgets that render the form of model/settings-form.ts and
// forward input to it. Everything that decides anything (validation, the schedule preview, which
// volumes to offer, saving, installing the schedule) is in the model, tested without a display.
//
// Under plain Node Qt's events are pumped by a timer, so nothing here may start a nested loop
// (no exec() on anything). Widgets are kept in fields: a wrapper that is garbage-collected takes
// its widget with it.
import {
  AlignmentFlag,
  Direction,
  QBoxLayout,
  QCheckBox,
  QComboBox,
  QLabel,
  QLineEdit,
  QPushButton,
  QScrollArea,
  QSpinBox,
  QWidget,
  ScrollBarPolicy,
  SizeAdjustPolicy,
  WidgetEventTypes,
} from '@nodegui/nodegui';
import type { App } from '../../app/compose';
import type { Volume } from '../../diskutil/volumes';
import { t, type Lang, type MessageKey } from '../../i18n';
import { readRawConfig, type RawConfig } from '../model/settings-file';
import { parseTestLine, smtpIdOfForm, storeNotifySecrets, testOutcome } from '../model/notify-form';
import type { NotifyTestLine } from '../../alerting/contracts';
import { findCli, RunLauncher } from '../run-launcher';
import { NotifySection } from './notify-section';
import {
  COMPONENT_TYPES,
  PASSWORD_MODES,
  componentDefaults,
  configFromForm,
  formFromConfig,
  MIRROR_MODES,
  MIRROR_TYPES,
  newComponent,
  newMirror,
  sameValue,
  saveSettings,
  saveSummary,
  schedulePreview,
  validate,
  volumeChoices,
  volumeRefOf,
  type FieldId,
  type FieldProblem,
  type SettingsForm,
} from '../model/settings-form';

export interface SettingsWindowDeps {
  app: App;
  configFile: string;
  lang: Lang;
  /** The tray's event pump: fast while the window is open. */
  pump?: { hold(reason: string): void; release(reason: string): void };
  /** The clock the schedule preview counts the next runs from (tests set it; default: now). */
  now?: () => Date;
  /** dist/cli.js for „Test senden“ (default: findCli()). */
  cli?: string;
  /** Extra environment for that CLI (tests: HOME, the keyring's bus). */
  env?: Record<string, string>;
}

const WIDTH = 880;
const HEIGHT = 660;
const LABEL_WIDTH = 170;
const RED = '#b3261e';
const AMBER = '#8a5a00';
const GREEN = '#1e6b2e';
const GREY = '#555555';

/** Column widths shared by a section's header and its rows, so they line up. 0 = takes the rest. */
const COMPONENT_COLS = { name: 120, type: 170, target: 0, host: 110, port: 64, user: 96, password: 128, remove: 30 };
const MIRROR_COLS = { name: 84, type: 118, target: 0, user: 80, mode: 108, eject: 72, required: 60, remove: 30 };

interface ComponentRowWidgets {
  box: QWidget;
  name: QLineEdit;
  type: QComboBox;
  /** The database for a database, the folder's path for a folder. */
  target: QLineEdit;
  host: QLineEdit;
  port: QLineEdit;
  user: QLineEdit;
  /** Where the password comes from: automatisch / Schlüsselbund / keins (PASSWORD_MODES). */
  password: QComboBox;
  remove: QPushButton;
  error: QLabel;
}

interface MirrorRowWidgets {
  box: QWidget;
  name: QLineEdit;
  type: QComboBox;
  /** Shown for type volume. */
  volume: QComboBox;
  volumeValues: string[];
  /** Shown for smb (URL) and path (folder). */
  target: QLineEdit;
  user: QLineEdit;
  mode: QComboBox;
  eject: QCheckBox;
  required: QCheckBox;
  remove: QPushButton;
  error: QLabel;
}

/** The widgets a test (or a later feature) drives; all kept alive by this object. */
export interface SettingsWidgets {
  window: QWidget;
  loadNote: QLabel;
  backupDir: QLineEdit;
  backupDirError: QLabel;
  components: ComponentRowWidgets[];
  componentsError: QLabel;
  addDatabase: QPushButton;
  addFolder: QPushButton;
  mirrors: MirrorRowWidgets[];
  mirrorsError: QLabel;
  mirrorNote: QLabel;
  addMirror: QPushButton;
  refreshVolumes: QPushButton;
  cron: QLineEdit;
  preview: QLabel;
  cronError: QLabel;
  retention: QSpinBox;
  retentionError: QLabel;
  otherError: QLabel;
  summary: QLabel;
  save: QPushButton;
  cancel: QPushButton;
}

function vbox(parent?: QWidget, spacing = 6): QBoxLayout {
  const l = new QBoxLayout(Direction.TopToBottom);
  l.setSpacing(spacing);
  parent?.setLayout(l);
  return l;
}

function hbox(parent?: QWidget, spacing = 6): QBoxLayout {
  const l = new QBoxLayout(Direction.LeftToRight);
  l.setSpacing(spacing);
  parent?.setLayout(l);
  return l;
}

function label(text: string, opts: { bold?: boolean; color?: string; wrap?: boolean; width?: number } = {}): QLabel {
  const l = new QLabel();
  l.setText(text);
  if (opts.wrap) l.setWordWrap(true);
  if (opts.width) l.setFixedWidth(opts.width);
  const css = [opts.bold ? 'font-weight: bold;' : '', opts.color ? `color: ${opts.color};` : ''].join(' ').trim();
  if (css) l.setStyleSheet(`QLabel { ${css} }`, false);
  return l;
}

/** An error label under a field: red, wrapping, hidden while empty. */
function errorLabel(): QLabel {
  const l = label('', { color: RED, wrap: true });
  l.hide();
  return l;
}

function setError(l: QLabel, lines: string[]): void {
  l.setText(lines.join('\n'));
  l.setVisible(lines.length > 0);
}

function markInvalid(w: QWidget, on: boolean): void {
  const kind = w instanceof QComboBox ? 'QComboBox' : 'QLineEdit';
  w.setStyleSheet(on ? `${kind} { border: 2px solid ${RED}; border-radius: 3px; padding: 1px 3px; }` : '', false);
}

function lineEdit(text: string, width?: number, placeholder?: string): QLineEdit {
  const e = new QLineEdit();
  e.setText(text);
  if (width) e.setFixedWidth(width);
  if (placeholder !== undefined) e.setPlaceholderText(placeholder);
  return e;
}

function combo(items: string[], width?: number): QComboBox {
  const c = new QComboBox();
  c.addItems(items);
  if (width) c.setFixedWidth(width);
  return c;
}

function button(text: string): QPushButton {
  const b = new QPushButton();
  b.setText(text);
  return b;
}

/** A header row of column titles with the same widths as the rows below it. */
function header(cols: Record<string, number>, titles: Record<string, string>): QWidget {
  const w = new QWidget();
  const l = hbox(w);
  l.setContentsMargins(0, 0, 0, 0);
  for (const [key, width] of Object.entries(cols)) {
    const h = label(titles[key] ?? '', { color: GREY });
    if (width) h.setFixedWidth(width);
    l.addWidget(h, width ? 0 : 1);
  }
  return w;
}

export class SettingsWindow {
  onClosed?: () => void;
  /** Settles when the config and the volume list are loaded into the widgets (tests await it). */
  ready: Promise<void> = Promise.resolve();

  private w: SettingsWidgets | null = null;
  private componentList: QBoxLayout | null = null;
  private mirrorList: QBoxLayout | null = null;
  private form: SettingsForm = formFromConfig(null);
  private original: RawConfig | null = null;
  private volumes: Volume[] = [];
  private volumeError: string | null = null;
  private saving = false;
  /** Containers without a field of their own in SettingsWidgets, held so their wrappers live as long as the window. */
  private containers: QWidget[] = [];
  /** „Benachrichtigungen“ (notify-section.ts). */
  private notify: NotifySection | null = null;
  private notifyTest: RunLauncher | null = null;

  constructor(private readonly deps: SettingsWindowDeps) {}

  get widgets(): SettingsWidgets | null {
    return this.w;
  }

  /** The „Benachrichtigungen“ section's widgets while the window is open. */
  get notifyWidgets(): NotifySection['w'] | null {
    return this.w ? (this.notify?.w ?? null) : null;
  }

  /** Scrolls the form until the widget is in view (the notify section lies below the first screen). */
  reveal(widget: QWidget): void {
    const scroll = this.containers[0];
    if (scroll instanceof QScrollArea) scroll.ensureWidgetVisible(widget, 10, 40);
  }

  /** Creates the window, or raises it when it is already open. */
  show(): void {
    if (this.w) {
      this.w.window.show();
      this.w.window.raise();
      this.w.window.activateWindow();
      return;
    }
    this.w = this.build();
    this.deps.pump?.hold('settings');
    this.w.window.show();
    this.ready = this.load();
  }

  close(): void {
    this.w?.window.close(); // the Close event tears down (also when the window manager closes it)
    this.teardown();
  }

  private teardown(): void {
    const w = this.w;
    if (!w) return;
    this.w = null;
    this.componentList = this.mirrorList = null;
    this.notify = null;
    this.containers = [];
    w.window.hide();
    w.window.deleteLater();
    this.deps.pump?.release('settings');
    this.onClosed?.();
  }

  private tr(key: MessageKey, params?: Record<string, string | number>): string {
    return t(this.deps.lang, key, params);
  }

  // ---- building ----

  private build(): SettingsWidgets {
    const window = new QWidget();
    window.setWindowTitle(this.tr('tray.settings.title'));
    window.setFixedSize(WIDTH, HEIGHT);
    window.addEventListener(WidgetEventTypes.Close, () => this.teardown());
    const outer = vbox(window, 8);
    outer.setContentsMargins(14, 12, 14, 12);

    const scroll = new QScrollArea();
    scroll.setWidgetResizable(true);
    scroll.setHorizontalScrollBarPolicy(ScrollBarPolicy.ScrollBarAlwaysOff);
    const content = new QWidget();
    const body = vbox(content, 6);
    body.setContentsMargins(4, 4, 12, 4);
    scroll.setWidget(content);
    outer.addWidget(scroll, 1);

    const loadNote = label(this.tr('tray.settings.loading'), { color: GREY, wrap: true });
    body.addWidget(loadNote);

    // Backup folder
    const backupDir = lineEdit('', undefined, '/Users/Shared/Praxis-Backup');
    const backupDirError = errorLabel();
    body.addWidget(this.fieldRow('tray.settings.backupDir.label', backupDir, backupDirError, 'tray.settings.backupDir.hint'));
    backupDir.addEventListener('textChanged', (text) => {
      this.form.backupDir = text;
      this.clearError('backupDir');
    });

    // Components
    const components = this.section(body, 'tray.settings.components.title', 'tray.settings.components.hint', COMPONENT_COLS, {
      name: 'tray.settings.col.name',
      type: 'tray.settings.col.type',
      target: 'tray.settings.col.target',
      host: 'tray.settings.col.host',
      port: 'tray.settings.col.port',
      user: 'tray.settings.col.user',
      password: 'tray.settings.col.password',
    });
    this.componentList = components.list;
    const componentsError = components.error;
    const addDatabase = button(this.tr('tray.settings.add.database'));
    const addFolder = button(this.tr('tray.settings.add.folder'));
    body.addWidget(this.buttonRow([addDatabase, addFolder]));
    addDatabase.addEventListener('clicked', () => this.addComponent('postgres'));
    addFolder.addEventListener('clicked', () => this.addComponent('folder'));

    // Mirrors
    const mirrors = this.section(body, 'tray.settings.mirrors.title', 'tray.settings.mirrors.hint', MIRROR_COLS, {
      name: 'tray.settings.col.name',
      type: 'tray.settings.col.type',
      target: 'tray.settings.col.where',
      user: 'tray.settings.col.user',
      mode: 'tray.settings.col.mode',
      eject: 'tray.settings.col.eject',
      required: 'tray.settings.col.required',
    });
    this.mirrorList = mirrors.list;
    const mirrorsError = mirrors.error;
    const mirrorNote = label('', { color: AMBER, wrap: true });
    mirrorNote.hide();
    body.addWidget(mirrorNote);
    const addMirror = button(this.tr('tray.settings.add.mirror'));
    const refreshVolumes = button(this.tr('tray.settings.volume.refresh'));
    body.addWidget(this.buttonRow([addMirror, refreshVolumes]));
    addMirror.addEventListener('clicked', () => this.addMirror());
    refreshVolumes.addEventListener('clicked', () => void this.refreshVolumes());

    // Schedule: the preview follows every keystroke.
    body.addSpacing(6);
    const cron = lineEdit('', 200, '15 3 * * 1-5');
    const cronError = errorLabel();
    const preview = label('', { wrap: true });
    // The runs as a list beside the field, where a 200 px field leaves the row empty anyway.
    const cronLine = new QWidget();
    const cronLineLayout = hbox(cronLine, 14);
    cronLineLayout.setContentsMargins(0, 0, 0, 0);
    cronLineLayout.addWidget(cron, 0, AlignmentFlag.AlignLeft | AlignmentFlag.AlignTop); // stays left while the preview is hidden
    cronLineLayout.addWidget(preview, 1);
    const cronCol = new QWidget();
    const cronLayout = vbox(cronCol, 3);
    cronLayout.setContentsMargins(0, 0, 0, 0);
    cronLayout.addWidget(cronLine);
    cronLayout.addWidget(cronError);
    cronLayout.addWidget(label(this.tr('tray.settings.schedule.hint'), { color: GREY, wrap: true }));
    body.addWidget(this.labelled('tray.settings.schedule.label', cronCol));
    cron.addEventListener('textChanged', (text) => {
      this.form.cron = text;
      this.updatePreview();
    });

    // Retention
    const retention = new QSpinBox();
    retention.setRange(1, 1000);
    retention.setSuffix(this.tr('tray.settings.retention.suffix'));
    retention.setFixedWidth(160);
    const retentionError = errorLabel();
    body.addWidget(this.fieldRow('tray.settings.retention.label', retention, retentionError, 'tray.settings.retention.hint'));
    retention.addEventListener('valueChanged', (v) => {
      this.form.retention = String(v);
      this.clearError('retention');
    });

    this.notify = new NotifySection(this.deps.lang, { form: () => this.form.notify, clearError: (f) => this.clearError(f), test: () => void this.testNotify() });
    body.addWidget(this.notify.widget);

    const otherError = errorLabel();
    body.addWidget(otherError);
    body.addStretch(1);
    this.containers = [scroll, content, components.box, mirrors.box, cronLine, cronCol];

    // Summary and buttons, outside the scroll area: always visible.
    const summary = label('', { wrap: true });
    summary.hide();
    outer.addWidget(summary);
    const cancel = button(this.tr('tray.settings.cancel'));
    const save = button(this.tr('tray.settings.save'));
    save.setDefault(true);
    const buttons = new QWidget();
    const bl = hbox(buttons);
    bl.setContentsMargins(0, 0, 0, 0);
    bl.addStretch(1);
    bl.addWidget(cancel);
    bl.addWidget(save);
    outer.addWidget(buttons);
    cancel.addEventListener('clicked', () => this.close());
    save.addEventListener('clicked', () => void this.save());

    return {
      window, loadNote, backupDir, backupDirError, components: [], componentsError, addDatabase, addFolder,
      mirrors: [], mirrorsError, mirrorNote, addMirror, refreshVolumes, cron, preview, cronError,
      retention, retentionError, otherError, summary, save, cancel,
    };
  }

  /** A list section: title, hint, column titles, the rows' container, the error line of the list. */
  private section(body: QBoxLayout, title: MessageKey, hint: MessageKey, cols: Record<string, number>, titles: Record<string, MessageKey>) {
    body.addSpacing(6);
    body.addWidget(label(this.tr(title), { bold: true }));
    body.addWidget(label(this.tr(hint), { color: GREY, wrap: true }));
    body.addWidget(header(cols, Object.fromEntries(Object.entries(titles).map(([k, key]) => [k, this.tr(key)]))));
    const box = new QWidget();
    const list = vbox(box, 4);
    list.setContentsMargins(0, 0, 0, 0);
    body.addWidget(box);
    const error = errorLabel();
    body.addWidget(error);
    return { box, list, error };
  }

  /** A row of a list: one line of fields, the row's error line under it. */
  private rowShell(error: QLabel): { box: QWidget; line: QBoxLayout } {
    const box = new QWidget();
    const outer = vbox(box, 2);
    outer.setContentsMargins(0, 0, 0, 0);
    const lineWidget = new QWidget();
    const line = hbox(lineWidget);
    line.setContentsMargins(0, 0, 0, 0);
    outer.addWidget(lineWidget);
    outer.addWidget(error);
    return { box, line };
  }

  /** Label on the left, the control with its error and hint on the right. */
  private fieldRow(key: MessageKey, control: QWidget, error: QLabel, hint: MessageKey): QWidget {
    const col = new QWidget();
    const l = vbox(col, 3);
    l.setContentsMargins(0, 0, 0, 0);
    l.addWidget(control);
    l.addWidget(error);
    l.addWidget(label(this.tr(hint), { color: GREY, wrap: true }));
    return this.labelled(key, col);
  }

  private labelled(key: MessageKey, col: QWidget): QWidget {
    const row = new QWidget();
    const l = hbox(row, 10);
    l.setContentsMargins(0, 0, 0, 0);
    l.addWidget(label(this.tr(key), { bold: true, width: LABEL_WIDTH }), 0, AlignmentFlag.AlignTop);
    l.addWidget(col, 1);
    return row;
  }

  private buttonRow(buttons: QPushButton[]): QWidget {
    const row = new QWidget();
    const l = hbox(row);
    l.setContentsMargins(0, 0, 0, 0);
    for (const b of buttons) l.addWidget(b);
    l.addStretch(1);
    return row;
  }

  // ---- loading ----

  private async load(): Promise<void> {
    const [read] = await Promise.all([readRawConfig(this.deps.configFile), this.listVolumes()]);
    const w = this.w;
    if (!w) return;
    this.original = read.kind === 'ok' ? read.raw : null;
    this.form = formFromConfig(this.original);
    this.fill();
    const problems = read.kind === 'ok' ? validate(this.form, this.original, this.deps.lang) : [];
    if (read.kind === 'unreadable') this.setNote(this.tr('tray.settings.load.unreadable', { file: this.deps.configFile, reason: read.reason }), RED);
    else if (read.kind === 'missing') this.setNote(this.tr('tray.settings.load.missing'), GREY);
    else if (problems.length) this.setNote(this.tr('tray.settings.load.invalid', { count: problems.length }), RED);
    else this.setNote('', GREY);
    this.showProblems(problems);
  }

  private async listVolumes(): Promise<void> {
    try {
      this.volumes = await this.deps.app.volumes().list();
      this.volumeError = null;
    } catch (e) {
      this.volumes = [];
      this.volumeError = (e as Error).message;
    }
  }

  private async refreshVolumes(): Promise<void> {
    await this.listVolumes();
    if (this.w) this.renderMirrors();
  }

  private setNote(text: string, color: string): void {
    const n = this.w!.loadNote;
    n.setText(text);
    n.setStyleSheet(`QLabel { color: ${color}; }`, false);
    n.setVisible(text !== '');
  }

  /** Puts the whole form into the widgets (after loading, and after a save). */
  private fill(): void {
    const w = this.w!;
    w.backupDir.setText(this.form.backupDir);
    w.cron.setText(this.form.cron);
    w.retention.setValue(Number(this.form.retention) || 10);
    this.renderComponents();
    this.renderMirrors();
    this.updatePreview();
    this.notify?.fill(this.form.notify);
    void this.updatePasswordNote();
  }

  // ---- components ----

  private addComponent(type: 'postgres' | 'folder'): void {
    this.form.components.push(newComponent(this.form, type));
    this.renderComponents();
    this.w!.components.at(-1)?.target.setFocus();
  }

  /** Rows are rebuilt whenever rows come or go: each row's handlers then know their index. */
  private renderComponents(): void {
    const w = this.w!;
    for (const r of w.components) this.dropRow(this.componentList!, r.box);
    w.components = this.form.components.map((_, i) => this.componentRow(i));
    for (const r of w.components) this.componentList!.addWidget(r.box);
    this.clearError('components');
  }

  private componentRow(i: number): ComponentRowWidgets {
    const row = this.form.components[i]!;
    const error = errorLabel();
    const { box, line: l } = this.rowShell(error);
    const c = COMPONENT_COLS;
    const types = [...COMPONENT_TYPES] as string[];
    const r: ComponentRowWidgets = {
      box,
      name: lineEdit(row.name, c.name),
      type: combo(types.map((ty) => this.tr(`tray.settings.type.${ty}` as MessageKey)), c.type),
      target: lineEdit(row.type === 'folder' ? row.path : row.database),
      host: lineEdit(row.host, c.host),
      port: lineEdit(row.port, c.port),
      user: lineEdit(row.user, c.user),
      password: combo(PASSWORD_MODES.map((m) => this.tr(`tray.settings.password.${m || 'auto'}` as MessageKey)), c.password),
      remove: button('✕'),
      error,
    };
    r.password.setToolTip(this.tr('tray.settings.password.hint'));
    const modes = [...PASSWORD_MODES] as string[];
    if (!modes.includes(row.password)) {
      // A value this window does not know (a typo in the file): shown as it is, so validation can name it.
      r.password.addItem(undefined, row.password);
      modes.push(row.password);
    }
    r.password.setCurrentIndex(modes.indexOf(row.password));
    r.password.addEventListener('currentIndexChanged', (idx) => {
      this.form.components[i]!.password = modes[idx] ?? '';
      this.clearError(`components.${i}.password`);
    });
    r.remove.setFixedWidth(c.remove);
    r.remove.setToolTip(this.tr('tray.settings.remove'));
    if (!types.includes(row.type)) {
      // A type this window does not know (a typo in the file): shown as it is, so validation can name it.
      r.type.addItem(undefined, row.type);
      types.push(row.type);
    }
    r.type.setCurrentIndex(types.indexOf(row.type));
    for (const x of [r.name, r.type, r.target, r.host, r.port, r.user, r.password, r.remove]) l.addWidget(x, x === r.target ? 1 : 0);
    this.componentKinds(r, row.type);
    const edit = (field: 'name' | 'host' | 'port' | 'user', e: QLineEdit) =>
      e.addEventListener('textChanged', (text) => {
        this.form.components[i]![field] = text;
        this.clearError(`components.${i}.${field}`);
      });
    edit('name', r.name);
    edit('host', r.host);
    edit('port', r.port);
    edit('user', r.user);
    r.target.addEventListener('textChanged', (text) => {
      const comp = this.form.components[i]!;
      if (comp.type === 'folder') comp.path = text;
      else comp.database = text;
      this.clearError(`components.${i}.${comp.type === 'folder' ? 'path' : 'database'}`);
    });
    r.type.addEventListener('currentIndexChanged', (idx) => {
      const comp = this.form.components[i]!;
      const type = types[idx] ?? comp.type;
      if (type === comp.type) return;
      comp.type = type;
      r.target.setText(type === 'folder' ? comp.path : comp.database);
      this.componentKinds(r, type);
      this.clearError(`components.${i}.type`);
    });
    r.remove.addEventListener('clicked', () => {
      this.form.components.splice(i, 1);
      this.renderComponents();
    });
    return r;
  }

  /** A folder has a path and nothing else; a database shows its defaults as placeholders. */
  private componentKinds(r: ComponentRowWidgets, type: string): void {
    const folder = type === 'folder';
    const d = componentDefaults(type);
    r.target.setPlaceholderText(folder ? this.tr('tray.settings.placeholder.path') : this.tr('tray.settings.col.database'));
    for (const [e, def] of [[r.host, d.host], [r.port, d.port], [r.user, d.user]] as const) {
      e.setEnabled(!folder);
      e.setPlaceholderText(def);
    }
    r.password.setEnabled(!folder);
  }

  // ---- mirrors ----

  private addMirror(): void {
    this.form.mirrors.push(newMirror(this.form));
    this.renderMirrors();
  }

  private renderMirrors(): void {
    const w = this.w!;
    for (const r of w.mirrors) this.dropRow(this.mirrorList!, r.box);
    w.mirrors = this.form.mirrors.map((_, i) => this.mirrorRow(i));
    for (const r of w.mirrors) this.mirrorList!.addWidget(r.box);
    this.clearError('mirrors');
    this.updateMirrorNote();
  }

  private mirrorRow(i: number): MirrorRowWidgets {
    const row = this.form.mirrors[i]!;
    const error = errorLabel();
    const { box, line: l } = this.rowShell(error);
    const c = MIRROR_COLS;
    const types = [...MIRROR_TYPES] as string[];
    const modes = [...MIRROR_MODES] as string[];
    const r: MirrorRowWidgets = {
      box,
      name: lineEdit(row.name, c.name),
      type: combo(types.map((ty) => this.tr(`tray.settings.mirrorType.${ty}` as MessageKey)), c.type),
      volume: new QComboBox(),
      volumeValues: [],
      target: lineEdit(row.type === 'smb' ? row.url : row.path),
      user: lineEdit(row.user, c.user, this.tr('tray.settings.col.user')),
      mode: combo(modes.map((m) => this.tr(`tray.settings.mode.${m}` as MessageKey)), c.mode),
      eject: new QCheckBox(),
      required: new QCheckBox(),
      remove: button('✕'),
      error,
    };
    if (!types.includes(row.type)) {
      r.type.addItem(undefined, row.type);
      types.push(row.type);
    }
    r.type.setCurrentIndex(types.indexOf(row.type));
    r.mode.setCurrentIndex(Math.max(0, modes.indexOf(row.mode)));
    r.mode.setToolTip(this.tr('tray.settings.mode.tip'));
    r.eject.setChecked(row.eject);
    r.eject.setFixedWidth(c.eject);
    r.eject.setToolTip(this.tr('tray.settings.eject.tip'));
    r.required.setChecked(row.required);
    r.required.setFixedWidth(c.required);
    r.required.setToolTip(this.tr('tray.settings.required.tip'));
    r.remove.setFixedWidth(c.remove);
    r.remove.setToolTip(this.tr('tray.settings.remove'));
    // Otherwise the combo is as wide as its longest disk description and pushes the row out of the window.
    r.volume.setSizeAdjustPolicy(SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon);
    r.volume.setMinimumContentsLength(16);
    this.fillVolumes(r, row.volume);
    for (const x of [r.name, r.type, r.volume, r.target, r.user, r.mode, r.eject, r.required, r.remove]) {
      l.addWidget(x, x === r.volume || x === r.target ? 1 : 0);
    }
    this.mirrorKinds(r, row.type);

    const m = () => this.form.mirrors[i]!;
    r.name.addEventListener('textChanged', (text) => {
      m().name = text;
      this.clearError(`mirrors.${i}.name`);
    });
    r.user.addEventListener('textChanged', (text) => {
      m().user = text;
      this.clearError(`mirrors.${i}.user`);
    });
    r.target.addEventListener('textChanged', (text) => {
      if (m().type === 'smb') m().url = text;
      else m().path = text;
      this.clearError(`mirrors.${i}.${m().type === 'smb' ? 'url' : 'path'}`);
    });
    r.volume.addEventListener('currentIndexChanged', (idx) => {
      m().volume = r.volumeValues[idx] ?? '';
      r.volume.setToolTip(r.volume.itemText(idx));
      this.clearError(`mirrors.${i}.volume`);
      this.updateMirrorNote();
    });
    r.mode.addEventListener('currentIndexChanged', (idx) => (m().mode = modes[idx] ?? 'all'));
    r.eject.addEventListener('toggled', (on) => (m().eject = on));
    r.required.addEventListener('toggled', (on) => (m().required = on));
    r.type.addEventListener('currentIndexChanged', (idx) => {
      const type = types[idx] ?? m().type;
      if (type === m().type) return;
      m().type = type;
      r.target.setText(type === 'smb' ? m().url : m().path);
      this.mirrorKinds(r, type);
      this.clearError(`mirrors.${i}.type`);
      this.updateMirrorNote();
    });
    r.remove.addEventListener('clicked', () => {
      this.form.mirrors.splice(i, 1);
      this.renderMirrors();
    });
    return r;
  }

  private fillVolumes(r: MirrorRowWidgets, current: string): void {
    const choices = volumeChoices(this.volumes, this.form, this.deps.lang);
    r.volume.clear();
    r.volumeValues = ['', ...choices.map((c) => c.value)];
    r.volume.addItems([this.tr('tray.settings.volume.choose'), ...choices.map((c) => c.text)]);
    const index = Math.max(0, r.volumeValues.findIndex((v) => v && sameValue(v, current)));
    r.volume.setCurrentIndex(index);
    r.volume.setToolTip(r.volume.itemText(index)); // the whole description, when the row is too narrow for it
  }

  private mirrorKinds(r: MirrorRowWidgets, type: string): void {
    r.volume.setVisible(type === 'volume');
    r.target.setVisible(type !== 'volume');
    r.target.setPlaceholderText(type === 'smb' ? this.tr('tray.settings.placeholder.url') : this.tr('tray.settings.placeholder.path'));
    r.user.setEnabled(type === 'smb');
    r.eject.setEnabled(type === 'volume');
  }

  /** Why the list may be short (listing failed), and label-only references worth replacing by a UUID. */
  private updateMirrorNote(): void {
    const w = this.w;
    if (!w) return;
    const notes: string[] = [];
    if (this.volumeError) notes.push(this.tr('tray.settings.volume.listFailed', { reason: this.volumeError }));
    for (const m of this.form.mirrors) {
      const ref = m.type === 'volume' ? volumeRefOf(m.volume) : undefined;
      if (ref && 'label' in ref) notes.push(this.tr('tray.settings.volume.labelOnly', { name: m.name || ref.label }));
    }
    w.mirrorNote.setText(notes.join('\n'));
    w.mirrorNote.setVisible(notes.length > 0);
  }

  private dropRow(list: QBoxLayout, box: QWidget): void {
    box.hide();
    list.removeWidget(box);
    box.deleteLater();
  }

  // ---- schedule preview ----

  private updatePreview(): void {
    const w = this.w;
    if (!w) return;
    const p = schedulePreview(this.form.cron, this.deps.lang, this.deps.now?.() ?? new Date());
    markInvalid(w.cron, 'error' in p);
    if ('error' in p) {
      setError(w.cronError, [p.error]);
      w.preview.setText('');
      w.preview.hide();
      return;
    }
    setError(w.cronError, []);
    const runs = p.runs.length ? ['', this.tr('tray.settings.schedule.next'), ...p.runs.map((r) => `   ${r}`)] : [];
    w.preview.setText([p.description, ...runs].join('\n'));
    w.preview.show();
  }

  // ---- problems ----

  /** The widget with the red frame and the label with the text, for a field id. */
  private target(field: FieldId): { widget?: QWidget; label: QLabel } {
    const w = this.w!;
    const [top, i, key] = field.split('.');
    if (top === 'notify' && this.notify) return this.notify.target(field);
    if (top === 'backupDir') return { widget: w.backupDir, label: w.backupDirError };
    if (top === 'retention') return { widget: w.retention, label: w.retentionError };
    if (top === 'schedule') return { widget: w.cron, label: w.cronError };
    if (top === 'components' && i !== undefined && w.components[Number(i)]) {
      const r = w.components[Number(i)]!;
      const widget = key === 'database' || key === 'path' ? r.target : key ? (r as unknown as Record<string, QWidget>)[key] : undefined;
      return { widget, label: r.error };
    }
    if (top === 'mirrors' && i !== undefined && w.mirrors[Number(i)]) {
      const r = w.mirrors[Number(i)]!;
      const widget = key === 'url' || key === 'path' ? r.target : key ? (r as unknown as Record<string, QWidget>)[key] : undefined;
      return { widget, label: r.error };
    }
    if (top === 'components') return { label: w.componentsError };
    if (top === 'mirrors') return { label: w.mirrorsError };
    return { label: w.otherError };
  }

  private problems = new Map<FieldId, string>();

  private showProblems(problems: FieldProblem[]): void {
    this.problems = new Map(problems.map((p) => [p.field, p.message]));
    this.renderProblems();
  }

  private clearError(field: FieldId): void {
    if (this.problems.delete(field)) this.renderProblems();
  }

  /** Every error label shows the problems of its fields; every field with a problem gets a red frame. */
  private renderProblems(): void {
    const w = this.w;
    if (!w) return;
    const labels = new Map<QLabel, string[]>();
    const framed = new Set<QWidget>();
    const allLabels = [w.backupDirError, w.retentionError, w.componentsError, w.mirrorsError, w.otherError, ...w.components.map((r) => r.error), ...w.mirrors.map((r) => r.error), ...(this.notify?.errorLabels() ?? [])];
    for (const l of allLabels) labels.set(l, []);
    for (const [field, message] of this.problems) {
      const { widget, label: l } = this.target(field);
      if (field === 'schedule') continue; // the preview owns that label; it shows the same text
      labels.get(l)?.push(message);
      if (widget) framed.add(widget);
    }
    for (const [l, lines] of labels) setError(l, lines);
    const editable = [w.backupDir, ...w.components.flatMap((r) => [r.name, r.type, r.target, r.host, r.port, r.user, r.password]), ...w.mirrors.flatMap((r) => [r.name, r.type, r.volume, r.target, r.user, r.mode]), ...(this.notify?.editable() ?? [])];
    for (const e of editable) markInvalid(e, framed.has(e));
    // A bad expression is already shown by the live preview, in the same words; anything else
    // wrong with the schedule part (e.g. onDiskAttach in the file) still needs its line.
    if (this.problems.has('schedule')) {
      if (!w.cronError.isVisible()) setError(w.cronError, [this.problems.get('schedule')!]);
      markInvalid(w.cron, true);
    }
  }

  // ---- saving ----

  private summary(text: string, color: string): void {
    const s = this.w!.summary;
    s.setText(text);
    s.setStyleSheet(`QLabel { color: ${color}; font-weight: bold; }`, false);
    s.setVisible(text !== '');
  }

  /** Saves when the form is valid; true when the config (and any typed notify secret) is written. */
  private async save(): Promise<boolean> {
    if (this.saving || !this.w) return false;
    let saved = false;
    this.saving = true;
    this.w.save.setEnabled(false);
    this.summary(this.tr('tray.settings.summary.saving'), GREY);
    try {
      const result = await saveSettings({ form: this.form, original: this.original, configFile: this.deps.configFile, scheduler: this.deps.app.scheduler(), lang: this.deps.lang });
      if (!this.w) return false;
      const s = saveSummary(result, this.deps.lang);
      if (result.ok) {
        saved = true;
        // The SMTP password / ntfy token typed here: into the keyring only, then out of the widgets.
        const secret = this.notify ? await storeNotifySecrets(this.deps.app.credentials(), result.config.notify, this.notify.secrets(), this.deps.lang) : null;
        if (secret) {
          s.text = `${s.text}\n${secret.text}`;
          if (secret.kind === 'warning' && s.kind === 'ok') s.kind = 'warning';
          if (secret.kind === 'ok') this.notify?.clearSecrets();
        }
        if (!this.w) return saved;
        // What is on disk now is the original for the next save (and the rows' origins with it).
        this.original = configFromForm(this.form, this.original);
        this.form = formFromConfig(this.original);
        this.fill();
        this.showProblems([]);
        this.setNote('', GREY);
        this.w.cancel.setText(this.tr('tray.settings.close'));
      } else {
        this.showProblems(result.problems);
      }
      this.summary(s.text, s.kind === 'ok' ? GREEN : s.kind === 'warning' ? AMBER : RED);
    } catch (e) {
      this.summary(this.tr('tray.settings.summary.writeFailed', { reason: (e as Error).message }), RED);
    } finally {
      this.saving = false;
      this.w?.save.setEnabled(true);
    }
    return saved;
  }

  /** Whether the keyring already holds the SMTP password for the login in the form (ids only, never the secret). */
  private async updatePasswordNote(): Promise<void> {
    const id = smtpIdOfForm(this.form.notify);
    if (!id) return this.notify?.setPasswordNote(null);
    const stored = await this.deps.app.credentials().list().then((l) => l.some((e) => e.id === id), () => null);
    if (stored === null || smtpIdOfForm(this.form.notify) !== id) return;
    this.notify?.setPasswordNote(this.tr(stored ? 'tray.settings.notify.passwordStored' : 'tray.settings.notify.passwordMissing', { id }));
  }

  /** „Test senden“: save first (the CLI tests what is on disk), then `notify test --json`, one line per channel. */
  private async testNotify(): Promise<void> {
    const section = this.notify;
    if (!section || this.notifyTest?.running) return;
    section.setTesting(true);
    section.showTest([this.tr('tray.settings.notify.testing')], 'pending');
    if (!(await this.save())) {
      this.notify?.showTest([this.tr('tray.settings.notify.testNotSaved')], 'error');
      this.notify?.setTesting(false);
      return;
    }
    const cli = this.deps.cli ?? findCli();
    const lines: NotifyTestLine[] = [];
    const launcher = (this.notifyTest = new RunLauncher({ node: process.execPath, cli: cli ?? 'dist/cli.js', configFile: this.deps.configFile, lang: this.deps.lang, env: this.deps.env }));
    this.deps.pump?.hold('settings-notify-test');
    launcher.start(
      {
        onEvent: (e) => {
          const l = parseTestLine(e);
          if (l) lines.push(l);
        },
        onExit: (exit) => {
          this.deps.pump?.release('settings-notify-test');
          const o = testOutcome(this.deps.lang, lines, exit);
          this.notify?.showTest(o.lines, o.tone);
          this.notify?.setTesting(false);
        },
      },
      ['notify', 'test'],
    );
  }
}

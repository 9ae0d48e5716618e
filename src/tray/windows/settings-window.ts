// The settings window: plain NodeGui widgets that render the form of model/settings-form.ts and
// forward input to it. Everything that decides anything (validation, the schedule preview, which
// volumes to offer, saving, installing the schedule) is in the model, tested without a display.
// This file is the window, its buttons, showing problems and saving; each section of the form is
// one file under settings/ (backup-dir, components, mirrors, schedule, retention) plus
// notify-section.ts, as the model has one file per part.
//
// Under plain Node Qt's events are pumped by a timer, so nothing here may start a nested loop
// (no exec() on anything). Widgets are kept in fields: a wrapper that is garbage-collected takes
// its widget with it.
import { QComboBox, QLabel, QLineEdit, QPushButton, QScrollArea, QSpinBox, QWidget, ScrollBarPolicy, WidgetEventTypes } from '@nodegui/nodegui';
import { readCatalog } from '../../backup-directory/catalog';
import { diskSpace } from '../../backup-directory/space-check';
import { LOCAL_RETENTION } from '../../retention/apply-retention';
import { DEFAULT_RETENTION, GENERATION_RULES, type GenerationRule } from '../../retention/policy';
import { retentionFormFrom, retentionOfForm, shrinkQuestion, shrinkToConfirm, type Shrink } from '../model/retention-form';
import type { App } from '../../app/compose';
import { t, type Lang, type MessageKey } from '../../i18n';
import { readRawConfig, type RawConfig } from '../model/settings-file';
import { parseTestLine, smtpIdOfForm, storeNotifySecrets, testOutcome } from '../model/notify-form';
import type { NotifyTestLine } from '../../alerting/contracts';
import { findCli, RunLauncher } from '../run-launcher';
import { NotifySection } from './notify-section';
import { configFromForm, formFromConfig, saveSettings, saveSummary, validate, type FieldId, type FieldProblem, type SettingsForm } from '../model/settings-form';
import { BackupDirSection } from './settings/backup-dir';
import { ComponentsSection, type ComponentRowWidgets } from './settings/components';
import { AMBER, button, errorLabel, GREEN, GREY, hbox, label, markInvalid, RED, setError, vbox, type SectionContext } from './settings/form-widgets';
import { MirrorsSection, type MirrorRowWidgets } from './settings/mirrors';
import { RetentionSection, type DirectoryFacts } from './settings/retention';
import { ScheduleSection } from './settings/schedule';

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

export type { ComponentRowWidgets, MirrorRowWidgets };

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
  /** „Generationen“ / „Anzahl“. */
  retentionMode: QComboBox;
  /** The count of a `{keep: N}` policy. */
  retentionKeep: QSpinBox;
  retentionRules: Record<GenerationRule, QSpinBox>;
  /** What the policy needs of the disk, next to the free space. */
  retentionNeed: QLabel;
  retentionError: QLabel;
  /** The question before a policy that removes many backups at once is saved (hidden otherwise). */
  shrinkBox: QWidget;
  shrinkText: QLabel;
  shrinkYes: QPushButton;
  shrinkNo: QPushButton;
  otherError: QLabel;
  summary: QLabel;
  save: QPushButton;
  cancel: QPushButton;
}

/** The sections of an open window. */
interface Sections {
  backupDir: BackupDirSection;
  components: ComponentsSection;
  mirrors: MirrorsSection;
  schedule: ScheduleSection;
  retention: RetentionSection;
}

export class SettingsWindow {
  onClosed?: () => void;
  /** Settles when the config and the volume list are loaded into the widgets (tests await it). */
  ready: Promise<void> = Promise.resolve();

  private w: SettingsWidgets | null = null;
  private sections: Sections | null = null;
  private form: SettingsForm = formFromConfig(null);
  private original: RawConfig | null = null;
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
    this.sections = null;
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

    const ctx: SectionContext = {
      lang: this.deps.lang,
      tr: (key, params) => this.tr(key, params),
      form: () => this.form,
      clearError: (field) => this.clearError(field),
      isOpen: () => this.w !== null,
    };
    const sections: Sections = {
      backupDir: new BackupDirSection(body, ctx),
      components: new ComponentsSection(body, ctx),
      mirrors: new MirrorsSection(body, ctx, () => this.deps.app.volumes().list()),
      schedule: new ScheduleSection(body, ctx, () => this.deps.now?.() ?? new Date()),
      retention: new RetentionSection(body, ctx, () => this.now()),
    };
    this.sections = sections;

    this.notify = new NotifySection(this.deps.lang, { form: () => this.form.notify, clearError: (f) => this.clearError(f), test: () => void this.testNotify() });
    body.addWidget(this.notify.widget);

    const otherError = errorLabel();
    body.addWidget(otherError);
    body.addStretch(1);
    // The need of a generations policy depends on how often the schedule runs.
    sections.schedule.cron.addEventListener('textChanged', () => sections.retention.updateNeed());
    this.containers = [scroll, content, sections.components.box, sections.mirrors.box, ...sections.schedule.containers, ...sections.retention.containers];

    // A policy that would remove many backups at once: asked here, beside the buttons, not in a
    // modal dialog (under plain Node a nested event loop would stop the tray's event pump).
    const shrinkBox = new QWidget();
    const sb = vbox(shrinkBox, 4);
    sb.setContentsMargins(0, 0, 0, 0);
    const shrinkText = label('', { color: AMBER, wrap: true, bold: true });
    const shrinkNo = button(this.tr('tray.settings.retention.shrinkNo'));
    const shrinkYes = button(this.tr('tray.settings.retention.shrinkYes'));
    const shrinkButtons = rightAligned([shrinkNo, shrinkYes]);
    sb.addWidget(shrinkText);
    sb.addWidget(shrinkButtons);
    shrinkBox.hide();
    outer.addWidget(shrinkBox);
    this.containers.push(shrinkButtons);
    shrinkNo.addEventListener('clicked', () => this.answerShrink(false));
    shrinkYes.addEventListener('clicked', () => this.answerShrink(true));

    // Summary and buttons, outside the scroll area: always visible.
    const summary = label('', { wrap: true });
    summary.hide();
    outer.addWidget(summary);
    const cancel = button(this.tr('tray.settings.cancel'));
    const save = button(this.tr('tray.settings.save'));
    save.setDefault(true);
    const buttons = rightAligned([cancel, save]);
    outer.addWidget(buttons);
    cancel.addEventListener('clicked', () => this.close());
    save.addEventListener('clicked', () => void this.save());

    const { backupDir, components, mirrors, schedule, retention } = sections;
    return {
      window, loadNote, backupDir: backupDir.field, backupDirError: backupDir.error,
      // The rows are rebuilt whenever rows come or go: always the section's current ones.
      get components() { return components.rows; },
      componentsError: components.error, addDatabase: components.addDatabase, addFolder: components.addFolder,
      get mirrors() { return mirrors.rows; },
      mirrorsError: mirrors.error, mirrorNote: mirrors.note, addMirror: mirrors.addMirror, refreshVolumes: mirrors.refreshVolumes,
      cron: schedule.cron, preview: schedule.preview, cronError: schedule.error,
      retentionMode: retention.mode, retentionKeep: retention.keep, retentionRules: retention.rules, retentionNeed: retention.need, retentionError: retention.error,
      shrinkBox, shrinkText, shrinkYes, shrinkNo,
      otherError, summary, save, cancel,
    };
  }

  // ---- loading ----

  private async load(): Promise<void> {
    const [read] = await Promise.all([readRawConfig(this.deps.configFile), this.sections!.mirrors.listVolumes()]);
    const w = this.w;
    if (!w) return;
    this.original = read.kind === 'ok' ? read.raw : null;
    this.form = formFromConfig(this.original);
    this.fill();
    // The backups there and the disk's free space, for what a policy needs (not there yet: no numbers).
    const facts = await this.directoryFacts(this.form.backupDir);
    if (this.w !== w) return;
    this.sections!.retention.setFacts(facts);
    const problems = read.kind === 'ok' ? validate(this.form, this.original, this.deps.lang) : [];
    if (read.kind === 'unreadable') this.setNote(this.tr('tray.settings.load.unreadable', { file: this.deps.configFile, reason: read.reason }), RED);
    else if (read.kind === 'missing') this.setNote(this.tr('tray.settings.load.missing'), GREY);
    else if (problems.length) this.setNote(this.tr('tray.settings.load.invalid', { count: problems.length }), RED);
    else this.setNote('', GREY);
    this.showProblems(problems);
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  /** The complete backups in the backup directory and its disk; null when it cannot be read. */
  private async directoryFacts(dir: string): Promise<DirectoryFacts | null> {
    if (!dir.trim()) return null;
    const complete = await readCatalog(dir.trim(), { now: this.now() }).then((c) => c.complete, () => null);
    if (!complete) return null;
    const space = await diskSpace(dir.trim()).catch(() => null);
    return { complete, space };
  }

  private setNote(text: string, color: string): void {
    const n = this.w!.loadNote;
    n.setText(text);
    n.setStyleSheet(`QLabel { color: ${color}; }`, false);
    n.setVisible(text !== '');
  }

  /** Puts the whole form into the widgets (after loading, and after a save). */
  private fill(): void {
    const s = this.sections!;
    s.backupDir.fill(this.form);
    s.schedule.fill(this.form);
    s.retention.fill(this.form);
    s.components.render();
    s.mirrors.render();
    s.schedule.updatePreview();
    this.notify?.fill(this.form.notify);
    void this.updatePasswordNote();
  }

  // ---- problems ----

  /** The widget with the red frame and the label with the text, for a field id. */
  private target(field: FieldId): { widget?: QWidget; label: QLabel } {
    const w = this.w!;
    const [top, i, key] = field.split('.');
    if (top === 'notify' && this.notify) return this.notify.target(field);
    if (top === 'backupDir') return { widget: w.backupDir, label: w.backupDirError };
    if (top === 'retention') {
      const widget = i === 'keep' ? w.retentionKeep : i && (GENERATION_RULES as readonly string[]).includes(i) ? w.retentionRules[i as GenerationRule] : undefined;
      return { widget, label: w.retentionError };
    }
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
    const editable = [w.backupDir, w.retentionKeep, ...Object.values(w.retentionRules), ...w.components.flatMap((r) => [r.name, r.type, r.target, r.host, r.port, r.user, r.password]), ...w.mirrors.flatMap((r) => [r.name, r.type, r.volume, r.target, r.user, r.mode]), ...(this.notify?.editable() ?? [])];
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
  /** `confirmed`: the admin said yes to removing what this policy removes (askShrink). */
  private async save(confirmed?: Shrink): Promise<boolean> {
    if (this.saving || !this.w) return false;
    let saved = false;
    this.saving = true;
    this.w.save.setEnabled(false);
    this.summary(this.tr('tray.settings.summary.saving'), GREY);
    try {
      const shrink = confirmed ? null : await this.shrinkOfForm();
      if (!this.w) return false;
      if (shrink) {
        this.askShrink(shrink);
        return false;
      }
      const result = await saveSettings({ form: this.form, original: this.original, configFile: this.deps.configFile, scheduler: this.deps.app.scheduler(), lang: this.deps.lang });
      if (!this.w) return false;
      const s = saveSummary(result, this.deps.lang);
      if (result.ok) {
        saved = true;
        // Confirmed here: recorded as the policy applied, so the next run removes instead of holding it (retention-plan.ts shrinkHeld).
        if (confirmed) {
          const at = this.now().toISOString();
          const recorded = await this.deps.app.status.update((st) => void ((st.retentionApplied ??= {})[LOCAL_RETENTION] = { policy: confirmed.policy, at })).then(
            () => null,
            (e: Error) => e.message,
          );
          if (recorded !== null) {
            s.text = `${s.text}\n${this.tr('tray.settings.retention.confirmFailed', { reason: recorded })}`;
            if (s.kind === 'ok') s.kind = 'warning';
          }
        }
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
      this.w?.save.setEnabled(!this.pendingShrink); // a question open: answered with its own buttons
    }
    return saved;
  }

  /**
   * Whether saving the form's policy would remove many backups at once (model: shrinkToConfirm),
   * judged on the backup directory as it is now and the policy status.json says was applied.
   */
  private async shrinkOfForm(): Promise<Shrink | null> {
    const next = retentionOfForm(this.form.retention);
    if (!next) return null; // not valid: saving shows the problem
    const facts = await this.directoryFacts(this.form.backupDir);
    if (!facts?.complete.length) return null;
    const was = this.original?.retention;
    const before = this.original ? (was === undefined ? DEFAULT_RETENTION : retentionOfForm(retentionFormFrom(was))) : null;
    const applied = await this.deps.app.status.read().then((st) => st.retentionApplied?.[LOCAL_RETENTION]?.policy, () => undefined);
    return shrinkToConfirm(facts.complete, next, before, applied, this.now());
  }

  private pendingShrink: Shrink | null = null;

  private askShrink(shrink: Shrink): void {
    const w = this.w!;
    this.pendingShrink = shrink;
    this.summary('', GREY);
    w.shrinkText.setText(shrinkQuestion(shrink, this.deps.lang));
    w.shrinkBox.show();
    w.save.setEnabled(false);
  }

  /** Yes: saved, and the removal recorded as confirmed. No: nothing is saved. */
  private answerShrink(yes: boolean): void {
    const w = this.w;
    const shrink = this.pendingShrink;
    this.pendingShrink = null;
    if (!w || !shrink) return;
    w.shrinkBox.hide();
    w.save.setEnabled(true);
    if (yes) void this.save(shrink);
    else this.summary(this.tr('tray.settings.retention.shrinkCancelled', { count: shrink.remove.length }), AMBER);
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

/** A row of buttons at the right edge (a dialog's answers). */
function rightAligned(buttons: QPushButton[]): QWidget {
  const row = new QWidget();
  const l = hbox(row);
  l.setContentsMargins(0, 0, 0, 0);
  l.addStretch(1);
  for (const b of buttons) l.addWidget(b);
  return row;
}

// „Kopien auf weitere Datenträger“: one row per mirror — a disk chosen from the attached volumes
// (offered by UUID, model/settings-form.ts volumeChoices), a share, a folder or an off-site
// repository. Which fields a type has is the destination kind's own `form`
// (src/destinations/registry.ts), not decided here.
import { QCheckBox, QComboBox, QWidget, SizeAdjustPolicy, type QBoxLayout, type QLabel, type QLineEdit, type QPushButton } from '@nodegui/nodegui';
import type { Volume } from '../../../core/volumes';
import type { MessageKey } from '../../../i18n';
import { addDiskToSet, MIRROR_MODES, MIRROR_TYPES, mirrorFields, newMirror, removeDiskFromSet, rotationText, sameValue, targetField, targetText, volumeChoices, volumeRefOf } from '../../model/settings-form';
import { AMBER, button, buttonRow, combo, dropRow, errorLabel, GREY, hbox, label, lineEdit, listSection, rowShell, vbox, type SectionContext } from './form-widgets';

/** Column widths shared by the header and the rows, so they line up. 0 = takes the rest. */
const COLS = { name: 84, type: 150, target: 0, user: 80, mode: 108, eject: 72, required: 60, remove: 30 };
/** The append-only line's explanation: as wide as the address column, about. */
const HINT_WIDTH = 520;

export interface MirrorRowWidgets {
  box: QWidget;
  name: QLineEdit;
  type: QComboBox;
  /** Shown for type volume. */
  volume: QComboBox;
  volumeValues: string[];
  /**
   * Shown instead of the list for a rotating set (config `volumes`): „3 wechselnde Platten: Montag,
   * Mittwoch, Freitag“. The set is kept as the file has it; it is edited in the file (handbook).
   */
  disks: QLabel;
  /** The line under a disk row that makes or edits a rotating set: a button per disk (takes it out), an attached disk, its name, „+ Platte in den Wechsel“. */
  setLine: QWidget;
  setRemove: QPushButton[];
  setChoice: QComboBox;
  /** The UUIDs behind setChoice's entries. */
  setChoiceValues: string[];
  setLabel: QLineEdit;
  setAdd: QPushButton;
  /** Shown for smb (URL), path (folder) and an off-site repository's address. */
  target: QLineEdit;
  /** The same field as target, by the config key the validation names (a repository's problem frames it). */
  repository: QLineEdit;
  user: QLineEdit;
  mode: QComboBox;
  eject: QCheckBox;
  required: QCheckBox;
  /** The line under the row for a kind with `appendOnly` (restic): the switch and what it means. */
  options: QWidget;
  appendOnly: QCheckBox;
  appendOnlyHint: QLabel;
  remove: QPushButton;
  error: QLabel;
}

export class MirrorsSection {
  rows: MirrorRowWidgets[] = [];
  readonly error: QLabel;
  /** Why the volume list may be short, and label-only references worth replacing by a UUID. */
  readonly note: QLabel;
  readonly addMirror: QPushButton;
  readonly refreshVolumes: QPushButton;
  /** The rows' container, held so its wrapper lives as long as the section. */
  readonly box: QWidget;
  private readonly list: QBoxLayout;
  private volumes: Volume[] = [];
  private volumeError: string | null = null;

  constructor(
    body: QBoxLayout,
    private readonly ctx: SectionContext,
    /** The attached volumes (the app's Volumes port). */
    private readonly listAttached: () => Promise<Volume[]>,
  ) {
    const s = listSection(ctx.tr, body, 'tray.settings.mirrors.title', 'tray.settings.mirrors.hint', COLS, {
      name: 'tray.settings.col.name',
      type: 'tray.settings.col.type',
      target: 'tray.settings.col.where',
      user: 'tray.settings.col.user',
      mode: 'tray.settings.col.mode',
      eject: 'tray.settings.col.eject',
      required: 'tray.settings.col.required',
    });
    this.box = s.box;
    this.list = s.list;
    this.error = s.error;
    this.note = label('', { color: AMBER, wrap: true });
    this.note.hide();
    body.addWidget(this.note);
    this.addMirror = button(ctx.tr('tray.settings.add.mirror'));
    this.refreshVolumes = button(ctx.tr('tray.settings.volume.refresh'));
    body.addWidget(buttonRow([this.addMirror, this.refreshVolumes]));
    this.addMirror.addEventListener('clicked', () => this.add());
    this.refreshVolumes.addEventListener('clicked', () => void this.refresh());
  }

  /** Lists the attached volumes; a failure is said in the note and leaves the list empty. */
  async listVolumes(): Promise<void> {
    try {
      this.volumes = await this.listAttached();
      this.volumeError = null;
    } catch (e) {
      this.volumes = [];
      this.volumeError = (e as Error).message;
    }
  }

  private async refresh(): Promise<void> {
    await this.listVolumes();
    if (this.ctx.isOpen()) this.render();
  }

  private add(): void {
    const form = this.ctx.form();
    form.mirrors.push(newMirror(form));
    this.render();
  }

  /** Rows are rebuilt whenever rows come or go: each row's handlers then know their index. */
  render(): void {
    for (const r of this.rows) dropRow(this.list, r.box);
    this.rows = this.ctx.form().mirrors.map((_, i) => this.row(i));
    for (const r of this.rows) this.list.addWidget(r.box);
    this.ctx.clearError('mirrors');
    this.updateNote();
  }

  private row(i: number): MirrorRowWidgets {
    const { tr } = this.ctx;
    const m = () => this.ctx.form().mirrors[i]!;
    const row = m();
    const error = errorLabel();
    const options = new QWidget();
    const setLine = new QWidget();
    const { box, line: l } = rowShell(error, options, setLine);
    const c = COLS;
    const target = lineEdit(targetText(row));
    const types = [...MIRROR_TYPES] as string[];
    const modes = [...MIRROR_MODES] as string[];
    const r: MirrorRowWidgets = {
      box,
      name: lineEdit(row.name, c.name),
      type: combo(types.map((ty) => tr(`tray.settings.mirrorType.${ty}` as MessageKey)), c.type),
      volume: new QComboBox(),
      volumeValues: [],
      disks: label(rotationText(row, this.ctx.lang) ?? ''),
      setLine,
      setRemove: [],
      setChoice: new QComboBox(),
      setChoiceValues: [],
      setLabel: lineEdit('', 150, tr('tray.settings.rotation.labelPlaceholder')),
      setAdd: button(tr('tray.settings.rotation.add')),
      target,
      repository: target,
      user: lineEdit(row.user, c.user, tr('tray.settings.col.user')),
      mode: combo(modes.map((mo) => tr(`tray.settings.mode.${mo}` as MessageKey)), c.mode),
      eject: new QCheckBox(),
      required: new QCheckBox(),
      options,
      appendOnly: new QCheckBox(),
      appendOnlyHint: label('', { color: GREY, wrap: true }),
      remove: button('✕'),
      error,
    };
    if (!types.includes(row.type)) {
      r.type.addItem(undefined, row.type);
      types.push(row.type);
    }
    r.type.setCurrentIndex(types.indexOf(row.type));
    r.mode.setCurrentIndex(Math.max(0, modes.indexOf(row.mode)));
    r.mode.setToolTip(tr('tray.settings.mode.tip'));
    r.eject.setChecked(mirrorFields(row.type).eject === true && row.eject);
    r.eject.setFixedWidth(c.eject);
    r.eject.setToolTip(tr('tray.settings.eject.tip'));
    r.required.setChecked(row.required);
    r.required.setFixedWidth(c.required);
    r.required.setToolTip(tr('tray.settings.required.tip'));
    r.remove.setFixedWidth(c.remove);
    // Under the address, where the column titles no longer apply: the switch needs its words, and
    // what it means under it (narrow enough to stay in view: the rows are wider than the window).
    const o = vbox(options, 2);
    o.setContentsMargins(c.name + c.type + 12, 0, 0, 0);
    r.appendOnly.setText(tr('tray.settings.appendOnly.label'));
    r.appendOnly.setChecked(row.appendOnly);
    r.appendOnlyHint.setFixedWidth(HINT_WIDTH); // a fixed width: a wrapping label's height is then right from the start
    o.addWidget(r.appendOnly);
    o.addWidget(r.appendOnlyHint);
    this.showAppendOnly(r, row.appendOnly);
    r.remove.setToolTip(tr('tray.settings.remove'));
    // Otherwise the combo is as wide as its longest disk description and pushes the row out of the window.
    r.volume.setSizeAdjustPolicy(SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon);
    r.volume.setMinimumContentsLength(16);
    this.fillVolumes(r, row.volume);
    r.disks.setToolTip(r.disks.text());
    for (const x of [r.name, r.type, r.volume, r.disks, r.target, r.user, r.mode, r.eject, r.required, r.remove]) {
      l.addWidget(x, x === r.volume || x === r.target || x === r.disks ? 1 : 0);
    }
    this.buildSetLine(r, i);
    this.showType(r, row.type);

    r.name.addEventListener('textChanged', (text) => {
      m().name = text;
      this.ctx.clearError(`mirrors.${i}.name`);
    });
    r.user.addEventListener('textChanged', (text) => {
      m().user = text;
      this.ctx.clearError(`mirrors.${i}.user`);
    });
    r.target.addEventListener('textChanged', (text) => {
      const field = targetField(m().type);
      if (!field) return;
      m()[field] = text;
      this.ctx.clearError(`mirrors.${i}.${field}`);
    });
    r.volume.addEventListener('currentIndexChanged', (idx) => {
      m().volume = r.volumeValues[idx] ?? '';
      r.volume.setToolTip(r.volume.itemText(idx));
      this.ctx.clearError(`mirrors.${i}.volume`);
      this.updateNote();
    });
    r.mode.addEventListener('currentIndexChanged', (idx) => (m().mode = modes[idx] ?? 'all'));
    // Only a kind that ejects keeps the switch: shown off (disabled) for the others, the row's choice stays for a change back.
    r.eject.addEventListener('toggled', (on) => mirrorFields(m().type).eject && (m().eject = on));
    r.appendOnly.addEventListener('toggled', (on) => {
      m().appendOnly = on;
      this.showAppendOnly(r, on);
    });
    r.required.addEventListener('toggled', (on) => (m().required = on));
    r.type.addEventListener('currentIndexChanged', (idx) => {
      const type = types[idx] ?? m().type;
      if (type === m().type) return;
      m().type = type;
      r.target.setText(targetText(m()));
      this.showType(r, type);
      r.eject.setChecked(mirrorFields(type).eject === true && m().eject);
      this.ctx.clearError(`mirrors.${i}.type`);
      this.updateNote();
    });
    r.remove.addEventListener('clicked', () => {
      this.ctx.form().mirrors.splice(i, 1);
      this.render();
    });
    return r;
  }

  /**
   * The rotating set's line: each disk as a button that takes it out, then an attached disk not in
   * the set yet, the name people call it by, and the button that adds it (the row is built anew).
   */
  private buildSetLine(r: MirrorRowWidgets, i: number): void {
    const { tr } = this.ctx;
    const m = () => this.ctx.form().mirrors[i]!;
    const sl = hbox(r.setLine, 4);
    sl.setContentsMargins(COLS.name + COLS.type + 12, 0, 0, 0);
    (m().volumes ?? []).forEach((d, j) => {
      const uuid = String(d.uuid);
      const b = button(`${d.label ? String(d.label) : `${uuid.slice(0, 8)}…`} ✕`);
      b.setToolTip(tr('tray.settings.rotation.remove'));
      b.addEventListener('clicked', () => {
        removeDiskFromSet(m(), j);
        this.ctx.clearError(`mirrors.${i}.volumes`);
        this.render();
      });
      r.setRemove.push(b);
      sl.addWidget(b);
    });
    const inSet = new Set([...(m().volumes ?? []).map((d) => String(d.uuid).toLowerCase()), ...(m().volume.startsWith('uuid:') ? [m().volume.slice(5).toLowerCase()] : [])]);
    const free = this.volumes.filter((v) => v.uuid && !inSet.has(v.uuid.toLowerCase()));
    r.setChoiceValues = free.map((v) => v.uuid!);
    r.setChoice.addItems(free.length ? free.map((v) => `${v.label ?? tr('tray.settings.volume.noLabel')} (${v.uuid!.slice(0, 8)}…)`) : [tr('tray.settings.rotation.noneAttached')]);
    // A disk known only by its label cannot join a set (sets go by UUID): the note above asks to pick its UUID entry first.
    const labelOnly = !m().volumes && m().volume.startsWith('label:');
    // As the disk list: as wide as a short description, the whole one in the tooltip.
    r.setChoice.setSizeAdjustPolicy(SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon);
    r.setChoice.setMinimumContentsLength(16);
    r.setChoice.addEventListener('currentIndexChanged', (k) => r.setChoice.setToolTip(r.setChoice.itemText(k)));
    r.setChoice.setEnabled(free.length > 0 && !labelOnly);
    r.setAdd.setEnabled(free.length > 0 && !labelOnly);
    sl.addWidget(r.setChoice);
    sl.addWidget(r.setLabel);
    sl.addWidget(r.setAdd);
    sl.addStretch(1);
    r.setAdd.addEventListener('clicked', () => {
      const uuid = r.setChoiceValues[r.setChoice.currentIndex()];
      if (!uuid) return;
      addDiskToSet(m(), uuid, r.setLabel.text());
      this.ctx.clearError(`mirrors.${i}.volume`);
      this.ctx.clearError(`mirrors.${i}.volumes`);
      this.render();
    });
  }

  private fillVolumes(r: MirrorRowWidgets, current: string): void {
    const choices = volumeChoices(this.volumes, this.ctx.form(), this.ctx.lang);
    r.volume.clear();
    r.volumeValues = ['', ...choices.map((ch) => ch.value)];
    r.volume.addItems([this.ctx.tr('tray.settings.volume.choose'), ...choices.map((ch) => ch.text)]);
    const index = Math.max(0, r.volumeValues.findIndex((v) => v && sameValue(v, current)));
    r.volume.setCurrentIndex(index);
    r.volume.setToolTip(r.volume.itemText(index)); // the whole description, when the row is too narrow for it
  }

  private showType(r: MirrorRowWidgets, type: string): void {
    const f = mirrorFields(type);
    const set = f.where === 'volume' && r.disks.text() !== '';
    r.volume.setVisible(f.where === 'volume' && !set);
    r.disks.setVisible(set);
    r.setLine.setVisible(f.where === 'volume');
    r.target.setVisible(f.where !== 'volume');
    r.target.setPlaceholderText(this.ctx.tr(f.where === 'volume' ? 'tray.settings.placeholder.path' : (`tray.settings.placeholder.${f.where}` as const)));
    r.user.setEnabled(f.user === true);
    r.eject.setEnabled(f.eject === true);
    r.options.setVisible(f.appendOnly === true);
  }

  /** On: retention there is the storage provider's job; off: ours — and so within an attacker's reach. */
  private showAppendOnly(r: MirrorRowWidgets, on: boolean): void {
    r.appendOnlyHint.setText(this.ctx.tr(on ? 'tray.settings.appendOnly.on' : 'tray.settings.appendOnly.off'));
    // The list lays rows out by their size hints, which leave a wrapped label one line high: say how high it is.
    r.appendOnlyHint.setMinimumHeight(r.appendOnlyHint.heightForWidth(HINT_WIDTH));
    r.appendOnlyHint.setStyleSheet(`QLabel { color: ${on ? GREY : AMBER}; }`, false);
  }

  /** Why the list may be short (listing failed), and label-only references worth replacing by a UUID. */
  private updateNote(): void {
    const notes: string[] = [];
    if (this.volumeError) notes.push(this.ctx.tr('tray.settings.volume.listFailed', { reason: this.volumeError }));
    for (const m of this.ctx.form().mirrors) {
      const ref = mirrorFields(m.type).where === 'volume' ? volumeRefOf(m.volume) : undefined;
      if (ref && 'label' in ref) notes.push(this.ctx.tr('tray.settings.volume.labelOnly', { name: m.name || ref.label }));
    }
    this.note.setText(notes.join('\n'));
    this.note.setVisible(notes.length > 0);
  }
}

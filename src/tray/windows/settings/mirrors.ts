// „Kopien auf weitere Datenträger“: one row per mirror — a disk chosen from the attached volumes
// (offered by UUID, model/settings-form.ts volumeChoices), a share or a folder. Which fields a
// type has is the destination kind's own `form` (src/destinations/registry.ts), not decided here.
import { QCheckBox, QComboBox, SizeAdjustPolicy, type QBoxLayout, type QLabel, type QLineEdit, type QPushButton, type QWidget } from '@nodegui/nodegui';
import type { Volume } from '../../../core/volumes';
import type { MessageKey } from '../../../i18n';
import { MIRROR_MODES, MIRROR_TYPES, mirrorFields, newMirror, sameValue, volumeChoices, volumeRefOf, type MirrorRow } from '../../model/settings-form';
import { AMBER, button, buttonRow, combo, dropRow, errorLabel, label, lineEdit, listSection, rowShell, type SectionContext } from './form-widgets';

/** Column widths shared by the header and the rows, so they line up. 0 = takes the rest. */
const COLS = { name: 84, type: 118, target: 0, user: 80, mode: 108, eject: 72, required: 60, remove: 30 };

export interface MirrorRowWidgets {
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
    const { box, line: l } = rowShell(error);
    const c = COLS;
    const types = [...MIRROR_TYPES] as string[];
    const modes = [...MIRROR_MODES] as string[];
    const r: MirrorRowWidgets = {
      box,
      name: lineEdit(row.name, c.name),
      type: combo(types.map((ty) => tr(`tray.settings.mirrorType.${ty}` as MessageKey)), c.type),
      volume: new QComboBox(),
      volumeValues: [],
      target: lineEdit(targetOf(row)),
      user: lineEdit(row.user, c.user, tr('tray.settings.col.user')),
      mode: combo(modes.map((mo) => tr(`tray.settings.mode.${mo}` as MessageKey)), c.mode),
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
    r.mode.setToolTip(tr('tray.settings.mode.tip'));
    r.eject.setChecked(row.eject);
    r.eject.setFixedWidth(c.eject);
    r.eject.setToolTip(tr('tray.settings.eject.tip'));
    r.required.setChecked(row.required);
    r.required.setFixedWidth(c.required);
    r.required.setToolTip(tr('tray.settings.required.tip'));
    r.remove.setFixedWidth(c.remove);
    r.remove.setToolTip(tr('tray.settings.remove'));
    // Otherwise the combo is as wide as its longest disk description and pushes the row out of the window.
    r.volume.setSizeAdjustPolicy(SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon);
    r.volume.setMinimumContentsLength(16);
    this.fillVolumes(r, row.volume);
    for (const x of [r.name, r.type, r.volume, r.target, r.user, r.mode, r.eject, r.required, r.remove]) {
      l.addWidget(x, x === r.volume || x === r.target ? 1 : 0);
    }
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
      const field = mirrorFields(m().type).where === 'url' ? 'url' : 'path';
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
    r.eject.addEventListener('toggled', (on) => (m().eject = on));
    r.required.addEventListener('toggled', (on) => (m().required = on));
    r.type.addEventListener('currentIndexChanged', (idx) => {
      const type = types[idx] ?? m().type;
      if (type === m().type) return;
      m().type = type;
      r.target.setText(targetOf(m()));
      this.showType(r, type);
      this.ctx.clearError(`mirrors.${i}.type`);
      this.updateNote();
    });
    r.remove.addEventListener('clicked', () => {
      this.ctx.form().mirrors.splice(i, 1);
      this.render();
    });
    return r;
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
    r.volume.setVisible(f.where === 'volume');
    r.target.setVisible(f.where !== 'volume');
    r.target.setPlaceholderText(f.where === 'url' ? this.ctx.tr('tray.settings.placeholder.url') : this.ctx.tr('tray.settings.placeholder.path'));
    r.user.setEnabled(f.user === true);
    r.eject.setEnabled(f.eject === true);
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

/** The text field's value: the share's URL or the folder (a disk is chosen in the volume list instead). */
function targetOf(row: MirrorRow): string {
  return mirrorFields(row.type).where === 'url' ? row.url : row.path;
}

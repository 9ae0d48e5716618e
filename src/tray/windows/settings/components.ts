// „Was gesichert wird“: one row per component — a database of any kind the registry knows
// (src/databases/registry.ts; the type column and the defaults shown come from there, so a kind
// registered later appears here without a change) or a folder.
import type { QBoxLayout, QComboBox, QLabel, QLineEdit, QPushButton, QWidget } from '@nodegui/nodegui';
import type { MessageKey } from '../../../i18n';
import { COMPONENT_TYPES, componentDefaults, componentTypeLabel, NEW_DATABASE_TYPE, newComponent, PASSWORD_MODES } from '../../model/settings-form';
import { button, buttonRow, combo, dropRow, errorLabel, lineEdit, listSection, rowShell, type SectionContext } from './form-widgets';

/** Column widths shared by the header and the rows, so they line up. 0 = takes the rest. */
const COLS = { name: 120, type: 170, target: 0, host: 110, port: 64, user: 96, password: 128, remove: 30 };

export interface ComponentRowWidgets {
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

export class ComponentsSection {
  rows: ComponentRowWidgets[] = [];
  readonly error: QLabel;
  readonly addDatabase: QPushButton;
  readonly addFolder: QPushButton;
  /** The rows' container, held so its wrapper lives as long as the section. */
  readonly box: QWidget;
  private readonly list: QBoxLayout;

  constructor(
    body: QBoxLayout,
    private readonly ctx: SectionContext,
  ) {
    const s = listSection(ctx.tr, body, 'tray.settings.components.title', 'tray.settings.components.hint', COLS, {
      name: 'tray.settings.col.name',
      type: 'tray.settings.col.type',
      target: 'tray.settings.col.target',
      host: 'tray.settings.col.host',
      port: 'tray.settings.col.port',
      user: 'tray.settings.col.user',
      password: 'tray.settings.col.password',
    });
    this.box = s.box;
    this.list = s.list;
    this.error = s.error;
    this.addDatabase = button(ctx.tr('tray.settings.add.database'));
    this.addFolder = button(ctx.tr('tray.settings.add.folder'));
    body.addWidget(buttonRow([this.addDatabase, this.addFolder]));
    this.addDatabase.addEventListener('clicked', () => this.add(NEW_DATABASE_TYPE));
    this.addFolder.addEventListener('clicked', () => this.add('folder'));
  }

  private add(type: string): void {
    const form = this.ctx.form();
    form.components.push(newComponent(form, type));
    this.render();
    this.rows.at(-1)?.target.setFocus();
  }

  /** Rows are rebuilt whenever rows come or go: each row's handlers then know their index. */
  render(): void {
    for (const r of this.rows) dropRow(this.list, r.box);
    this.rows = this.ctx.form().components.map((_, i) => this.row(i));
    for (const r of this.rows) this.list.addWidget(r.box);
    this.ctx.clearError('components');
  }

  private row(i: number): ComponentRowWidgets {
    const { tr } = this.ctx;
    const comp = () => this.ctx.form().components[i]!;
    const row = comp();
    const error = errorLabel();
    const { box, line: l } = rowShell(error);
    const c = COLS;
    const types = [...COMPONENT_TYPES];
    const r: ComponentRowWidgets = {
      box,
      name: lineEdit(row.name, c.name),
      type: combo(types.map((ty) => componentTypeLabel(ty, this.ctx.lang)), c.type),
      target: lineEdit(row.type === 'folder' ? row.path : row.database),
      host: lineEdit(row.host, c.host),
      port: lineEdit(row.port, c.port),
      user: lineEdit(row.user, c.user),
      password: combo(PASSWORD_MODES.map((m) => tr(`tray.settings.password.${m || 'auto'}` as MessageKey)), c.password),
      remove: button('✕'),
      error,
    };
    r.password.setToolTip(tr('tray.settings.password.hint'));
    const modes = [...PASSWORD_MODES] as string[];
    if (!modes.includes(row.password)) {
      // A value this window does not know (a typo in the file): shown as it is, so validation can name it.
      r.password.addItem(undefined, row.password);
      modes.push(row.password);
    }
    r.password.setCurrentIndex(modes.indexOf(row.password));
    r.password.addEventListener('currentIndexChanged', (idx) => {
      comp().password = modes[idx] ?? '';
      this.ctx.clearError(`components.${i}.password`);
    });
    r.remove.setFixedWidth(c.remove);
    r.remove.setToolTip(tr('tray.settings.remove'));
    if (!types.includes(row.type)) {
      // A type this window does not know (a typo in the file): shown as it is, so validation can name it.
      r.type.addItem(undefined, row.type);
      types.push(row.type);
    }
    r.type.setCurrentIndex(types.indexOf(row.type));
    for (const x of [r.name, r.type, r.target, r.host, r.port, r.user, r.password, r.remove]) l.addWidget(x, x === r.target ? 1 : 0);
    this.showType(r, row.type);
    const edit = (field: 'name' | 'host' | 'port' | 'user', e: QLineEdit) =>
      e.addEventListener('textChanged', (text) => {
        comp()[field] = text;
        this.ctx.clearError(`components.${i}.${field}`);
      });
    edit('name', r.name);
    edit('host', r.host);
    edit('port', r.port);
    edit('user', r.user);
    r.target.addEventListener('textChanged', (text) => {
      const cur = comp();
      if (cur.type === 'folder') cur.path = text;
      else cur.database = text;
      this.ctx.clearError(`components.${i}.${cur.type === 'folder' ? 'path' : 'database'}`);
    });
    r.type.addEventListener('currentIndexChanged', (idx) => {
      const cur = comp();
      const type = types[idx] ?? cur.type;
      if (type === cur.type) return;
      cur.type = type;
      r.target.setText(type === 'folder' ? cur.path : cur.database);
      this.showType(r, type);
      this.ctx.clearError(`components.${i}.type`);
    });
    r.remove.addEventListener('clicked', () => {
      this.ctx.form().components.splice(i, 1);
      this.render();
    });
    return r;
  }

  /** A folder has a path and nothing else; a database shows its kind's defaults as placeholders. */
  private showType(r: ComponentRowWidgets, type: string): void {
    const folder = type === 'folder';
    const d = componentDefaults(type);
    r.target.setPlaceholderText(folder ? this.ctx.tr('tray.settings.placeholder.path') : this.ctx.tr('tray.settings.col.database'));
    for (const [e, def] of [[r.host, d.host], [r.port, d.port], [r.user, d.user]] as const) {
      e.setEnabled(!folder);
      e.setPlaceholderText(def);
    }
    r.password.setEnabled(!folder);
  }
}

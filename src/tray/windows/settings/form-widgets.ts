// The widgets every section of the settings window is made of, so the sections line up and look
// alike: labelled rows, list sections with column titles, red error lines, red frames.
//
// Load this module only after prepareQt() (qt-loader.ts): it imports the addon.
import { AlignmentFlag, Direction, QBoxLayout, QComboBox, QLabel, QLineEdit, type QPushButton, QWidget } from '@nodegui/nodegui';
import type { Lang, MessageKey } from '../../../i18n';
import type { FieldId, SettingsForm } from '../../model/settings-form';

export const RED = '#b3261e';
export const AMBER = '#8a5a00';
export const GREEN = '#1e6b2e';
export const GREY = '#555555';
const LABEL_WIDTH = 170;

export type Tr = (key: MessageKey, params?: Record<string, string | number>) => string;

/** What a section needs of the window: its language, the form it edits, and a way to drop a shown problem. */
export interface SectionContext {
  lang: Lang;
  tr: Tr;
  /** The form as it is now (the window replaces it after loading and after a save). */
  form(): SettingsForm;
  /** A field was edited: its problem, if shown, no longer applies. */
  clearError(field: FieldId): void;
  /** The window is still open (an answer that arrives after closing has nothing to show it in). */
  isOpen(): boolean;
}

export function vbox(parent?: QWidget, spacing = 6): QBoxLayout {
  const l = new QBoxLayout(Direction.TopToBottom);
  l.setSpacing(spacing);
  parent?.setLayout(l);
  return l;
}

export function hbox(parent?: QWidget, spacing = 6): QBoxLayout {
  const l = new QBoxLayout(Direction.LeftToRight);
  l.setSpacing(spacing);
  parent?.setLayout(l);
  return l;
}

export function label(text: string, opts: { bold?: boolean; color?: string; wrap?: boolean; width?: number } = {}): QLabel {
  const l = new QLabel();
  l.setText(text);
  if (opts.wrap) l.setWordWrap(true);
  if (opts.width) l.setFixedWidth(opts.width);
  const css = [opts.bold ? 'font-weight: bold;' : '', opts.color ? `color: ${opts.color};` : ''].join(' ').trim();
  if (css) l.setStyleSheet(`QLabel { ${css} }`, false);
  return l;
}

/** An error label under a field: red, wrapping, hidden while empty. */
export function errorLabel(): QLabel {
  const l = label('', { color: RED, wrap: true });
  l.hide();
  return l;
}

export function setError(l: QLabel, lines: string[]): void {
  l.setText(lines.join('\n'));
  l.setVisible(lines.length > 0);
}

export function markInvalid(w: QWidget, on: boolean): void {
  const kind = w instanceof QComboBox ? 'QComboBox' : 'QLineEdit';
  w.setStyleSheet(on ? `${kind} { border: 2px solid ${RED}; border-radius: 3px; padding: 1px 3px; }` : '', false);
}

export function lineEdit(text: string, width?: number, placeholder?: string): QLineEdit {
  const e = new QLineEdit();
  e.setText(text);
  if (width) e.setFixedWidth(width);
  if (placeholder !== undefined) e.setPlaceholderText(placeholder);
  return e;
}

export function combo(items: string[], width?: number): QComboBox {
  const c = new QComboBox();
  c.addItems(items);
  if (width) c.setFixedWidth(width);
  return c;
}

/** A push button with this text (the tray's one kind of button). */
export { textButton as button } from '../widget-kit';

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

/** A list section: title, hint, column titles, the rows' container, the error line of the list. */
export function listSection(tr: Tr, body: QBoxLayout, title: MessageKey, hint: MessageKey, cols: Record<string, number>, titles: Record<string, MessageKey>) {
  body.addSpacing(6);
  body.addWidget(label(tr(title), { bold: true }));
  body.addWidget(label(tr(hint), { color: GREY, wrap: true }));
  body.addWidget(header(cols, Object.fromEntries(Object.entries(titles).map(([k, key]) => [k, tr(key)]))));
  const box = new QWidget();
  const list = vbox(box, 4);
  list.setContentsMargins(0, 0, 0, 0);
  body.addWidget(box);
  const error = errorLabel();
  body.addWidget(error);
  return { box, list, error };
}

/** A row of a list: one line of fields, then any lines of a kind's own options (below), the row's error line under it. */
export function rowShell(error: QLabel, ...below: QWidget[]): { box: QWidget; line: QBoxLayout } {
  const box = new QWidget();
  const outer = vbox(box, 2);
  outer.setContentsMargins(0, 0, 0, 0);
  const lineWidget = new QWidget();
  const line = hbox(lineWidget);
  line.setContentsMargins(0, 0, 0, 0);
  outer.addWidget(lineWidget);
  for (const w of below) outer.addWidget(w);
  outer.addWidget(error);
  return { box, line };
}

/** Takes a row out of its list (rows are rebuilt whenever rows come or go). */
export function dropRow(list: QBoxLayout, box: QWidget): void {
  box.hide();
  list.removeWidget(box);
  box.deleteLater();
}

/** Label on the left, the control with its error and hint on the right. */
export function fieldRow(tr: Tr, key: MessageKey, control: QWidget, error: QLabel, hint: MessageKey): QWidget {
  const col = new QWidget();
  const l = vbox(col, 3);
  l.setContentsMargins(0, 0, 0, 0);
  l.addWidget(control);
  l.addWidget(error);
  l.addWidget(label(tr(hint), { color: GREY, wrap: true }));
  return labelled(tr, key, col);
}

export function labelled(tr: Tr, key: MessageKey, col: QWidget): QWidget {
  const row = new QWidget();
  const l = hbox(row, 10);
  l.setContentsMargins(0, 0, 0, 0);
  l.addWidget(label(tr(key), { bold: true, width: LABEL_WIDTH }), 0, AlignmentFlag.AlignTop);
  l.addWidget(col, 1);
  return row;
}

export function buttonRow(buttons: QPushButton[]): QWidget {
  const row = new QWidget();
  const l = hbox(row);
  l.setContentsMargins(0, 0, 0, 0);
  for (const b of buttons) l.addWidget(b);
  l.addStretch(1);
  return row;
}

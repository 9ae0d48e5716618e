// The few widget helpers the tray's windows share, so a status line looks and behaves the same in
// every window (green ok, orange warning, red and bold error; hidden while it has nothing to say).
//
// Load this module only after prepareQt() (qt-loader.ts): it imports the addon.
import { QLabel, QPushButton } from '@nodegui/nodegui';

/** The tone of a status line (the models' `Tone`). */
export type LineTone = 'none' | 'pending' | 'ok' | 'warn' | 'error';

export const TONE_STYLE: Record<LineTone, string> = {
  none: '',
  pending: 'color: #555555;',
  ok: 'color: #1b7a32; font-weight: bold;',
  warn: 'color: #a04d00; font-weight: bold;',
  error: 'color: #c62828; font-weight: bold;',
};

/** A word-wrapping label, optionally styled. */
export function wrappedLabel(text: string, style = ''): QLabel {
  const l = new QLabel();
  l.setText(text);
  l.setWordWrap(true);
  if (style) l.setStyleSheet(style);
  return l;
}

export function textButton(text: string): QPushButton {
  const b = new QPushButton();
  b.setText(text);
  return b;
}

/** A label shown with this text, or hidden when there is none. */
export function showText(label: QLabel, text: string | null): void {
  label.setText(text ?? '');
  label.setVisible(text !== null && text !== '');
}

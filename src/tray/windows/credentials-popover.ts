// „Netzlaufwerk-Zugangsdaten…“: a small frameless window under the tray icon to type the share's
// password, try it against the NAS and store it in the Keychain / Secret Service. All decisions
// are in model/credentials-form.ts; this file only lays out widgets and forwards clicks.
//
// Load this module only after prepareQt() (qt-loader.ts): it imports the addon.
//
// Window kind: Tool + frameless + stays-on-top rather than Qt's Popup. A Popup closes on the first
// click elsewhere, which would throw away what the admin typed the moment they switch to the
// password manager or the NAS's sticky note in another window. Escape and „Schließen“ close it.
import {
  Direction,
  EchoMode,
  Key,
  QApplication,
  QBoxLayout,
  QComboBox,
  QFrame,
  QGridLayout,
  QKeyEvent,
  QLabel,
  QLineEdit,
  QPushButton,
  QWidget,
  WidgetEventTypes,
  WindowType,
} from '@nodegui/nodegui';
import type { App } from '../../app/compose';
import { render, t, type Lang } from '../../i18n';
import {
  CredentialsFormModel,
  loadShareChoices,
  popoverPlacement,
  type CredentialsFormValues,
  type Field,
  type Outcome,
  type ShareChoice,
} from '../model/credentials-form';
import type { EventPump } from '../event-pump';

const WIDTH = 400;
// Qt::Tool is 0x0b (Popup | Dialog). NodeGui 0.74.2's WindowType.Tool is 18, which is Qt::SubWindow:
// with it the window stays an ordinary one (_NET_WM_WINDOW_TYPE_NORMAL, its own taskbar entry).
const QT_TOOL = 0x0b as WindowType;
const RESULT_COLOUR = { ok: '#1b7a32', error: '#c62828', pending: '#555555' } as const;
const PUMP_REASON = 'credentials-popover';

const STYLE = `
  #panel { background: palette(window); border: 1px solid #8a8a8a; border-radius: 6px; }
  #title { font-weight: bold; font-size: 14px; }
  #intro { color: #555; }
`;

export interface CredentialsPopoverDeps {
  app: App;
  configFile: string;
  lang: Lang;
  /** Fast event pumping while the popover is open. */
  pump?: Pick<EventPump, 'hold' | 'release'>;
}

export class CredentialsPopover {
  onClosed?: () => void;

  private readonly model: CredentialsFormModel;
  private readonly storeName: string;
  private window: QWidget | null = null;
  // Referenced here so NodeGui's JS wrappers (and their signal handlers) are not collected.
  private parts: ReturnType<CredentialsPopover['build']> | null = null;
  private choices: ShareChoice[] = [];
  private busy = false;
  private anchor: { x: number; y: number } | null = null;

  constructor(private readonly deps: CredentialsPopoverDeps) {
    const service = deps.app.credentials();
    this.model = new CredentialsFormModel(service, deps.lang);
    this.storeName = render(deps.lang, service.storeName);
  }

  /** The widgets, for the tray's tests (fill in, click, read the result line). */
  get widgets(): Readonly<ReturnType<CredentialsPopover['build']>> | null {
    return this.parts;
  }

  get isOpen(): boolean {
    return this.window !== null;
  }

  showAt(pos: { x: number; y: number }): void {
    if (!this.window) {
      this.parts = this.build();
      this.window = this.parts.window;
      this.deps.pump?.hold(PUMP_REASON);
      void this.prefill();
    }
    const win = this.window;
    this.anchor = pos;
    this.place();
    win.show();
    win.raise();
    win.activateWindow();
  }

  close(): void {
    this.window?.close();
  }

  private closed(): void {
    if (!this.window) return;
    if (this.parts) this.parts.password.setText('');
    this.window = null;
    this.parts = null;
    this.deps.pump?.release(PUMP_REASON);
    this.onClosed?.();
  }

  private build() {
    const tr = (key: Parameters<typeof t>[1]) => t(this.deps.lang, key, { store: this.storeName });
    const window = new QWidget();
    window.setObjectName('credentialsPopover');
    window.setWindowTitle(tr('tray.credentials.title'));
    window.setWindowFlag(QT_TOOL, true);
    window.setWindowFlag(WindowType.FramelessWindowHint, true);
    window.setWindowFlag(WindowType.WindowStaysOnTopHint, true);
    window.setFixedWidth(WIDTH);
    window.setStyleSheet(STYLE);
    const outer = new QBoxLayout(Direction.TopToBottom);
    outer.setContentsMargins(0, 0, 0, 0);
    window.setLayout(outer);
    // A frameless window has no edge of its own: the panel draws one.
    const panel = new QFrame();
    panel.setObjectName('panel');
    outer.addWidget(panel);
    const box = new QBoxLayout(Direction.TopToBottom);
    box.setContentsMargins(14, 12, 14, 12);
    box.setSpacing(8);
    panel.setLayout(box);

    const title = new QLabel();
    title.setObjectName('title');
    title.setText(tr('tray.credentials.title'));
    const intro = new QLabel();
    intro.setObjectName('intro');
    intro.setWordWrap(true);
    intro.setText(tr('tray.credentials.intro'));
    box.addWidget(title);
    box.addWidget(intro);

    const grid = new QGridLayout();
    grid.setColumnStretch(1, 1);
    const label = (key: Parameters<typeof t>[1]) => {
      const l = new QLabel();
      l.setText(`${tr(key)}:`);
      return l;
    };
    const mirrorLabel = label('tray.credentials.mirror');
    const mirror = new QComboBox();
    const server = new QLineEdit();
    server.setPlaceholderText(tr('tray.credentials.serverHint'));
    const share = new QLineEdit();
    share.setPlaceholderText(tr('tray.credentials.shareHint'));
    const user = new QLineEdit();
    const password = new QLineEdit();
    password.setEchoMode(EchoMode.Password);
    const rows: [QLabel, QWidget][] = [
      [mirrorLabel, mirror],
      [label('tray.credentials.server'), server],
      [label('tray.credentials.share'), share],
      [label('tray.credentials.user'), user],
      [label('tray.credentials.password'), password],
    ];
    rows.forEach(([l, w], i) => {
      // Never squeezed below their natural height when a long message needs room.
      w.setMinimumHeight(w.sizeHint().height());
      grid.addWidget(l, i, 0);
      grid.addWidget(w, i, 1);
    });
    // Only when the config has more than one share to choose from.
    mirrorLabel.hide();
    mirror.hide();
    box.addLayout(grid);

    const result = new QLabel();
    result.setObjectName('result');
    result.setWordWrap(true);
    result.hide();
    box.addWidget(result);

    const buttons = new QBoxLayout(Direction.LeftToRight);
    const test = new QPushButton();
    test.setText(tr('tray.credentials.test'));
    const save = new QPushButton();
    save.setText(tr('tray.credentials.save'));
    const close = new QPushButton();
    close.setText(tr('tray.credentials.close'));
    buttons.addWidget(test);
    buttons.addWidget(save);
    buttons.addStretch(1);
    buttons.addWidget(close);
    box.addLayout(buttons);

    const parts = { window, panel, mirrorLabel, mirror, server, share, user, password, result, test, save, close, layouts: [outer, box, grid, buttons], labels: [title, intro, ...rows.map(([l]) => l)] };

    test.addEventListener('clicked', () => void this.act('test'));
    save.addEventListener('clicked', () => void this.act('save'));
    close.addEventListener('clicked', () => this.close());
    password.addEventListener('returnPressed', () => void this.act('test'));
    mirror.addEventListener('currentIndexChanged', (i) => this.choose(i));
    window.addEventListener(WidgetEventTypes.KeyPress, (native) => {
      if (native && new QKeyEvent(native).key() === Key.Key_Escape) this.close();
    });
    window.addEventListener(WidgetEventTypes.Close, () => this.closed());
    return parts;
  }

  private async prefill(): Promise<void> {
    const { choices, problem } = await loadShareChoices(this.deps.configFile, this.deps.lang);
    const p = this.parts;
    if (!p) return;
    this.choices = choices;
    if (problem) this.showResult({ ok: false, text: problem });
    if (choices.length > 1) {
      p.mirror.addItems(choices.map((c) => `${c.mirror} – //${c.server}/${c.share}`));
      p.mirror.show();
      p.mirrorLabel.show();
    }
    // What the admin already typed while the config was read wins.
    if (choices[0] && !p.server.text() && !p.share.text() && !p.user.text()) this.choose(0);
    this.focusFirstEmpty();
  }

  private choose(i: number): void {
    const p = this.parts;
    const c = this.choices[i];
    if (!p || !c) return;
    p.server.setText(c.server);
    p.share.setText(c.share);
    p.user.setText(c.user);
    p.result.hide();
    this.focusFirstEmpty();
  }

  private focusFirstEmpty(): void {
    const p = this.parts;
    if (!p) return;
    const field = ([p.server, p.share, p.user, p.password] as QLineEdit[]).find((w) => !w.text()) ?? p.password;
    field.setFocus();
  }

  private values(): CredentialsFormValues {
    const p = this.parts!;
    return { server: p.server.text(), share: p.share.text(), user: p.user.text(), password: p.password.text() };
  }

  private async act(action: 'test' | 'save'): Promise<void> {
    const p = this.parts;
    if (!p || this.busy) return;
    const values = this.values();
    this.busy = true;
    for (const b of [p.test, p.save]) b.setEnabled(false);
    this.showResult({ ok: true, text: this.model.pendingText(values, action) }, 'pending');
    let outcome: Outcome;
    try {
      outcome = action === 'test' ? await this.model.test(values) : await this.model.save(values);
    } finally {
      this.busy = false;
    }
    // Closed while the NAS was being asked: nothing left to show it in.
    if (this.parts !== p) return;
    for (const b of [p.test, p.save]) b.setEnabled(true);
    if (action === 'save' && outcome.ok) p.password.setText('');
    this.showResult(outcome);
    if (outcome.field) this.focus(outcome.field);
  }

  private focus(field: Field): void {
    const p = this.parts;
    if (!p) return;
    const w = { server: p.server, share: p.share, user: p.user, password: p.password }[field];
    w.setFocus();
    w.selectAll();
  }

  private showResult(o: Outcome, state: 'ok' | 'error' | 'pending' = o.ok ? 'ok' : 'error'): void {
    const p = this.parts;
    if (!p) return;
    p.result.setProperty('state', state);
    p.result.setText(o.text);
    p.result.setStyleSheet(`color: ${RESULT_COLOUR[state]};${state === 'error' ? ' font-weight: bold;' : ''}`);
    p.result.show();
    // The new style (bold) changes the wrapped text's height: apply it before measuring.
    p.result.ensurePolished();
    this.place();
  }

  /**
   * Sizes the window to its content at the fixed width and keeps it on screen. adjustSize() alone
   * does not account for the wrapped result line (its height depends on the width), and the
   * fields would be squeezed.
   */
  private place(): void {
    const win = this.window;
    if (!win || !this.anchor || !this.parts) return;
    // Layouts recompute lazily on Qt's next event round; measure now, inner layout first.
    for (const l of this.parts.layouts) {
      l.invalidate();
      l.activate();
    }
    const height = Math.max(win.sizeHint().height(), win.hasHeightForWidth() ? win.heightForWidth(WIDTH) : 0);
    const at = popoverPlacement(this.anchor, { width: WIDTH, height }, screenRect(this.anchor));
    win.setGeometry(at.x, at.y, WIDTH, height);
  }
}

/** The free area of the screen the point is on (the primary screen when none contains it). */
export function screenRect(pos: { x: number; y: number }): { x: number; y: number; width: number; height: number } {
  const screens = QApplication.screens();
  const rects = screens.map((s) => s.availableGeometry());
  const r = rects.find((g) => pos.x >= g.left() && pos.x < g.left() + g.width() && pos.y >= g.top() && pos.y < g.top() + g.height()) ?? QApplication.primaryScreen()?.availableGeometry() ?? rects[0];
  if (!r) return { x: 0, y: 0, width: 1024, height: 768 };
  return { x: r.left(), y: r.top(), width: r.width(), height: r.height() };
}

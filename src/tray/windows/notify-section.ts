// The „Benachrichtigungen“ section of the settings window: plain widgets that render the notify
// part of the form (model/notify-form.ts) and write what the admin types back into it. The window
// validates and saves it with the rest; this section also keeps the two secrets typed here (SMTP
// password, ntfy token) until „Speichern“ puts them into the keyring, and shows what „Test senden“
// (`notify test --json`, run by the window) answered per channel.
//
// Load this module only after prepareQt() (qt-loader.ts): it imports the addon.
import { Direction, EchoMode, QBoxLayout, QCheckBox, QComboBox, QLabel, QLineEdit, QPushButton, QWidget } from '@nodegui/nodegui';
import { t, type Lang, type MessageKey } from '../../i18n';
import { HEARTBEAT_STYLES, NOTIFY_LANGUAGES, TLS_MODES, WEEKLY_CHOICES, type NotifyFormState, type NotifySecrets } from '../model/notify-form';
import { TONE_STYLE, type LineTone } from './widget-kit';

const GREY = 'color: #555555;';
const AMBER = 'color: #8a5a00; font-weight: bold;';
const RED = 'color: #b3261e;';
const LABEL_WIDTH = 150;

export interface NotifyWidgets {
  host: QLineEdit;
  port: QLineEdit;
  tls: QComboBox;
  user: QLineEdit;
  password: QLineEdit;
  passwordNote: QLabel;
  from: QLineEdit;
  to: QLineEdit;
  allowSelfSigned: QCheckBox;
  selfSignedWarning: QLabel;
  emailError: QLabel;
  ntfyUrl: QLineEdit;
  ntfyToken: QCheckBox;
  ntfyTokenValue: QLineEdit;
  ntfyError: QLabel;
  webhookUrl: QLineEdit;
  webhookError: QLabel;
  heartbeatUrl: QLineEdit;
  heartbeatStyle: QComboBox;
  heartbeatError: QLabel;
  onSuccess: QCheckBox;
  weekly: QComboBox;
  monthly: QCheckBox;
  language: QComboBox;
  whenError: QLabel;
  test: QPushButton;
  testResult: QLabel;
}

export interface NotifySectionHooks {
  /** The form's notify state (the window replaces the form after a save). */
  form(): NotifyFormState;
  /** A field was edited: its problem, if shown, no longer applies. */
  clearError(field: string): void;
  /** „Test senden“ was clicked. */
  test(): void;
}

export class NotifySection {
  readonly widget: QWidget;
  readonly w: NotifyWidgets;
  /** Containers and labels without a field of their own, held so their wrappers live with the section. */
  private readonly keep: unknown[] = [];
  /** Fields with a fixed width: they do not take the row's free space. */
  private readonly fixed = new Set<QWidget>();
  private filling = false;

  constructor(
    private readonly lang: Lang,
    private readonly hooks: NotifySectionHooks,
  ) {
    const built = this.build();
    this.widget = built.widget;
    this.w = built.w;
  }

  private tr(key: MessageKey, p: Record<string, string | number> = {}): string {
    return t(this.lang, key, p);
  }

  private label(text: string, style = '', width = 0): QLabel {
    const l = new QLabel();
    l.setText(text);
    l.setWordWrap(true);
    if (style) l.setStyleSheet(`QLabel { ${style} }`, false);
    if (width) l.setFixedWidth(width);
    this.keep.push(l);
    return l;
  }

  private line(placeholder: MessageKey, width = 0, password = false): QLineEdit {
    const e = new QLineEdit();
    e.setPlaceholderText(this.tr(placeholder));
    if (width) {
      e.setFixedWidth(width);
      this.fixed.add(e);
    }
    if (password) e.setEchoMode(EchoMode.Password);
    return e;
  }

  private combo(items: string[], width = 0): QComboBox {
    const c = new QComboBox();
    c.addItems(items);
    if (width) {
      c.setFixedWidth(width);
      this.fixed.add(c);
    }
    return c;
  }

  private check(key: MessageKey): QCheckBox {
    const c = new QCheckBox();
    c.setText(this.tr(key));
    return c;
  }

  /** A labelled group: the title on the left, its rows on the right. */
  private group(parent: QBoxLayout, title: MessageKey, rows: QWidget[][]): void {
    const row = new QWidget();
    const l = new QBoxLayout(Direction.LeftToRight);
    l.setContentsMargins(0, 0, 0, 0);
    l.setSpacing(10);
    row.setLayout(l);
    l.addWidget(this.label(this.tr(title), 'font-weight: bold;', LABEL_WIDTH));
    const col = new QWidget();
    const cl = new QBoxLayout(Direction.TopToBottom);
    cl.setContentsMargins(0, 0, 0, 0);
    cl.setSpacing(4);
    col.setLayout(cl);
    for (const widgets of rows) {
      const r = new QWidget();
      const rl = new QBoxLayout(Direction.LeftToRight);
      rl.setContentsMargins(0, 0, 0, 0);
      rl.setSpacing(6);
      r.setLayout(rl);
      for (const x of widgets) rl.addWidget(x, (x instanceof QLineEdit || x instanceof QLabel) && !this.fixed.has(x) ? 1 : 0);
      cl.addWidget(r);
      this.keep.push(r, rl);
    }
    l.addWidget(col, 1);
    parent.addWidget(row);
    this.keep.push(row, l, col, cl);
  }

  private build(): { widget: QWidget; w: NotifyWidgets } {
    const widget = new QWidget();
    const body = new QBoxLayout(Direction.TopToBottom);
    body.setContentsMargins(0, 8, 0, 0);
    body.setSpacing(6);
    widget.setLayout(body);
    this.keep.push(body);
    body.addWidget(this.label(this.tr('tray.settings.notify.title'), 'font-weight: bold; font-size: 13px;'));
    body.addWidget(this.label(this.tr('tray.settings.notify.hint'), GREY));

    const err = () => {
      const l = this.label('', RED);
      l.hide();
      return l;
    };
    const w: NotifyWidgets = {
      host: this.line('tray.settings.notify.ph.host'),
      port: this.line('tray.settings.notify.ph.port', 60),
      tls: this.combo(TLS_MODES.map((m) => this.tr(`tray.settings.notify.tls.${m}` as MessageKey)), 230),
      user: this.line('tray.settings.notify.ph.user'),
      password: this.line('tray.settings.notify.ph.password', 0, true),
      passwordNote: this.label('', GREY),
      from: this.line('tray.settings.notify.ph.from'),
      to: this.line('tray.settings.notify.ph.to'),
      allowSelfSigned: this.check('tray.settings.notify.allowSelfSigned'),
      selfSignedWarning: this.label(this.tr('tray.settings.notify.selfSignedWarning'), AMBER),
      emailError: err(),
      ntfyUrl: this.line('tray.settings.notify.ph.ntfy'),
      ntfyToken: this.check('tray.settings.notify.tokenCheck'),
      ntfyTokenValue: this.line('tray.settings.notify.ph.token', 0, true),
      ntfyError: err(),
      webhookUrl: this.line('tray.settings.notify.ph.webhook'),
      webhookError: err(),
      heartbeatUrl: this.line('tray.settings.notify.ph.heartbeat'),
      heartbeatStyle: this.combo(HEARTBEAT_STYLES.map((s) => this.tr(`tray.settings.notify.style.${s}` as MessageKey)), 230),
      heartbeatError: err(),
      onSuccess: this.check('tray.settings.notify.onSuccess'),
      weekly: this.combo(
        WEEKLY_CHOICES.map((d, i) => (d ? this.tr('tray.settings.notify.weekly.day', { day: this.tr('concept.weekdays').split(',')[i - 1]! }) : this.tr('tray.settings.notify.weekly.none'))),
        200,
      ),
      monthly: this.check('tray.settings.notify.monthly'),
      language: this.combo(NOTIFY_LANGUAGES.map((l) => this.tr(`tray.settings.notify.lang.${l}` as MessageKey)), 200),
      whenError: err(),
      test: new QPushButton(),
      testResult: this.label(''),
    };
    w.selfSignedWarning.hide();
    w.passwordNote.hide();
    w.testResult.hide();
    w.test.setText(this.tr('tray.settings.notify.test'));

    this.group(body, 'tray.settings.notify.email', [
      [w.host, w.port, w.tls],
      [w.user, w.password],
      [w.passwordNote],
      [w.from, w.to],
      [w.allowSelfSigned],
      [w.selfSignedWarning],
      [w.emailError],
    ]);
    this.group(body, 'tray.settings.notify.ntfy', [[w.ntfyUrl], [w.ntfyToken, w.ntfyTokenValue], [w.ntfyError]]);
    this.group(body, 'tray.settings.notify.webhook', [[w.webhookUrl], [w.webhookError]]);
    this.group(body, 'tray.settings.notify.heartbeat', [[w.heartbeatUrl, w.heartbeatStyle], [this.label(this.tr('tray.settings.notify.heartbeatHint'), GREY)], [w.heartbeatError]]);
    const weeklyLabel = this.label(`${this.tr('tray.settings.notify.weekly')}:`);
    const languageLabel = this.label(`${this.tr('tray.settings.notify.language')}:`);
    this.group(body, 'tray.settings.notify.when', [[w.onSuccess], [weeklyLabel, w.weekly], [w.monthly], [languageLabel, w.language], [w.whenError]]);
    this.group(body, 'tray.settings.notify.test', [[w.test, this.label('')], [w.testResult]]);
    this.bind(w);
    return { widget, w };
  }

  private bind(w: NotifyWidgets): void {
    const f = () => this.hooks.form();
    const edit = (e: QLineEdit, field: string, set: (v: string) => void) =>
      e.addEventListener('textChanged', (v) => {
        if (this.filling) return;
        set(v);
        this.hooks.clearError(field);
      });
    edit(w.host, 'notify.email.host', (v) => (f().email.host = v));
    edit(w.port, 'notify.email.port', (v) => (f().email.port = v));
    edit(w.user, 'notify.email.user', (v) => (f().email.user = v));
    edit(w.from, 'notify.email.from', (v) => (f().email.from = v));
    edit(w.to, 'notify.email.to', (v) => (f().email.to = v));
    edit(w.ntfyUrl, 'notify.ntfy.url', (v) => (f().ntfyUrl = v));
    edit(w.webhookUrl, 'notify.webhook.url', (v) => (f().webhookUrl = v));
    edit(w.heartbeatUrl, 'notify.heartbeat.url', (v) => (f().heartbeatUrl = v));
    const pick = (c: QComboBox, field: string, set: (i: number) => void) =>
      c.addEventListener('currentIndexChanged', (i) => {
        if (this.filling) return;
        set(i);
        this.hooks.clearError(field);
      });
    pick(w.tls, 'notify.email.tls', (i) => (f().email.tls = TLS_MODES[i] ?? 'starttls'));
    pick(w.heartbeatStyle, 'notify.heartbeat.style', (i) => (f().heartbeatStyle = HEARTBEAT_STYLES[i] ?? 'healthchecks'));
    pick(w.weekly, 'notify.weeklySummary', (i) => (f().weeklySummary = WEEKLY_CHOICES[i] ?? 'monday'));
    pick(w.language, 'notify.language', (i) => (f().language = NOTIFY_LANGUAGES[i] ?? 'de'));
    const toggle = (c: QCheckBox, set: (on: boolean) => void) =>
      c.addEventListener('toggled', (on) => {
        if (!this.filling) set(on);
        this.updateVisibility();
      });
    toggle(w.allowSelfSigned, (on) => (f().email.allowSelfSigned = on));
    toggle(w.ntfyToken, (on) => (f().ntfyToken = on));
    toggle(w.onSuccess, (on) => (f().onSuccess = on));
    toggle(w.monthly, (on) => (f().monthlyReport = on));
    w.test.addEventListener('clicked', () => this.hooks.test());
  }

  /** The warning only while certificates are not checked; the token field only when a token is wanted. */
  private updateVisibility(): void {
    this.w.selfSignedWarning.setVisible(this.w.allowSelfSigned.isChecked());
    this.w.ntfyTokenValue.setEnabled(this.w.ntfyToken.isChecked());
  }

  /** Puts the form's notify state into the widgets (after loading and after a save). */
  fill(s: NotifyFormState): void {
    const w = this.w;
    this.filling = true;
    try {
      w.host.setText(s.email.host);
      w.port.setText(s.email.port);
      w.tls.setCurrentIndex(Math.max(0, (TLS_MODES as readonly string[]).indexOf(s.email.tls)));
      w.user.setText(s.email.user);
      w.from.setText(s.email.from);
      w.to.setText(s.email.to);
      w.allowSelfSigned.setChecked(s.email.allowSelfSigned);
      w.ntfyUrl.setText(s.ntfyUrl);
      w.ntfyToken.setChecked(s.ntfyToken);
      w.webhookUrl.setText(s.webhookUrl);
      w.heartbeatUrl.setText(s.heartbeatUrl);
      w.heartbeatStyle.setCurrentIndex(Math.max(0, (HEARTBEAT_STYLES as readonly string[]).indexOf(s.heartbeatStyle)));
      w.onSuccess.setChecked(s.onSuccess);
      w.weekly.setCurrentIndex(Math.max(0, (WEEKLY_CHOICES as readonly string[]).indexOf(s.weeklySummary)));
      w.monthly.setChecked(s.monthlyReport);
      w.language.setCurrentIndex(Math.max(0, (NOTIFY_LANGUAGES as readonly string[]).indexOf(s.language)));
    } finally {
      this.filling = false;
    }
    this.updateVisibility();
  }

  /** The secrets typed here (empty: leave the keyring as it is). */
  secrets(): NotifySecrets {
    return { smtpPassword: this.w.password.text(), ntfyToken: this.w.ntfyTokenValue.isEnabled() ? this.w.ntfyTokenValue.text() : '' };
  }

  /** Stored: the fields are emptied so no secret stays in a widget longer than needed. */
  clearSecrets(): void {
    this.w.password.setText('');
    this.w.ntfyTokenValue.setText('');
  }

  /** Under the password field: whether the keyring already holds one for this login (null: no login). */
  setPasswordNote(text: string | null): void {
    this.w.passwordNote.setText(text ?? '');
    this.w.passwordNote.setVisible(!!text);
  }

  /** The widget with the red frame and the label with the text, for a notify field id. */
  target(field: string): { widget?: QWidget; label: QLabel } {
    const w = this.w;
    const map: Record<string, [QWidget | undefined, QLabel]> = {
      'notify.email.host': [w.host, w.emailError],
      'notify.email.port': [w.port, w.emailError],
      'notify.email.tls': [w.tls, w.emailError],
      'notify.email.user': [w.user, w.emailError],
      'notify.email.from': [w.from, w.emailError],
      'notify.email.to': [w.to, w.emailError],
      'notify.email.allowSelfSigned': [undefined, w.emailError],
      'notify.ntfy.url': [w.ntfyUrl, w.ntfyError],
      'notify.ntfy.token': [undefined, w.ntfyError],
      'notify.webhook.url': [w.webhookUrl, w.webhookError],
      'notify.heartbeat.url': [w.heartbeatUrl, w.heartbeatError],
      'notify.heartbeat.style': [w.heartbeatStyle, w.heartbeatError],
    };
    const hit = map[field];
    return hit ? { widget: hit[0], label: hit[1] } : { label: w.whenError };
  }

  errorLabels(): QLabel[] {
    return [this.w.emailError, this.w.ntfyError, this.w.webhookError, this.w.heartbeatError, this.w.whenError];
  }

  editable(): QWidget[] {
    const w = this.w;
    return [w.host, w.port, w.tls, w.user, w.from, w.to, w.ntfyUrl, w.webhookUrl, w.heartbeatUrl, w.heartbeatStyle];
  }

  /** What „Test senden“ says: one line per channel, or why it could not run. */
  showTest(lines: string[], tone: LineTone): void {
    this.w.testResult.setText(lines.join('\n'));
    this.w.testResult.setStyleSheet(`QLabel { ${TONE_STYLE[tone]} }`, false);
    this.w.testResult.setProperty('tone', tone);
    this.w.testResult.setVisible(lines.length > 0);
  }

  setTesting(on: boolean): void {
    this.w.test.setEnabled(!on);
  }
}

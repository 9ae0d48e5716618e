// The „Benachrichtigungen“ section of the settings window, Qt-free: the `notify` part of the config
// as the widgets hold it (strings and switches), the way back into the config (validated with the
// rest of the form by the CLI's own validateConfig), the field names problems are shown under,
// where the SMTP password and the ntfy token are stored (the keyring only, never the config), and
// what „Test senden“ (`notify test --json`) answered.
import { ntfyTokenId, smtpCredentialId } from '../../credentials/notify-credential-ids';
import type { NotifyTestLine } from '../../alerting/contracts';
import type { NotifyConfig } from '../../config/schema';
import { render, t, type Lang, type Message, type MessageKey } from '../../i18n';
import { PraxisError } from '../../core/errors';
import type { RunExit } from '../run-launcher';
import { failureReason } from './document-export';
import { flag, inOriginalOrder, obj, str, text, whole, withoutUndefined } from './form-values';

export const TLS_MODES = ['starttls', 'tls', 'none'] as const;
export const HEARTBEAT_STYLES = ['healthchecks', 'uptime-kuma'] as const;
/** '' is „no weekly summary“ (false in the config). */
export const WEEKLY_CHOICES = ['', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
export const NOTIFY_LANGUAGES = ['de', 'en'] as const;

export interface NotifyFormState {
  email: { host: string; port: string; tls: string; user: string; from: string; to: string; allowSelfSigned: boolean };
  ntfyUrl: string;
  ntfyToken: boolean;
  webhookUrl: string;
  heartbeatUrl: string;
  heartbeatStyle: string;
  onSuccess: boolean;
  /** A weekday, or '' for none. */
  weeklySummary: string;
  monthlyReport: boolean;
  language: string;
  /** `notify` as it was on disk: keys the window does not edit stay, and defaults nobody set are not written. */
  origin?: Record<string, unknown>;
}

export function notifyFormFrom(raw: unknown): NotifyFormState {
  const n = raw === undefined ? undefined : obj(raw);
  const e = obj(n?.email);
  const weekly = n?.weeklySummary;
  return {
    email: {
      host: str(e.host),
      port: str(e.port),
      tls: str(e.tls) || 'starttls',
      user: str(e.user),
      from: str(e.from),
      to: Array.isArray(e.to) ? e.to.map(str).join(', ') : str(e.to),
      allowSelfSigned: e.allowSelfSigned === true,
    },
    ntfyUrl: str(obj(n?.ntfy).url),
    ntfyToken: obj(n?.ntfy).token === true,
    webhookUrl: str(obj(n?.webhook).url),
    heartbeatUrl: str(obj(n?.heartbeat).url),
    heartbeatStyle: str(obj(n?.heartbeat).style) || 'healthchecks',
    onSuccess: n?.onSuccess === true,
    weeklySummary: weekly === false ? '' : typeof weekly === 'string' ? weekly : 'monday',
    monthlyReport: n?.monthlyReport !== false,
    language: str(n?.language) || 'de',
    origin: n,
  };
}

/** „a@b.de, c@d.de“ or one per line → the list. */
export function recipients(s: string): string[] {
  return s
    .split(/[\s,;]+/)
    .map((x) => x.trim())
    .filter(Boolean);
}

/** A value that equals the config's default: written only when the file had the key. */
const unlessDefault = <T>(value: T, dflt: T, key: string, origin: Record<string, unknown> | undefined): T | undefined =>
  value !== dflt || (origin && key in origin) ? value : undefined;

/** The `notify` object for the config, or undefined when nothing is set up and the file had none. */
export function notifyConfigOf(f: NotifyFormState): Record<string, unknown> | undefined {
  const o = f.origin;
  const oe = o ? obj(o.email) : undefined;
  const e = f.email;
  // A channel is on when its address is filled in: an empty section means „not used“.
  const emailOn = [e.host, e.from, e.to, e.user].some((v) => v.trim() !== '');
  const email = emailOn
    ? inOriginalOrder(
        {
          ...oe,
          host: text(e.host),
          port: whole(e.port),
          tls: unlessDefault(e.tls, 'starttls', 'tls', oe),
          user: text(e.user),
          from: text(e.from),
          to: recipients(e.to),
          allowSelfSigned: flag(e.allowSelfSigned, 'allowSelfSigned', oe),
        },
        oe,
      )
    : undefined;
  const on = (url: string) => url.trim() !== '';
  const ntfy = on(f.ntfyUrl) ? inOriginalOrder({ ...obj(o?.ntfy), url: text(f.ntfyUrl), token: flag(f.ntfyToken, 'token', obj(o?.ntfy)) }, obj(o?.ntfy)) : undefined;
  const webhook = on(f.webhookUrl) ? inOriginalOrder({ ...obj(o?.webhook), url: text(f.webhookUrl) }, obj(o?.webhook)) : undefined;
  const oh = obj(o?.heartbeat);
  const heartbeat = on(f.heartbeatUrl) ? inOriginalOrder({ ...oh, url: text(f.heartbeatUrl), style: unlessDefault(f.heartbeatStyle, 'healthchecks', 'style', oh) }, oh) : undefined;
  const out = inOriginalOrder(
    {
      ...o,
      language: unlessDefault(f.language, 'de', 'language', o),
      email,
      ntfy,
      webhook,
      heartbeat,
      onSuccess: flag(f.onSuccess, 'onSuccess', o),
      weeklySummary: unlessDefault<string | false>(f.weeklySummary || false, 'monday', 'weeklySummary', o),
      monthlyReport: unlessDefault(f.monthlyReport, true, 'monthlyReport', o),
    },
    o,
  );
  const clean = withoutUndefined(out);
  return !o && Object.keys(clean).length === 0 ? undefined : clean;
}

// ---- problems: which field, and its name as the window labels it ----

const NOTIFY_FIELDS = ['email.host', 'email.port', 'email.tls', 'email.user', 'email.from', 'email.to', 'email.allowSelfSigned', 'ntfy.url', 'ntfy.token', 'webhook.url', 'heartbeat.url', 'heartbeat.style', 'onSuccess', 'weeklySummary', 'monthlyReport', 'language'];

/** ['notify', 'email', 'to', 1] → 'notify.email.to'; anything else of notify → 'notify'. */
export function notifyFieldOf(path: (string | number)[]): string {
  const names = path.slice(1).filter((p): p is string => typeof p === 'string');
  for (let n = names.length; n > 0; n--) {
    const key = names.slice(0, n).join('.');
    if (NOTIFY_FIELDS.includes(key)) return `notify.${key}`;
  }
  return 'notify';
}

export function notifyFieldLabel(lang: Lang, field: string): string {
  const key = field.slice('notify.'.length);
  return NOTIFY_FIELDS.includes(key) ? t(lang, `tray.settings.notify.f.${key}` as MessageKey) : t(lang, 'tray.settings.notify.title');
}

// ---- secrets: the keyring only ----

export interface NotifySecrets {
  /** Typed into the window; saved to the keyring on „Speichern“, then forgotten. Empty: unchanged. */
  smtpPassword: string;
  ntfyToken: string;
}

/** Where each typed secret goes (the ids the deliverer looks up), or why it cannot be stored. */
export function secretTargets(cfg: NotifyConfig | undefined, s: NotifySecrets): { id: string; secret: string; what: 'smtp' | 'ntfy' }[] | { problem: MessageKey } {
  const out: { id: string; secret: string; what: 'smtp' | 'ntfy' }[] = [];
  if (s.smtpPassword) {
    const id = cfg?.email ? smtpCredentialId(cfg.email) : null;
    if (!id) return { problem: 'tray.settings.notify.passwordNoUser' };
    out.push({ id, secret: s.smtpPassword, what: 'smtp' });
  }
  if (s.ntfyToken) {
    if (!cfg?.ntfy) return { problem: 'tray.settings.notify.tokenNoUrl' };
    out.push({ id: ntfyTokenId(cfg.ntfy.url), secret: s.ntfyToken, what: 'ntfy' });
  }
  return out;
}

// ---- „Test senden“: the lines of `notify test --json` ----

export function parseTestLine(line: unknown): NotifyTestLine | null {
  const l = obj(line);
  if (l.type !== 'channel' || typeof l.channel !== 'string' || typeof l.ok !== 'boolean' || typeof l.message !== 'string') return null;
  return l as unknown as NotifyTestLine;
}

/** One line per channel: „✓ E-Mail: …“ / „× Heartbeat: …“. */
export function testLineText(lang: Lang, l: NotifyTestLine): string {
  // The CLI's messages usually name their channel already („E-Mail: Die Anmeldung …“, „E-Mail an …“): not twice.
  const channel = t(lang, `tray.settings.notify.channel.${l.channel}` as MessageKey);
  const text = l.message.toLowerCase().startsWith(channel.toLowerCase()) ? l.message : `${channel}: ${l.message}`;
  return `${l.ok ? '✓' : '×'} ${text}`;
}

/** What the window shows after `notify test --json` ended: a line per channel and a summary, or why it did not run. */
export function testOutcome(lang: Lang, lines: NotifyTestLine[], exit: RunExit): { lines: string[]; tone: 'ok' | 'error' } {
  if (!lines.length) return { lines: [t(lang, 'tray.settings.notify.testFailed', { reason: failureReason(exit, lang) })], tone: 'error' };
  const failed = lines.filter((l) => !l.ok).length;
  const summary = failed ? t(lang, 'tray.settings.notify.testSummaryFailed', { failed, total: lines.length }) : t(lang, 'tray.settings.notify.testSummaryOk', { total: lines.length });
  return { lines: [...lines.map((l) => testLineText(lang, l)), summary], tone: failed ? 'error' : 'ok' };
}

/** The SMTP login id as the form stands (port default 587), for the note under the password field. */
export function smtpIdOfForm(s: NotifyFormState): string | null {
  const e = s.email;
  if (!e.user.trim() || !e.host.trim()) return null;
  const port = /^\d+$/.test(e.port.trim()) ? Number(e.port.trim()) : 587;
  return smtpCredentialId({ user: e.user.trim(), host: e.host.trim(), port });
}

/**
 * After the config was saved: the typed secrets into the keyring under the ids the deliverer looks
 * up. Null when nothing was typed. Never throws; what failed is said (the config stays saved).
 */
export async function storeNotifySecrets(
  credentials: { set(id: string, secret: string): Promise<unknown>; storeName: Message },
  cfg: NotifyConfig | undefined,
  secrets: NotifySecrets,
  lang: Lang,
): Promise<{ text: string; kind: 'ok' | 'warning' } | null> {
  const targets = secretTargets(cfg, secrets);
  if ('problem' in targets) return { text: t(lang, 'tray.settings.notify.secretFailed', { reason: t(lang, targets.problem) }), kind: 'warning' };
  if (!targets.length) return null;
  try {
    for (const x of targets) await credentials.set(x.id, x.secret);
  } catch (e) {
    const reason = e instanceof PraxisError ? render(lang, e.message_) : String((e as Error)?.message ?? e);
    return { text: t(lang, 'tray.settings.notify.secretFailed', { reason }), kind: 'warning' };
  }
  return { text: t(lang, 'tray.settings.notify.secretSaved', { store: render(lang, credentials.storeName), ids: targets.map((x) => x.id).join(', ') }), kind: 'ok' };
}

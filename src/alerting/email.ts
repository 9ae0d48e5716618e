// E-mail over SMTP with nodemailer. Certificates are checked unless the admin wrote
// "allowSelfSigned": true; "starttls" requires the upgrade (requireTLS: never silently plain);
// the password comes from the keyring as smtp://<user>@<host>:<port> and appears nowhere else.
// Every failure is sorted into a stage (connect, tls, auth, send, timeout) with the server's own
// words and what to check, because "Mail konnte nicht gesendet werden" helps nobody.
import { existsSync } from 'node:fs';
import type { NotifyConfig } from '../config/schema';
import { t, type Message, type Params } from '../i18n';
import type { DeliveryOutcome, Notice } from './contracts';
import { smtpCredentialId } from '../credentials/notify-credential-ids';
import { channelLabel, missingSecret, type Channel, type ChannelDeps, type SendOptions } from './channel';

type EmailConfig = NonNullable<NotifyConfig['email']>;

/** nodemailer's options for this config; exported so tests can check TLS is never optional. */
export function transportOptions(cfg: EmailConfig, password: string | null, deps: Pick<ChannelDeps, 'timeoutMs' | 'hostname'>) {
  const isIp = /^[\d.]+$|:/.test(cfg.host);
  return {
    host: cfg.host,
    port: cfg.port,
    secure: cfg.tls === 'tls',
    requireTLS: cfg.tls === 'starttls',
    ignoreTLS: cfg.tls === 'none',
    auth: cfg.user && password !== null ? { user: cfg.user, pass: password } : undefined,
    tls: { rejectUnauthorized: !cfg.allowSelfSigned, minVersion: 'TLSv1.2' as const, ...(isIp ? {} : { servername: cfg.host }) },
    name: deps.hostname,
    connectionTimeout: deps.timeoutMs,
    greetingTimeout: deps.timeoutMs,
    socketTimeout: Math.round(deps.timeoutMs * 1.5),
    dnsTimeout: deps.timeoutMs,
    // nodemailer's logger would print the SMTP dialogue, AUTH included: off.
    logger: false,
    debug: false,
  };
}

interface SmtpError extends Error {
  code?: string;
  originalCode?: string;
  response?: string;
  responseCode?: number;
  command?: string;
  timeoutType?: string;
  rejected?: string[];
}

const CERT_PROBLEM = /^(DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?)$/;
const CERT_TEXT = /self[- ]signed|unable to verify|unable to get (local )?issuer/i;
const TLS_TEXT = /certificate|SSL|TLS|handshake|wrong version number/i;
const CONNECT_CODES = /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ECONNRESET|EADDRNOTAVAIL|EDNS)$/;

/** The server's own words (or the library's), one line, without the password if it ever showed up. */
function detailOf(e: SmtpError, password: string | null): string {
  let text = (e.response || e.message || String(e)).replace(/\s+/g, ' ').trim();
  if (password) text = text.split(password).join('***');
  return text.slice(0, 300);
}

/** Sorts a nodemailer error into the stage the admin has to look at. Exported for its tests. */
export function smtpFailure(e: SmtpError, cfg: EmailConfig, password: string | null): DeliveryOutcome {
  const server = `${cfg.host}:${cfg.port}`;
  const detail = detailOf(e, password);
  const code = e.originalCode || (e as { cause?: { code?: string } }).cause?.code || e.code || '';
  const fail = (stage: NonNullable<DeliveryOutcome['stage']>, key: Message['key'], params: Message['params'] = {}): DeliveryOutcome => ({
    channel: 'email',
    ok: false,
    stage,
    message: { key, params: { server, detail, ...params } },
  });
  if (CERT_PROBLEM.test(code) || CERT_TEXT.test(detail)) return fail('tls', 'notify.fail.emailSelfSigned');
  if (e.code === 'ETLS' && e.command === 'STARTTLS') return fail('tls', 'notify.fail.emailNoStarttls');
  if (e.code === 'ETLS' || /^(CERT_|ERR_TLS_|ERR_SSL_|EPROTO)/.test(code) || (e.code === 'ESOCKET' && TLS_TEXT.test(detail))) {
    return fail('tls', 'notify.fail.emailTls', { tls: cfg.tls });
  }
  if (e.code === 'ETIMEDOUT') {
    // A connect that never completes is a firewall or a wrong host/port; a silent server after that is a timeout.
    return e.timeoutType === 'CONNECT_TIMEOUT' || !e.timeoutType ? fail('connect', 'notify.fail.emailConnect') : fail('timeout', 'notify.fail.emailTimeout');
  }
  if (CONNECT_CODES.test(code) || (e.code === 'ESOCKET' && !e.responseCode) || e.code === 'ECONNECTION' || e.code === 'EDNS') {
    return fail('connect', 'notify.fail.emailConnect');
  }
  const id = smtpCredentialId(cfg);
  if (e.code === 'EAUTH' || e.code === 'ENOAUTH') return fail('auth', 'notify.fail.emailAuth', { user: cfg.user ?? '—', id: id ?? 'smtp://USER@HOST:PORT' });
  // 530 "Authentication required" at MAIL FROM: the relay wants a login the config does not name.
  if (e.responseCode === 530 || (e.responseCode && /auth/i.test(detail) && e.command === 'MAIL FROM')) {
    return fail('auth', cfg.user ? 'notify.fail.emailAuth' : 'notify.fail.emailAuthRequired', { user: cfg.user ?? '—', id: id ?? `smtp://USER@${cfg.host}:${cfg.port}` });
  }
  if (e.code === 'EENVELOPE' || e.code === 'EMESSAGE' || e.responseCode) return fail('send', 'notify.fail.emailRefused', { from: cfg.from });
  return fail('connect', 'notify.fail.emailOther');
}

/**
 * Attachments whose file is gone (a report deleted before a queued mail was retried) are left out,
 * with a line in the text saying so: the message itself still matters.
 */
export function withPresentAttachments(notice: Notice, lang: ChannelDeps['lang']): Notice {
  if (!notice.attachments?.length) return notice;
  const present = notice.attachments.filter((a) => existsSync(a.path));
  if (present.length === notice.attachments.length) return notice;
  const gone = notice.attachments.filter((a) => !present.includes(a));
  const lines = gone.map((a) => t(lang, 'notify.attachmentGone', { filename: a.filename }));
  return { ...notice, attachments: present, text: `${notice.text}\n\n${lines.join('\n')}` };
}

export class EmailChannel implements Channel {
  readonly name = 'email' as const;
  constructor(
    private readonly cfg: EmailConfig,
    private readonly deps: ChannelDeps,
  ) {}

  async send(original: Notice, opts: SendOptions = {}): Promise<DeliveryOutcome> {
    const id = smtpCredentialId(this.cfg);
    const password = id ? await this.deps.secrets.get(id) : null;
    if (id && password === null) return missingSecret(this.name, id, this.deps);
    const notice = withPresentAttachments(original, this.deps.lang);
    // Loaded here, not at the top: ~15 MB of heap that a night without e-mail never needs (issue 19).
    const { default: nodemailer } = await import('nodemailer');
    const transporter = nodemailer.createTransport(transportOptions(this.cfg, password, this.deps));
    const work = (async (): Promise<DeliveryOutcome> => {
      try {
        if (opts.test) await transporter.verify();
        const info = await transporter.sendMail({
          from: this.cfg.from,
          to: this.cfg.to,
          subject: notice.subject,
          text: notice.text,
          date: new Date(notice.createdAt),
          headers: { 'X-Praxis-Backup-Notice': notice.id, 'Auto-Submitted': 'auto-generated' },
          attachments: notice.attachments?.map((a) => ({ filename: a.filename, path: a.path, contentType: a.contentType })),
        });
        return this.accepted(info as { response?: string; rejected?: unknown[] });
      } catch (e) {
        return smtpFailure(e as SmtpError, this.cfg, password);
      } finally {
        transporter.close();
      }
    })();
    // nodemailer takes no AbortSignal; its own timeouts end the connection, this only stops waiting.
    const guardMs = this.deps.timeoutMs * 4;
    let timer: NodeJS.Timeout | undefined;
    const limits = new Promise<DeliveryOutcome>((resolve) => {
      timer = setTimeout(() => resolve(this.timedOut()), guardMs);
      opts.signal?.addEventListener('abort', () => resolve(this.timedOut()), { once: true });
    });
    try {
      return await Promise.race([work, limits]);
    } finally {
      clearTimeout(timer);
    }
  }

  private accepted(info: { response?: string; rejected?: unknown[] }): DeliveryOutcome {
    const server = `${this.cfg.host}:${this.cfg.port}`;
    const login: Message = this.cfg.user ? { key: 'notify.login.user', params: { user: this.cfg.user } } : { key: 'notify.login.none' };
    const params: Params = {
      to: this.cfg.to.join(', '),
      server,
      security: { key: `notify.security.${this.cfg.tls}` },
      login,
      response: (info.response ?? '').replace(/\s+/g, ' ').slice(0, 120),
    };
    const rejected = (info.rejected ?? []).map((r) => (typeof r === 'string' ? r : String((r as { address?: string }).address ?? r)));
    if (rejected.length) return { channel: this.name, ok: true, message: { key: 'notify.ok.emailPartial', params: { ...params, rejected: rejected.join(', ') } } };
    return { channel: this.name, ok: true, message: { key: 'notify.ok.email', params } };
  }

  private timedOut(): DeliveryOutcome {
    return {
      channel: this.name,
      ok: false,
      stage: 'timeout',
      message: { key: 'notify.fail.timeout', params: { channel: channelLabel(this.name), target: `${this.cfg.host}:${this.cfg.port}`, seconds: Math.round((this.deps.timeoutMs * 4) / 1000) } },
    };
  }
}

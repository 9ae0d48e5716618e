// What every channel (e-mail, ntfy, webhook) answers, so the deliverer, the outbox and
// `notify test` treat them alike (one module per channel, like borgmatic's monitoring hooks).
import type { Lang, Message } from '../i18n';
import type { SecretStore } from '../credentials/credentials';
import type { ChannelName, DeliveryOutcome, Notice } from './contracts';

export interface ChannelDeps {
  /** Environment first, then the keyring (the SMTP password, an ntfy token). */
  secrets: SecretStore;
  /** Where a missing secret should be stored, in the admin's words („macOS-Schlüsselbund“). */
  storeName: Message | string;
  /** The language of what is sent (notify.language). */
  lang: Lang;
  hostname: string;
  version: string;
  /** Per network step (connect, greeting, one HTTP request); the whole send is bounded by a few of these. */
  timeoutMs: number;
}

export interface SendOptions {
  signal?: AbortSignal;
  /** `notify test`: e-mail checks connection and login first (transporter.verify) and says each step. */
  test?: boolean;
}

export interface Channel {
  readonly name: ChannelName;
  send(notice: Notice, opts?: SendOptions): Promise<DeliveryOutcome>;
}

/** The channel's name in messages. */
export function channelLabel(name: ChannelName | 'heartbeat'): Message {
  return { key: `notify.channel.${name}` };
}

/** Outcome for a secret that is not stored: which id, and the command that stores it. */
export function missingSecret(channel: ChannelName, id: string, deps: ChannelDeps): DeliveryOutcome {
  return {
    channel,
    ok: false,
    stage: 'secret',
    message: { key: 'notify.fail.secret', params: { channel: channelLabel(channel), id, store: deps.storeName } },
  };
}

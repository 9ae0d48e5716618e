// The delivery layer's front door: the configured channels behind one Deliverer (send, flush the
// outbox, test) and the heartbeat. Built from `notify` and injected dependencies (secrets, state
// folder, clock, host name, version, timeouts) so tests run it against real peers on 127.0.0.1.
import type { NotifyConfig } from '../config/schema';
import type { Message } from '../i18n';
import type { SecretStore } from '../credentials/credentials';
import type { Channel, ChannelDeps } from './channel';
import { CHANNEL_NAMES, type ChannelName, type Deliverer, type DeliveryOutcome, type Notice } from './contracts';
import { EmailChannel } from './email';
import { HeartbeatClient } from './heartbeat';
import { NtfyChannel } from './ntfy';
import { Outbox } from './outbox';
import { WebhookChannel } from './webhook';

/** Per network step (connect, greeting, one HTTP request). A run waits at most a few of these per channel. */
export const DEFAULT_NOTIFY_TIMEOUT_MS = 10_000;

export interface DeliveryDeps {
  /** Environment first, then the keyring (as App.secretsFor). */
  secrets: SecretStore;
  /** The keyring in the admin's words, for "no password stored in …". */
  storeName: Message | string;
  /** The outbox lives in `<stateDir>/outbox/`. */
  stateDir: string;
  /** The injected clock (App.now): queue times, nothing else. */
  now: () => Date;
  hostname: string;
  version: string;
  timeoutMs?: number;
  outboxMax?: number;
}

export interface NotifyDeliverer extends Deliverer {
  /** The configured channels, in CHANNEL_NAMES order. */
  readonly channels: ChannelName[];
  readonly outbox: Outbox;
}

/** Which channels `notify` configures (heartbeat aside). */
export function configuredChannels(notify: NotifyConfig | undefined): ChannelName[] {
  return notify ? CHANNEL_NAMES.filter((c) => notify[c] !== undefined) : [];
}

function makeChannels(notify: NotifyConfig, deps: ChannelDeps): Map<ChannelName, Channel> {
  const channels = new Map<ChannelName, Channel>();
  if (notify.email) channels.set('email', new EmailChannel(notify.email, deps));
  if (notify.ntfy) channels.set('ntfy', new NtfyChannel(notify.ntfy, deps));
  if (notify.webhook) channels.set('webhook', new WebhookChannel(notify.webhook, deps));
  return channels;
}

/** A Deliverer for the configured channels, or null when `notify` names none. */
export function createDeliverer(notify: NotifyConfig | undefined, deps: DeliveryDeps): NotifyDeliverer | null {
  if (!notify) return null;
  const channelDeps: ChannelDeps = {
    secrets: deps.secrets,
    storeName: deps.storeName,
    lang: notify.language,
    hostname: deps.hostname,
    version: deps.version,
    timeoutMs: deps.timeoutMs ?? DEFAULT_NOTIFY_TIMEOUT_MS,
  };
  const channels = makeChannels(notify, channelDeps);
  if (channels.size === 0) return null;
  const outbox = new Outbox(deps.stateDir, deps.now, deps.outboxMax);

  /** A channel's send, with anything unforeseen turned into an outcome (the contract: never throws). */
  const attempt = async (channel: Channel, notice: Notice, signal?: AbortSignal, test = false): Promise<DeliveryOutcome> => {
    try {
      return await channel.send(notice, { signal, test });
    } catch (e) {
      return { channel: channel.name, ok: false, message: { key: 'error.unexpected', params: { message: (e as Error)?.message ?? String(e) } } };
    }
  };

  return {
    channels: [...channels.keys()],
    outbox,
    async send(notice, signal) {
      const outcomes = await Promise.all([...channels.values()].map((c) => attempt(c, notice, signal)));
      for (const o of outcomes) {
        if (o.ok || o.channel === 'heartbeat') continue;
        // Queueing must not fail the caller either (a full disk is the run's own finding).
        await outbox.add(notice, o.channel, o.message).catch(() => {});
      }
      return outcomes;
    },
    async flush(signal) {
      try {
        return await outbox.flush(async (entry, s) => {
          const channel = channels.get(entry.channel);
          return channel ? attempt(channel, entry.notice, s) : 'discard';
        }, signal);
      } catch {
        return [];
      }
    },
    async test(name, notice, signal) {
      const chosen = name ? [channels.get(name)].filter((c): c is Channel => c !== undefined) : [...channels.values()];
      return Promise.all(chosen.map((c) => attempt(c, notice, signal, true)));
    },
  };
}

/** The heartbeat of `notify.heartbeat`, or null when none is configured. */
export function createHeartbeat(notify: NotifyConfig | undefined, deps: Pick<DeliveryDeps, 'version' | 'timeoutMs'>): HeartbeatClient | null {
  if (!notify?.heartbeat) return null;
  return new HeartbeatClient(notify.heartbeat, { version: deps.version, timeoutMs: deps.timeoutMs ?? DEFAULT_NOTIFY_TIMEOUT_MS });
}

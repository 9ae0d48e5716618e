// A generic webhook: the notice as one JSON POST, for Uptime Kuma, Zabbix, a ticket system or a
// script. Flat and stable: `source` says who sent it, `event` (machine-readable: what, result,
// exitCode, backupId, …) is spread in after the fixed fields, which it can never overwrite.
import type { NotifyConfig } from '../config/schema';
import type { DeliveryOutcome, Notice } from './contracts';
import { channelLabel, type Channel, type ChannelDeps, type SendOptions } from './channel';
import { httpFailure, httpRequest, origin } from './http-request';

type WebhookConfig = NonNullable<NotifyConfig['webhook']>;

export function webhookBody(notice: Notice, deps: Pick<ChannelDeps, 'hostname' | 'version'>): Record<string, unknown> {
  return {
    ...notice.event,
    source: 'praxis-backup',
    version: deps.version,
    host: deps.hostname,
    id: notice.id,
    kind: notice.kind,
    severity: notice.severity,
    subject: notice.subject,
    text: notice.text,
    createdAt: notice.createdAt,
  };
}

export class WebhookChannel implements Channel {
  readonly name = 'webhook' as const;
  constructor(
    private readonly cfg: WebhookConfig,
    private readonly deps: ChannelDeps,
  ) {}

  async send(notice: Notice, opts: SendOptions = {}): Promise<DeliveryOutcome> {
    const r = await httpRequest({
      url: this.cfg.url,
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', 'user-agent': `praxis-backup/${this.deps.version}` },
      body: JSON.stringify(webhookBody(notice, this.deps)),
      timeoutMs: this.deps.timeoutMs,
      signal: opts.signal,
    });
    const label = channelLabel(this.name);
    if (r.ok) return { channel: this.name, ok: true, message: { key: 'notify.ok.http', params: { channel: label, target: origin(this.cfg.url), status: r.status } } };
    return { channel: this.name, ok: false, stage: r.stage, message: httpFailure(label, this.cfg.url, r, this.deps.timeoutMs) };
  }
}

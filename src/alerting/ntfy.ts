// Push via ntfy (https://docs.ntfy.sh/publish/): one POST per notice.
//
// Published as JSON to the server's root with the topic inside ("Publish as JSON"), not as a plain
// body to the topic URL with Title/Priority/Tags headers: a title is an HTTP header there, and
// header values are not reliably UTF-8 (Node's fetch sends „Sicherung fehlgeschlagen – Größe“ as
// Latin-1 bytes or refuses the dash outright; ntfy's own docs warn about it and suggest RFC 2047).
// A JSON body is UTF-8 by definition, so umlauts arrive as written.
//
// A topic URL behind a reverse proxy may carry a path prefix (https://example.de/ntfy/praxis): the
// root is then everything before the last path segment, the topic the last segment.
import type { NotifyConfig } from '../config/schema';
import type { DeliveryOutcome, Notice } from './contracts';
import { channelLabel, missingSecret, type Channel, type ChannelDeps, type SendOptions } from './channel';
import { ntfyTokenId, splitTopicUrl } from '../credentials/notify-credential-ids';
import { httpFailure, httpRequest, origin } from './http-request';

type NtfyConfig = NonNullable<NotifyConfig['ntfy']>;

/** ntfy turns a message over 4096 bytes into an attachment; stay below with room for the marker. */
const MAX_MESSAGE_BYTES = 3800;

/** Cut on a character boundary so the UTF-8 body stays valid. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  let out = '';
  let bytes = 0;
  for (const ch of text) {
    const n = Buffer.byteLength(ch, 'utf8');
    if (bytes + n > maxBytes - 3) break;
    out += ch;
    bytes += n;
  }
  return out + '…';
}

// https://docs.ntfy.sh/publish/#message-priority: 4 = high (long vibration), 3 = default.
const PRIORITY: Record<Notice['severity'], number> = { error: 4, warning: 3, info: 3 };
// https://docs.ntfy.sh/publish/#tags-emojis: these names become emojis in front of the title.
const TAGS: Record<Notice['severity'], string[]> = { error: ['rotating_light'], warning: ['warning'], info: ['information_source'] };

export class NtfyChannel implements Channel {
  readonly name = 'ntfy' as const;
  constructor(
    private readonly cfg: NtfyConfig,
    private readonly deps: ChannelDeps,
  ) {}

  async send(notice: Notice, opts: SendOptions = {}): Promise<DeliveryOutcome> {
    const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
    if (this.cfg.token) {
      const id = ntfyTokenId(this.cfg.url);
      const token = await this.deps.secrets.get(id);
      if (token === null) return missingSecret(this.name, id, this.deps);
      headers.authorization = `Bearer ${token}`;
    }
    const { root, topic } = splitTopicUrl(this.cfg.url);
    const body = JSON.stringify({
      topic,
      title: notice.subject,
      message: truncateUtf8(notice.text, MAX_MESSAGE_BYTES),
      priority: PRIORITY[notice.severity],
      tags: TAGS[notice.severity],
    });
    const r = await httpRequest({ url: root, method: 'POST', headers, body, timeoutMs: this.deps.timeoutMs, signal: opts.signal });
    const label = channelLabel(this.name);
    if (r.ok) return { channel: this.name, ok: true, message: { key: 'notify.ok.http', params: { channel: label, target: origin(this.cfg.url), status: r.status } } };
    if (r.stage === 'http' && (r.status === 401 || r.status === 403)) {
      // ntfy answers 401/403 for a protected topic without a (valid) token: say where the token lives.
      const id = ntfyTokenId(this.cfg.url);
      return {
        channel: this.name,
        ok: false,
        stage: 'auth',
        message: { key: this.cfg.token ? 'notify.fail.ntfyToken' : 'notify.fail.ntfyNeedsToken', params: { target: origin(this.cfg.url), status: r.status, id } },
      };
    }
    return { channel: this.name, ok: false, stage: r.stage, message: httpFailure(label, this.cfg.url, r, this.deps.timeoutMs) };
  }
}

// The keyring ids of the notification secrets, in one small module: the deliverer asks for exactly
// these, `credentials set` writes exactly these, and neither needs the other's code to agree.
import type { NotifyConfig } from '../config/schema';

/** `smtp://<user>@<host>:<port>`: the SMTP password, or null when the relay needs no login. */
export function smtpCredentialId(cfg: Pick<NonNullable<NotifyConfig['email']>, 'user' | 'host' | 'port'>): string | null {
  if (!cfg.user) return null;
  const host = cfg.host.includes(':') ? `[${cfg.host}]` : cfg.host;
  return `smtp://${cfg.user}@${host}:${cfg.port}`;
}

/**
 * A topic URL split into the server's root and the topic (the last path segment): behind a reverse
 * proxy the root may carry a path prefix (https://example.de/ntfy/praxis).
 */
export function splitTopicUrl(url: string): { root: string; topic: string } {
  const u = new URL(url);
  const segments = u.pathname.split('/').filter(Boolean);
  const topic = segments.pop() ?? '';
  u.pathname = segments.length ? `/${segments.join('/')}/` : '/';
  u.search = '';
  u.hash = '';
  return { root: u.toString(), topic: decodeURIComponent(topic) };
}

/** `ntfy://<host>[:port]/<topic>`: the topic's access token. */
export function ntfyTokenId(url: string): string {
  return `ntfy://${new URL(url).host}/${splitTopicUrl(url).topic}`;
}

/** The ids `notify` looks up, with the config key that uses each (for `credentials set`). */
export function notifyCredentialIds(notify: NotifyConfig | undefined): { id: string; name: string }[] {
  const out: { id: string; name: string }[] = [];
  const smtp = notify?.email ? smtpCredentialId(notify.email) : null;
  if (smtp) out.push({ id: smtp, name: 'notify.email' });
  if (notify?.ntfy?.token) out.push({ id: ntfyTokenId(notify.ntfy.url), name: 'notify.ntfy' });
  return out;
}

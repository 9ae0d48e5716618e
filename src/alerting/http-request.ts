// One HTTP request for ntfy, the webhook and the heartbeat: Node's fetch with a hard deadline,
// never throwing, every failure sorted into a stage the admin can act on. The URL's path and query
// often carry the secret (a Healthchecks UUID, an Uptime Kuma push token, an ntfy topic, a webhook
// token), so what a message shows of it is the origin only (scheme, host, port).
import type { Message } from '../i18n';
import type { DeliveryOutcome } from './contracts';

export interface HttpRequest {
  url: string;
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

export type HttpResult =
  | { ok: true; status: number }
  | { ok: false; stage: NonNullable<DeliveryOutcome['stage']>; status?: number; detail: string; /** 3xx: the origin it points to. */ redirect?: string };

/** scheme://host[:port] — what may be shown of a URL whose path or query is a token. */
export function origin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(URL)';
  }
}

// TLS failures Node reports by code: a certificate nobody vouches for, an expired one, one for
// another name. Named so the message can say "certificate", not "fetch failed".
const TLS_CODES = /^(DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|CERT_HAS_EXPIRED|CERT_NOT_YET_VALID|ERR_TLS_CERT_ALTNAME_INVALID|ERR_SSL_.*|EPROTO)$/;
const CONNECT_CODES = /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|EADDRNOTAVAIL|UND_ERR_CONNECT_TIMEOUT|UND_ERR_SOCKET|ETIMEDOUT)$/;

/** A server's error page may echo the path or query, which is the token: cut them out. */
function scrub(text: string, url: string): string {
  let out = text;
  try {
    const u = new URL(url);
    for (const part of [u.search.slice(1), ...u.pathname.split('/')]) if (part.length >= 6) out = out.split(part).join('…');
  } catch {
    /* not a URL: nothing to cut */
  }
  return out;
}

/** The innermost error with a code (fetch wraps the socket's error in `cause`, sometimes twice). */
function rootCause(e: unknown): { code?: string; message: string } {
  let cur = e as { code?: string; message?: string; cause?: unknown } | undefined;
  let best = { code: undefined as string | undefined, message: String((e as Error)?.message ?? e) };
  for (let depth = 0; cur && depth < 5; depth++) {
    if (cur.code || cur.message) best = { code: cur.code ?? best.code, message: cur.message ?? best.message };
    cur = cur.cause as typeof cur;
  }
  return best;
}

export async function httpRequest(req: HttpRequest): Promise<HttpResult> {
  const deadline = AbortSignal.timeout(req.timeoutMs);
  const signal = req.signal ? AbortSignal.any([req.signal, deadline]) : deadline;
  try {
    // Redirects are not followed: an http:// URL answered with "moved to https://" would turn the
    // POST into a GET without its body (fetch does that for 301/302), and ntfy's web page or a
    // monitor's login page would answer 200 — a message reported as delivered that never was.
    const res = await fetch(req.url, { method: req.method, headers: req.headers, body: req.body, signal, redirect: 'manual' });
    // The body is read (and capped) so the connection is released, and a short error text can be shown.
    const text = scrub((await res.text()).replace(/\s+/g, ' ').trim(), req.url).slice(0, 200);
    if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status };
    if (res.status >= 300 && res.status < 400) return { ok: false, stage: 'http', status: res.status, detail: '', redirect: origin(new URL(res.headers.get('location') ?? '/', req.url).toString()) };
    return { ok: false, stage: 'http', status: res.status, detail: text ? `${res.status} ${res.statusText}: ${text}` : `${res.status} ${res.statusText}` };
  } catch (e) {
    if (deadline.aborted) return { ok: false, stage: 'timeout', detail: `${Math.max(1, Math.round(req.timeoutMs / 1000))} s` };
    if (req.signal?.aborted) return { ok: false, stage: 'timeout', detail: 'cancelled' };
    const { code, message } = rootCause(e);
    if (code && TLS_CODES.test(code)) return { ok: false, stage: 'tls', detail: `${code}: ${message}` };
    if (code && CONNECT_CODES.test(code)) return { ok: false, stage: 'connect', detail: `${code}: ${message}` };
    return { ok: false, stage: 'connect', detail: code ? `${code}: ${message}` : message };
  }
}

/** The outcome message of a failed request, naming the origin only. */
export function httpFailure(label: Message, url: string, r: Extract<HttpResult, { ok: false }>, timeoutMs: number): Message {
  const target = origin(url);
  switch (r.stage) {
    case 'timeout':
      return { key: 'notify.fail.timeout', params: { channel: label, target, seconds: Math.max(1, Math.round(timeoutMs / 1000)) } };
    case 'tls':
      return { key: 'notify.fail.httpTls', params: { channel: label, target, detail: r.detail } };
    case 'http':
      if (r.redirect) return { key: 'notify.fail.httpRedirect', params: { channel: label, target, status: r.status ?? 0, location: r.redirect } };
      return { key: 'notify.fail.http', params: { channel: label, target, status: r.status ?? 0, detail: r.detail } };
    default:
      return { key: 'notify.fail.connect', params: { channel: label, target, detail: r.detail } };
  }
}

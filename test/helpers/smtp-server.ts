// A real SMTP server for tests: the `smtp-server` package on 127.0.0.1 at a free port, with STARTTLS
// (a self-signed certificate made by openssl for this test process), AUTH PLAIN/LOGIN with a test
// user, recording every accepted message.
//
// Why smtp-server and not Debian's exim4 or postfix: it is the SMTP server of the nodemailer
// project (the client the product uses), pure JavaScript, speaks STARTTLS, implicit TLS and AUTH
// PLAIN/LOGIN like a real mail server does on the wire, and starts in milliseconds inside the test
// process, on any free port, as any user. exim4/postfix would need root, a system-wide config, a
// daemon with its own queue and spool, and a mailbox to read back from; what the tests must prove
// (the product's SMTP dialogue: TLS required, certificate checked, login, the message as it
// arrives) is the same on the wire.
//
// The raw RFC 822 message is parsed here minimally (mailparser is not installed): unfolded
// headers with RFC 2047 encoded words decoded, the text part and attachments with their
// quoted-printable or base64 transfer encoding undone (nodemailer uses both for non-ASCII text).
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { execa } from 'execa';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Arrivals } from './arrivals';
import { makeTempDir, registerCleanup } from './temp';

export interface ReceivedPart {
  headers: Record<string, string>;
  contentType: string;
  filename: string | null;
  content: Buffer;
}

export interface ReceivedMail {
  /** SMTP envelope. */
  from: string;
  to: string[];
  /** The AUTH user, or null when the client did not log in. */
  user: string | null;
  /** The session was encrypted (STARTTLS or implicit TLS) when the message was sent. */
  secure: boolean;
  raw: string;
  /** Header names lower-case; values unfolded, RFC 2047 decoded; the last one wins when repeated. */
  headers: Record<string, string>;
  subject: string;
  /** The first text/plain part (or the body of a single-part message), decoded, line ends as \n. */
  text: string;
  /** Every non-text part and every part with a file name. */
  attachments: ReceivedPart[];
}

export interface TestSmtpOptions {
  user?: string;
  password?: string;
  /** Clients may send without AUTH (a relay on the LAN). Default false. */
  authOptional?: boolean;
  /** No STARTTLS: not offered, and refused when a client sends it anyway (a plain-text-only server). */
  hideStartTls?: boolean;
  /** Implicit TLS from the first byte (port 465 style) instead of STARTTLS. */
  implicitTls?: boolean;
  /** Allow AUTH without TLS (for `tls: "none"` tests). */
  allowInsecureAuth?: boolean;
  /** RCPT TO addresses answered with 550 (a "recipient refused" test). */
  rejectRecipients?: string[];
  /** Fixed port (restart after stop uses the same one anyway). */
  port?: number;
}

export interface TestSmtp {
  host: '127.0.0.1';
  port: number;
  user: string;
  password: string;
  /** PEM of the self-signed certificate (a test may trust it explicitly). */
  certPem: string;
  messages: ReceivedMail[];
  /** Number of AUTH attempts that were refused (wrong user/password). */
  failedLogins: number;
  /** Resolves once at least n messages were accepted; rejects after timeoutMs (a hang guard, not a timing assertion). */
  waitForMessages(n: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  /** Stops listening; open connections are closed (421) after a short grace. */
  stop(): Promise<void>;
  /** Listens again on the same port (the "SMTP was down, now back" test). */
  start(): Promise<void>;
  readonly running: boolean;
}

let certOnce: Promise<{ key: string; cert: string }> | null = null;

/** One self-signed certificate per test process, made by openssl (2 days, CN and SAN 127.0.0.1). */
export function selfSignedCertificate(): Promise<{ key: string; cert: string }> {
  certOnce ??= (async () => {
    const dir = await makeTempDir('praxis-smtp-cert');
    const keyFile = join(dir, 'key.pem');
    const certFile = join(dir, 'cert.pem');
    await execa('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
      '-keyout', keyFile, '-out', certFile,
    ]);
    return { key: await readFile(keyFile, 'utf8'), cert: await readFile(certFile, 'utf8') };
  })();
  return certOnce;
}

export async function startSmtpServer(opts: TestSmtpOptions = {}): Promise<TestSmtp> {
  const { key, cert } = await selfSignedCertificate();
  const user = opts.user ?? 'praxis@example.test';
  const password = opts.password ?? 'smtp-test-pw-Ä7';
  const arrivals = new Arrivals<ReceivedMail>('test SMTP server: messages');
  const messages = arrivals.items;
  const rejected = new Set((opts.rejectRecipients ?? []).map((a) => a.toLowerCase()));
  let server: SMTPServer | null = null;
  let port = opts.port ?? 0;

  const state: TestSmtp = {
    host: '127.0.0.1',
    get port() {
      return port;
    },
    user,
    password,
    certPem: cert,
    messages,
    failedLogins: 0,
    get running() {
      return server !== null;
    },
    waitForMessages: (n, timeoutMs = 60_000) => arrivals.waitFor(n, timeoutMs),
    stop: async () => {
      const s = server;
      server = null;
      if (s) await new Promise<void>((r) => s.close(() => r()));
    },
    start: async () => {
      if (server) return;
      const options: SMTPServerOptions = {
        key,
        cert,
        secure: opts.implicitTls ?? false,
        hideSTARTTLS: opts.hideStartTls ?? false,
        // Hidden alone, smtp-server still accepts STARTTLS from a client that insists.
        disabledCommands: opts.hideStartTls ? ['STARTTLS'] : [],
        authMethods: ['PLAIN', 'LOGIN'],
        authOptional: opts.authOptional ?? false,
        allowInsecureAuth: opts.allowInsecureAuth ?? false,
        disableReverseLookup: true,
        logger: false,
        closeTimeout: 500,
        onAuth(auth, _session, cb) {
          if (auth.username === user && auth.password === password) return cb(null, { user: auth.username });
          state.failedLogins++;
          const err = new Error('Invalid username or password') as Error & { responseCode: number };
          err.responseCode = 535;
          cb(err);
        },
        onRcptTo(address, _session, cb) {
          if (rejected.has(address.address.toLowerCase())) {
            const err = new Error(`<${address.address}>: Recipient address rejected: User unknown`) as Error & { responseCode: number };
            err.responseCode = 550;
            return cb(err);
          }
          cb();
        },
        onData(stream, session, cb) {
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            const raw = Buffer.concat(chunks).toString('utf8');
            arrivals.push({
              ...parseMessage(raw),
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((r) => r.address),
              user: typeof session.user === 'string' ? session.user : null,
              secure: session.secure,
              raw,
            });
            cb();
          });
        },
      };
      const s = new SMTPServer(options);
      s.on('error', () => {}); // a client dropping mid-dialogue is that test's business, not a crash
      await new Promise<void>((resolve, reject) => {
        const net = s.listen(port, '127.0.0.1', () => resolve());
        net.once('error', reject);
      });
      const addr = (s as unknown as { server: import('node:net').Server }).server.address();
      if (addr && typeof addr === 'object') port = addr.port;
      server = s;
    },
  };
  await state.start();
  registerCleanup(() => state.stop(), { label: `stop test SMTP server :${port}` });
  return state;
}

// ---- a minimal RFC 822 / MIME reader -----------------------------------------------------------

function splitHead(raw: string): { head: string; body: string } {
  const m = /\r?\n\r?\n/.exec(raw);
  if (!m) return { head: raw, body: '' };
  return { head: raw.slice(0, m.index), body: raw.slice(m.index + m[0].length) };
}

function parseHeaders(head: string): Record<string, string> {
  const out: Record<string, string> = {};
  const unfolded = head.replace(/\r?\n[ \t]+/g, ' ');
  for (const line of unfolded.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    out[line.slice(0, i).trim().toLowerCase()] = decodeWords(line.slice(i + 1).trim());
  }
  return out;
}

/** RFC 2047: =?utf-8?B?…?= and =?utf-8?Q?…?=; whitespace between two encoded words is dropped. */
export function decodeWords(value: string): string {
  return value
    .replace(/(\?=)\s+(=\?)/g, '$1$2')
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_m, charset: string, enc: string, text: string) => {
      const bytes = enc.toUpperCase() === 'B' ? Buffer.from(text, 'base64') : qpBytes(text.replace(/_/g, ' '));
      return bytes.toString(/^(utf-?8)$/i.test(charset) ? 'utf8' : 'latin1');
    });
}

function qpBytes(text: string): Buffer {
  const soft = text.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < soft.length; i++) {
    const c = soft[i]!;
    if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(soft.slice(i + 1, i + 3))) {
      bytes.push(parseInt(soft.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(c, 'utf8'));
  }
  return Buffer.from(bytes);
}

function decodeBody(body: string, encoding: string | undefined): Buffer {
  switch ((encoding ?? '').toLowerCase()) {
    case 'base64':
      return Buffer.from(body.replace(/\s+/g, ''), 'base64');
    case 'quoted-printable':
      return qpBytes(body);
    default:
      return Buffer.from(body, 'utf8');
  }
}

function param(header: string | undefined, name: string): string | null {
  const m = new RegExp(`${name}\\*?=("([^"]*)"|[^;\\s]+)`, 'i').exec(header ?? '');
  if (!m) return null;
  const v = m[2] ?? m[1]!;
  // RFC 2231 (filename*=utf-8''…), as nodemailer writes non-ASCII file names.
  const ext = /^([^']*)'[^']*'(.*)$/.exec(v);
  return ext ? decodeURIComponent(ext[2]!) : v;
}

function parseParts(headers: Record<string, string>, body: string, into: ReceivedPart[]): void {
  const type = headers['content-type'] ?? 'text/plain';
  const boundary = /^multipart\//i.test(type) ? param(type, 'boundary') : null;
  if (boundary) {
    const sections = body.split(`--${boundary}`);
    for (const section of sections.slice(1)) {
      if (section.startsWith('--')) break;
      const { head, body: partBody } = splitHead(section.replace(/^\r?\n/, ''));
      parseParts(parseHeaders(head), partBody.replace(/\r?\n$/, ''), into);
    }
    return;
  }
  into.push({
    headers,
    contentType: type.split(';')[0]!.trim().toLowerCase(),
    filename: param(headers['content-disposition'], 'filename') ?? param(type, 'name'),
    content: decodeBody(body, headers['content-transfer-encoding']),
  });
}

export function parseMessage(raw: string): Pick<ReceivedMail, 'headers' | 'subject' | 'text' | 'attachments'> {
  const { head, body } = splitHead(raw);
  const headers = parseHeaders(head);
  const parts: ReceivedPart[] = [];
  parseParts(headers, body, parts);
  const textPart = parts.find((p) => p.contentType === 'text/plain' && !p.filename);
  return {
    headers,
    subject: headers.subject ?? '',
    text: textPart ? textPart.content.toString('utf8').replace(/\r\n/g, '\n') : '',
    attachments: parts.filter((p) => p !== textPart && (p.filename || p.contentType !== 'text/html')),
  };
}
